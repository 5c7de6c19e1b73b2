"""The SQLite store against a real file: migrations, permissions, transactions, append-only audit."""

from __future__ import annotations

import sqlite3
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils

from bot.store import Store
from bot.store import audit, outbox, requests
from bot.store.migrations import MIGRATIONS
from bot.store.timestamps import from_db, to_db

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def request_row(request_id: str = "R0000AA", status: str = "pending") -> dict[str, object]:
    return {
        "id": request_id,
        "kind": "purchase",
        "e164": "+918012345678",
        "status": status,
        "requester_id": "U1",
        "reason": "new team line",
        "created_at": to_db(NOW),
        "expires_at": to_db(NOW + timedelta(hours=24)),
        "updated_at": to_db(NOW),
    }


def test_database_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with store.unit() as db:
        requests.insert(db, request_row())
    assert stat.S_IMODE((tmp_path / "bot.db").stat().st_mode) == 0o600
    with store.read() as db:
        assert db.journal_mode == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        # the -wal file exists while a connection is open; SQLite gives it the database file's mode
        assert stat.S_IMODE((tmp_path / "bot.db-wal").stat().st_mode) == 0o600


def test_an_existing_world_readable_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    Store(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_migrations_run_once_and_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = Store(path)
    with store.unit() as db:
        requests.insert(db, request_row())
    schema_before = _schema(path)
    again = Store(path)
    Store(path)
    assert _schema(path) == schema_before
    with again.read() as db:
        applied = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        # each migration applied exactly once, in the order they are declared
        assert applied == [m.name for m in MIGRATIONS.pending(sqlite_utils.Database(memory=True))]
        assert applied[:3] == ["m001_requests", "m002_audit", "m003_outbox"]
        assert requests.get(db, "R0000AA") is not None
        assert {"requests", "audit", "outbox"} <= set(db.table_names())


def _schema(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall())


def test_audit_rows_cannot_be_changed_or_deleted(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with store.unit() as db:
        audit_id = audit.append(
            db, {"at": to_db(NOW), "actor_id": "U1", "event": "requested", "action": "purchase", "outcome": "pending"}
        )
    for statement in ("UPDATE audit SET outcome = 'succeeded' WHERE id = ?", "DELETE FROM audit WHERE id = ?"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with store.unit() as db:
                db.execute(statement, [audit_id])
    with store.read() as db:
        row = audit.by_id(db, audit_id)
    assert row is not None and row["outcome"] == "pending"


def test_audit_refuses_unknown_columns(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with pytest.raises(ValueError, match="token"):
        with store.unit() as db:
            audit.append(db, {"at": to_db(NOW), "actor_id": "U1", "event": "x", "action": "x", "outcome": "x", "token": "t"})


def test_a_unit_that_raises_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with pytest.raises(RuntimeError):
        with store.unit() as db:
            requests.insert(db, request_row())
            audit.append(db, {"at": to_db(NOW), "actor_id": "U1", "event": "requested", "action": "purchase", "outcome": "pending", "request_id": "R0000AA"})
            raise RuntimeError("crash between the writes")
    with store.read() as db:
        assert requests.get(db, "R0000AA") is None
        assert audit.page(db, audit.Criteria(), before_id=None, limit=1) == []


def test_duplicate_request_id_is_reported_as_such(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with store.unit() as db:
        requests.insert(db, request_row())
    with pytest.raises(requests.DuplicateId):
        with store.unit() as db:
            requests.insert(db, request_row())


def test_guarded_transition_has_exactly_one_winner_across_threads(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with store.unit() as db:
        requests.insert(db, request_row())
    start = threading.Barrier(16)
    winners: list[int] = []

    def contend(n: int) -> None:
        start.wait()
        with store.unit() as db:
            if requests.transition(db, "R0000AA", ["pending"], {"status": "executing", "decided_by_id": f"U{n}"}):
                winners.append(n)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    with store.read() as db:
        row = requests.get(db, "R0000AA")
    assert row is not None and row["status"] == "executing" and row["decided_by_id"] == f"U{winners[0]}"


def test_outbox_due_done_and_retry_later(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with store.unit() as db:
        first = outbox.enqueue(db, "history", 1, NOW)
        second = outbox.enqueue(db, "approval_message", "R0000AA", NOW)
        third = outbox.enqueue(db, "requester_notice", "R0000AA", NOW + timedelta(seconds=5))
    with store.read() as db:
        assert [r["id"] for r in outbox.due(db, NOW, 10)] == [second, first]  # history lines come last
        assert [r["id"] for r in outbox.due(db, NOW, 1)] == [second]
    with store.unit() as db:
        assert outbox.mark_done(db, first, NOW)
        assert not outbox.mark_done(db, first, NOW)  # done once
        assert outbox.retry_later(db, second, "channel_not_found", timedelta(seconds=30), NOW)
    with store.read() as db:
        assert [r["id"] for r in outbox.due(db, NOW + timedelta(seconds=10), 10)] == [third]
        later = outbox.due(db, NOW + timedelta(seconds=31), 10)
    assert [r["id"] for r in later] == [second, third]
    assert later[0]["attempts"] == 1 and later[0]["last_error"] == "channel_not_found"


def test_outbox_due_puts_every_other_kind_before_a_history_backlog(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with store.unit() as db:
        backlog = [outbox.enqueue(db, "history", n, NOW) for n in range(1, 151)]  # e.g. 150 refused clicks
        others = [
            outbox.enqueue(db, "approval_message", "R0000AA", NOW),
            outbox.enqueue(db, "requester_notice", "R0000AA", NOW),
            outbox.enqueue(db, "checkpoint", 1, NOW),
            outbox.enqueue(db, "drift", 151, NOW),
        ]
    with store.read() as db:
        due = [r["id"] for r in outbox.due(db, NOW, 100)]
    assert due == others + backlog[:96]


def test_outbox_history_waiting_for_a_retry_holds_back_every_later_line(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with store.unit() as db:
        h1, h2 = outbox.enqueue(db, "history", 1, NOW), outbox.enqueue(db, "history", 2, NOW)
        message = outbox.enqueue(db, "approval_message", "R0000AA", NOW)
        h3 = outbox.enqueue(db, "history", 3, NOW)
        assert outbox.retry_later(db, h1, "ratelimited", timedelta(seconds=30), NOW)
    with store.read() as db:
        assert [r["id"] for r in outbox.due(db, NOW, 10)] == [message]  # h2 and h3 wait for h1
        assert [r["id"] for r in outbox.due(db, NOW + timedelta(seconds=30), 10)] == [message, h1, h2, h3]
    with store.unit() as db:
        assert outbox.mark_done(db, message, NOW)
        assert outbox.retry_later(db, h2, "internal_error", timedelta(seconds=60), NOW)
    with store.read() as db:
        # h1 is due again and comes alone: h2 waits until a minute from now, holding h3 back
        assert [r["id"] for r in outbox.due(db, NOW + timedelta(seconds=30), 10)] == [h1]
    with store.unit() as db:
        assert outbox.mark_done(db, h1, NOW + timedelta(seconds=30))
    with store.read() as db:
        assert outbox.due(db, NOW + timedelta(seconds=30), 10) == []
        assert [r["id"] for r in outbox.due(db, NOW + timedelta(seconds=60), 10)] == [h2, h3]


def test_outbox_refuses_unknown_kinds(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with pytest.raises(ValueError):
        with store.unit() as db:
            outbox.enqueue(db, "email", 1, NOW)


def test_writable_is_false_while_another_writer_holds_the_lock(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db", busy_timeout_s=0.05)
    assert store.writable() is True
    holder = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert store.writable() is False
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.writable() is True


def test_timestamps_round_trip_and_sort_as_text() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2026, 11, 27, 17, 30, tzinfo=ist)
    assert from_db(to_db(local)) == local
    assert to_db(local).endswith("+00:00")
    assert to_db(NOW) < to_db(NOW + timedelta(microseconds=1))
    with pytest.raises(ValueError):
        to_db(datetime(2026, 1, 1))
