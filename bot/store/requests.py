"""Row-level access to the `requests` table. Every function takes the unit's Database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from sqlite_utils import Database

Row = dict[str, Any]


class DuplicateId(Exception):
    """A request id that is already taken (ids are random; the caller draws another)."""


def insert(db: Database, row: Mapping[str, Any]) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    try:
        db.execute(f"INSERT INTO requests ({columns}) VALUES ({marks})", list(row.values()))
    except sqlite3.IntegrityError as exc:
        if "requests.id" in str(exc):
            raise DuplicateId(row["id"]) from exc
        raise


def get(db: Database, request_id: str) -> Row | None:
    cursor = db.execute("SELECT * FROM requests WHERE id = ?", [request_id])
    found = cursor.fetchone()
    if found is None:
        return None
    return dict(zip([c[0] for c in cursor.description], found))


def transition(db: Database, request_id: str, from_statuses: Iterable[str], changes: Mapping[str, Any]) -> bool:
    """The guarded update: apply `changes` only if the request is still in one of `from_statuses`.

    Returns True for the one caller whose update took effect (rowcount 1); everyone else gets False.
    """
    statuses = list(from_statuses)
    assignments = ", ".join(f"{column} = ?" for column in changes)
    marks = ", ".join("?" for _ in statuses)
    cursor = db.execute(
        f"UPDATE requests SET {assignments} WHERE id = ? AND status IN ({marks})",
        [*changes.values(), request_id, *statuses],
    )
    return cursor.rowcount == 1


def update_where(db: Database, request_id: str, condition: str, params: list[Any], changes: Mapping[str, Any]) -> bool:
    """A guarded update on any condition (e.g. `undo_state IS NULL`); True when it took effect."""
    assignments = ", ".join(f"{column} = ?" for column in changes)
    cursor = db.execute(
        f"UPDATE requests SET {assignments} WHERE id = ? AND ({condition})",
        [*changes.values(), request_id, *params],
    )
    return cursor.rowcount == 1


def select(db: Database, where: str, params: list[Any], *, order_by: str = "created_at DESC, rowid DESC", limit: int | None = None) -> list[Row]:
    sql = f"SELECT * FROM requests WHERE {where} ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]
