"""Maintained once (issue 13): two processes' workers (two Services over one store, each with its own
owner) run the maintenance jobs and the drift check; of the two, only the holder of a job's lease runs it.
Each due request is expired once, one checkpoint is made a day, one re-draw per closed undo window, the
drift check once per interval; when the holder dies (it stops asking) the other takes its jobs over within
one interval plus the lease, and a holder that stops politely hands them over at once. On both engines."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.runtime import Workers
from bot.services import Services, build_services
from bot.services import jobs as job_names
from bot.services.jobs import lease_for
from bot.services.records import Status
from bot.store import job_leases
from tests.services.world import APPROVER, REQUESTER, World
from tests.concurrency import at_once

MAINTENANCE_S = 60.0
RECONCILE_S = 3600.0
MAINTENANCE_JOBS = (job_names.SETTLE, job_names.EXPIRE, job_names.CHECKPOINT, job_names.UNDO_WINDOWS)


class NoDelivery:
    def deliver_due(self) -> None:
        return None


class Ticks:
    """A monotonic clock the test moves (the workers' reconcile timer)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingReconciler:
    def __init__(self, reconciler: Any, runs: list[str], name: str) -> None:
        self._reconciler, self._runs, self._name = reconciler, runs, name

    def run(self, **options: Any) -> Any:
        self._runs.append(self._name)
        return self._reconciler.run(**options)


@dataclasses.dataclass
class Process:
    name: str
    services: Services
    workers: Workers


@pytest.fixture
def processes(world: World) -> Iterator[tuple[Process, Process, Ticks, list[str]]]:
    """Two "processes" over the world's store: the world's own services and a second wiring of them (its own
    store connection and owner), each with its workers, on the world's clock."""
    ticks, runs = Ticks(), []
    second = build_services(
        world.settings, vobiz=world.vobiz, directory=world.directory, store=world.open_store(), clock=world.clock
    )
    built = []
    for name, services in (("a", world.services), ("b", second)):
        services = dataclasses.replace(services, reconciler=CountingReconciler(services.reconciler, runs, name))
        workers = Workers(
            services,
            NoDelivery(),
            maintenance_interval_s=MAINTENANCE_S,
            reconcile_interval_s=RECONCILE_S,
            reconcile_delay_s=0,
            now=world.clock,
            monotonic=ticks,
        )
        workers._next_reconcile = ticks()  # what start() sets, without starting the threads
        built.append(Process(name, services, workers))
    a, b = built
    assert a.services.jobs.owner != b.services.jobs.owner
    yield a, b, ticks, runs


def events(world: World, event: str, request_id: str | None = None) -> list[dict[str, Any]]:
    return [row for row in world.audit_rows(request_id) if row["event"] == event]


def redraws(world: World, request_id: str) -> int:
    return len(world.outbox_rows("approval_message", request_id))


def status(world: World, request_id: str) -> str:
    with world.services.store.read() as db:
        return str(db.execute("SELECT status FROM requests WHERE id = ?", [request_id]).fetchone()[0])


def checkpoints(world: World) -> int:
    with world.services.store.read() as db:
        return int(db.execute("SELECT count(*) FROM checkpoints").fetchone()[0])


def test_maintaining_at_once_expires_each_request_once_and_checkpoints_once_a_day(
    world: World, processes: tuple[Process, Process, Ticks, list[str]]
) -> None:
    a, b, _, _ = processes
    numbers = world.sandbox.inventory_numbers("IN")
    asked = [world.services.approvals.request_purchase(REQUESTER, e164, "A new support line").id for e164 in numbers[:3]]
    world.advance(25 * 3600)  # past the approval TTL: all three are due

    at_once(a.workers.maintain, b.workers.maintain)
    for request_id in asked:
        assert len(events(world, "expired", request_id)) == 1
        assert status(world, request_id) == Status.EXPIRED.value
    assert checkpoints(world) == 1
    holders = {job: world.services.jobs.holder(job) for job in MAINTENANCE_JOBS}
    assert set(holders.values()) <= {a.services.jobs.owner, b.services.jobs.owner} and None not in holders.values()

    for _ in range(3):  # every minute, for a while: nothing more to do
        world.advance(MAINTENANCE_S)
        at_once(a.workers.maintain, b.workers.maintain)
    assert checkpoints(world) == 1  # the next one is a day away
    world.advance(24 * 3600)
    world.services.approvals.request_purchase(REQUESTER, numbers[3], "Another line")  # the log grew
    at_once(a.workers.maintain, b.workers.maintain)
    assert checkpoints(world) == 2


def test_each_closed_undo_window_is_redrawn_once_whoever_runs_the_pass(
    world: World, processes: tuple[Process, Process, Ticks, list[str]]
) -> None:
    a, b, _, _ = processes
    owned = [n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91")][:2]
    released = []
    for e164 in owned:
        request = world.services.approvals.request_release(REQUESTER, e164, "Campaign ended")
        world.services.approvals.approve(request.id, APPROVER)
        world.services.approvals.record_message(request.id, "C0APPROVALS", f"1700000000.{len(released):06d}")
        released.append(request.id)
    at_once(a.workers.maintain, b.workers.maintain)  # the windows are still open
    before = {rid: redraws(world, rid) for rid in released}

    world.advance(25 * 3600)  # both windows closed
    at_once(a.workers.maintain, b.workers.maintain)
    assert {rid: redraws(world, rid) for rid in released} == {rid: n + 1 for rid, n in before.items()}

    # The holder dies; the other takes the job over and carries on from where the store says the last pass
    # stopped: it neither re-draws these windows again nor skips any.
    holder = a if world.services.jobs.holder(job_names.UNDO_WINDOWS) == a.services.jobs.owner else b
    survivor = b if holder is a else a
    world.advance(lease_for(timedelta(seconds=MAINTENANCE_S)).total_seconds() + 1)
    survivor.workers.maintain()
    assert world.services.jobs.holder(job_names.UNDO_WINDOWS) == survivor.services.jobs.owner
    assert {rid: redraws(world, rid) for rid in released} == {rid: n + 1 for rid, n in before.items()}


def test_when_the_holder_dies_the_other_takes_its_jobs_over_within_one_interval_plus_the_lease(
    world: World, processes: tuple[Process, Process, Ticks, list[str]], in_number: str
) -> None:
    a, b, _, _ = processes
    a.workers.maintain()  # a holds every maintenance job
    assert {world.services.jobs.holder(job) for job in MAINTENANCE_JOBS} == {a.services.jobs.owner}
    lease = lease_for(timedelta(seconds=MAINTENANCE_S)).total_seconds()

    world.rebuild(approval_ttl_hours=0.01)  # a request due 36 s after it is made (its expiry is stored)
    request_id = world.services.approvals.request_purchase(REQUESTER, in_number, "A new support line").id
    world.advance(MAINTENANCE_S)  # a's next pass would be due now; a is dead and never asks again
    b.workers.maintain()
    assert events(world, "expired", request_id) == []  # a's lease still runs: b leaves the job alone

    world.advance(lease - MAINTENANCE_S)  # a's lease has run out: b's next pass takes the jobs over
    b.workers.maintain()
    assert len(events(world, "expired", request_id)) == 1
    assert {world.services.jobs.holder(job) for job in MAINTENANCE_JOBS} == {b.services.jobs.owner}

    world.advance(MAINTENANCE_S)  # a comes back (it was only frozen): b holds the jobs now, a runs nothing
    a.workers.maintain()
    assert {world.services.jobs.holder(job) for job in MAINTENANCE_JOBS} == {b.services.jobs.owner}


def test_a_holder_that_stops_politely_hands_its_jobs_over_at_once(
    world: World, processes: tuple[Process, Process, Ticks, list[str]]
) -> None:
    a, b, _, _ = processes
    a.workers.maintain()
    b.workers.maintain()
    assert {world.services.jobs.holder(job) for job in MAINTENANCE_JOBS} == {a.services.jobs.owner}
    a.workers.stop()
    assert {world.services.jobs.holder(job) for job in MAINTENANCE_JOBS} == {None}
    b.workers.maintain()  # at the same instant
    assert {world.services.jobs.holder(job) for job in MAINTENANCE_JOBS} == {b.services.jobs.owner}


def test_the_drift_check_runs_once_per_interval_and_moves_to_the_survivor(
    world: World, processes: tuple[Process, Process, Ticks, list[str]]
) -> None:
    a, b, ticks, runs = processes

    def hour(seconds: float = RECONCILE_S) -> None:
        ticks.now += seconds
        world.advance(seconds)

    at_once(a.workers.reconcile_if_due, b.workers.reconcile_if_due)
    assert len(runs) == 1
    first = runs[0]
    at_once(a.workers.reconcile_if_due, b.workers.reconcile_if_due)  # a minute later, the same hour
    assert len(runs) == 1
    hour()
    at_once(a.workers.reconcile_if_due, b.workers.reconcile_if_due)
    assert runs == [first, first]  # the holder again, once

    holder, survivor = (a, b) if first == "a" else (b, a)
    lease = lease_for(timedelta(seconds=RECONCILE_S)).total_seconds()
    hour()  # the holder has died: nobody runs the check until its lease runs out
    survivor.workers.reconcile_if_due()
    assert len(runs) == 2
    hour(lease - RECONCILE_S)  # the lease ran out: the survivor's next tick takes the job and runs it
    survivor.workers.reconcile_if_due()
    assert runs == [first, first, survivor.name]
    assert world.services.jobs.holder(job_names.RECONCILE) == survivor.services.jobs.owner
    del holder


def test_a_holder_gone_from_this_host_is_not_waited_for(world: World, processes: tuple[Process, Process, Ticks, list[str]]) -> None:
    """A restarted bot (or a killed worker's sibling) on the same host takes the jobs of a process that no
    longer exists at once; a holder that may be alive (another host) is waited for."""
    _, b, _, _ = processes
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    now, interval = world.clock(), timedelta(seconds=MAINTENANCE_S)
    with world.services.store.unit() as db:
        job_leases.take(db, job_names.SETTLE, f"{socket.gethostname()}/{gone.pid}/0dead0", now, now + lease_for(interval))
        job_leases.take(db, job_names.EXPIRE, f"elsewhere/{gone.pid}/0dead0", now, now + lease_for(interval))
    assert b.services.jobs.take(job_names.SETTLE, interval)
    assert not b.services.jobs.take(job_names.EXPIRE, interval)
