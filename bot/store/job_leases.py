"""Row-level access to `job_leases` (migrations m014 / p003): which process runs each periodic job (settling,
expiry, checkpoints, the undo-window re-draws, the drift check) until when, and when it last ran.

A job is one row: `owner` (a process id, host/pid/nonce) holds it until `until`; `last_run_at` is the end
of the last finished run, kept in the store so that whichever process runs the job next carries on from
there. The lease is taken with one guarded upsert, the same SQL on SQLite and PostgreSQL: of several
processes asking at once, exactly one is granted a free or expired lease.
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from bot.store.timestamps import from_db, to_db


def take(db: Database, job: str, owner: str, now: datetime, until: datetime) -> bool:
    """Hold `job` for `owner` until `until` when it is free, its lease ran out by `now`, or `owner` already
    holds it (then the lease is renewed); False when another owner's lease is still running."""
    granted = db.execute(
        "INSERT INTO job_leases (job, owner, until) VALUES (?, ?, ?) "
        "ON CONFLICT (job) DO UPDATE SET owner = excluded.owner, until = excluded.until "
        "WHERE job_leases.owner IS NULL OR job_leases.until IS NULL "
        "OR job_leases.owner = excluded.owner OR job_leases.until <= ? "
        "RETURNING job",
        [job, owner, to_db(until), to_db(now)],
    ).fetchall()
    return bool(granted)


def release(db: Database, job: str, owner: str) -> bool:
    """Let go of `job` if `owner` holds it (another process may take it at once); keeps `last_run_at`."""
    cursor = db.execute(
        "UPDATE job_leases SET owner = NULL, until = NULL WHERE job = ? AND owner = ?", [job, owner]
    )
    return bool(cursor.rowcount)


def holder(db: Database, job: str) -> tuple[str, datetime] | None:
    """Who holds `job` and until when (None when nobody does); the lease may have run out."""
    row = db.execute("SELECT owner, until FROM job_leases WHERE job = ?", [job]).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    until = from_db(row[1])
    assert until is not None
    return row[0], until


def last_run(db: Database, job: str) -> datetime | None:
    """The end of the last finished run of `job` (None when it never ran)."""
    row = db.execute("SELECT last_run_at FROM job_leases WHERE job = ?", [job]).fetchone()
    return None if row is None else from_db(row[0])


def record_run(db: Database, job: str, at: datetime) -> None:
    """`job` finished a run covering everything up to `at`; `last_run_at` only moves forward."""
    db.execute(
        "INSERT INTO job_leases (job, last_run_at) VALUES (?, ?) "
        "ON CONFLICT (job) DO UPDATE SET last_run_at = excluded.last_run_at "
        "WHERE job_leases.last_run_at IS NULL OR job_leases.last_run_at < excluded.last_run_at",
        [job, to_db(at)],
    )
