"""The freeze switch as people see it: the banner at the top of App Home and `/numbers help`, the answer to
the admin who froze or unfroze the bot, and the notice in the approvals channel."""

from __future__ import annotations

from bot.services.records import AuditEntry, FreezeState
from handlers.render.approvals import frozen_line
from handlers.render.kit import Block, Message, section, text_message
from handlers.render.text import clip_escaped, one_line, person, slack_date


def freeze_banner(state: FreezeState) -> Block:
    return section(frozen_line(state) + " Requests can still be made; they wait, and pending ones stay pending.")


def frozen_ack(state: FreezeState) -> Message:
    text = (
        f"{frozen_line(state)}\nEvery purchase, release, undo, assignment and force operation is refused until then; "
        "pending requests stay pending. Announced in the approvals and history channels."
    )
    return text_message(text)


def unfrozen_ack(ended: FreezeState) -> Message:
    text = (
        f":sunny: Unfrozen. Vobiz changes are possible again; pending requests can be approved. "
        f"(It was frozen by {person(ended.by.user_id, ended.by.name)} since {slack_date(ended.since)}.)"
    )
    return text_message(text)


def freeze_notice(entry: AuditEntry) -> Message:
    """The approvals channel's line for a freeze or an unfreeze (the audit row `entry`)."""
    who = person(entry.actor.user_id, entry.actor.name)
    if entry.outcome == "frozen":
        why = clip_escaped(one_line(entry.reason or ""), 300)
        text = (
            f":snowflake: *Frozen* by {who} {slack_date(entry.at)}: “{why}”. No Vobiz change (purchase, release, "
            "undo, assignment, force) is made until an admin says `/numbers unfreeze`; Approve is refused meanwhile "
            "and pending requests stay pending."
        )
    else:
        text = f":sunny: *Unfrozen* by {who} {slack_date(entry.at)}. Vobiz changes are possible again; pending requests can be approved."
    return text_message(text)
