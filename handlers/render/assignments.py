"""What `/numbers assign` and `/numbers unassign` answer: done, or the 15-day cool-off with its end and a
Request force unassign button."""

from __future__ import annotations

from datetime import datetime

from bot.services.records import DirectResult
from handlers import ids
from handlers.render.kit import Message, actions, button, message, section, text_message
from handlers.render.text import duration, escape, number_label, slack_date


def assign_result(result: DirectResult) -> Message:
    text = (
        f":white_check_mark: {number_label(result.e164)} now belongs to sub-account "
        f"{escape(result.sub_account_id or 'unknown')}."
    )
    return text_message(text)


def unassign_result(result: DirectResult, *, now: datetime) -> Message:
    number = number_label(result.e164)
    if result.done:
        source = f" from {escape(result.sub_account_id)}" if result.sub_account_id else ""
        text = f":white_check_mark: {number} was taken back{source} to the main account."
        return text_message(text)
    remaining = result.cool_off_remaining_seconds
    if remaining is None and result.cool_off_until is not None:
        remaining = int((result.cool_off_until - now).total_seconds())
    until = slack_date(result.cool_off_until) if result.cool_off_until else "an unknown time"
    left = f", {duration(remaining)} from now" if remaining is not None else ""
    text = (
        f":hourglass: {number} is in its 15-day cool-off (it had a call recently), so it stays with "
        f"{escape(result.sub_account_id or 'its sub-account')} until {until}{left}. "
        "An admin can approve taking it back now with force."
    )
    blocks = [
        section(text),
        actions(button("Request force unassign", ids.REQUEST_FORCE_UNASSIGN, result.e164, style="danger")),
    ]
    return message(text, blocks)
