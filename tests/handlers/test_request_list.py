"""`/numbers requests` as data: Cancel on mine, Approve / Deny on theirs, within Slack's limits."""

from __future__ import annotations

from bot.services.records import Actor, RequestList, Status
from handlers import ids
from handlers.render.requests import request_list
from records_for_tests import decided, make_request
from slack_checks import all_text, assert_within_limits, buttons


def test_request_list_offers_cancel_on_my_pending_and_decisions_on_theirs() -> None:
    mine = [make_request(id="RMINE01"), decided(Status.SUCCEEDED, id="RMINE02")]
    theirs = [make_request(id="RTHEM01", requester=Actor("U0OTHER", "sam"))]
    msg = request_list(RequestList(mine=mine, awaiting_me=theirs))
    pairs = [(b["action_id"], b["value"]) for b in buttons(msg)]
    assert pairs == [(ids.CANCEL_REQUEST, "RMINE01"), (ids.APPROVE, "RTHEM01"), (ids.DENY, "RTHEM01")]


def test_request_list_with_many_requests_stays_within_limits() -> None:
    many = [make_request(id=f"R{i:06d}", reason="r" * 500) for i in range(60)]
    msg = request_list(RequestList(mine=many, awaiting_me=many))
    assert_within_limits(msg)
    assert "more waiting" in all_text(msg) and "older requests not shown" in all_text(msg)
