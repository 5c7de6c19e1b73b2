"""Checkpoints: the chain's head recorded in the database and queued for the history channel; never of an
empty log, and from the worker only once a day and only when the log grew since the last one."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot import audit_cli
from bot.services.integrity import Integrity
from bot.services.outbox import Outbox
from bot.store import Store
from tests.audit.audit_helpers import NOW, refusal, rows, write_varied_events
from tests.services.fakes import FakeClock


def test_a_checkpoint_records_the_head_and_queues_its_post_together(store: Store) -> None:
    write_varied_events(store, 4)
    integrity = Integrity(store=store, clock=lambda: NOW)
    made = integrity.checkpoint()
    assert made is not None
    assert (made.head_id, made.row_count, made.head_hash, made.at) == (4, 4, rows(store)[-1]["hash"], NOW)
    assert integrity.checkpoint_by_id(made.id) == made == integrity.latest_checkpoint()
    assert integrity.checkpoint_by_id(made.id + 1) is None
    queued = [i for i in Outbox(store=store, clock=lambda: NOW).due(50) if i.kind == "checkpoint"]
    assert [i.ref for i in queued] == [str(made.id)]


def checkpoints_and_posts(store: Store) -> tuple[int, int]:
    with store.read() as db:
        made = db.execute("SELECT count(*) FROM checkpoints").fetchone()[0]
        queued = db.execute("SELECT count(*) FROM outbox WHERE kind = 'checkpoint'").fetchone()[0]
    return made, queued


def test_an_empty_log_has_nothing_to_checkpoint(store: Store) -> None:
    integrity = Integrity(store=store, clock=lambda: NOW)
    assert integrity.checkpoint() is None
    assert integrity.checkpoint_if_due(NOW) is None
    assert integrity.checkpoint_if_due(NOW + timedelta(days=3)) is None
    assert checkpoints_and_posts(store) == (0, 0) and integrity.latest_checkpoint() is None


def test_the_command_line_says_there_is_nothing_to_checkpoint_in_an_empty_log(
    store: Store, db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = audit_cli.main(["checkpoint", *db_args])
    out = capsys.readouterr().out
    assert code == 0 and "nothing to checkpoint" in out and "Checkpoint #" not in out
    assert checkpoints_and_posts(store) == (0, 0)


def test_checkpoint_if_due_makes_one_a_day_when_the_log_grew(store: Store) -> None:
    clock = FakeClock(NOW)
    integrity = Integrity(store=store, clock=clock)
    write_varied_events(store, 3)
    first = integrity.checkpoint_if_due(NOW)  # none yet: one at once
    assert first is not None and first.row_count == 3
    write_varied_events(store, 2)
    assert integrity.checkpoint_if_due(NOW + timedelta(hours=23, minutes=59)) is None
    second = integrity.checkpoint_if_due(NOW + timedelta(hours=24))
    assert second is not None and second.id == first.id + 1 and second.row_count == 5
    assert second.at == NOW + timedelta(hours=24)

    assert integrity.checkpoint_if_due(NOW + timedelta(hours=48)) is None  # a day without new rows
    assert integrity.checkpoint_if_due(NOW + timedelta(days=30)) is None
    write_varied_events(store, 1)
    third = integrity.checkpoint_if_due(NOW + timedelta(days=30))  # grown, and the last is a day old
    assert third is not None and third.id == second.id + 1 and third.row_count == 6
    assert checkpoints_and_posts(store) == (3, 3)


def test_two_workers_calling_checkpoint_if_due_at_once_make_one_checkpoint(store: Store) -> None:
    write_varied_events(store, 2)
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


def test_checkpoints_are_append_only(store: Store) -> None:
    write_varied_events(store, 2)
    made = Integrity(store=store, clock=lambda: NOW).checkpoint()
    for statement in ("UPDATE checkpoints SET row_count = 99", "DELETE FROM checkpoints"):
        with pytest.raises(refusal(store), match="append-only"):
            with store.unit() as db:
                db.execute(statement)
    assert Integrity(store=store, clock=lambda: NOW).latest_checkpoint() == made
