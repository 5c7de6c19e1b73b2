"""Labels and locks as Slack shows them: the short marks beside a number, and the answers to `label`,
`unlabel`, `lock` and `unlock`. Pure builders: records in, `Message` dicts (or mrkdwn) out."""

from __future__ import annotations

from bot.services.marks import Label, LabelChange, Lock, Marks
from handlers.render.kit import Message, context, message, section
from handlers.render.text import clip_escaped, escape, number_label, one_line, person, slack_date

PURPOSE_SHOWN = 120
REASON_SHOWN = 200


def label_text(label: Label) -> str:
    purpose = f" (“{clip_escaped(one_line(label.purpose), PURPOSE_SHOWN)}”)" if label.purpose else ""
    return f":label: team:{escape(label.team)}{purpose}"


def lock_text(lock: Lock) -> str:
    return (
        f":lock: locked by {person(lock.locked_by.user_id, lock.locked_by.name)} since {slack_date(lock.locked_at)}: "
        f"“{clip_escaped(one_line(lock.reason), REASON_SHOWN)}”"
    )


def marks_text(marks: Marks | None) -> str:
    """The label and lock of a number on one line ("" when it has neither)."""
    if marks is None:
        return ""
    parts = [label_text(marks.label)] if marks.label else []
    if marks.lock:
        parts.append(lock_text(marks.lock))
    return "  ·  ".join(parts)


def label_set(change: LabelChange) -> Message:
    label = change.label
    was = ""
    if change.replaced is not None and change.replaced.team != label.team:
        was = f" It was team:{escape(change.replaced.team)}."
    text = f":label: {number_label(label.e164)} is now labelled team:{escape(label.team)}.{was}"
    blocks = [section(text)]
    if label.purpose:
        blocks.append(context(f"Purpose: “{clip_escaped(one_line(label.purpose), PURPOSE_SHOWN)}”"))
    blocks.append(context("Recorded in the audit log. `/numbers list team:" + escape(label.team) + "` lists the team's numbers."))
    return message(text, blocks)


def label_removed(label: Label) -> Message:
    text = f":label: Took the label team:{escape(label.team)} off {number_label(label.e164)}."
    return message(text, [section(text), context("Recorded in the audit log.")])


def lock_set(lock: Lock) -> Message:
    text = (
        f":lock: {number_label(lock.e164)} is locked: releases and unassigns are refused until an admin unlocks it. "
        f"Reason: “{clip_escaped(one_line(lock.reason), REASON_SHOWN)}”"
    )
    return message(text, [section(text), context("Recorded in the audit log.")])


def lock_lifted(lock: Lock) -> Message:
    text = (
        f":unlock: {number_label(lock.e164)} is unlocked (it was locked by {person(lock.locked_by.user_id, lock.locked_by.name)} "
        f"since {slack_date(lock.locked_at)})."
    )
    return message(text, [section(text), context("Recorded in the audit log.")])
