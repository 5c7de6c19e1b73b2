"""Exactly one Vobiz call per approved request, whatever the clicking; requests that nobody decided expire."""

from __future__ import annotations

import threading

import pytest

from bot.services.errors import Conflict
from bot.services.records import Actor, Status
from tests.services.world import APPROVER, OUTSIDER, REQUESTER, SECOND_APPROVER, World


def test_twenty_concurrent_approvals_make_exactly_one_purchase(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    approvers = [APPROVER, SECOND_APPROVER] * 10
    start = threading.Barrier(len(approvers))
    results: list[Status] = []
    conflicts: list[str] = []
    lock = threading.Lock()

    def click(actor: Actor) -> None:
        start.wait()
        try:
            outcome = world.services.approvals.approve(request.id, actor)
        except Conflict as exc:
            with lock:
                conflicts.append(exc.user_message)
        else:
            with lock:
                results.append(outcome.status)

    threads = [threading.Thread(target=click, args=(actor,)) for actor in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [Status.SUCCEEDED]
    assert len(conflicts) == 19
    winner = world.services.approvals.get(request.id).decided_by
    assert winner is not None
    assert all(f"{winner.name} already approved this" in message for message in conflicts)
    assert len(world.calls("purchase")) == 1
    assert [r["event"] for r in world.audit_rows(request.id)].count("approved") == 1


def test_a_double_click_after_the_outcome_is_a_conflict(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    world.services.approvals.approve(request.id, APPROVER)
    with pytest.raises(Conflict, match="Arun Approver already approved this at .*; it succeeded"):
        world.services.approvals.approve(request.id, APPROVER)
    assert len(world.calls("purchase")) == 1


def test_an_expired_request_does_nothing_when_clicked(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    world.clock.advance(hours=24)

    with pytest.raises(Conflict, match="^This request expired") as expired:
        world.services.approvals.approve(request.id, APPROVER)

    assert "nothing was done" in expired.value.user_message
    assert world.services.approvals.get(request.id).status is Status.EXPIRED
    assert world.calls("purchase") == []
    assert len(world.calls("list_inventory")) == 1  # the quote at request time; no re-check once expired
    events = [(r["event"], r["actor_id"]) for r in world.audit_rows(request.id)]
    assert events[-1] == ("expired", "numbers-bot")
    assert world.outbox_rows("requester_notice", request.id) != []
    with pytest.raises(Conflict, match="expired"):  # a second click: still nothing, no second audit row
        world.services.approvals.deny(request.id, APPROVER, "late")
    assert [r["event"] for r in world.audit_rows(request.id)].count("expired") == 1


def test_expire_due_sweeps_only_what_is_due(world: World) -> None:
    early, late = world.sandbox.inventory_numbers("IN")[:2]
    first = world.services.approvals.request_purchase(REQUESTER, early, "first")
    world.clock.advance(hours=12)
    second = world.services.approvals.request_purchase(REQUESTER, late, "second")
    world.clock.advance(hours=12, seconds=1)

    expired = world.services.approvals.expire_due()

    assert [(r.id, r.status) for r in expired] == [(first.id, Status.EXPIRED)]
    assert world.services.approvals.get(second.id).status is Status.PENDING
    assert world.services.approvals.expire_due() == []


def test_get_expires_a_request_that_is_due(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    world.clock.advance(hours=25)
    assert world.services.approvals.get(request.id).status is Status.EXPIRED


def test_list_for_shows_mine_and_what_awaits_me(world: World) -> None:
    purchase_number = world.sandbox.inventory_numbers("IN")[0]
    owned = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    purchase = world.services.approvals.request_purchase(REQUESTER, purchase_number, "for sales")
    release_now = world.services.approvals.request_release(REQUESTER, owned, "spam calls", immediate=True)

    assert [r.id for r in world.services.approvals.list_for(REQUESTER).mine] == [release_now.id, purchase.id]
    assert world.services.approvals.list_for(REQUESTER).awaiting_me == []
    assert [r.id for r in world.services.approvals.list_for(APPROVER).awaiting_me] == [purchase.id]  # not the force one
    assert world.services.approvals.list_for(OUTSIDER).awaiting_me == []
