"""Background work the app runs beside the listeners, in daemon threads that `stop()` ends:

- outbox delivery: one `Delivery.deliver_due()` pass every `delivery_interval_s` (or sooner on `wake()`);
- maintenance: `approvals.settle_unknown()`, `approvals.expire_due()`, `integrity.checkpoint_if_due(now)`
  (a checkpoint of the audit chain at most once a day and only when the log grew, posted to the history
  channel by the delivery; none for an empty log) and a re-draw
  of the release messages whose undo window closed since the last pass (so their Undo button goes), and
  `reminders.send_due()` (reminders and escalations in the threads of requests nobody decides), once at
  start-up, then every `maintenance_interval_s`;
- the drift check: `reconciler.run()` (Vobiz against the audit log; differences go to the history channel)
  `reconcile_delay_s` after start-up, then every `reconcile_interval_s` (hourly by default).

Every process runs these loops, but each maintenance job and the drift check is run by one process at a
time: before each run the worker asks `services.jobs` for the job's lease (`bot/services/jobs.py`), and only
its holder runs it. The holder keeps it by asking every interval; when it dies another process takes the job
within one interval plus the lease. Where a job carries on from its last run (the undo windows), that point
is kept in the store, not here. `stop()` releases the jobs this process holds.

A failing pass (Vobiz down, a Slack error, a bug) is logged and the loop goes on; nothing here raises into
the app.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.services import jobs
from bot.services.errors import StoreUnavailable
from bot.services.clock import utc_now

if TYPE_CHECKING:
    from bot.services import Services


class Delivery(Protocol):
    """What drains the outbox to Slack (the composition root passes `handlers.outbound.delivery.Delivery`)."""

    def deliver_due(self) -> object: ...

log = logging.getLogger("bot.runtime")

RECONCILE_INTERVAL_S = 3600.0
RECONCILE_DELAY_S = 300.0  # after start-up: let a deploy settle before reading every number at Vobiz
# On a store where no pass has run yet, release messages whose undo window closed this long ago are re-drawn.
UNDO_WINDOWS_LOOKBACK = timedelta(days=2)


class Workers:
    def __init__(
        self,
        services: Services,
        delivery: Delivery,
        *,
        delivery_interval_s: float = 0.5,
        maintenance_interval_s: float = 60.0,
        reconcile_interval_s: float = RECONCILE_INTERVAL_S,
        reconcile_delay_s: float = RECONCILE_DELAY_S,
        now: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._services = services
        self._now = now
        self._monotonic = monotonic
        self._delivery = delivery
        self._delivery_interval_s = delivery_interval_s
        self._maintenance_interval_s = maintenance_interval_s
        self._reconcile_interval_s = reconcile_interval_s
        self._reconcile_delay_s = reconcile_delay_s
        # monotonic; set when the loop starts. When this process next asks for the drift check (who runs it
        # is the job lease's to say); a process refused asks again on the next maintenance tick.
        self._next_reconcile: float | None = None
        self._asked_for_jobs = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._next_reconcile = self._monotonic() + self._reconcile_delay_s
        self._threads = [
            threading.Thread(target=self._delivery_loop, name="numbers-bot-delivery", daemon=True),
            threading.Thread(target=self._maintenance_loop, name="numbers-bot-maintenance", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads = []
        if self._asked_for_jobs:  # hand the jobs over at once instead of letting their leases run out
            _guarded("releasing the job leases", lambda: self._services.jobs.release(*ALL_JOBS))
        _guarded("releasing the outbox claims", self._services.outbox.release)  # likewise for undelivered items

    def _maintenance_interval(self) -> timedelta:
        return timedelta(seconds=self._maintenance_interval_s)

    def _turn(self, job: str, interval: timedelta) -> bool:
        """True when this process holds `job`'s lease (taken or renewed now) and so runs it."""
        self._asked_for_jobs = True
        return self._services.jobs.take(job, interval)

    def _run_job(self, job: str, name: str, work: Callable[[], object]) -> None:
        def turn() -> None:
            if self._turn(job, self._maintenance_interval()):
                work()

        _guarded(name, turn)

    def maintain(self) -> None:
        """Settle unknown outcomes, expire overdue requests, checkpoint the audit chain when it grew and a day
        has passed since the last checkpoint, and re-draw release messages whose undo window closed since the
        last pass (also what the loop does). Each is run only when this process holds its job lease, so
        of the processes sharing the store one runs each job per interval."""
        self._run_job(jobs.SETTLE, "settle_unknown", self._services.approvals.settle_unknown)
        self._run_job(jobs.EXPIRE, "expire_due", self._services.approvals.expire_due)
        self._run_job(jobs.CHECKPOINT, "checkpoint_if_due", self._checkpoint_if_due)
        self._run_job(jobs.UNDO_WINDOWS, "re-draw of closed undo windows", self._redraw_closed_undo_windows)
        self._run_job(jobs.REMIND, "reminders and escalations", self._send_reminders)

    def _send_reminders(self) -> None:
        if self._services.reminders.send_due():
            self._wake.set()  # their posts go to the approvals channel on the next delivery pass, now

    def reconcile(self) -> None:
        """One drift check: Vobiz against the audit log, whoever holds the job (the loop runs it through
        `reconcile_if_due`)."""
        report = self._services.reconciler.run()
        if report.drifts:
            self._wake.set()  # their lines go to the history channel on the next delivery pass, now

    def _checkpoint_if_due(self) -> None:
        if self._services.integrity.checkpoint_if_due(self._now()) is not None:
            self._wake.set()  # its line goes to the history channel on the next delivery pass, now

    def _redraw_closed_undo_windows(self) -> None:
        # from where the last pass stopped, whichever process ran it (the store keeps it)
        if self._services.approvals.announce_undo_windows_ended_by(self._now(), lookback=UNDO_WINDOWS_LOOKBACK):
            self._wake.set()

    def reconcile_if_due(self) -> None:
        """The drift check, when this process's timer says it is time and it holds (or now takes) the
        `reconcile` job; refused, it asks again on the next maintenance tick (what the loop does)."""
        if self._next_reconcile is None or self._monotonic() < self._next_reconcile:
            return
        try:
            if not self._turn(jobs.RECONCILE, timedelta(seconds=self._reconcile_interval_s)):
                return
        except StoreUnavailable:
            log.debug("the drift check skipped: the database is unavailable")
            return
        except Exception:
            log.exception("could not ask for the drift check; asking again on the next tick")
            return
        self._next_reconcile = self._monotonic() + self._reconcile_interval_s
        try:
            self.reconcile()
        except Exception:  # Vobiz unreachable or refusing, most likely: nothing was recorded
            log.exception("the drift check failed; the next one runs in %.0f minutes", self._reconcile_interval_s / 60)

    def _delivery_loop(self) -> None:
        while not self._stop.is_set():
            _guarded("outbox delivery", self._delivery.deliver_due)
            self._wake.wait(self._delivery_interval_s)
            self._wake.clear()

    def _maintenance_loop(self) -> None:
        while not self._stop.is_set():
            self.maintain()
            self.reconcile_if_due()
            self._stop.wait(self._maintenance_interval_s)


ALL_JOBS = (jobs.SETTLE, jobs.EXPIRE, jobs.CHECKPOINT, jobs.UNDO_WINDOWS, jobs.REMIND, jobs.RECONCILE)


def _guarded(name: str, work: Callable[[], object]) -> None:
    try:
        work()
    except StoreUnavailable:  # the store has logged it once, as an ERROR naming the file; not every tick
        log.debug("%s skipped: the database is unavailable", name)
    except Exception:
        log.exception("%s failed; trying again on the next tick", name)
