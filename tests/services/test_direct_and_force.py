"""Assign and unassign (anyone, audited), the 15-day cool-off, and force unassign (admins only)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services.audit_query import AuditFilter
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound, VobizUnavailable
from bot.services.records import Kind, Status
from tests.services.world import ADMIN, APPROVER, OUTSIDER, REQUESTER, World

SALES = "SA_SALES0001"


def master_number(world: World) -> str:
    return world.sandbox.owned_numbers(world.sandbox.auth_id)[0]


def test_assign_to_an_unknown_sub_account_lists_the_known_ones_and_writes_nothing(world: World) -> None:
    with pytest.raises(NotFound) as missing:
        world.services.direct.assign(OUTSIDER, master_number(world), "SA_NOSUCH01")
    for known in world.sandbox.sub_account_ids:
        assert known in missing.value.user_message
    assert world.calls("assign") == []
    with pytest.raises(InvalidInput, match="SA_"):
        world.services.direct.assign(OUTSIDER, master_number(world), "sales")


def test_anyone_may_assign_and_unassign_and_it_is_audited(world: World) -> None:
    number = master_number(world)
    world.sandbox.set_last_call(number, None)

    assigned = world.services.direct.assign(OUTSIDER, number, SALES)

    assert assigned.done and assigned.sub_account_id == SALES
    assert world.sandbox.describe(number)["owner"] == SALES
    with pytest.raises(Conflict, match="already assigned"):
        world.services.direct.assign(OUTSIDER, number, SALES)

    unassigned = world.services.direct.unassign(OUTSIDER, number)

    assert unassigned.done and unassigned.sub_account_id == SALES
    assert world.sandbox.describe(number)["owner"] == world.sandbox.auth_id
    entries = world.services.audit.search(AuditFilter(e164=number), viewer=None).entries
    assert [(e.action, e.outcome, e.actor.user_id) for e in entries] == [
        ("unassign", "succeeded", OUTSIDER.user_id),
        ("assign", "succeeded", OUTSIDER.user_id),
    ]
    assert [e.id for e in entries] == [unassigned.audit_id, assigned.audit_id]
    with pytest.raises(Conflict, match="not assigned to a sub-account"):
        world.services.direct.unassign(OUTSIDER, number)


def test_unassign_in_the_cool_off_then_force_unassign_approved_by_an_admin(world: World) -> None:
    number = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    last_call = world.sandbox.now() - timedelta(days=3)
    world.sandbox.set_last_call(number, last_call)

    attempt = world.services.direct.unassign(REQUESTER, number)

    assert not attempt.done and attempt.sub_account_id == SALES
    assert attempt.cool_off_until == last_call + timedelta(days=15)
    assert attempt.cool_off_remaining_seconds == 12 * 24 * 3600
    entry = world.services.audit.search(AuditFilter(e164=number), viewer=None, limit=1).entries[0]
    assert (entry.outcome, entry.cool_off_until, entry.id) == ("cool_off", attempt.cool_off_until, attempt.audit_id)
    assert world.sandbox.describe(number)["owner"] == SALES

    request = world.services.approvals.request_force_unassign(REQUESTER, number, "the sales team left")
    assert request.kind is Kind.FORCE_UNASSIGN
    assert (request.sub_account_id, request.cool_off_until) == (SALES, attempt.cool_off_until)

    with pytest.raises(NotAllowed, match="Only an admin"):
        world.services.approvals.approve(request.id, APPROVER)
    assert world.services.approvals.get(request.id).status is Status.PENDING

    done = world.services.approvals.approve(request.id, ADMIN)

    assert done.status is Status.SUCCEEDED
    assert world.sandbox.describe(number)["owner"] == world.sandbox.auth_id
    assert [c["path"] for c in world.calls("unassign")][-1].endswith("force=true")


def test_force_unassign_fails_honestly_when_the_vobiz_account_is_not_an_admin(world: World) -> None:
    number = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    world.sandbox.set_admin(False)
    request = world.services.approvals.request_force_unassign(REQUESTER, number, "the sales team left")

    failed = world.services.approvals.approve(request.id, ADMIN)

    assert failed.status is Status.FAILED
    assert "not an admin-role account" in (failed.outcome_detail or "")
    assert (failed.vobiz_error or "").startswith("PermissionDenied 403")
    assert world.sandbox.describe(number)["owner"] == SALES


def test_force_unassign_needs_a_number_that_is_with_a_sub_account(world: World) -> None:
    with pytest.raises(Conflict, match="not assigned to a sub-account"):
        world.services.approvals.request_force_unassign(REQUESTER, master_number(world), "why")


def test_read_failures_are_reported_and_change_nothing(world: World) -> None:
    world.sandbox.inject("list_numbers", "server_error", count=3)
    with pytest.raises(VobizUnavailable, match="Vobiz answered 500 while unassigning .* Nothing was changed"):
        world.services.direct.unassign(OUTSIDER, master_number(world))
    assert world.audit_rows() == [] and world.calls("unassign") == []
