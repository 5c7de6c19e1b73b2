"""Failover (issue 13): a process killed in the middle of a purchase is settled by a survivor within the
settle grace plus one maintenance interval, with no purchase call of its own and the approval message
re-drawn; also when the killed process held the settle job and ran on another host, so nobody can see it is
gone and both its leases (the request's and the settle job's) must run out. On both engines, on the test
clock: the survivor asks at the worst moment, just before the dead holder's job lease ends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.runtime import Workers
from bot.services import jobs as job_names
from bot.services.jobs import lease_for, maintenance_interval
from bot.services.leases import lease_ttl
from bot.services.records import Status
from bot.store import job_leases, requests
from bot.store.timestamps import to_db
from tests.services.world import APPROVER, REQUESTER, World

DEAD = "another-host/4242/dead0001"  # a process on another machine: only its leases running out tell


class NoDelivery:
    def deliver_due(self) -> None:
        return None


def killed_mid_purchase(world: World, e164: str, interval: timedelta) -> str:
    """What a process leaves behind when it is killed while Vobiz holds its purchase call: the request
    EXECUTING under its lease (last renewed now, at the kill) with the call recorded, and the settle job
    held by it (taken now). Vobiz never carried the call out (the connection died with the process)."""
    grace = timedelta(seconds=world.settings.settle_grace_seconds)
    request = world.services.approvals.request_purchase(REQUESTER, e164, "A new support line")
    now = world.clock()
    with world.services.store.unit() as db:
        assert job_leases.take(db, job_names.SETTLE, DEAD, now, now + lease_for(interval))
        assert requests.transition(
            db,
            request.id,
            ["pending"],
            {
                "status": "executing",
                "decided_by_id": APPROVER.user_id,
                "decided_at": to_db(now),
                "lease_owner": DEAD,
                "lease_until": to_db(now + lease_ttl(grace)),
                "called_at": to_db(now),
            },
        )
    return request.id


def seconds_until_settled_by_a_survivor(world: World, request_id: str, interval: timedelta) -> float:
    """The survivor's maintenance loop on the test clock, asking every `interval` from the worst phase."""
    survivor = Workers(world.rebuild(), NoDelivery(), maintenance_interval_s=interval.total_seconds(), now=world.clock)
    killed_at = world.clock()
    world.advance((lease_for(interval) - timedelta(seconds=0.01)).total_seconds())  # just before the job is free
    for _ in range(1000):
        survivor.maintain()
        if world.services.approvals.get(request_id).status.is_terminal:
            return (world.clock() - killed_at).total_seconds()
        world.advance(interval.total_seconds())
    raise AssertionError("never settled")


@pytest.mark.parametrize("grace_s", [60.0, 0.3])
def test_a_purchase_killed_mid_call_is_settled_within_the_grace_plus_one_interval(
    world: World, in_number: str, grace_s: float
) -> None:
    world.rebuild(settle_grace_seconds=grace_s)
    settings = world.settings
    interval = maintenance_interval(
        timedelta(seconds=settings.maintenance_interval_seconds), timedelta(seconds=settings.settle_grace_seconds)
    )
    request_id = killed_mid_purchase(world, in_number, interval)
    drawn = len(world.outbox_rows("approval_message", request_id))

    took = seconds_until_settled_by_a_survivor(world, request_id, interval)

    assert took <= grace_s + interval.total_seconds(), (took, grace_s, interval)
    settled = world.services.approvals.get(request_id)
    assert settled.status is Status.FAILED
    assert "stopped while carrying this out" in (settled.outcome_detail or "")
    assert world.calls("purchase") == []  # the survivor settles by reading, never by calling again
    assert world.services.jobs.holder(job_names.SETTLE) != DEAD
    assert len(world.outbox_rows("approval_message", request_id)) == drawn + 1  # re-drawn with the outcome
    assert [(r["event"], r["outcome"]) for r in world.audit_rows(request_id)][-1] == ("settled", "failed")


def test_with_the_interval_as_long_as_the_grace_the_promise_would_not_hold(world: World, in_number: str) -> None:
    """Why the interval is capped at half the grace: at 60 s and 60 s (the defaults before) the settle job
    of a holder on another host stays away 1.5 intervals, and the survivor's next ask comes an interval later."""
    interval = timedelta(seconds=60)
    request_id = killed_mid_purchase(world, in_number, interval)
    took = seconds_until_settled_by_a_survivor(world, request_id, interval)
    assert took > world.settings.settle_grace_seconds + interval.total_seconds()


@pytest.mark.parametrize("grace_s", [0.3, 1, 60, 600, 3600])
@pytest.mark.parametrize("configured_s", [0.05, 1, 30, 60, 3600])
def test_the_interval_used_is_the_configured_one_at_most_half_the_grace(grace_s: float, configured_s: float) -> None:
    used = maintenance_interval(timedelta(seconds=configured_s), timedelta(seconds=grace_s))
    assert used == min(timedelta(seconds=configured_s), timedelta(seconds=grace_s) / 2)
    grace = timedelta(seconds=grace_s)
    assert lease_ttl(grace) <= grace  # the request lease of a dead owner runs out within the grace too
