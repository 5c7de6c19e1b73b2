"""Checkpoints: the chain's head recorded in the database and queued for the history channel."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from bot.services.integrity import Integrity
from bot.services.outbox import Outbox
from bot.store import Store
from tests.audit.audit_helpers import NOW, rows, write_varied_events
from tests.services.fakes import FakeClock


def test_a_checkpoint_records_the_head_and_queues_its_post_together(db_path: Path) -> None:
    store = Store(db_path)
    write_varied_events(store, 4)
    integrity = Integrity(store=store, clock=lambda: NOW)
    made = integrity.checkpoint()
    assert (made.head_id, made.row_count, made.head_hash, made.at) == (4, 4, rows(store)[-1]["hash"], NOW)
    assert integrity.checkpoint_by_id(made.id) == made == integrity.latest_checkpoint()
    assert integrity.checkpoint_by_id(made.id + 1) is None
    queued = [i for i in Outbox(store=store, clock=lambda: NOW).due(50) if i.kind == "checkpoint"]
    assert [i.ref for i in queued] == [str(made.id)]


def test_a_checkpoint_of_an_empty_log(db_path: Path) -> None:
    made = Integrity(store=Store(db_path), clock=lambda: NOW).checkpoint()
    assert (made.head_id, made.row_count, made.head_hash) == (0, 0, "0" * 64)


def test_checkpoint_if_due_makes_one_a_day(db_path: Path) -> None:
    store = Store(db_path)
    clock = FakeClock(NOW)
    integrity = Integrity(store=store, clock=clock)
    first = integrity.checkpoint_if_due(NOW)
    assert first is not None
    write_varied_events(store, 2)
    assert integrity.checkpoint_if_due(NOW + timedelta(hours=23, minutes=59)) is None
    second = integrity.checkpoint_if_due(NOW + timedelta(hours=24))
    assert second is not None and second.id == first.id + 1 and second.row_count == 2
    assert second.at == NOW + timedelta(hours=24)


def test_two_workers_calling_checkpoint_if_due_at_once_make_one_checkpoint(db_path: Path) -> None:
    store = Store(db_path)
    start = threading.Barrier(6)
    made: list[object] = []

    def worker() -> None:
        start.wait()
        made.append(Integrity(store=store, clock=lambda: NOW).checkpoint_if_due(NOW))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([m for m in made if m is not None]) == 1
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'checkpoint'").fetchone()[0] == 1


def test_checkpoints_are_append_only(db_path: Path) -> None:
    store = Store(db_path)
    made = Integrity(store=store, clock=lambda: NOW).checkpoint()
    for statement in ("UPDATE checkpoints SET row_count = 99", "DELETE FROM checkpoints"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with store.unit() as db:
                db.execute(statement)
    assert Integrity(store=store, clock=lambda: NOW).latest_checkpoint() == made
