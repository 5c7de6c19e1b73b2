"""Auditors find the drift check's rows (and every other outcome the log holds) with the query syntax,
against real drift rows: the Reconciler comparing the sandbox with a real audit log."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.services.audit_filters import ACTIONS, OUTCOMES, parse_query
from bot.services.errors import InvalidInput
from bot.services.reconcile import Reconciler
from tests.services.world import APPROVER, REQUESTER, World


def search(world: World, text: str) -> list[tuple[str, str, str, str | None]]:
    audit = world.services.audit
    page = audit.search(audit.parse(text).filter, viewer=None, limit=200)
    return [(e.event, e.action, e.outcome, e.e164) for e in page.entries]


@pytest.fixture
def drifted(world: World) -> dict[str, str]:
    """A log with a bot purchase, a baseline, and three differences made outside the bot."""
    bought_by_bot, bought_outside = world.sandbox.inventory_numbers("IN")[:2]
    request = world.services.approvals.request_purchase(REQUESTER, bought_by_bot, "support line")
    world.services.approvals.approve(request.id, APPROVER)
    reconciler = Reconciler(vobiz=world.vobiz, store=world.services.store, clock=world.clock)
    reconciler.run()  # the baseline
    master = world.sandbox.auth_id
    pending, gone = [n for n in world.sandbox.owned_numbers(master) if n != bought_by_bot and n.startswith("+91")][:2]
    world.vobiz.numbers.purchase(bought_outside)
    world.vobiz.numbers.release(pending)
    world.vobiz.numbers.release(gone, immediate=True)
    report = reconciler.run()
    assert len(report.drifts) == 3
    return {"bought": bought_outside, "pending": pending, "gone": gone, "by_bot": bought_by_bot}


def test_action_drift_finds_every_drift_row_and_nothing_else(world: World, drifted: dict[str, str]) -> None:
    found = search(world, "action:drift")

    assert sorted(found, key=lambda row: row[1]) == [
        ("drift", "bought_outside_bot", "active", drifted["bought"]),
        ("drift", "release_started_outside_bot", "pending_release", drifted["pending"]),
        ("drift", "released_outside_bot", "absent", drifted["gone"]),
    ]
    assert len(found) == sum(1 for r in world.audit_rows() if r["event"] == "drift")


def test_drift_rows_filter_by_what_vobiz_showed(world: World, drifted: dict[str, str]) -> None:
    assert search(world, "action:drift outcome:absent") == [("drift", "released_outside_bot", "absent", drifted["gone"])]
    assert search(world, f"{drifted['pending']} outcome:pending_release") == [
        ("drift", "release_started_outside_bot", "pending_release", drifted["pending"])
    ]
    everything_reconciled = search(world, "action:reconcile")
    assert {row[0] for row in everything_reconciled} == {"drift", "baseline"}
    assert ("baseline", "reconcile", "observed", None) in everything_reconciled


def test_an_approval_is_found_by_its_executing_outcome(world: World, drifted: dict[str, str]) -> None:
    assert search(world, "outcome:executing") == [("approved", "purchase", "executing", drifted["by_bot"])]


def test_every_outcome_and_action_in_the_log_can_be_asked_for(world: World, drifted: dict[str, str]) -> None:
    rows = world.audit_rows()
    askable_actions = {stored for names in ACTIONS.values() for stored in names}

    assert {r["outcome"] for r in rows} <= set(OUTCOMES)
    assert {r["action"] for r in rows} <= askable_actions
    for outcome in {r["outcome"] for r in rows}:
        assert search(world, f"outcome:{outcome}"), outcome


def test_an_unknown_outcome_lists_the_drift_outcomes_in_its_help() -> None:
    with pytest.raises(InvalidInput, match="pending_release.*absent"):
        parse_query("outcome:gone", now=datetime(2026, 11, 27, tzinfo=timezone.utc))
