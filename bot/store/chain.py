"""The audit log as a hash chain, and the checkpoints that pin its head.

Every audit row carries `prev_hash` (the `hash` of the row before it, or GENESIS for the first) and
`hash` = SHA-256 of the row's canonical encoding. Changing, removing, inserting or reordering a row
breaks a link; removing rows from the end (or rewriting the whole chain) is caught by comparing with a
checkpoint, best one kept outside the database (see docs/audit-schema.md).

The canonical encoding is a contract with every auditor who re-computes hashes in another tool; never
change it for existing rows. It is JSON of the row's columns except `hash` (so `id`, `prev_hash` and every
other column), keys sorted, no spaces, UTF-8, with NULL columns left out (a NULL and an absent column mean
the same, so a nullable column can be added later without re-hashing history). Values are text, except
`id`, an integer: money and instants are stored as text, so no float is ever hashed. For these value
types the encoding is the same as RFC 8785 (JSON Canonicalization Scheme).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

GENESIS = "0" * 64
CHUNK_ROWS = 1000
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

Row = dict[str, Any]


@dataclass(frozen=True)
class Link:
    """Where the chain ends: the last row's id and hash (0 and GENESIS for an empty log)."""

    id: int
    hash: str


def canonical(row: Mapping[str, Any]) -> bytes:
    """The bytes a row's hash is computed over (see the module docstring)."""
    fields = {column: value for column, value in row.items() if value is not None and column != "hash"}
    for column, value in fields.items():
        if type(value) is not str and not (column == "id" and type(value) is int):
            raise TypeError(f"audit column {column} must be text (or NULL; id an integer), got {type(value).__name__}")
    return _ENCODER.encode(fields).encode("utf-8")


def row_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def head(db: Database) -> Link:
    """The chain's last link. Call it inside the writing transaction (BEGIN IMMEDIATE) so no other writer
    can append between reading the head and appending after it."""
    found = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return Link(0, GENESIS) if found is None else Link(int(found[0]), str(found[1]))


def walk(db: Database, *, chunk: int = CHUNK_ROWS) -> Iterator[Row]:
    """Every audit row in id order, a chunk at a time (flat memory whatever the size)."""
    cursor = db.execute("SELECT * FROM audit ORDER BY id")
    names = [c[0] for c in cursor.description]
    while batch := cursor.fetchmany(chunk):
        for values in batch:
            yield dict(zip(names, values))


# ----------------------------------------------------------------------------------------- checkpoints


def add_checkpoint(db: Database, *, at: str, link: Link, row_count: int) -> int:
    cursor = db.execute(
        "INSERT INTO checkpoints (at, head_id, head_hash, row_count) VALUES (?, ?, ?, ?) RETURNING id",
        [at, link.id, link.hash, int(row_count)],
    )
    return int(cursor.fetchone()[0])


def count_rows(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM audit").fetchone()[0])


def latest_checkpoint(db: Database) -> Row | None:
    return _one(db, "SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1", [])


def checkpoint_by_id(db: Database, checkpoint_id: int) -> Row | None:
    return _one(db, "SELECT * FROM checkpoints WHERE id = ?", [int(checkpoint_id)])


def all_checkpoints(db: Database) -> list[Row]:
    """Every checkpoint, in id order (one a day: a few hundred rows a year)."""
    cursor = db.execute("SELECT * FROM checkpoints ORDER BY id")
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _one(db: Database, sql: str, params: list[Any]) -> Row | None:
    cursor = db.execute(sql, params)
    found = cursor.fetchone()
    return None if found is None else dict(zip([c[0] for c in cursor.description], found))
