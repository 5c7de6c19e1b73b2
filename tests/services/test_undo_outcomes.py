"""Undoing a release when Vobiz's answer is lost (timeout, dropped connection, gateway 5xx) or when the
release was already cancelled: the undo is recorded as unknown, settled by re-reading the number, never
by calling cancel-release again, and every step is audited."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.services.errors import Conflict, OutcomeUnknown
from bot.services.reconcile import Reconciler
from bot.services.records import ApprovalRequest, Status
from tests.services.world import APPROVER, REQUESTER, World

GRACE_PASSED = 61  # seconds: the default settle grace is one minute


def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture
def owned(world: World) -> str:
    return next(n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91"))


def released(world: World, e164: str) -> ApprovalRequest:
    request = world.services.approvals.request_release(REQUESTER, e164, "team moved")
    done = world.services.approvals.approve(request.id, APPROVER)
    assert done.status is Status.SUCCEEDED and done.undoable_until is not None
    return done


def undo_events(world: World, request_id: str) -> list[tuple[str, str, str]]:
    return [(r["event"], r["actor_id"], r["outcome"]) for r in world.audit_rows(request_id) if r["action"] == "undo_release"]


def test_an_undo_whose_answer_times_out_but_lands_is_recorded_as_done(world: World, owned: str) -> None:
    request = released(world, owned)
    services = world.rebuild(timeout=0.2)
    world.sandbox.inject("cancel_release", "hang", seconds=0.5)  # Vobiz undoes it after the client gave up

    with pytest.raises(OutcomeUnknown, match="not known yet whether the release .* was undone") as told:
        services.approvals.undo_release(request.id, REQUESTER)

    assert f"update request {request.id} when I know" in told.value.user_message
    checking = services.approvals.get(request.id)
    assert checking.undo_being_checked and checking.undone_at is None
    assert checking.undoable_until is None  # no Undo offered while it is being checked
    assert undo_events(world, request.id) == [("undo_unknown", REQUESTER.user_id, "outcome_unknown")]
    assert world.audit_rows(request.id)[-1]["vobiz_error"] == "APITimeoutError"
    with pytest.raises(Conflict, match="already being checked with Vobiz"):
        services.approvals.undo_release(request.id, APPROVER)  # a second click calls nothing

    wait_until(lambda: world.sandbox.describe(owned)["status"] == "active")
    settled = services.approvals.settle_unknown()  # still within the grace: a re-read proves success at once

    assert [r.id for r in settled] == [request.id]
    undone = settled[0]
    assert undone.undone_at is not None and undone.undone_by == REQUESTER and not undone.undo_being_checked
    assert undone.refund_amount is None  # Vobiz's answer (with the refund) was never seen
    assert undo_events(world, request.id)[-1] == ("undone", "numbers-bot", "succeeded")
    assert "is active again, so the undo Riya Requester asked for" in world.audit_rows(request.id)[-1]["detail"]
    assert world.outbox_rows("requester_notice", request.id)[-1]["done_at"] is None  # the requester is told
    assert services.approvals.settle_unknown() == []
    wait_until(lambda: len(world.calls("cancel_release")) == 1)  # never repeated


@pytest.mark.parametrize(("fault", "seconds"), [("hang_drop", 0.4), ("gateway_timeout", 0)])
def test_an_undo_that_never_lands_fails_after_the_grace_and_can_be_tried_again(
    world: World, owned: str, fault: str, seconds: float
) -> None:
    request = released(world, owned)
    services = world.rebuild(timeout=0.2)
    world.sandbox.inject("cancel_release", fault, seconds=seconds)  # answer lost or a gateway 504; never applied

    with pytest.raises(OutcomeUnknown, match="still is pending release"):
        services.approvals.undo_release(request.id, APPROVER)
    assert services.approvals.settle_unknown() == []  # Vobiz may still be working on it
    assert services.approvals.get(request.id).undo_being_checked

    world.advance(GRACE_PASSED)
    settled = services.approvals.settle_unknown()

    assert [r.id for r in settled] == [request.id]
    failed = settled[0]
    assert failed.undone_at is None and failed.undo_state is None
    assert failed.undoable_until == request.cooldown_ends_at  # Undo is offered again
    assert undo_events(world, request.id) == [
        ("undo_unknown", APPROVER.user_id, "outcome_unknown"),
        ("undo_failed", "numbers-bot", "failed"),
    ]
    assert "did not happen; nothing changed. It can be undone again until" in world.audit_rows(request.id)[-1]["detail"]
    assert world.sandbox.describe(owned)["status"] == "pending_release"

    again = services.approvals.undo_release(request.id, APPROVER)  # the claim was cleared: a new undo works

    assert again.undone_at is not None and again.refund_status == "success"
    assert world.sandbox.describe(owned)["status"] == "active"
    wait_until(lambda: len(world.calls("cancel_release")) == 2)  # the lost one and the new one, nothing more


def test_a_lost_undo_whose_number_cannot_be_reread_stays_unknown_until_vobiz_answers(world: World, owned: str) -> None:
    request = released(world, owned)
    world.sandbox.inject("cancel_release", "drop_after")  # undone at Vobiz, answer lost
    world.sandbox.inject("list_numbers", "server_error", count=3)  # the re-read and both of its retries

    with pytest.raises(OutcomeUnknown, match="could not be re-read"):
        world.services.approvals.undo_release(request.id, REQUESTER)
    world.advance(GRACE_PASSED)
    world.sandbox.inject("list_numbers", "server_error", count=3)
    assert world.services.approvals.settle_unknown() == []  # unreadable: no verdict, even after the grace
    assert world.services.approvals.get(request.id).undo_being_checked

    settled = world.services.approvals.settle_unknown()  # Vobiz answers again

    assert [r.undone_by for r in settled] == [REQUESTER]
    assert undo_events(world, request.id)[-1] == ("undone", "numbers-bot", "succeeded")
    assert len(world.calls("cancel_release")) == 1


def test_undo_of_a_release_already_cancelled_is_recorded_as_done(world: World, owned: str) -> None:
    request = released(world, owned)
    world.vobiz.numbers.cancel_release(owned)  # an earlier attempt whose answer was lost, or someone outside

    undone = world.services.approvals.undo_release(request.id, REQUESTER)

    assert undone.undone_at is not None and undone.undone_by == REQUESTER and undone.refund_amount is None
    detail = world.audit_rows(request.id)[-1]["detail"]
    assert "no longer pending release, and it reads active" in detail and "refund is not known" in detail
    assert undo_events(world, request.id) == [("undone", REQUESTER.user_id, "succeeded")]
    with pytest.raises(Conflict, match="already undid this release"):
        world.services.approvals.undo_release(request.id, APPROVER)


def test_undo_refused_as_not_pending_release_when_the_number_is_not_active_changes_nothing(world: World, owned: str) -> None:
    request = released(world, owned)
    world.vobiz.numbers.cancel_release(owned)  # outside the bot: cancelled, then released for good
    world.vobiz.numbers.release(owned, immediate=True)

    with pytest.raises(Conflict, match="not pending release. Nothing changed"):
        world.services.approvals.undo_release(request.id, REQUESTER)

    after = world.services.approvals.get(request.id)
    assert after.undone_at is None and after.undo_state is None
    assert undo_events(world, request.id) == [("undo_failed", REQUESTER.user_id, "failed")]


def test_the_drift_check_leaves_a_number_alone_while_its_undo_is_being_checked(world: World, owned: str) -> None:
    request = released(world, owned)
    reconciler = Reconciler(vobiz=world.vobiz, store=world.services.store, clock=world.clock)
    reconciler.run()  # the first run records a baseline
    world.sandbox.inject("cancel_release", "drop_after")  # active at Vobiz, unconfirmed in the log
    world.sandbox.inject("list_numbers", "server_error", count=3)
    with pytest.raises(OutcomeUnknown):
        world.services.approvals.undo_release(request.id, REQUESTER)

    report = reconciler.run()

    assert owned in report.skipped and report.drifts == []
