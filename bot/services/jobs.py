"""Which process runs each periodic job: a lease per job in the store, so that any number of processes
sharing it run settling, expiry, checkpoints, the undo-window re-draws and the drift check once per
interval between them.

Before each run a process asks `take(job, interval)`: the lease is granted when the job is free, when its
lease ran out, or when this process holds it already (then it is renewed). It lasts a bit more than one
interval (`lease_for`), so the holder, asking once an interval, keeps it for as long as it lives; when the
holder dies its lease runs out and the next process to ask (within one interval) takes the job over. A
holder that is known to be gone at once (a process on this host that no longer exists: a killed worker, a
restarted bot) is not waited for. `stop()` of the workers releases the jobs, so a polite shutdown hands
them over at once.

What a job has done is kept in the store too (`last_run_at`, e.g. up to when the undo windows were
re-drawn), never in a process's memory, so a new holder neither skips nor repeats work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from bot.services.clock import Clock
from bot.services.leases import is_dead_here
from bot.store import Store, job_leases

log = logging.getLogger(__name__)

# The periodic jobs, as `job_leases` names them.
SETTLE = "settle_unknown"
EXPIRE = "expire_due"
CHECKPOINT = "checkpoint"
UNDO_WINDOWS = "undo_windows"  # last_run_at: up to when closed undo windows have been re-drawn
RECONCILE = "reconcile"
REMIND = "reminders"  # last_run_at: up to when ended away periods have re-drawn the waiting messages

LEASE_FACTOR = 1.5  # a lease outlives one interval by half of one: a pass that runs late keeps it


def lease_for(interval: timedelta) -> timedelta:
    return interval * LEASE_FACTOR


MIN_INTERVAL = timedelta(seconds=0.05)


def maintenance_interval(configured: timedelta, grace: timedelta) -> timedelta:
    """How often the maintenance jobs run: as configured, but at most half the settle grace.

    The promise it keeps: a process killed in the middle of a purchase is settled by a survivor within the
    grace plus one interval (I), also when the killed process held the settle job and sat on another host
    (so nobody can see it is gone). Its request lease runs out within the grace (half of it,
    `leases.lease_ttl`), a failure is provable once the grace after the call passed, and the settle job's
    lease, 1.5 I, runs out 1.5 I after its last renewal; a survivor asking every I takes the job within
    2.5 I of the kill, and with I <= grace / 2 that is within 0.75 grace + I. With a 60 s grace and a 60 s
    interval the job alone could stay away for 150 s, past the 120 s promised.
    """
    return max(min(configured, grace / 2), min(configured, MIN_INTERVAL))


class Jobs:
    """This process's side of the job leases. `owner` is asked each time (host/pid/nonce; the pid changes
    in a forked worker)."""

    def __init__(self, *, store: Store, clock: Clock, owner: Callable[[], str]) -> None:
        self._store = store
        self._clock = clock
        self._owner = owner

    @property
    def owner(self) -> str:
        return self._owner()

    def take(self, job: str, interval: timedelta) -> bool:
        """True when this process may run `job` now (and holds it for `lease_for(interval)`)."""
        owner, now = self._owner(), self._clock()
        until = now + lease_for(interval)
        with self._store.unit() as db:
            if job_leases.take(db, job, owner, now, until):
                return True
            held = job_leases.holder(db, job)
            if held is None or not is_dead_here(held[0]):
                return False
            log.info("taking over %s from %s, which is no longer running", job, held[0])
            job_leases.release(db, job, held[0])
            return job_leases.take(db, job, owner, now, until)

    def release(self, *jobs: str) -> None:
        """Let go of `jobs` if this process holds them, so another process takes them at once."""
        owner = self._owner()
        with self._store.unit() as db:
            for job in jobs:
                job_leases.release(db, job, owner)

    def holder(self, job: str) -> str | None:
        """Who holds `job` right now (None when nobody does or its lease ran out)."""
        with self._store.read() as db:
            held = job_leases.holder(db, job)
        return held[0] if held is not None and held[1] > self._clock() else None
