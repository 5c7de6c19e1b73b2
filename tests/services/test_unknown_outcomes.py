"""Calls whose outcome is unknown (5xx, dropped connection, timeout) are recorded as such and settled by
re-reading the account's numbers, never by repeating the call."""

from __future__ import annotations

import time

import pytest

from bot.services import vobiz_failures
from bot.services.records import Status
from bot.store import requests
from bot.store.timestamps import to_db
from tests.services.world import APPROVER, REQUESTER, World


def wait_until(condition, timeout: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def settled_events(world: World, request_id: str) -> list[tuple[str, str]]:
    return [(r["event"], r["outcome"]) for r in world.audit_rows(request_id)]


def test_a_generic_500_is_unknown_then_settled_as_failed_at_once(world: World, in_number: str) -> None:
    world.sandbox.inject("purchase", "server_error")
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")

    result = world.services.approvals.approve(request.id, APPROVER)

    assert result.status is Status.FAILED
    assert "is not the account's, so nothing was bought" in (result.outcome_detail or "")
    assert settled_events(world, request.id)[-2:] == [("executed", "outcome_unknown"), ("settled", "failed")]
    assert len(world.calls("purchase")) == 1  # never repeated
    assert world.sandbox.describe(in_number)["where"] == "inventory"


def test_a_504_whose_purchase_lands_after_the_answer_is_settled_as_succeeded(world: World, in_number: str) -> None:
    world.sandbox.inject("purchase", "gateway_timeout", seconds=0.3)  # the proxy gives up; the backend buys later

    result = world.services.approvals.approve(world.services.approvals.request_purchase(REQUESTER, in_number, "ops").id, APPROVER)

    assert result.status is Status.UNKNOWN  # not FAILED: a 504 does not prove the backend gave up
    assert "gateway in front of Vobiz answered 504" in (result.outcome_detail or "")
    assert "may still be working on the call" in (result.outcome_detail or "")
    wait_until(lambda: world.sandbox.describe(in_number)["where"] == "owned")
    settled = world.services.approvals.settle_unknown()

    assert [(r.id, r.status) for r in settled] == [(result.id, Status.SUCCEEDED)]
    assert settled_events(world, result.id)[-1] == ("settled", "succeeded")
    assert len(world.calls("purchase")) == 1  # never repeated


def test_a_502_after_the_purchase_was_applied_is_settled_as_succeeded_at_once(world: World, in_number: str) -> None:
    world.sandbox.inject("purchase", "bad_gateway_after")
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")

    result = world.services.approvals.approve(request.id, APPROVER)

    assert result.status is Status.SUCCEEDED
    assert settled_events(world, request.id)[-2:] == [("executed", "outcome_unknown"), ("settled", "succeeded")]
    assert len(world.calls("purchase")) == 1


@pytest.mark.parametrize("fault", ["bad_gateway", "gateway_timeout"])
def test_a_gateway_5xx_that_never_lands_is_failed_only_after_the_grace_period(world: World, in_number: str, fault: str) -> None:
    world.sandbox.inject("purchase", fault)  # answered 502/504, never applied
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")

    assert world.services.approvals.approve(request.id, APPROVER).status is Status.UNKNOWN
    assert world.services.approvals.settle_unknown() == []  # within the grace period: no verdict yet
    world.clock.advance(seconds=61)
    settled = world.services.approvals.settle_unknown()

    assert [(r.id, r.status) for r in settled] == [(request.id, Status.FAILED)]
    assert settled_events(world, request.id)[-3:] == [
        ("executed", "outcome_unknown"),
        ("settle_deferred", "outcome_unknown"),
        ("settled", "failed"),
    ]
    assert world.sandbox.describe(in_number)["where"] == "inventory"
    assert len(world.calls("purchase")) == 1


@pytest.mark.parametrize(
    ("recorded", "answered"),
    [
        ("ServerError 500 internal_server_error", True),  # Vobiz's own error body: it finished
        ("UnexpectedResponse", True),  # a 2xx we could not read: it finished
        ("ServerError 502", False),
        ("ServerError 503 service_unavailable", False),  # even with a code: a gateway status proves nothing
        ("ServerError 504", False),
        ("ServerError 500", False),  # a 500 without Vobiz's error body: maybe not Vobiz at all
        ("APITimeoutError", False),
        ("APIConnectionError", False),
        (None, False),
    ],
)
def test_only_vobiz_own_answers_make_a_failure_final_at_once(recorded: str | None, answered: bool) -> None:
    assert vobiz_failures.vobiz_answered(recorded) is answered


def test_a_dropped_answer_after_the_purchase_is_settled_as_succeeded(world: World, in_number: str) -> None:
    world.sandbox.inject("purchase", "drop_after")
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")

    result = world.services.approvals.approve(request.id, APPROVER)

    assert result.status is Status.SUCCEEDED
    assert "is now the account's, so the purchase went through" in (result.outcome_detail or "")
    assert settled_events(world, request.id)[-2:] == [("executed", "outcome_unknown"), ("settled", "succeeded")]
    assert len(world.calls("purchase")) == 1


def test_a_timeout_whose_purchase_lands_late_is_settled_as_succeeded(world: World, in_number: str) -> None:
    services = world.rebuild(timeout=0.2)
    world.sandbox.inject("purchase", "hang", seconds=0.5)  # applied after the client gave up
    request = services.approvals.request_purchase(REQUESTER, in_number, "for ops")

    result = services.approvals.approve(request.id, APPROVER)

    # Not owned yet, but Vobiz may still be working on it: no verdict yet.
    assert result.status is Status.UNKNOWN
    assert "may still be working on the call" in (result.outcome_detail or "")
    wait_until(lambda: world.sandbox.describe(in_number)["where"] == "owned")
    settled = services.approvals.settle_unknown()  # within the grace period a re-read can prove success

    assert [(r.id, r.status) for r in settled] == [(request.id, Status.SUCCEEDED)]
    assert settled_events(world, request.id)[-1] == ("settled", "succeeded")
    assert len(world.calls("purchase")) == 1


def test_a_timeout_that_never_lands_is_settled_as_failed_after_the_grace_period(world: World, in_number: str) -> None:
    services = world.rebuild(timeout=0.2)
    world.sandbox.inject("purchase", "hang_drop", seconds=0.4)  # never applied
    request = services.approvals.request_purchase(REQUESTER, in_number, "for ops")

    assert services.approvals.approve(request.id, APPROVER).status is Status.UNKNOWN
    assert services.approvals.settle_unknown() == []  # still within the grace period
    world.clock.advance(seconds=61)
    settled = services.approvals.settle_unknown()

    assert [(r.id, r.status) for r in settled] == [(request.id, Status.FAILED)]
    assert settled_events(world, request.id)[-1] == ("settled", "failed")
    assert world.sandbox.describe(in_number)["where"] == "inventory"
    wait_until(lambda: len(world.calls("purchase")) == 1)  # logged when the sandbox drops it


def test_when_the_settling_read_fails_too_it_stays_unknown_and_says_so(world: World, in_number: str) -> None:
    world.sandbox.inject("purchase", "drop_after")
    world.sandbox.inject("list_numbers", "server_error", count=3)  # the read and both of its retries
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")

    result = world.services.approvals.approve(request.id, APPROVER)

    assert result.status is Status.UNKNOWN
    assert "Re-reading the account's numbers failed too" in (result.outcome_detail or "")
    assert settled_events(world, request.id)[-1] == ("settle_failed", "outcome_unknown")
    assert world.outbox_rows("requester_notice", request.id) != []

    settled = world.services.approvals.settle_unknown()  # later, Vobiz answers again
    assert [(r.id, r.status) for r in settled] == [(request.id, Status.SUCCEEDED)]
    assert len(world.calls("purchase")) == 1


@pytest.mark.parametrize("bought", [True, False])
def test_a_request_stuck_executing_after_a_crash_is_settled_after_a_minute(world: World, in_number: str, bought: bool) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")
    # The bot won the transition, then died before (or right after) the purchase call.
    with world.services.store.unit() as db:
        assert requests.transition(
            db, request.id, ["pending"], {"status": "executing", "decided_by_id": APPROVER.user_id, "decided_at": to_db(world.clock())}
        )
    if bought:
        world.vobiz.numbers.purchase(in_number)

    restarted = world.rebuild()
    assert restarted.approvals.settle_unknown() == []  # it might still be running
    world.clock.advance(seconds=61)
    settled = restarted.approvals.settle_unknown()

    assert [r.status for r in settled] == [Status.SUCCEEDED if bought else Status.FAILED]
    assert "The bot stopped while carrying this out" in (settled[0].outcome_detail or "")
    assert settled_events(world, request.id)[-1] == ("settled", "succeeded" if bought else "failed")
