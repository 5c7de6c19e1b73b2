"""One owner per executing request (issue 10, F1): while the thread that approved a request is alive and
working on it, the settler may neither fail nor settle it, and the executor proves it still owns the request
right before the money-moving call. A crashed owner is still settled.

The reproduction: Vobiz holds the executor's pre-call re-read, the clock passes the settle grace, the
settler runs; then Vobiz answers the re-read and the executor goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.services.errors import OutcomeUnknown, StoreUnavailable
from bot.services.records import ApprovalRequest, Status
from bot.store import requests
from bot.store.timestamps import to_db
from tests.services.world import APPROVER, REQUESTER, World

HOLD_S = 2.0  # how long the sandbox holds the executor's re-read (real seconds)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def status_of(world: World, request_id: str) -> str:
    with world.services.store.read() as db:
        row = requests.get(db, request_id)
    assert row is not None
    return str(row["status"])


def called_at_of(world: World, request_id: str) -> str | None:
    with world.services.store.read() as db:
        row = requests.get(db, request_id)
    assert row is not None
    return row["called_at"]


def approve_in_background(world: World, request: ApprovalRequest) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["request"] = world.services.approvals.approve(request.id, APPROVER)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def settle_while_the_owner_waits_on_vobiz(world: World, request: ApprovalRequest, held_route: str) -> dict[str, Any]:
    answered_before = len(world.calls(held_route))
    world.sandbox.inject(held_route, "hang", seconds=HOLD_S)
    thread, result = approve_in_background(world, request)
    wait_until(lambda: status_of(world, request.id) == "executing")
    time.sleep(0.3)  # the executor's first step is the re-read, which the sandbox now holds
    # The sandbox logs a request once it has answered it: nothing logged yet means the re-read is still held.
    assert len(world.calls(held_route)) == answered_before

    world.advance(61)  # past the production settle grace
    assert world.services.approvals.settle_unknown() == []  # the owner is alive: nothing to settle
    assert status_of(world, request.id) == "executing"

    thread.join(timeout=30)
    assert not thread.is_alive()
    assert "error" not in result, result.get("error")
    return result


def test_a_purchase_whose_reread_is_held_past_the_grace_is_bought_once_and_recorded(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the support line")

    result = settle_while_the_owner_waits_on_vobiz(world, request, "list_inventory")

    assert result["request"].status is Status.SUCCEEDED
    assert len(world.calls("purchase")) == 1
    assert world.sandbox.describe(in_number)["where"] != "inventory"
    events = [(r["event"], r["outcome"]) for r in world.audit_rows(request.id)]
    assert events == [("requested", "pending"), ("approved", "executing"), ("executed", "succeeded")]
    assert world.services.approvals.settle_unknown() == []  # and nothing later overturns it
    assert status_of(world, request.id) == "succeeded"


@pytest.fixture
def owned(world: World) -> str:
    return next(n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91"))


def test_a_release_whose_reread_is_held_past_the_grace_is_released_once_with_undo(world: World, owned: str) -> None:
    request = world.services.approvals.request_release(REQUESTER, owned, "team moved")

    result = settle_while_the_owner_waits_on_vobiz(world, request, "list_numbers")

    final = result["request"]
    assert final.status is Status.SUCCEEDED
    assert final.undoable_until is not None  # the Undo button is offered
    assert len(world.calls("release")) == 1
    assert world.sandbox.describe(owned)["where"] == "pending_release"
    events = [(r["event"], r["outcome"]) for r in world.audit_rows(request.id)]
    assert events == [("requested", "pending"), ("approved", "executing"), ("executed", "succeeded")]


def test_an_owner_that_lost_its_claim_makes_no_call(world: World, in_number: str) -> None:
    """If a settler in another process took the request over (the owner's lease had run out), the owner
    finds out right before the purchase and does not make it."""
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the support line")
    answered_before = len(world.calls("list_inventory"))
    world.sandbox.inject("list_inventory", "hang", seconds=HOLD_S)
    thread, result = approve_in_background(world, request)
    wait_until(lambda: status_of(world, request.id) == "executing")
    time.sleep(0.3)
    assert len(world.calls("list_inventory")) == answered_before  # the re-read is still held

    other_process = world.rebuild()  # another process with its own owner id; this one's lease is not live there
    world.advance(61)
    settled = other_process.approvals.settle_unknown()

    thread.join(timeout=30)
    assert [r.status for r in settled] == [Status.FAILED]
    assert "before it called Vobiz" in (settled[0].outcome_detail or "")
    assert result["request"].status is Status.FAILED
    assert world.calls("purchase") == []
    assert world.sandbox.describe(in_number)["where"] == "inventory"
    events = [(r["event"], r["outcome"]) for r in world.audit_rows(request.id)]
    assert events == [("requested", "pending"), ("approved", "executing"), ("settled", "failed")]


@pytest.mark.parametrize("bought", [True, False])
def test_an_owner_that_died_is_still_settled_by_a_survivor(world: World, in_number: str, bought: bool) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")
    dead = world.services
    # The owner won the transition and recorded the call, then its process died (no heartbeat any more).
    with dead.store.unit() as db:
        assert requests.transition(
            db,
            request.id,
            ["pending"],
            {
                "status": "executing",
                "decided_by_id": APPROVER.user_id,
                "decided_at": to_db(world.clock()),
                "lease_owner": "dead-host/1234/abcd",
                "lease_until": to_db(world.clock()),
                "called_at": to_db(world.clock()),
            },
        )
    if bought:
        world.vobiz.numbers.purchase(in_number)

    survivor = world.rebuild()
    world.advance(61)
    settled = survivor.approvals.settle_unknown()

    assert [r.status for r in settled] == [Status.SUCCEEDED if bought else Status.FAILED]
    assert len(world.calls("purchase")) == (1 if bought else 0)
    assert [(r["event"], r["outcome"]) for r in world.audit_rows(request.id)][-1] == ("settled", "succeeded" if bought else "failed")


@pytest.mark.sqlite_only  # deletes or rewrites the SQLite file
def test_an_outcome_that_cannot_be_recorded_is_not_reported_as_nothing_changed(world: World, in_number: str) -> None:
    """The database file vanishes while Vobiz carries out the purchase: the approver hears that the outcome
    is unknown (to be settled), never that nothing was changed."""
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the support line")
    world.sandbox.inject("purchase", "hang", seconds=HOLD_S)
    thread, result = approve_in_background(world, request)
    wait_until(lambda: called_at_of(world, request.id) is not None)  # recorded right before the purchase call
    time.sleep(0.2)
    for suffix in ("", "-wal", "-shm"):
        world.db_path.with_name(world.db_path.name + suffix).unlink(missing_ok=True)

    thread.join(timeout=30)

    error = result.get("error")
    assert isinstance(error, OutcomeUnknown), error
    assert "could not be reached to record the outcome" in error.user_message
    assert "nothing was changed" not in error.user_message.lower()
    assert world.sandbox.describe(in_number)["where"] == "owned"


@pytest.mark.sqlite_only  # deletes or rewrites the SQLite file
def test_a_database_lost_before_the_call_makes_no_call_and_says_nothing_changed(world: World, in_number: str) -> None:
    """The file vanishes while the pre-purchase re-read is held: the call cannot be recorded, so it is not
    made, and the approver hears that nothing was changed."""
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the support line")
    world.sandbox.inject("list_inventory", "hang", seconds=1.0)
    thread, result = approve_in_background(world, request)
    wait_until(lambda: status_of(world, request.id) == "executing")
    time.sleep(0.3)
    for suffix in ("", "-wal", "-shm"):
        world.db_path.with_name(world.db_path.name + suffix).unlink(missing_ok=True)

    thread.join(timeout=30)

    assert isinstance(result.get("error"), StoreUnavailable), result
    assert world.calls("purchase") == []
    assert world.sandbox.describe(in_number)["where"] == "inventory"


def test_an_owner_whose_lease_lapsed_after_its_call_still_records_vobiz_answer(world: World, in_number: str) -> None:
    """Another process takes the request over while the owner waits for the purchase's answer (the lease ran
    out, the grace since the call has not): it cannot tell yet, and the owner's answer is what is recorded."""
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the support line")
    world.sandbox.inject("purchase", "hang", seconds=HOLD_S)
    thread, result = approve_in_background(world, request)
    wait_until(lambda: called_at_of(world, request.id) is not None)
    with world.services.store.read() as db:
        owner = (requests.get(db, request.id) or {})["lease_owner"]

    other_process = world.rebuild()
    world.advance(31)  # past the 30 s lease, within the 60 s grace after the call
    assert other_process.approvals.settle_unknown() == []  # taken over, but not decidable yet
    with world.services.store.read() as db:
        row = requests.get(db, request.id)
    assert row is not None and row["status"] == "executing" and row["lease_owner"] != owner

    thread.join(timeout=30)
    assert result["request"].status is Status.SUCCEEDED
    assert len(world.calls("purchase")) == 1
    events = [(r["event"], r["outcome"]) for r in world.audit_rows(request.id)]
    assert events[-1] == ("executed", "succeeded")
