"""An older database (audit rows without hashes) is chained by the migration, in id order, as it stands.

SQLite alone: these are old SQLite files and the SQLite migrations m001-m004; a PostgreSQL database starts
at p001 with the chain already in its schema, so there is nothing older to migrate there."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.services.integrity import Integrity
from bot.store import Store, outbox
from bot.store.migrations import MIGRATIONS
from tests.audit.audit_helpers import ALICE, GENESIS, NOW, independent_hash, record, rows

pytestmark = pytest.mark.sqlite_only  # (these tests build their own files: none takes `database_url`)

OLD_ROWS = [
    ("2026-11-01T09:00:00.000000+00:00", "UALICE001", "Alice", "requested", "purchase", "pending", "+918012345678", "R0000AA", "new line", "100.00"),
    ("2026-11-01T10:00:00.000000+00:00", "UCAROL001", "Carol", "approved", "purchase", "executing", "+918012345678", "R0000AA", None, "100.00"),
    ("2026-11-01T10:00:01.000000+00:00", "UCAROL001", "", "executed", "purchase", "succeeded", "+918012345678", "R0000AA", None, None),
    ("2026-11-02T08:00:00.000000+00:00", "UBOB00001", "Bob", "done", "assign", "succeeded", "+918087654321", None, "Ünïcode", None),
]


def old_database(path: Path) -> None:
    """A file as the bot left it before the chain existed: migrations up to m003 and rows written then."""
    conn = sqlite3.connect(path)
    db = Database(conn)
    MIGRATIONS.apply(db, stop_before="m004_audit_chain")
    db.execute(
        "INSERT INTO requests (id, kind, e164, status, requester_id, reason, created_at, expires_at, updated_at) "
        "VALUES ('R0000AA', 'purchase', '+918012345678', 'succeeded', 'UALICE001', 'new line', 'x', 'y', 'z')"
    )
    for at, actor_id, name, event, action, outcome, e164, request_id, reason, fee in OLD_ROWS:
        db.execute(
            "INSERT INTO audit (at, actor_id, actor_name, event, action, outcome, e164, request_id, reason, quote_setup_fee) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [at, actor_id, name, event, action, outcome, e164, request_id, reason, fee],
        )
    db.execute("INSERT INTO outbox (kind, ref, created_at, next_attempt_at) VALUES ('history', '4', 'a', 'a')")
    conn.commit()
    conn.close()


def test_existing_rows_are_hashed_in_id_order_and_keep_their_values(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old_database(path)
    store = Store(path)
    migrated = rows(store)
    assert [r["id"] for r in migrated] == [1, 2, 3, 4]
    assert [(r["at"], r["actor_id"], r["event"], r["reason"], r["quote_setup_fee"]) for r in migrated] == [
        (at, actor_id, event, reason, fee) for at, actor_id, _, event, _, _, _, _, reason, fee in OLD_ROWS
    ]
    assert migrated[0]["prev_hash"] == GENESIS
    assert all(row["prev_hash"] == before["hash"] for before, row in zip(migrated, migrated[1:]))
    assert [r["hash"] for r in migrated] == [independent_hash(r) for r in migrated]
    assert Integrity(store=store, clock=lambda: NOW).verify().ok


def test_after_the_migration_new_rows_continue_the_chain_and_the_log_stays_append_only(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old_database(path)
    store = Store(path)
    new_id = record(store, NOW, ALICE, "done", "unassign", "succeeded")
    assert new_id == 5
    after = rows(store)
    assert after[4]["prev_hash"] == after[3]["hash"]
    for statement in ("UPDATE audit SET reason = 'x' WHERE id = 1", "DELETE FROM audit WHERE id = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with store.unit() as db:
                db.execute(statement)
    assert Integrity(store=store, clock=lambda: NOW).verify().rows_checked == 5


def test_reopening_does_not_rehash_and_the_outbox_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old_database(path)
    first = rows(Store(path))
    again = Store(path)
    assert rows(again) == first
    with again.unit() as db:
        assert [(r["kind"], r["ref"]) for r in db.query("SELECT * FROM outbox")] == [("history", "4")]
        outbox.enqueue(db, "checkpoint", 1, NOW)  # the new kind is allowed by the rebuilt table
    with again.read() as db:
        names = {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit'")}
    assert {"audit_e164", "audit_actor_id", "audit_request_id", "audit_at", "audit_action_at", "audit_decisions"} <= names
