"""The job leases on both engines (a real SQLite file, a real PostgreSQL database): a job is granted to one
owner while its lease runs, renewed by that owner, taken over once it ran out or was released; last_run_at
only moves forward. Threads ask at once through their own units: exactly one is granted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.store import job_leases, open_store

T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)
LEASE = timedelta(seconds=90)


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Any]:
    opened = open_store(sqlite_path=tmp_path / "bot.db", database_url=database_url)
    yield opened
    opened.close()


def _take(store: Any, owner: str, now: datetime, job: str = "expire_due") -> bool:
    with store.unit() as db:
        return job_leases.take(db, job, owner, now, now + LEASE)


def test_one_owner_holds_a_job_until_its_lease_runs_out(store: Any) -> None:
    assert _take(store, "a/1/x", T0)
    assert not _take(store, "b/2/y", T0 + timedelta(seconds=1))
    assert _take(store, "a/1/x", T0 + timedelta(seconds=60))  # the holder renews: until T0 + 150 s
    assert not _take(store, "b/2/y", T0 + timedelta(seconds=149))
    assert _take(store, "b/2/y", T0 + timedelta(seconds=150))  # ran out: taken over
    assert not _take(store, "a/1/x", T0 + timedelta(seconds=151))
    assert _take(store, "a/1/x", T0, job="checkpoint")  # each job is its own lease
    with store.read() as db:
        assert job_leases.holder(db, "expire_due") == ("b/2/y", T0 + timedelta(seconds=150) + LEASE)


def test_a_released_job_is_free_at_once_and_keeps_its_last_run(store: Any) -> None:
    assert _take(store, "a/1/x", T0)
    with store.unit() as db:
        job_leases.record_run(db, "expire_due", T0)
        assert not job_leases.release(db, "expire_due", "b/2/y")  # not b's to release
        assert job_leases.release(db, "expire_due", "a/1/x")
    assert _take(store, "b/2/y", T0 + timedelta(seconds=1))
    with store.read() as db:
        assert job_leases.last_run(db, "expire_due") == T0


def test_last_run_only_moves_forward_and_needs_no_lease(store: Any) -> None:
    with store.unit() as db:
        assert job_leases.last_run(db, "undo_windows") is None
        job_leases.record_run(db, "undo_windows", T0 + timedelta(minutes=2))
        job_leases.record_run(db, "undo_windows", T0 + timedelta(minutes=1))  # a late, older pass
        assert job_leases.last_run(db, "undo_windows") == T0 + timedelta(minutes=2)
        assert job_leases.holder(db, "undo_windows") is None
    assert _take(store, "a/1/x", T0, job="undo_windows")


def test_of_owners_asking_at_once_exactly_one_is_granted(store: Any) -> None:
    owners = [f"host/{n}/nonce" for n in range(8)]
    granted: list[str] = []
    start = threading.Barrier(len(owners))

    def ask(owner: str) -> None:
        start.wait()
        if _take(store, owner, T0):
            granted.append(owner)

    threads = [threading.Thread(target=ask, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(granted) == 1
