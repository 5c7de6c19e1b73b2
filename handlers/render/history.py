"""Pure builders for the audit log as Slack shows it: one line per audit row (as posted to the history
channel), a page of filtered history, one number's trail, what an export sent, and the checkpoint line.
Records in, `Message` dicts (or mrkdwn) out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.services.audit_filters import AuditFilter, filter_text
from bot.services.marks import Marks
from bot.services.records import AuditEntry, AuditPage, Checkpoint
from handlers import ids
from handlers.render.history_cursor import HistoryCursor
from handlers.render.labels import marks_text
from handlers.render.kit import Block, Message, actions, button, context, header, message, section, text_sections
from handlers.render.request_text import quote_text
from handlers.render.text import clip_escaped, display_number, escape, number_label, one_line, person, slack_date

DRIFT_DETAIL_SHOWN = 600
HISTORY_PAGE_SIZE = 25  # lines of at most ~1500 characters: even then a page stays inside 50 blocks
TRAIL_ENDS = 40  # a longer trail shows its first and last TRAIL_ENDS entries (fewer if they are very long)
TRAIL_SECTIONS = 44  # of a message's 50 blocks; the rest are the title, notes and the "not shown" line

OWN_ROWS_NOTE = (
    ":lock: You see only your own rows: those where you acted or that belong to your requests. "
    "Auditors, approvers and admins see everyone's."
)


def _filters_shown(audit_filter: AuditFilter) -> str:
    text = filter_text(audit_filter)
    return f"Filters: `{escape(text)}`" if text else "No filters: the whole log"


# ---------------------------------------------------------------- one audit row


ACTION_WORD = {
    "purchase": "purchase of",
    "release": "release of",
    "release_now": "immediate release of",
    "force_unassign": "force unassign of",
    "assign": "assignment of",
    "unassign": "unassignment of",
    "undo_release": "undo of the release of",
    "label": "label of",
    "unlabel": "label taken off",
    "lock": "lock of",
    "unlock": "unlock of",
    "freeze": "all Vobiz changes",
    "away": "",  # an approver away or back: the event says it all
}
ACTION_NOUN = {
    "purchase": "purchase",
    "release": "release",
    "release_now": "immediate release",
    "force_unassign": "force unassign",
    "assign": "assignment",
    "unassign": "unassignment",
    "undo_release": "undo of the release",
    "label": "label",
    "unlabel": "label taken off",
    "lock": "lock",
    "unlock": "unlock",
    "freeze": "all Vobiz changes",
    "away": "",
}


def history_line(entry: AuditEntry, *, show_number: bool = True) -> str:
    """One readable line per audit entry, as posted to the history channel (a number's trail leaves the
    number out: it is the same on every line). People are named, never pinged: a line per audit event
    would notify them on every step of every request they touch."""
    who = person(entry.actor.user_id, entry.actor.name)
    what = ACTION_WORD.get(entry.action, escape(entry.action))
    if entry.action == "purchase" and not entry.e164:  # a bulk purchase's own row; its numbers have theirs
        what = "bulk purchase"
    if not show_number:
        what = ACTION_NOUN.get(entry.action, escape(entry.action))
    number = number_label(entry.e164) if entry.e164 and show_number else ""
    parts = [f"{slack_date(entry.at)} {who} *{escape(entry.event)}* {what} {number}".rstrip()]
    if entry.sub_account_id:
        parts.append(f"(sub-account {escape(entry.sub_account_id)})")
    if entry.request_id:
        parts.append(f"[{escape(entry.request_id)}]")
    parts.append(f"→ {escape(entry.outcome)}")
    if entry.cool_off_until is not None:
        parts.append(f"· cool-off until {slack_date(entry.cool_off_until)}")
    if entry.quote is not None:
        parts.append(f"· {quote_text(entry.quote)}")
    if entry.detail:
        parts.append(f"· {clip_escaped(one_line(entry.detail), 300)}")
    if entry.vobiz_error:
        parts.append(f"· Vobiz: {clip_escaped(one_line(entry.vobiz_error), 200)}")
    if entry.reason:
        said = "purpose" if entry.action == "label" else "reason"  # a label's reason column holds its purpose
        parts.append(f"· {said}: “{clip_escaped(one_line(entry.reason), 300)}”")
    return " ".join(parts)


# ---------------------------------------------------------------- history


def history_page(page: AuditPage, audit_filter: AuditFilter, *, sees_all: bool, first_page: bool) -> Message:
    """One page of `/numbers history`, newest first, with Newest / Older buttons."""
    title = f"History of {display_number(audit_filter.e164)}" if audit_filter.e164 else "History"
    entries = page.entries
    where = f"newest first, ids {entries[0].id}–{entries[-1].id}" if entries else "newest first"
    blocks: list[Block] = [header(title), context(f"{_filters_shown(audit_filter)} · {where}")]
    if entries:
        blocks.extend(text_sections([history_line(e) for e in entries]))
    elif first_page:
        blocks.append(section("Nothing matches." + ("" if sees_all else " (Only your own rows were searched.)")))
    else:
        blocks.append(section("No older entries match."))
    if not sees_all:
        blocks.append(context(OWN_ROWS_NOTE))
    nav = _history_nav(page, audit_filter, first_page=first_page)
    if nav is not None:
        blocks.append(nav)
    more = "; older ones on the next page" if page.next_before_id is not None else ""
    return message(f"{escape(title)}: {len(entries)} entries{more}", blocks)


def _history_nav(page: AuditPage, audit_filter: AuditFilter, *, first_page: bool) -> Block | None:
    filters = filter_text(audit_filter)
    elements: list[Block] = []
    if not first_page:
        elements.append(button("⏮ Newest", ids.HISTORY_NEWEST, HistoryCursor(filters).to_value()))
    if page.next_before_id is not None:
        elements.append(button("Older ▶", ids.HISTORY_OLDER, HistoryCursor(filters, page.next_before_id).to_value()))
    return actions(*elements, block_id="audit.history.nav") if elements else None


# ---------------------------------------------------------------- trail


def trail_message(e164: str, entries: Sequence[AuditEntry], *, sees_all: bool, marks: Marks | None = None) -> Message:
    """Everything the bot recorded about one number, oldest first (after its label and lock, if any); a long
    trail shows both ends."""
    title = f"Trail of {display_number(e164)}"
    blocks: list[Block] = [header(title)]
    marked = marks_text(marks)
    if marked:
        blocks.append(section(f"Now: {marked}"))
    if not entries:
        blocks.append(section("The bot has recorded nothing about this number." + ("" if sees_all else " (Only your own rows were searched.)")))
    else:
        span = f"from {slack_date(entries[0].at)} to {slack_date(entries[-1].at)}"
        blocks.append(context(f"As the bot saw it, oldest first: {len(entries)} entries {span}."))
        blocks.extend(_trail_sections([history_line(e, show_number=False) for e in entries], e164))
    if not sees_all:
        blocks.append(context(OWN_ROWS_NOTE))
    blocks.append(context("What happened at Vobiz outside the bot is not in this trail."))
    return message(f"{escape(title)}: {len(entries)} entries", blocks)


def _trail_sections(lines: list[str], e164: str) -> list[Block]:
    """All the lines when they fit; else both ends, as many lines of each as fit, and what was left out."""
    if len(lines) <= 2 * TRAIL_ENDS:
        whole = text_sections(lines)
        if len(whole) <= TRAIL_SECTIONS:
            return whole
    keep = min(TRAIL_ENDS, len(lines) // 2)
    while True:
        head, tail = text_sections(lines[:keep]), text_sections(lines[len(lines) - keep :])
        if len(head) + len(tail) <= TRAIL_SECTIONS or keep == 1:
            break
        keep -= max(1, keep // 4)
    gap = context(
        f"… {len(lines) - 2 * keep} entries in between are not shown here; "
        f"`/numbers export {escape(e164)}` sends you all of them as a file."
    )
    return [*head, gap, *tail]


# ---------------------------------------------------------------- export


def export_comment(rows: int, fmt: str, audit_filter: AuditFilter, *, sees_all: bool) -> str:
    """The comment shared with the file in the DM."""
    scope = "every row you may see" if sees_all else "only your own rows"
    return (
        f"Your audit export: {rows:,} rows as {fmt.upper()}, oldest first ({scope}). "
        f"{_filters_shown(audit_filter)}."
    )


def export_sent(rows: int, fmt: str, filename: str, audit_filter: AuditFilter, *, sees_all: bool) -> Message:
    """What the asker sees where they typed the command."""
    if rows == 0:
        text = f":open_file_folder: No rows match, so nothing was sent. {_filters_shown(audit_filter)}."
    else:
        text = (
            f":outbox_tray: Sent {rows:,} rows as `{escape(filename)}` to our direct messages. "
            f"{_filters_shown(audit_filter)}."
        )
    blocks: list[Block] = [section(text)]
    if not sees_all:
        blocks.append(context(OWN_ROWS_NOTE))
    return message(text, blocks)


def export_filename(fmt: str, now: datetime) -> str:
    return f"numbers-audit-{now:%Y%m%dT%H%M%SZ}.{fmt}"


# ---------------------------------------------------------------- checkpoints


def witness_text(checkpoint: Checkpoint) -> str:
    """HEAD_ID:ROW_COUNT:HEAD_HASH, what `numbers-bot audit verify --witness` takes."""
    return f"{checkpoint.head_id}:{checkpoint.row_count}:{checkpoint.head_hash}"


def checkpoint_line(checkpoint: Checkpoint) -> str:
    """The history channel's copy of a checkpoint: the witness kept outside the database."""
    when = f" {slack_date(checkpoint.at)}" if checkpoint.at else ""
    return (
        f":link: *Audit checkpoint #{checkpoint.id}*{when}: {checkpoint.row_count:,} rows, "
        f"head row {checkpoint.head_id}, head hash `{escape(checkpoint.head_hash)}`. "
        f"Check the log against it: `numbers-bot audit verify --witness {escape(witness_text(checkpoint))}`"
    )


# ---------------------------------------------------------------- drift


def drift_line(entry: AuditEntry) -> str:
    """The history channel's line for a difference the drift check found between Vobiz and the audit log
    (an `event=drift` row: its action is the kind of difference, its outcome what Vobiz shows)."""
    number = f"*{escape(display_number(entry.e164))}*" if entry.e164 else "a number"
    holder = f", held by {escape(entry.sub_account_id)}" if entry.sub_account_id else ""
    detail = f" {clip_escaped(one_line(entry.detail), DRIFT_DETAIL_SHOWN)}" if entry.detail else ""
    return (
        f":rotating_light: {slack_date(entry.at)} *Drift* on {number}: `{escape(entry.action)}` "
        f"(Vobiz shows {escape(entry.outcome)}{holder}).{detail} [audit row {entry.id}]"
    )
