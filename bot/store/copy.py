"""Copying a SQLite store into an empty PostgreSQL database (`numbers-bot db copy`): every statement it runs.

The copy reads the SQLite file in one read transaction (one moment, even while the bot still writes) and
writes PostgreSQL in one write unit (its advisory lock and one transaction): the target ends with every row
or with none. Rows travel in key order, a chunk at a time, so memory stays flat whatever the size of the log.
Values are copied as stored: the audit rows keep their ids, `prev_hash` and `hash` (the target's chain
trigger accepts each only as the next link), and `audit_parties` is rebuilt by the target's trigger, as
SQLite's built it. The identity sequences are then set past the copied ids.

Each table is tallied on both sides (rows, and a SHA-256 over its rows in key order), so "the same" means the
same rows with the same values, not only as many. PostgreSQL is read through server-side cursors
(`PostgresStore.snapshot()`), which also lets `Integrity.verify` walk a million rows in flat memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


from bot.store.database import Connection, Store
from bot.store.postgres import ENGINE_COLUMNS, PgDatabase, PostgresStore

CHUNK_ROWS = 1000

# Every table the store keeps, with the key its rows are read in (and compared by), in the order they are
# copied: requests before the audit rows that refer to them.
KEYS: dict[str, tuple[str, ...]] = {
    "requests": ("id",),
    "request_items": ("request_id", "position"),
    "audit": ("id",),
    "audit_parties": ("role", "user_id", "audit_id"),
    "checkpoints": ("id",),
    "outbox": ("id",),
    "rate_limit_takes": ("id",),
    "rate_limit_bursts": ("actor_id",),
    "number_labels": ("e164",),
    "number_locks": ("e164",),
    "requested_labels": ("request_id",),
    "request_approvals": ("request_id", "approver_id"),
    "allowance_counts": ("requester_id", "month"),
    "freeze_state": ("id",),
    "request_nudges": ("request_id", "nudge"),
    "approvers_away": ("user_id",),
}
TABLES = tuple(KEYS)
# Derived from the audit rows by a trigger on either engine (like an index): checked, never copied.
REBUILT = ("audit_parties",)
COPIED = tuple(t for t in TABLES if t not in REBUILT)
# Tables whose id the target draws from an identity sequence.
IDENTITIES = ("checkpoints", "outbox", "rate_limit_takes")


class TargetNotEmpty(Exception):
    """The PostgreSQL database already holds rows; nothing was copied."""

    def __init__(self, tables: Sequence[str]) -> None:
        super().__init__(f"rows in {', '.join(tables)}")
        self.tables = tuple(tables)


@dataclass
class Tally:
    """How many rows a table holds and a digest of them (in key order, NULL columns left out)."""

    rows: int = 0
    _sha: Any = field(default_factory=hashlib.sha256, repr=False)

    def add(self, row: Mapping[str, Any]) -> None:
        self.rows += 1
        present = {column: value for column, value in row.items() if value is not None}
        self._sha.update(json.dumps(present, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
        self._sha.update(b"\n")

    @property
    def digest(self) -> str:
        return str(self._sha.hexdigest())


@dataclass(frozen=True)
class TableCount:
    table: str
    source: Tally
    target: Tally

    @property
    def same(self) -> bool:
        return self.source.rows == self.target.rows and self.source.digest == self.target.digest


# ---------------------------------------------------------------------------------------- the copy


def copy_store(source: Store, target: PostgresStore, *, chunk: int = CHUNK_ROWS) -> dict[str, Tally]:
    """Copy every table of `source` into `target` in one transaction and return the source's tallies.
    Raises `TargetNotEmpty` (before reading a row) when any table of the target holds a row."""
    with source.snapshot() as src, target.unit() as dst:
        occupied = tables_with_rows(dst)
        if occupied:
            raise TargetNotEmpty(occupied)
        tallies = {table: copy_rows(src, dst, table, chunk=chunk) for table in COPIED}
        tallies.update({table: tally(src, table, chunk=chunk) for table in REBUILT})
        set_identities(dst, sqlite_sequences(src))
    return {table: tallies[table] for table in TABLES}


def tables_with_rows(db: Connection | PgDatabase) -> list[str]:
    return [table for table in TABLES if db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None]


def copy_rows(src: Connection, dst: PgDatabase, table: str, *, chunk: int = CHUNK_ROWS) -> Tally:
    """Every row of `table`, in key order, `chunk` rows per round trip; returns what was copied."""
    # Requests go over in insertion order (rowid), so the target's `seq` orders them as SQLite's rowid did.
    order = "rowid" if table == "requests" else ", ".join(KEYS[table])
    cursor = src.execute(f"SELECT * FROM {table} ORDER BY {order}")
    names = [c[0] for c in cursor.description]
    insert = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    copied = Tally()
    while batch := cursor.fetchmany(chunk):
        for values in batch:
            copied.add(dict(zip(names, values)))
        dst.conn.executemany(insert, batch)
    return copied


def sqlite_sequences(src: Connection) -> dict[str, int]:
    """The highest id SQLite ever gave in each AUTOINCREMENT table (rows since deleted included)."""
    marks = ", ".join("?" for _ in IDENTITIES)
    cursor = src.execute(f"SELECT name, seq FROM sqlite_sequence WHERE name IN ({marks})", list(IDENTITIES))
    return {str(name): int(seq) for name, seq in cursor.fetchall()}


def set_identities(dst: PgDatabase, floors: Mapping[str, int]) -> None:
    """Make each identity sequence give the next id after both the copied rows and `floors`."""
    for table in IDENTITIES:
        dst.execute(
            f"SELECT setval(pg_get_serial_sequence(?, 'id'), greatest(coalesce(max(id), 0), ?) + 1, false) FROM {table}",
            [table, int(floors.get(table, 0))],
        )


# --------------------------------------------------------------------------------------- the check


def tally(db: Connection | PgDatabase, table: str, *, chunk: int = CHUNK_ROWS) -> Tally:
    cursor = db.execute(f"SELECT * FROM {table} ORDER BY {', '.join(KEYS[table])}")
    names = [c[0] for c in cursor.description]
    internal = ENGINE_COLUMNS.get(table, frozenset())
    found = Tally()
    while batch := cursor.fetchmany(chunk):
        for values in batch:
            found.add({name: value for name, value in zip(names, values) if name not in internal})
    return found


def target_tallies(target: PostgresStore, *, chunk: int = CHUNK_ROWS) -> dict[str, Tally]:
    with target.snapshot() as db:
        return {table: tally(db, table, chunk=chunk) for table in TABLES}


def compare(source: Mapping[str, Tally], target: Mapping[str, Tally]) -> list[TableCount]:
    return [TableCount(table, source[table], target[table]) for table in TABLES]
