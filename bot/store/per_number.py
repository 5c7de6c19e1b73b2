"""Reads and deletes shared by the tables keyed by one phone number (`number_labels`, `number_locks`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

Row = dict[str, Any]
IN_CHUNK = 500  # numbers per `IN (...)` list, well inside either engine's limit on parameters


def one(db: Database, select: str, e164: str) -> Row | None:
    """The row of `e164` read by `select` (a `SELECT ... FROM <table>` without a WHERE), or None."""
    return next(db.query(f"{select} WHERE e164 = ?", [e164]), None)


def many(db: Database, select: str, e164s: Iterable[str]) -> list[Row]:
    """The rows of every number in `e164s` (each once), read `IN_CHUNK` numbers at a time."""
    wanted = sorted(set(e164s))
    found: list[Row] = []
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        found.extend(db.query(f"{select} WHERE e164 IN ({', '.join('?' for _ in chunk)})", chunk))
    return found


def delete(db: Database, table: str, select: str, e164: str) -> Row | None:
    """Delete the row of `e164` from `table`; returns it as it was, or None when there was none."""
    before = one(db, select, e164)
    if before is not None:
        db.execute(f"DELETE FROM {table} WHERE e164 = ?", [e164])
    return before
