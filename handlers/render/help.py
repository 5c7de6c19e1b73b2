"""What `/numbers help` shows, and the answer to a command that does not parse: every subcommand with an
example, and the audit filters of `history` and `export`."""

from __future__ import annotations

from bot.services.audit_filters import FILTER_HELP
from bot.services.records import FreezeState
from bot.services.number_filters import FILTER_HELP as NUMBER_FILTER_HELP
from handlers.parsing import USAGE_BY_NAME, USAGES, UsageError
from handlers.render.kit import Block, Message, context, header, message, section, text_message, text_sections
from handlers.render.freeze import freeze_banner
from handlers.render.text import escape


def help_message(topic: str | None = None, *, frozen: FreezeState | None = None) -> Message:
    """`frozen`: the freeze in force, shown first."""
    usages = [USAGE_BY_NAME[topic]] if topic in USAGE_BY_NAME else list(USAGES)
    lines = [
        f"*`/numbers {escape(u.synopsis)}`*  {escape(u.summary)}\n      e.g. `/numbers {escape(u.example)}`"
        for u in usages
    ]
    title = f"/numbers {topic}" if topic in USAGE_BY_NAME else "/numbers: telephone numbers from Vobiz"
    blocks = [header(title), *([freeze_banner(frozen)] if frozen else []), *text_sections(lines)]
    if topic in FILTERED_SUBCOMMANDS:
        blocks.extend(filter_help_blocks())
    if topic in NUMBER_FILTERED_SUBCOMMANDS:
        blocks.append(section("*Inventory filters*\n" + NUMBER_FILTER_HELP))
    if topic not in USAGE_BY_NAME:
        blocks.append(
            context(
                "Buying, releasing and force operations wait for an approver; everything is in `/numbers history` "
                "(`/numbers help history` lists its filters)."
            )
        )
    frozen_note = "The bot is frozen: no Vobiz changes until an admin unfreezes it. " if frozen else ""
    return message(f"{frozen_note}{title}. " + " | ".join(f"/numbers {escape(u.synopsis)}" for u in usages), blocks)


FILTERED_SUBCOMMANDS = ("history", "export")
NUMBER_FILTERED_SUBCOMMANDS = ("inventory",)


def filter_help_blocks() -> list[Block]:
    """The audit filters of `history` and `export`, with who sees what."""
    lines = [f"`{escape(syntax)}`  {escape(meaning)}" for syntax, meaning in FILTER_HELP]
    return [
        section("*Filters* (combine any of them; every one given must match)\n" + "\n".join(lines)),
        context(
            "Auditors, approvers and admins see everyone's rows; everyone else sees the rows where they acted or "
            "that belong to their own requests. Times are UTC."
        ),
    ]


def usage_error(error: UsageError) -> Message:
    lines = [f":thinking_face: {escape(error.message)}"]
    if error.suggestion:
        lines.append(f"Did you mean `{escape(error.suggestion)}`?")
    usage = USAGE_BY_NAME.get(error.subcommand or error.suggestion or "")
    if usage:
        lines.append(f"Usage: `/numbers {escape(usage.synopsis)}`, e.g. `/numbers {escape(usage.example)}`")
    if error.subcommand in FILTERED_SUBCOMMANDS:
        lines.append("`/numbers help history` lists every filter with examples.")
    elif error.subcommand in NUMBER_FILTERED_SUBCOMMANDS:
        lines.append(f"`/numbers help {error.subcommand}` explains every filter.")
    else:
        lines.append("`/numbers help` lists everything.")
    text = "\n".join(lines)
    return text_message(text)
