"""Quorum, allowances and the freeze switch (issue 14) at the services, on both engines, with real threads
where several clicks or requests land at once. Vobiz is the sandbox over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from bot.services import build_services
from bot.services.allowances import Allowances, Money
from bot.services.errors import Conflict, NotAllowed, ServiceError
from bot.services.freeze import Frozen
from bot.services.records import Actor, Status
from tests.services.world import ADMIN, APPROVER, GROUP_MEMBER, OUTSIDER, REQUESTER, SECOND_APPROVER, World


def at_once(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[ServiceError]]:
    """Run every call on its own thread, released together; their results and the service errors raised."""
    start = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[ServiceError] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        start.wait()
        try:
            outcome = call()
        except ServiceError as exc:
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def table(world: World, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with world.services.store.read() as db:
        return list(db.query(sql, params or []))


# ------------------------------------------------------------------------------------------------ quorum


def test_the_last_approvals_arriving_together_execute_exactly_once(world: World, in_number: str) -> None:
    world.rebuild(approvals_required="purchase:3")
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    first = world.services.approvals.approve(request.id, APPROVER)
    assert first.status is Status.PENDING and [a.approver.user_id for a in first.approvals] == [APPROVER.user_id]

    # each clicks four times, all at once, through two processes' services sharing the store
    other = build_services(world.settings, vobiz=world.vobiz, directory=world.directory, store=world.open_store(), clock=world.clock)
    processes = [world.services, other]
    clickers = [SECOND_APPROVER, ADMIN, GROUP_MEMBER] * 4
    results, errors = at_once(
        [lambda n=n, actor=actor: processes[n % 2].approvals.approve(request.id, actor) for n, actor in enumerate(clickers)]
    )

    assert sorted(r.status.value for r in results) == [Status.PENDING.value, Status.SUCCEEDED.value]
    assert len(errors) == len(clickers) - 2 and all(isinstance(e, Conflict) for e in errors)
    assert len(world.calls("purchase")) == 1
    approved = [r for r in world.audit_rows(request.id) if r["event"] == "approved"]
    assert len(approved) == 3  # each approval its own audit row
    assert [r["outcome"] for r in approved] == ["pending", "pending", "executing"]
    assert [r["detail"] for r in approved] == ["1 of 3 approvals", "2 of 3 approvals", "3 of 3 approvals"]
    assert len(table(world, "SELECT * FROM request_approvals WHERE request_id = ?", [request.id])) == 3
    final = world.services.approvals.get(request.id)
    assert final.status is Status.SUCCEEDED and len(final.approvals) == 3


def test_one_person_counts_once_and_the_requester_never(world: World, in_number: str) -> None:
    world.rebuild(approvals_required="purchase:2")
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    world.services.approvals.approve(request.id, APPROVER)
    with pytest.raises(Conflict, match="You already approved this; it needs 1 more approval from someone else"):
        world.services.approvals.approve(request.id, APPROVER)
    with pytest.raises(NotAllowed, match="You asked for this yourself"):
        world.services.approvals.approve(request.id, REQUESTER)
    waiting = world.services.approvals.get(request.id)
    assert waiting.status is Status.PENDING and len(waiting.approvals) == 1
    # who may still approve: every entry but the one who approved (the requester is in none)
    assert waiting.may_still_approve == (SECOND_APPROVER.user_id, "SAPPROVERS", ADMIN.user_id)
    assert [r["event"] for r in world.audit_rows(request.id)].count("approved") == 1
    assert world.calls("purchase") == []
    # it no longer waits for the approver who approved it, only for the others
    assert [r.id for r in world.services.approvals.list_for(APPROVER).awaiting_me] == []
    [listed] = world.services.approvals.list_for(SECOND_APPROVER).awaiting_me
    assert listed.id == request.id and [a.approver for a in listed.approvals] == [APPROVER]
    [own] = world.services.approvals.list_for(REQUESTER).mine
    assert len(own.approvals) == 1 and own.approvals_required == 2


def test_one_deny_ends_a_request_with_approvals(world: World, in_number: str) -> None:
    world.rebuild(approvals_required="purchase:2")
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    world.services.approvals.approve(request.id, APPROVER)
    denied = world.services.approvals.deny(request.id, SECOND_APPROVER, "not this quarter")
    assert denied.status is Status.DENIED
    with pytest.raises(Conflict, match="already denied"):
        world.services.approvals.approve(request.id, ADMIN)
    assert world.calls("purchase") == []


def test_a_request_keeps_the_quorum_it_was_asked_with(world: World, in_number: str) -> None:
    world.rebuild(approvals_required="purchase:2")
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    world.rebuild()  # the setting changes (back to 1) while the request waits: it still needs two
    assert world.services.approvals.approve(request.id, APPROVER).status is Status.PENDING
    assert world.services.approvals.approve(request.id, SECOND_APPROVER).status is Status.SUCCEEDED


# -------------------------------------------------------------------------------------------- allowances


def test_concurrent_requests_never_exceed_the_allowance(world: World) -> None:
    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=2)
    numbers = world.sandbox.inventory_numbers("IN")[:5]
    other = build_services(world.settings, vobiz=world.vobiz, directory=world.directory, store=world.open_store(), clock=world.clock)
    processes = [world.services, other]  # two processes sharing the store
    results, errors = at_once(
        [lambda n=n, e164=e164: processes[n % 2].approvals.request_purchase(REQUESTER, e164, "sales team") for n, e164 in enumerate(numbers)]
    )
    assert errors == []
    statuses = sorted(r.status.value for r in results)
    assert statuses == ["pending"] * 3 + ["succeeded"] * 2
    assert len(world.calls("purchase")) == 2
    auto = [r for r in results if r.status is Status.SUCCEEDED]
    assert sorted(r.allowance_left for r in auto) == [0, 1]
    assert all(r.by_allowance and r.decided_by.user_id == "numbers-bot" for r in auto)
    for request in auto:
        approved = [r for r in world.audit_rows(request.id) if r["event"] == "approved"]
        assert [(r["actor_id"], r["reason"][:10]) for r in approved] == [("numbers-bot", "allowance:")]
    assert table(world, "SELECT used FROM allowance_counts") == [{"used": 2}]
    assert world.services.approvals.allowance_left(REQUESTER) == 0
    assert world.services.approvals.allowance_left(APPROVER) == 2  # per person


def test_the_allowance_never_covers_another_currency_a_higher_fee_or_a_release(world: World) -> None:
    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=5)
    us_number = world.sandbox.inventory_numbers("US")[0]
    assert world.services.approvals.request_purchase(REQUESTER, us_number, "US line").status is Status.PENDING

    world.rebuild(auto_approve_monthly_fee="0.01 INR", auto_approve_per_person=5)
    in_number = world.sandbox.inventory_numbers("IN")[0]
    dear = world.services.approvals.request_purchase(REQUESTER, in_number, "too dear")
    assert dear.status is Status.PENDING

    assert world.calls("purchase") == []
    assert world.services.approvals.allowance_left(REQUESTER) == 5

    assert world.services.approvals.approve(dear.id, APPROVER).status is Status.SUCCEEDED
    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=5)
    assert world.services.approvals.request_release(REQUESTER, in_number, "done with it").status is Status.PENDING
    assert world.services.approvals.request_release(REQUESTER, in_number, "now", immediate=True).status is Status.PENDING
    assert world.calls("release") == []


def test_a_purchase_that_fails_gives_its_allowance_back(world: World, in_number: str) -> None:
    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=1)
    world.sandbox.set_balance(0)  # Vobiz cannot take the payment: nothing is bought
    failed = world.services.approvals.request_purchase(REQUESTER, in_number, "no money")
    assert failed.status is Status.FAILED and failed.by_allowance and failed.allowance_left == 1
    assert world.services.approvals.allowance_left(REQUESTER) == 1
    world.sandbox.set_balance(1_000_000)
    assert world.services.approvals.request_purchase(REQUESTER, in_number, "again").status is Status.SUCCEEDED
    assert world.services.approvals.allowance_left(REQUESTER) == 0


def test_the_allowance_renews_with_the_calendar_month(world: World) -> None:
    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=1)
    first, second = world.sandbox.inventory_numbers("IN")[:2]
    assert world.services.approvals.request_purchase(REQUESTER, first, "one").status is Status.SUCCEEDED
    assert world.services.approvals.request_purchase(REQUESTER, second, "two").status is Status.PENDING
    now = world.clock()
    days = (32 - now.day) if now.day < 28 else 5
    world.advance(days * 86400)  # into next month, UTC
    third = world.sandbox.inventory_numbers("IN")[2]
    assert world.services.approvals.request_purchase(REQUESTER, third, "three").status is Status.SUCCEEDED


# ---------------------------------------------------------------------------------------------- freeze


def test_only_admins_freeze_and_the_freeze_is_in_the_store(world: World, in_number: str) -> None:
    with pytest.raises(NotAllowed, match="Only an admin can freeze"):
        world.services.freeze.freeze(APPROVER, "stop")
    state = world.services.freeze.freeze(ADMIN, "billing incident")
    assert state.by == ADMIN and state.reason == "billing incident"
    with pytest.raises(Conflict, match="already frozen"):
        world.services.freeze.freeze(ADMIN, "again")
    restarted = world.rebuild()  # a restart, or another process sharing the store
    assert restarted.freeze.current() == state
    rows = world.audit_rows()
    assert (rows[-1]["event"], rows[-1]["actor_id"], rows[-1]["reason"]) == ("froze", ADMIN.user_id, "billing incident")
    assert [r["kind"] for r in world.outbox_rows(ref=rows[-1]["id"])] == ["history", "approvals_notice"]
    with pytest.raises(NotAllowed, match="Only an admin can unfreeze"):
        restarted.freeze.unfreeze(OUTSIDER)
    assert restarted.freeze.unfreeze(ADMIN) == state
    assert restarted.freeze.current() is None
    assert world.audit_rows()[-1]["event"] == "unfroze"


def test_while_frozen_approve_is_refused_and_the_request_stays_pending(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    world.services.freeze.freeze(ADMIN, "billing incident")
    before = world.audit_rows(request.id)
    with pytest.raises(Frozen, match="froze it at .* \\(“billing incident”\\)"):
        world.services.approvals.approve(request.id, APPROVER)
    assert world.audit_rows(request.id) == before
    waiting = world.services.approvals.get(request.id)
    assert waiting.status is Status.PENDING and waiting.approvals == ()
    world.services.freeze.unfreeze(ADMIN)
    assert world.services.approvals.approve(request.id, APPROVER).status is Status.SUCCEEDED
    assert len(world.calls("purchase")) == 1


def test_a_freeze_landing_after_the_approval_stops_the_call(world: World, in_number: str) -> None:
    """The approval committed, then (while the executor re-reads the number) an admin in another process
    froze the bot: the guarded point before the call sees it, no purchase is made, and the request waits
    again, to be approved once unfrozen."""
    admin_side = build_services(world.settings, vobiz=world.vobiz, directory=world.directory, store=world.open_store(), clock=world.clock)
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    world.sandbox.inject("list_inventory", "hang", count=1, seconds=1.0)
    freezer = threading.Timer(0.3, lambda: admin_side.freeze.freeze(ADMIN, "incident"))
    freezer.start()
    with pytest.raises(Frozen):
        world.services.approvals.approve(request.id, APPROVER)
    freezer.join()
    assert world.calls("purchase") == []
    held = world.services.approvals.get(request.id)
    assert held.status is Status.PENDING and held.decided_by is None and held.lease_owner is None
    assert [r["event"] for r in world.audit_rows(request.id)][-1] == "held"
    admin_side.freeze.unfreeze(ADMIN)
    assert world.services.approvals.approve(request.id, APPROVER).status is Status.SUCCEEDED
    assert len(world.calls("purchase")) == 1


def test_while_frozen_no_write_path_reaches_vobiz(world: World, in_number: str) -> None:
    world.rebuild(release_needs_approval=False, auto_approve_monthly_fee="100000 INR", auto_approve_per_person=5)
    bought = world.services.approvals.request_purchase(REQUESTER, in_number, "bought by the allowance")
    assert bought.status is Status.SUCCEEDED
    released = world.services.approvals.request_release(REQUESTER, in_number, "gone")
    assert released.status is Status.SUCCEEDED and released.cooldown_ends_at is not None
    second = world.sandbox.inventory_numbers("IN")[1]
    world.services.freeze.freeze(ADMIN, "audit week")
    writes_before = {route: len(world.calls(route)) for route in ("purchase", "release", "cancel_release", "assign", "unassign")}

    refused: list[str] = []
    for attempt in (
        lambda: world.services.approvals.undo_release(released.id, REQUESTER),
        lambda: world.services.direct.assign(REQUESTER, in_number, "SA_SALES0001"),
        lambda: world.services.direct.unassign(REQUESTER, in_number),
        lambda: world.services.approvals.request_release(REQUESTER, second, "no approval needed"),
    ):
        with pytest.raises(Frozen) as caught:
            attempt()
        refused.append(caught.value.user_message)
    assert all("Ada Admin froze it at" in m and "audit week" in m for m in refused)

    # the allowance does not approve while frozen: the purchase waits for an approver
    waiting = world.services.approvals.request_purchase(REQUESTER, second, "frozen purchase")
    assert waiting.status is Status.PENDING
    assert {route: len(world.calls(route)) for route in writes_before} == writes_before
    assert world.services.approvals.get(released.id).undone_at is None


def test_a_freeze_landing_after_the_allowance_approved_leaves_it_filed_and_gives_the_allowance_back(
    world: World, in_number: str
) -> None:
    """Review finding: the rule approved the purchase, then an admin froze the bot before the call. The
    requester is answered with the filed, pending request (not "nothing was requested"), and the
    allowance is given back, since a person decides the request now."""
    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=1)
    admin_side = build_services(world.settings, vobiz=world.vobiz, directory=world.directory, store=world.open_store(), clock=world.clock)
    world.sandbox.inject("list_inventory", "hang", count=1, seconds=0.05)  # the quote read when filing
    world.sandbox.inject("list_inventory", "hang", count=1, seconds=1.0)  # the executor's re-read of the price
    freezer = threading.Timer(0.3, lambda: admin_side.freeze.freeze(ADMIN, "incident"))
    freezer.start()
    filed = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    freezer.join()
    assert filed.status is Status.PENDING and filed.decided_by is None
    assert world.calls("purchase") == []
    assert world.services.approvals.allowance_left(REQUESTER) == 1
    assert [r["event"] for r in world.audit_rows(filed.id)][-1] == "held"
    admin_side.freeze.unfreeze(ADMIN)
    assert world.services.approvals.approve(filed.id, APPROVER).status is Status.SUCCEEDED
    assert world.services.approvals.allowance_left(REQUESTER) == 1  # a person approved it, not the rule


def test_the_allowance_counts_in_the_month_of_the_decision_the_give_back_uses(world: World) -> None:
    """Review finding: the count read the clock again, so a purchase decided at the last moment of a month
    could be counted in the next one while a failure gave it back to the month of `decided_at`."""
    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=1)
    january_end = datetime(2027, 1, 31, 23, 59, 59, 900000, tzinfo=timezone.utc)
    rules = Allowances(settings=world.settings, store=world.services.store, clock=lambda: january_end + timedelta(seconds=1))
    with world.services.store.unit() as db:
        grant = rules.take(db, REQUESTER, 1, Money(Decimal(300), "INR"), at=january_end)
    assert grant is not None
    assert table(world, "SELECT month, used FROM allowance_counts") == [{"month": "2027-01", "used": 1}]
