"""Assign and unassign answers as data: done, or the cool-off with its end and a force request button."""

from __future__ import annotations

from datetime import timedelta

from bot.services.records import DirectResult
from handlers import ids
from handlers.render.assignments import unassign_result
from records_for_tests import NOW
from slack_checks import all_text, buttons


def test_unassign_cool_off_gives_a_slack_date_the_time_left_and_a_force_request_button() -> None:
    until = NOW + timedelta(days=3, hours=4)
    result = DirectResult(
        e164="+918012345678", sub_account_id="SA_SALES0001", done=False, audit_id=7,
        cool_off_until=until, cool_off_remaining_seconds=int((until - NOW).total_seconds()),
    )
    msg = unassign_result(result, now=NOW)
    text = all_text(msg)
    stamp = int(until.timestamp())
    assert f"<!date^{stamp}^{{date_short_pretty}} {{time}}|2026-08-04 13:30 UTC>" in text
    assert "3 days 4 hours from now" in text
    [force] = buttons(msg)
    assert (force["action_id"], force["value"]) == (ids.REQUEST_FORCE_UNASSIGN, "+918012345678")


def test_unassign_done_has_no_button() -> None:
    msg = unassign_result(DirectResult("+918012345678", "SA_SALES0001", True, 8), now=NOW)
    assert buttons(msg) == []
    assert "taken back from SA_SALES0001" in all_text(msg)
