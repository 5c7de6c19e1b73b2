"""The per-person rate limit's counting, on both engines (a real SQLite file, a real PostgreSQL database): a sliding window of takes per person, and
one burst marker per person who went over. Several processes share one file, so the counting must hold
across processes, not only threads."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store, open_store, ratelimits

T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Any]:
    """The store on each engine (see `database_url` in tests/conftest.py)."""
    opened = open_store(sqlite_path=tmp_path / "bot.db", database_url=database_url)
    yield opened
    opened.close()


def _take(store: Any, actor: str, now: datetime, limit: int = 3) -> ratelimits.Admission:
    with store.unit() as db:
        return ratelimits.take(db, actor, now, MINUTE, limit)


def test_the_limit_counts_per_person_within_the_window(store: Any) -> None:
    first = [_take(store, "U1", T0 + timedelta(seconds=i)) for i in range(3)]
    assert [a.admitted for a in first] == [True, True, True]
    over = _take(store, "U1", T0 + timedelta(seconds=10))
    assert not over.admitted
    assert over.retry_at == T0 + MINUTE  # when the oldest of the three leaves the window
    assert over.new_burst
    assert _take(store, "U2", T0 + timedelta(seconds=10)).admitted  # someone else is not held back

    again = _take(store, "U1", T0 + timedelta(seconds=30))
    assert not again.admitted and not again.new_burst  # the same burst: audited once
    assert _take(store, "U1", T0 + MINUTE).admitted  # the first take has left the window


def test_a_new_burst_after_a_quiet_window(store: Any) -> None:
    for _ in range(3):
        _take(store, "U1", T0)
    assert _take(store, "U1", T0).new_burst
    later = T0 + 2 * MINUTE
    for _ in range(3):
        assert _take(store, "U1", later).admitted
    assert _take(store, "U1", later).new_burst


def test_old_takes_and_bursts_are_deleted_when_taking(store: Any) -> None:
    for person in ("U1", "U2", "U3"):
        for _ in range(4):
            _take(store, person, T0)
    _take(store, "U9", T0 + 2 * MINUTE)
    with store.read() as db:
        takes = db.execute("SELECT actor_id FROM rate_limit_takes").fetchall()
        bursts = db.execute("SELECT actor_id FROM rate_limit_bursts").fetchall()
    assert takes == [("U9",)]
    assert bursts == []


def _taker(path: str, results: multiprocessing.Queue, start: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    store = Store(path)
    start.wait(10)
    admitted = sum(_take(store, "USHARED", T0, limit=10).admitted for _ in range(10))
    results.put(admitted)


def test_processes_sharing_the_file_never_exceed_the_limit_together(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    Store(path)
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    start = ctx.Event()
    workers = [ctx.Process(target=_taker, args=(str(path), results, start)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    admitted = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(30)
    assert sum(admitted) == 10
