"""Reminders and escalations happen once (issue 14), on both engines: two processes (two Services over one
store, each its own owner) running the reminder pass at the same moment, without the job lease to keep them
apart, record and queue each nudge once; a restart in between neither repeats nor skips one; and what is due
when follows `next_nudge`'s schedule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.services import build_services
from bot.services.records import Kind
from bot.services.reminders import ESCALATION, next_nudge
from tests.services.world import ADMIN, APPROVER, APPROVER_GROUP, GROUP_MEMBER, REQUESTER, SECOND_APPROVER, World
from tests.concurrency import at_once

HOUR = 3600.0


def nudge_rows(world: World) -> list[dict[str, Any]]:
    with world.services.store.read() as db:
        return list(db.query("SELECT request_id, nudge, mentions FROM request_nudges ORDER BY request_id, at, nudge"))


def posted(world: World, count: int) -> str:
    """Ask to buy, and let the approval message be posted (the reminders reply in its thread)."""
    number = world.sandbox.inventory_numbers("IN")[count]
    request = world.services.approvals.request_purchase(REQUESTER, number, "A new support line")
    world.services.approvals.record_message(request.id, "C0APPROVALS", f"1700000000.{count:06d}")
    return request.id


def test_two_processes_at_once_record_and_queue_each_nudge_once(world: World) -> None:
    second = build_services(
        world.settings, vobiz=world.vobiz, directory=world.directory, store=world.open_store(), clock=world.clock
    )
    assert second.jobs.owner != world.services.jobs.owner
    asked = [posted(world, i) for i in range(3)]

    steps = [HOUR + 60, HOUR, HOUR, HOUR, HOUR]  # reminders 1, 2, 3, the escalation at 4 h, then nothing
    for step in steps:
        world.advance(step)
        queued = at_once(world.services.reminders.send_due, second.reminders.send_due)
        assert sorted(sum(queued, [])) == sorted(set(sum(queued, [])))  # nobody queued what another did

    expected = ["reminder-1", "reminder-2", "reminder-3", ESCALATION]
    for request_id in asked:
        assert [r["nudge"] for r in nudge_rows(world) if r["request_id"] == request_id] == expected
        items = world.outbox_rows("approval_nudge")
        assert sorted(i["ref"] for i in items if i["ref"].startswith(request_id)) == sorted(f"{request_id}:{n}" for n in expected)
        audit = [r["event"] for r in world.audit_rows(request_id) if r["event"] in ("reminded", "escalated")]
        assert audit == ["reminded", "reminded", "reminded", "escalated"]
    assert len(world.outbox_rows("approval_nudge")) == 12


def test_a_restart_between_passes_neither_repeats_nor_skips_a_reminder(world: World) -> None:
    request_id = posted(world, 0)
    world.advance(HOUR + 60)
    assert world.services.reminders.send_due() == [f"{request_id}:reminder-1"]
    assert world.services.reminders.send_due() == []  # a re-run (after a crash) at the same moment: nothing

    world.rebuild()  # a restart: nothing but the store carries over
    assert world.services.reminders.send_due() == []
    world.advance(HOUR)
    assert world.services.reminders.send_due() == [f"{request_id}:reminder-2"]
    assert [r["nudge"] for r in nudge_rows(world)] == ["reminder-1", "reminder-2"]


def test_whom_a_nudge_mentions(world: World) -> None:
    request_id = posted(world, 0)
    world.advance(HOUR + 60)
    world.services.reminders.send_due()
    world.services.away.set(SECOND_APPROVER, (world.clock() + timedelta(days=2)).date().isoformat())
    world.advance(HOUR)
    world.services.reminders.send_due()
    world.advance(2 * HOUR)
    world.services.reminders.send_due()  # the escalation (4 h) comes before reminder 3
    world.advance(HOUR)
    world.services.reminders.send_due()
    mentions = {r["nudge"]: r["mentions"].split() for r in nudge_rows(world) if r["request_id"] == request_id}
    assert mentions["reminder-1"] == [APPROVER.user_id, SECOND_APPROVER.user_id, APPROVER_GROUP]
    assert mentions["reminder-2"] == [APPROVER.user_id, APPROVER_GROUP]  # away: left out
    assert mentions[ESCALATION] == [ADMIN.user_id]
    assert mentions["reminder-3"] == [APPROVER.user_id, APPROVER_GROUP, ADMIN.user_id]  # escalated: admins too

    # A group whose only member is away is not mentioned; nor is the requester among the approvers.
    world.services.away.set(GROUP_MEMBER, (world.clock() + timedelta(days=2)).date().isoformat())
    request = world.services.approvals.get(request_id)
    away = world.services.away.current()
    assert world.services.reminders.mentions_for(request, "reminder-1", escalated=False, away=away) == (APPROVER.user_id,)
    as_approver = world.services.approvals.request_purchase(APPROVER, world.sandbox.inventory_numbers("IN")[1], "x line")
    assert world.services.reminders.mentions_for(as_approver, "reminder-1", escalated=False, away={}) == (
        SECOND_APPROVER.user_id,
        APPROVER_GROUP,
    )


T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
R, E = timedelta(minutes=60), timedelta(minutes=240)


@pytest.mark.parametrize(
    ("sent", "at", "expected"),
    [
        ({}, T0 + timedelta(minutes=59), None),
        ({}, T0 + R, "reminder-1"),
        ({"reminder-1": T0 + R}, T0 + 2 * R - timedelta(seconds=1), None),
        ({"reminder-1": T0 + R}, T0 + 2 * R, "reminder-2"),
        # posted late (or the bot was down): reminder 1 at 3 h, so reminder 2 waits a full interval after it
        ({}, T0 + 3 * R, "reminder-1"),
        ({"reminder-1": T0 + 3 * R}, T0 + 3 * R + timedelta(minutes=30), None),
        ({"reminder-1": T0 + 3 * R}, T0 + E, ESCALATION),
        ({"reminder-1": T0 + R, "reminder-2": T0 + 2 * R, "reminder-3": T0 + 3 * R, ESCALATION: T0 + E}, T0 + 10 * R, None),
    ],
)
def test_the_schedule(sent: dict[str, datetime], at: datetime, expected: str | None) -> None:
    assert next_nudge(T0, sent, at, remind_every=R, escalate_after=E) == expected


def test_off_means_off() -> None:
    assert next_nudge(T0, {}, T0 + 100 * R, remind_every=None, escalate_after=None) is None
    assert next_nudge(T0, {}, T0 + 100 * R, remind_every=None, escalate_after=E) == ESCALATION
    assert next_nudge(T0, {}, T0 + 100 * R, remind_every=R, escalate_after=None) == "reminder-1"


def test_a_force_operation_waiting_for_admins_who_are_all_away_says_who(world: World) -> None:
    owned = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    request = world.services.approvals.request_release(REQUESTER, owned, "Leaked", immediate=True)
    assert request.kind is Kind.RELEASE_NOW
    assert world.services.reminders.away_deciders(request) == ()
    period = world.services.away.set(ADMIN, (world.clock() + timedelta(days=1)).date().isoformat())
    assert world.services.reminders.away_deciders(request) == (period,)
    world.services.away.back(ADMIN)
    assert world.services.reminders.away_deciders(request) == ()


def test_a_group_holding_the_requester_is_mentioned_as_a_group_unless_nobody_else_is_in_it(world: World) -> None:
    by_member = world.services.approvals.request_purchase(GROUP_MEMBER, world.sandbox.inventory_numbers("IN")[0], "line")
    mentions = world.services.reminders.mentions_for(by_member, "reminder-1", escalated=False, away={})
    assert mentions == (APPROVER.user_id, SECOND_APPROVER.user_id)  # the group would ping only the requester

    world.directory.groups[APPROVER_GROUP] = {GROUP_MEMBER.user_id, "UCOLLEAGU"}
    world.advance(120)  # past the group cache's minute
    mentions = world.services.reminders.mentions_for(by_member, "reminder-1", escalated=False, away={})
    assert mentions == (APPROVER.user_id, SECOND_APPROVER.user_id, APPROVER_GROUP)
    assert GROUP_MEMBER.user_id not in mentions


def test_a_request_needing_two_approvals_reminds_only_those_who_may_still_approve(world: World) -> None:
    world.rebuild(approvals_required={"purchase": 2})
    request_id = posted(world, 0)
    world.services.approvals.approve(request_id, APPROVER)  # 1 of 2: it still waits
    world.advance(HOUR + 60)
    world.services.reminders.send_due()
    [row] = nudge_rows(world)
    assert row["mentions"].split() == [SECOND_APPROVER.user_id, APPROVER_GROUP]  # not the one who approved
