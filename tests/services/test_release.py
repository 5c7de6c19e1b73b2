"""Releasing numbers: approved releases with their fee and cool-down, undo with its refund, release now."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.services.errors import Conflict, NotAllowed, NotFound
from bot.services.records import Kind, Status
from tests.services.world import ADMIN, APPROVER, OUTSIDER, REQUESTER, SECOND_APPROVER, World

MASTER_RELEASE_FEE = Decimal(700)


@pytest.fixture
def owned(world: World) -> str:
    """An Indian number the master account owns itself."""
    return next(n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91"))


def test_release_then_undo_charges_the_fee_then_refunds_it(world: World, owned: str) -> None:
    balance = world.sandbox.balance
    request = world.services.approvals.request_release(REQUESTER, owned, "team moved to Chennai")
    assert request.kind is Kind.RELEASE and request.status is Status.PENDING

    released = world.services.approvals.approve(request.id, APPROVER)

    assert released.status is Status.SUCCEEDED
    assert released.release_fee == MASTER_RELEASE_FEE and released.release_currency == "INR"
    assert released.cooldown_ends_at == world.sandbox.now() + timedelta(hours=24)
    assert released.undoable_until == released.cooldown_ends_at
    assert world.sandbox.describe(owned)["where"] == "pending_release"
    assert world.sandbox.balance == balance - MASTER_RELEASE_FEE

    world.advance(3600)
    with pytest.raises(NotAllowed, match="requester, an approver or an admin"):
        world.services.approvals.undo_release(request.id, OUTSIDER)
    undone = world.services.approvals.undo_release(request.id, REQUESTER)

    assert undone.undone_by == REQUESTER and undone.undone_at == world.clock()
    assert undone.refund_amount == MASTER_RELEASE_FEE and undone.refund_status == "success"
    assert undone.status is Status.SUCCEEDED and undone.undoable_until is None
    assert "700 INR was refunded" in [r["detail"] for r in world.audit_rows(request.id)][-1]
    assert world.sandbox.describe(owned)["status"] == "active"
    assert world.sandbox.balance == balance
    with pytest.raises(Conflict, match="Riya Requester already undid this release"):
        world.services.approvals.undo_release(request.id, APPROVER)
    assert len(world.calls("cancel_release")) == 1
    events = [(r["event"], r["action"], r["outcome"]) for r in world.audit_rows(request.id)]
    assert events[-2:] == [("refused", "undo_release", "refused"), ("undone", "undo_release", "succeeded")]


def test_undo_after_the_cooldown_is_a_conflict_and_calls_nothing(world: World, owned: str) -> None:
    request = world.services.approvals.request_release(REQUESTER, owned, "not needed")
    world.services.approvals.approve(request.id, APPROVER)
    world.advance(24 * 3600 + 1)

    with pytest.raises(Conflict, match="window to undo this release ended"):
        world.services.approvals.undo_release(request.id, APPROVER)
    assert world.calls("cancel_release") == []


def test_a_failed_refund_is_recorded_honestly(world: World, owned: str) -> None:
    world.sandbox.configure(refund_fails=True)
    request = world.services.approvals.request_release(REQUESTER, owned, "not needed")
    world.services.approvals.approve(request.id, APPROVER)

    undone = world.services.approvals.undo_release(request.id, APPROVER)

    assert undone.undone_at is not None and undone.refund_status == "failed" and undone.refund_error
    detail = world.audit_rows(request.id)[-1]["detail"]
    assert "refund of the release fee FAILED" in detail and "700 INR back" in detail
    assert world.audit_rows(request.id)[-1]["vobiz_error"] == "refund_failed"


def test_release_now_is_a_force_operation_for_admins_only_and_cannot_be_undone(world: World, owned: str) -> None:
    request = world.services.approvals.request_release(REQUESTER, owned, "abusive callers", immediate=True)
    assert request.kind is Kind.RELEASE_NOW

    with pytest.raises(NotAllowed, match="Only an admin"):
        world.services.approvals.approve(request.id, APPROVER)
    assert world.calls("release") == []

    released = world.services.approvals.approve(request.id, ADMIN)

    assert released.status is Status.SUCCEEDED and released.cooldown_ends_at is None
    assert "cannot be undone" in (released.outcome_detail or "")
    assert world.sandbox.describe(owned)["where"] == "quarantined"
    with pytest.raises(Conflict, match="immediate release cannot be undone"):
        world.services.approvals.undo_release(request.id, REQUESTER)
    assert world.calls("cancel_release") == []


def test_without_release_approval_a_release_runs_at_once(world: World, owned: str) -> None:
    services = world.rebuild(release_needs_approval=False)

    released = services.approvals.request_release(REQUESTER, owned, "cleanup")

    assert released.status is Status.SUCCEEDED and released.decided_by is not None
    assert released.decision_reason == "no approval needed (RELEASE_NEEDS_APPROVAL is off)"
    assert world.sandbox.describe(owned)["where"] == "pending_release"
    # an immediate release is a force operation and still needs an admin
    other = next(n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n != owned)
    assert services.approvals.request_release(REQUESTER, other, "now", immediate=True).status is Status.PENDING


def test_releasing_a_number_that_is_not_ours_is_refused(world: World) -> None:
    with pytest.raises(NotFound, match="not one of the account's numbers"):
        world.services.approvals.request_release(REQUESTER, world.sandbox.inventory_numbers("IN")[0], "oops")
    assert world.audit_rows() == []


def test_a_release_settled_after_a_dropped_answer_can_still_be_undone(world: World, owned: str) -> None:
    world.sandbox.inject("release", "drop_after")
    request = world.services.approvals.request_release(REQUESTER, owned, "not needed")

    released = world.services.approvals.approve(request.id, SECOND_APPROVER)

    assert released.status is Status.SUCCEEDED
    assert "pending_release, so the release went through" in (released.outcome_detail or "")
    assert released.undoable_until is not None and released.undoable_until <= world.sandbox.now() + timedelta(hours=24)
    assert world.services.approvals.undo_release(request.id, REQUESTER).undone_at is not None
    assert len(world.calls("release")) == 1
