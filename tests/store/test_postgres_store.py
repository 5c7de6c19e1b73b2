"""The PostgreSQL engine against a real server: schema, append-only audit and checkpoints, one chain, and a
server that goes away and comes back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest

from bot.store import audit, chain, open_store
from bot.store.errors import StoreUnavailable
from bot.store.postgres import PG_MIGRATIONS, POOL_TIMEOUT_S, PostgresStore, redacted, to_psycopg

NOW = "2026-12-06T09:00:00.000000+00:00"


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(postgres_url, max_size=4)
    yield opened
    opened.close()


def a_request(db: Any, request_id: str = "R1") -> None:
    db.execute(
        "INSERT INTO requests (id, kind, e164, status, requester_id, reason, created_at, expires_at, updated_at) "
        "VALUES (?, 'purchase', '+911121546828', 'pending', 'U1', 'why', ?, ?, ?)",
        [request_id, NOW, NOW, NOW],
    )


def test_placeholders_become_psycopg_ones_and_quoted_text_is_left_alone() -> None:
    assert to_psycopg("SELECT ? WHERE a LIKE '%?%' AND b = ?") == "SELECT %s WHERE a LIKE '%%?%%' AND b = %s"


def test_the_password_never_reaches_the_description() -> None:
    assert redacted("postgresql://bot:s3cret@db:5432/n") == "postgresql://bot:***@db:5432/n"


def test_audit_rows_chain_and_their_parties_are_indexed(store: PostgresStore) -> None:
    with store.unit() as db:
        a_request(db)
        first = audit.append(db, {"at": NOW, "actor_id": "U1", "event": "requested", "action": "purchase", "outcome": "pending", "request_id": "R1"})
        second = audit.append(db, {"at": NOW, "actor_id": "U2", "event": "approved", "action": "purchase", "outcome": "executing", "request_id": "R1"})
    with store.read() as db:
        rows = list(db.query("SELECT * FROM audit ORDER BY id"))
        parties = {(r["role"], r["user_id"], r["audit_id"]) for r in db.query("SELECT * FROM audit_parties")}
    assert (first, second) == (1, 2)
    assert rows[0]["prev_hash"] == chain.GENESIS and rows[1]["prev_hash"] == rows[0]["hash"]
    assert all(chain.row_hash(row) == row["hash"] for row in rows)  # the same hash as on SQLite
    assert ("approver", "U2", 1) in parties and ("party", "U1", 2) in parties


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit SET detail = 'x'", "DELETE FROM audit", "TRUNCATE audit", "UPDATE checkpoints SET row_count = 0", "DELETE FROM checkpoints"],
)
def test_the_audit_log_and_checkpoints_refuse_changes(store: PostgresStore, statement: str) -> None:
    with store.unit() as db:
        a_request(db)
        audit.append(db, {"at": NOW, "actor_id": "U1", "event": "requested", "action": "purchase", "outcome": "pending", "request_id": "R1"})
        chain.add_checkpoint(db, at=NOW, link=chain.head(db), row_count=1)
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"), store.unit() as db:
        db.execute(statement)


def test_a_row_that_does_not_extend_the_chain_is_refused(store: PostgresStore) -> None:
    with pytest.raises(psycopg.errors.RaiseException, match="extend the hash chain"), store.unit() as db:
        db.execute(
            "INSERT INTO audit (id, at, actor_id, event, action, outcome, prev_hash, hash) VALUES (5, ?, 'U', 'e', 'a', 'o', ?, ?)",
            [NOW, chain.GENESIS, chain.GENESIS],
        )


def test_opening_twice_migrates_once(postgres_url: str) -> None:
    PostgresStore(postgres_url).close()
    again = PostgresStore(postgres_url)
    with again.read() as db:
        names = [r["name"] for r in db.query("SELECT name FROM numbers_bot_migrations ORDER BY name")]
    assert names == [name for name, _ in PG_MIGRATIONS]  # each once, in order
    again.close()


def test_while_the_server_is_down_the_store_is_unavailable_and_it_reconnects_after(
    store: PostgresStore, postgres_server: Any
) -> None:
    assert store.writable()
    postgres_server.stop("fast")
    try:
        assert not store.writable()
        with pytest.raises(StoreUnavailable), store.unit() as db:
            a_request(db)
        # Long enough down for a doubling back-off to be 8 s apart (more than a command's 5 s wait): the
        # pool must keep trying about once a second, so the first command after the restart gets through.
        time.sleep(4)
        assert not store.writable()
    finally:
        postgres_server.start()
    with store.unit() as db:  # no restart of the store: the pool reconnects
        a_request(db, "R2")
    assert store.writable()


def test_database_pool_size_is_how_many_connections_one_process_holds_at_most(postgres_url: str) -> None:
    """DATABASE_POOL_SIZE reaches the pool: that many units of work hold a connection each at once, one more
    waits out the pool's timeout and is told the database cannot be reached (what processes x the size
    against the server's max_connections is about)."""
    store = open_store(sqlite_path="", database_url=postgres_url, pool_size=3)
    try:
        with ExitStack() as held:
            backends = {held.enter_context(store.read()).execute("SELECT pg_backend_pid()").fetchone()[0] for _ in range(3)}
            assert len(backends) == 3
            started = time.monotonic()
            with pytest.raises(StoreUnavailable), store.read():
                pass
            assert time.monotonic() - started >= POOL_TIMEOUT_S - 0.5
        with store.read() as db:  # given back: the next one is served at once
            assert db.execute("SELECT 1").fetchone()[0] == 1
    finally:
        store.close()
