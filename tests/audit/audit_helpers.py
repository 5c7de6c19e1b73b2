"""Helpers for the audit tests: events written through the real journal, requests to hang them on, an
attacker's edits of the database (the SQLite file, or PostgreSQL as a superuser), and a fast bulk fill for
the big export test. Each works on either engine's store."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import psycopg
from sqlite_utils import Database

from bot.services import journal
from bot.services.records import Actor, Quote
from bot.store import Store, requests
from bot.store.postgres import to_psycopg
from bot.store.timestamps import to_db

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
GENESIS = "0" * 64
ALICE = Actor("UALICE001", "Alice")
BOB = Actor("UBOB00001", "Bob")
CAROL = Actor("UCAROL001", "Carol")  # an approver in these tests
DAVE = Actor("UDAVE0001", "Dave")  # an admin
NUMBER_A = "+918012345678"
NUMBER_B = "+918087654321"


def record(store: Store, when: datetime, actor: Actor, event: str, action: str, outcome: str, **extra: Any) -> int:
    """One event through the services' journal (what every service writes with), in its own unit."""
    with store.unit() as db:
        return _record_in(db, when, actor, event, action, outcome, **extra)


def _record_in(db: Database, when: datetime, actor: Actor, event: str, action: str, outcome: str, **extra: Any) -> int:
    return journal.record(db, when, journal.Event(actor=actor, event=event, action=action, outcome=outcome, **extra))


def add_request(store: Store, request_id: str, requester: Actor, *, kind: str = "purchase", e164: str = NUMBER_A) -> None:
    with store.unit() as db:
        requests.insert(
            db,
            {
                "id": request_id,
                "kind": kind,
                "e164": e164,
                "status": "pending",
                "requester_id": requester.user_id,
                "requester_name": requester.name,
                "reason": "for the team",
                "created_at": to_db(NOW),
                "expires_at": to_db(NOW + timedelta(hours=24)),
                "updated_at": to_db(NOW),
            },
        )


def write_varied_events(store: Store, count: int, *, start: datetime = NOW) -> None:
    """`count` events of assorted shapes (quotes, NULLs, non-ASCII text, newlines), one minute apart, through
    the journal in one unit (one commit keeps the tests fast; concurrent units have their own test)."""
    with store.unit() as db:
        for i in range(count):
            _record_in(
                db,
                start + timedelta(minutes=i),
            (ALICE, BOB)[i % 2],
            "done",
                ("assign", "unassign")[i % 2],
                ("succeeded", "failed", "cool_off")[i % 3],
                e164=(NUMBER_A, NUMBER_B)[i % 2],
                sub_account_id="SA_SALES0001" if i % 2 else None,
                reason=f"ligne n° {i}\nmit Umlaut ä" if i % 4 == 0 else None,
                quote=Quote(Decimal("100.50"), Decimal("1E+1"), "INR") if i % 5 == 0 else None,
                detail=f"event {i}",
            )


def rows(store: Store) -> list[dict[str, Any]]:
    with store.read() as db:
        return list(db.query("SELECT * FROM audit ORDER BY id"))


def independent_hash(row: dict[str, Any]) -> str:
    """The documented encoding, written out again the way an auditor would in another tool."""
    fields = {k: v for k, v in row.items() if k != "hash" and v is not None}
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def is_pg(store: Any) -> bool:
    """Whether `store` is the PostgreSQL one (it has a URL; the SQLite store has a path)."""
    return getattr(store, "url", None) is not None


def refusal(store: Any) -> type[Exception]:
    """What the engine raises when a trigger refuses a statement (append-only, the chain)."""
    if is_pg(store):
        return psycopg.errors.RaiseException
    return sqlite3.IntegrityError


class _PgConn:
    """A raw autocommit psycopg connection taking the `?` placeholders the tests write for SQLite."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.raw.execute(to_psycopg(sql), list(params))  # type: ignore[arg-type]


@contextmanager
def raw(store: Any) -> Iterator[Any]:
    """A connection of its own to the store's database, outside the store (another process, someone with
    the file or the password); `execute(sql, params)` with `?` placeholders on both engines."""
    if is_pg(store):
        with psycopg.connect(store.url, autocommit=True) as conn:
            yield _PgConn(conn)
        return
    conn = sqlite3.connect(store.path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def attacker(store: Any) -> Iterator[Any]:
    """A raw connection with the audit/checkpoint triggers out of the way, back in place afterwards: what
    someone with the database file can always do, and on PostgreSQL a superuser
    (`ALTER TABLE ... DISABLE TRIGGER USER`)."""
    if is_pg(store):
        with raw(store) as conn, conn.raw.transaction():
            for table in ("audit", "checkpoints"):
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield conn
            for table in ("audit", "checkpoints"):
                conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    conn = sqlite3.connect(store.path, isolation_level=None)
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit', 'checkpoints')"
    ).fetchall()
    conn.execute("BEGIN")
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    yield conn
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()


def audit_row(conn: Any, row_id: int) -> dict[str, Any]:
    """One audit row read through a raw connection, as a dict."""
    cursor = conn.execute("SELECT * FROM audit WHERE id = ?", [row_id])
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone()))


def rehash_from(conn: Any, first_id: int) -> None:
    """Re-chain every row from `first_id` on, as an attacker covering their tracks would."""
    previous = conn.execute("SELECT hash FROM audit WHERE id < ? ORDER BY id DESC LIMIT 1", [first_id]).fetchone()
    prev = previous[0] if previous else GENESIS
    cursor = conn.execute("SELECT * FROM audit WHERE id >= ? ORDER BY id", [first_id])
    columns = [d[0] for d in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(columns, values))
        row["prev_hash"] = prev
        prev = independent_hash(row)
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", [row["prev_hash"], prev, row["id"]])


def swap_rows(conn: Any, a: int, b: int) -> None:
    """Give rows a and b each other's ids (their contents and stored hashes move with them)."""
    conn.execute("UPDATE audit SET id = -1 WHERE id = ?", [a])
    conn.execute("UPDATE audit SET id = ? WHERE id = ?", [a, b])
    conn.execute("UPDATE audit SET id = ? WHERE id = -1", [b])


def bulk_fill(store: Any, count: int) -> None:
    """`count` rows in one statement, chained with stand-in hashes (the trigger checks the links, not the
    digests): fast enough for the 100k-row export test, which is about streaming, not hashing. The same
    rows on both engines, in each one's SQL."""
    if is_pg(store):
        sql = """
            INSERT INTO audit (id, at, actor_id, actor_name, event, action, outcome, e164, reason, detail, prev_hash, hash)
            SELECT i, '2026-01-01T00:00:00.' || lpad(i::text, 6, '0') || '+00:00', 'U' || lpad((i % 500)::text, 5, '0'),
                   'Name, "quoted"', 'done', 'assign', 'succeeded', '+9180' || lpad((i % 20000)::text, 8, '0'),
                   'line one' || chr(10) || 'line two', 'detail ' || i, lpad(to_hex(i - 1), 64, '0'), lpad(to_hex(i), 64, '0')
            FROM generate_series(1, ?::bigint) AS n(i)
            """
    else:
        sql = """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO audit (id, at, actor_id, actor_name, event, action, outcome, e164, reason, detail, prev_hash, hash)
            SELECT i, printf('2026-01-01T00:00:00.%06d+00:00', i), printf('U%05d', i % 500), 'Name, "quoted"', 'done',
                   'assign', 'succeeded', printf('+9180%08d', i % 20000), 'line one' || char(10) || 'line two',
                   printf('detail %d', i), printf('%064x', i - 1), printf('%064x', i)
            FROM n
            """
    with store.unit() as db:
        db.execute(sql, [count])


def ids(entries: Sequence[Any]) -> list[int]:
    return [e.id for e in entries]
