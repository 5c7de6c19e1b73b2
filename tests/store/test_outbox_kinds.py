"""The outbox table's CHECK and the `OutboxKind` enum name the same kinds: a kind added to the enum without a
migration (or the reverse) fails here, not at the first enqueue in production."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.store import Store, outbox
from bot.store.outbox import OutboxKind


def test_the_migrated_check_allows_exactly_the_enum(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with store.read() as db:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
    allowed = re.search(r"kind IN \(([^)]*)\)", sql)
    assert allowed is not None
    assert {k.strip().strip("'") for k in allowed.group(1).split(",")} == {k.value for k in OutboxKind}


@pytest.mark.parametrize("kind", list(OutboxKind))
def test_every_kind_can_be_queued_and_is_stored_as_its_value(tmp_path: Path, kind: OutboxKind) -> None:
    store = Store(tmp_path / "bot.db")
    with store.unit() as db:
        outbox.enqueue(db, kind, "r1", datetime(2026, 1, 1, tzinfo=timezone.utc))
    raw = sqlite3.connect(tmp_path / "bot.db").execute("SELECT kind FROM outbox").fetchone()[0]
    assert type(raw) is str and raw == kind.value


def _pg_allowed(db: object) -> set[str]:
    definition = db.execute(  # type: ignore[attr-defined]
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'outbox'::regclass AND contype = 'c' "
        "AND pg_get_constraintdef(oid) LIKE '%kind%'"
    ).fetchone()[0]
    return set(re.findall(r"'([a-z_]+)'", definition))


def test_the_postgresql_check_allows_exactly_the_enum(postgres_url: str) -> None:
    from bot.store.postgres import PostgresStore

    store = PostgresStore(postgres_url, max_size=1)
    try:
        with store.read() as db:
            assert _pg_allowed(db) == {k.value for k in OutboxKind}
        with store.unit() as db:  # and the kind added last is one the table takes
            outbox.enqueue(db, OutboxKind.APPROVAL_NUDGE, "R1:reminder-1", datetime(2026, 1, 1, tzinfo=timezone.utc))
    finally:
        store.close()


def test_adding_a_kind_keeps_the_kinds_another_migration_added_first(tmp_path: Path, postgres_url: str) -> None:
    """m016 / p005 add `approval_nudge` to whatever the CHECK allows then, so a kind another branch's migration
    added before them survives (and the outbox's rows and claims with it)."""
    from bot.store.migrations import _add_outbox_kind as add_sqlite_kind
    from bot.store.migrations import _allowed_kinds
    from bot.store.postgres import PostgresStore, _add_outbox_kind

    raw = sqlite3.connect(tmp_path / "other.db")
    raw.execute(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL CHECK (kind IN ('history', "
        "'other_branch')), ref TEXT NOT NULL, created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
        "next_attempt_at TEXT NOT NULL, done_at TEXT, last_error TEXT, claimed_by TEXT, claim_until TEXT, attempted_by TEXT)"
    )
    raw.execute("INSERT INTO outbox (kind, ref, created_at, next_attempt_at, claimed_by) VALUES ('other_branch', '7', 't', 't', 'me')")
    raw.commit()
    from sqlite_utils import Database

    db = Database(raw)
    add_sqlite_kind(db, "approval_nudge")
    sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
    assert _allowed_kinds(sql) == ("history", "other_branch", "approval_nudge")
    assert raw.execute("SELECT kind, ref, claimed_by FROM outbox").fetchall() == [("other_branch", "7", "me")]

    store = PostgresStore(postgres_url, max_size=1)
    try:
        with store.unit() as pg:
            pg.execute(_add_outbox_kind("other_branch"))
            pg.execute(_add_outbox_kind("approval_nudge"))  # already allowed: nothing changes
        with store.read() as pg:
            assert _pg_allowed(pg) == {k.value for k in OutboxKind} | {"other_branch"}
    finally:
        store.close()
