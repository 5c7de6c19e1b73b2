"""The per-person rate limit: at most `per_minute` counted commands from one person in any 60 seconds.

Counted: commands that call Vobiz (`/numbers list`, `show`, `inventory`, `assign`, `unassign`) and every
submission that files a new request (purchase, release, force unassign). Never counted: help, history,
trail, requests, export, cancel, and every decision click (approvers must be able to clear a queue).
The handlers call `admit` once, before the command's service call.

The count lives in the store (bot/store/ratelimits.py), so processes sharing the database share the limit.
The first refusal of a burst is audited (and goes to the history channel); the rest of the burst is refused
without another row, so a flood cannot flood the audit log too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.services import journal
from bot.services.clock import Clock
from bot.services.errors import SlowDown
from bot.services.records import Actor
from bot.store import Store, ratelimits

WINDOW = timedelta(minutes=1)
AUDIT_ACTION = "rate_limit"


class RateLimits:
    def __init__(self, *, store: Store, clock: Clock, per_minute: int) -> None:
        self._store = store
        self._clock = clock
        self.per_minute = per_minute  # 0: no limit

    def admit(self, actor: Actor, what: str) -> None:
        """Count one command (`what`, e.g. "/numbers buy", named in the audit row) for `actor`, or raise
        SlowDown when they already made `per_minute` in the last minute; nothing else is done then."""
        if self.per_minute <= 0:
            return
        now = self._clock()
        with self._store.unit() as db:
            admission = ratelimits.take(db, actor.user_id, now, WINDOW, self.per_minute)
            if admission.admitted:
                return
            assert admission.retry_at is not None
            retry_at = _next_second(admission.retry_at)
            if admission.new_burst:
                journal.record(db, now, self._burst_event(actor, what, retry_at))
        raise SlowDown(
            f"You have made {self.per_minute} requests in the last minute, the most the bot takes from one "
            f"person; nothing was done. Try again after {_clock_time(retry_at)} UTC.",
            retry_at=retry_at,
        )

    def _burst_event(self, actor: Actor, what: str, retry_at: datetime) -> journal.Event:
        detail = (
            f"made more than {self.per_minute} requests within a minute (the first one refused: {what}); "
            f"nothing more is taken from them until {_clock_time(retry_at)} UTC, and further refusals in "
            "this burst are not audited"
        )
        return journal.Event(actor=actor, event="refused", action=AUDIT_ACTION, outcome="refused", detail=detail)


def _next_second(moment: datetime) -> datetime:
    """Round up, so "after HH:MM:SS" is never a moment that would still be refused."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def _clock_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%H:%M:%S")
