"""Row-level access to the per-person rate limit (`rate_limit_takes`, `rate_limit_bursts`, migration m011).

A sliding window: each admitted command is one row, counted while it is younger than the window. The count
lives here, not in a process's memory, so every process sharing the database counts the same takes. Call
`take` inside a write transaction (`Store.unit()`, which begins IMMEDIATE): reading the count and adding the
take is then one step, and concurrent takers can never together exceed the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from bot.store.timestamps import from_db, to_db


@dataclass(frozen=True)
class Admission:
    """The answer to one take. Refused: `retry_at` is when the oldest counted take leaves the window, and
    `new_burst` is True only for the first refusal since the person was last within the limit for a whole
    window (the refusal to audit)."""

    admitted: bool
    retry_at: datetime | None = None
    new_burst: bool = False


def take(db: Database, actor_id: str, now: datetime, window: timedelta, limit: int) -> Admission:
    """Count one command for `actor_id` at `now` if fewer than `limit` were counted in the `window` before
    it; otherwise refuse it and mark the person's burst. Deletes every take and burst older than the window
    first, so the tables hold at most the last window's worth."""
    cutoff = to_db(now - window)
    db.execute("DELETE FROM rate_limit_takes WHERE at <= ?", [cutoff])
    db.execute("DELETE FROM rate_limit_bursts WHERE last_refused_at <= ?", [cutoff])
    count, oldest = db.execute(
        "SELECT count(*), min(at) FROM rate_limit_takes WHERE actor_id = ? AND at > ?", [actor_id, cutoff]
    ).fetchone()
    stamp = to_db(now)
    if count < limit:
        db.execute("INSERT INTO rate_limit_takes (actor_id, at) VALUES (?, ?)", [actor_id, stamp])
        return Admission(admitted=True)
    in_burst = db.execute("SELECT 1 FROM rate_limit_bursts WHERE actor_id = ?", [actor_id]).fetchone() is not None
    db.execute(
        "INSERT INTO rate_limit_bursts (actor_id, started_at, last_refused_at) VALUES (?, ?, ?) "
        "ON CONFLICT (actor_id) DO UPDATE SET last_refused_at = excluded.last_refused_at",
        [actor_id, stamp, stamp],
    )
    oldest_at = from_db(oldest) if oldest is not None else now  # a limit of 0 counts nothing
    assert oldest_at is not None
    return Admission(admitted=False, retry_at=oldest_at + window, new_burst=not in_burst)
