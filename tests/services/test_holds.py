"""Numbers on hold (what the App Home lists): pending releases until their cooldown ends, and cool-offs
until Vobiz's end time, each gone once it ends, is undone, or the number was taken back with force. Each
person sees the holds `/numbers history` would show them: approvers, admins and auditors all of them,
anyone else only those of their own requests and attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services.errors import InvalidInput, ServiceError
from tests.services.world import ADMIN, APPROVER, OUTSIDER, REQUESTER, World

SALES = "SA_SALES0001"


def master_number(world: World) -> str:
    return next(n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91"))


def test_nothing_is_on_hold_in_a_new_database(world: World) -> None:
    assert world.services.holds.current(viewer=APPROVER) == []


def test_an_approved_release_is_on_hold_until_its_cooldown_ends_and_not_after(world: World) -> None:
    number = master_number(world)
    request = world.services.approvals.request_release(REQUESTER, number, "campaign over")
    assert world.services.holds.current(viewer=APPROVER) == []  # only asked: nothing happened yet

    released = world.services.approvals.approve(request.id, APPROVER)

    [hold] = world.services.holds.current(viewer=APPROVER)
    assert (hold.e164, hold.kind, hold.request_id) == (number, "pending_release", request.id)
    assert hold.until == released.cooldown_ends_at == world.clock() + timedelta(hours=24)
    world.advance(24 * 3600)
    assert world.services.holds.current(viewer=APPROVER) == []


def test_an_undone_release_is_no_longer_on_hold(world: World) -> None:
    request = world.services.approvals.request_release(REQUESTER, master_number(world), "campaign over")
    world.services.approvals.approve(request.id, APPROVER)
    world.services.approvals.undo_release(request.id, REQUESTER)
    assert world.services.holds.current(viewer=APPROVER) == []


def test_a_cool_off_is_on_hold_until_vobiz_says_it_ends(world: World) -> None:
    number = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    world.sandbox.set_last_call(number, world.sandbox.now() - timedelta(days=3))

    attempt = world.services.direct.unassign(REQUESTER, number)

    [hold] = world.services.holds.current(viewer=APPROVER)
    assert (hold.e164, hold.kind, hold.sub_account_id) == (number, "cool_off", SALES)
    assert hold.until == attempt.cool_off_until
    world.advance(12 * 24 * 3600 - 1)
    assert [h.e164 for h in world.services.holds.current(viewer=APPROVER)] == [number]
    world.advance(1)
    assert world.services.holds.current(viewer=APPROVER) == []


def test_a_second_attempt_shows_the_number_once_with_the_latest_end(world: World) -> None:
    number = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    world.sandbox.set_last_call(number, world.sandbox.now() - timedelta(days=3))
    world.services.direct.unassign(REQUESTER, number)
    world.advance(3600)
    world.sandbox.set_last_call(number, world.sandbox.now())  # called again: the cool-off starts over
    second = world.services.direct.unassign(REQUESTER, number)

    [hold] = world.services.holds.current(viewer=APPROVER)
    assert hold.until == second.cool_off_until


def test_a_number_taken_back_with_force_is_no_longer_in_its_cool_off(world: World) -> None:
    number = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    world.sandbox.set_last_call(number, world.sandbox.now() - timedelta(days=3))
    world.services.direct.unassign(REQUESTER, number)
    request = world.services.approvals.request_force_unassign(REQUESTER, number, "the sales team left")
    assert [h.kind for h in world.services.holds.current(viewer=APPROVER)] == ["cool_off"]

    world.services.approvals.approve(request.id, ADMIN)

    assert world.services.holds.current(viewer=APPROVER) == []


def test_holds_come_soonest_end_first_and_the_limit_is_checked(world: World) -> None:
    cooling = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    world.sandbox.set_last_call(cooling, world.sandbox.now() - timedelta(days=3))  # ends in 12 days
    world.services.direct.unassign(REQUESTER, cooling)
    request = world.services.approvals.request_release(REQUESTER, master_number(world), "campaign over")
    world.services.approvals.approve(request.id, APPROVER)  # ends in 24 hours

    assert [h.kind for h in world.services.holds.current(viewer=APPROVER)] == ["pending_release", "cool_off"]
    assert [h.kind for h in world.services.holds.current(viewer=APPROVER, limit=1)] == ["pending_release"]
    with pytest.raises(InvalidInput):
        world.services.holds.current(viewer=APPROVER, limit=0)


def test_a_person_who_may_not_see_everyones_history_sees_only_their_own_holds(world: World) -> None:
    mine_number, theirs_number = [n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91")][:2]
    mine = world.services.approvals.request_release(REQUESTER, mine_number, "campaign over")
    world.services.approvals.approve(mine.id, APPROVER)
    theirs = world.services.approvals.request_release(OUTSIDER, theirs_number, "not needed")
    world.services.approvals.approve(theirs.id, APPROVER)
    cooling = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    world.sandbox.set_last_call(cooling, world.sandbox.now() - timedelta(days=3))
    world.services.direct.unassign(OUTSIDER, cooling)

    assert [(h.e164, h.request_id) for h in world.services.holds.current(viewer=REQUESTER)] == [(mine_number, mine.id)]
    assert {h.e164 for h in world.services.holds.current(viewer=OUTSIDER)} == {theirs_number, cooling}
    assert {h.e164 for h in world.services.holds.current(viewer=APPROVER)} == {mine_number, theirs_number, cooling}
    assert {h.e164 for h in world.services.holds.current(viewer=ADMIN.user_id)} == {mine_number, theirs_number, cooling}


def test_acting_on_someone_elses_release_does_not_show_it_among_your_holds(world: World) -> None:
    """A refused click leaves a row naming the request in the clicker's history; the hold stays the
    requester's own."""
    number = master_number(world)
    request = world.services.approvals.request_release(OUTSIDER, number, "campaign over")
    with pytest.raises(ServiceError):
        world.services.approvals.approve(request.id, REQUESTER)  # not an approver: refused, and audited
    world.services.approvals.approve(request.id, APPROVER)

    assert world.services.holds.current(viewer=REQUESTER) == []
    assert [h.request_id for h in world.services.holds.current(viewer=OUTSIDER)] == [request.id]
