"""Durability and the paper trail: a restart loses nothing, and every state change wrote its audit row
and its outbox rows in the same transaction."""

from __future__ import annotations

import itertools

import pytest

from bot.services.approvals import Approvals
from bot.services.audit_query import AuditFilter
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.policy import Policy
from bot.services.records import Status
from tests.services.world import APPROVER, REQUESTER, World


def test_a_pending_request_survives_a_restart_and_can_then_be_approved(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the launch")
    world.services.approvals.record_message(request.id, "C0APPROVALS", "1700000000.000100")

    restarted = world.rebuild()
    again = restarted.approvals.get(request.id)
    assert again.status is Status.PENDING and again.quote == request.quote
    assert (again.approval_channel, again.approval_ts) == ("C0APPROVALS", "1700000000.000100")

    assert restarted.approvals.approve(request.id, APPROVER).status is Status.SUCCEEDED
    assert world.sandbox.describe(in_number)["owner"] == world.sandbox.auth_id


def test_every_state_change_wrote_its_audit_row_and_outbox_rows(world: World) -> None:
    bought, denied, cancelled = world.sandbox.inventory_numbers("IN")[:3]
    approvals = world.services.approvals
    a = approvals.request_purchase(REQUESTER, bought, "one")
    approvals.approve(a.id, APPROVER)
    b = approvals.request_purchase(REQUESTER, denied, "two")
    approvals.deny(b.id, APPROVER, "not now")
    c = approvals.request_purchase(REQUESTER, cancelled, "three")
    approvals.cancel(c.id, REQUESTER)

    audit = world.audit_rows()
    # one history line per audit row, in audit order
    assert [int(r["ref"]) for r in world.outbox_rows("history")] == [r["id"] for r in audit]
    expected = {
        a.id: (["requested", "approved", "executed"], 3, 1),
        b.id: (["requested", "denied"], 2, 1),
        c.id: (["requested", "cancelled"], 2, 0),
    }
    for request_id, (events, messages, notices) in expected.items():
        assert [r["event"] for r in world.audit_rows(request_id)] == events
        assert len(world.outbox_rows("approval_message", request_id)) == messages  # one per state change
        assert len(world.outbox_rows("requester_notice", request_id)) == notices


def test_outbox_delivery_bookkeeping(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "one")
    outbox = world.services.outbox
    items = outbox.due(10)
    assert [(i.kind, i.ref) for i in items] == [("approval_message", request.id), ("history", str(world.audit_rows()[0]["id"]))]

    outbox.done(items[1].id)
    outbox.retry_later(items[0].id, "ratelimited", 30)
    assert outbox.due(10) == []
    world.clock.advance(seconds=30)
    retried = outbox.due(10)
    assert [(i.id, i.attempts) for i in retried] == [(items[0].id, 1)]
    assert world.services.history.entry(int(items[1].ref)).event == "requested"  # type: ignore[union-attr]


def test_an_approval_redraw_is_not_queued_behind_a_history_backlog(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "one")
    outbox = world.services.outbox
    for item in outbox.due(10):
        outbox.done(item.id)
    for _ in range(120):  # refused clicks: each one is an audit row and a history line, paced ~1 a second
        with pytest.raises(NotAllowed):
            world.services.approvals.approve(request.id, REQUESTER)

    world.services.approvals.approve(request.id, APPROVER)
    items = outbox.due(100)

    assert [(i.kind, i.ref) for i in items[:2]] == [("approval_message", request.id)] * 2  # approved, then bought
    assert items[2].kind == "requester_notice"
    history = [int(i.ref) for i in items if i.kind == "history"]
    assert history == sorted(history) and history[0] == world.audit_rows()[1]["id"]  # the oldest line first


def test_history_newest_first_and_by_number(world: World) -> None:
    first, second = world.sandbox.inventory_numbers("IN")[:2]
    one = world.services.approvals.request_purchase(REQUESTER, first, "one")
    world.services.approvals.request_purchase(REQUESTER, second, "two")
    world.services.approvals.cancel(one.id, REQUESTER)

    search = world.services.audit.search  # what `/numbers history` calls
    latest = search(AuditFilter(), viewer=None).entries
    assert [(e.event, e.e164) for e in latest] == [("cancelled", first), ("requested", second), ("requested", first)]
    assert [e.event for e in search(AuditFilter(e164=first), viewer=None).entries] == ["cancelled", "requested"]
    assert len(search(AuditFilter(), viewer=None, limit=1).entries) == 1
    assert latest[-1].quote == one.quote and latest[-1].reason == "one" and latest[-1].actor == REQUESTER
    with pytest.raises(InvalidInput):
        search(AuditFilter(), viewer=None, limit=0)
    with pytest.raises(InvalidInput):
        world.services.audit.parse("+not-a-number")


def test_a_taken_request_id_is_drawn_again(world: World) -> None:
    ids = itertools.chain(["RAAAAAA", "RAAAAAA", "RBBBBBB"])
    approvals = Approvals(
        settings=world.settings,
        vobiz=world.vobiz,
        store=world.services.store,
        policy=Policy(world.settings, world.directory, world.clock),
        clock=world.clock,
        new_id=lambda: next(ids),
    )
    first, second = world.sandbox.inventory_numbers("IN")[:2]
    assert approvals.request_purchase(REQUESTER, first, "one").id == "RAAAAAA"
    assert approvals.request_purchase(REQUESTER, second, "two").id == "RBBBBBB"
    assert [r["event"] for r in world.audit_rows()] == ["requested", "requested"]


def test_record_message_needs_a_known_request(world: World) -> None:
    with pytest.raises(NotFound):
        world.services.approvals.record_message("R000000", "C0APPROVALS", "1.2")
