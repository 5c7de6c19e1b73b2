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


def transition(
    db: Database, request_id: str, from_statuses: Iterable[str], changes: Mapping[str, Any], *, owner: str | None = None
) -> bool:
    """The guarded update: apply `changes` only if the request is still in one of `from_statuses` (and, with
    `owner`, still leased by that owner).

    Returns True for the one caller whose update took effect (rowcount 1); everyone else gets False.
    """
    statuses = list(from_statuses)
    assignments = ", ".join(f"{column} = ?" for column in changes)
    marks = ", ".join("?" for _ in statuses)
    owned = " AND lease_owner = ?" if owner is not None else ""
    cursor = db.execute(
        f"UPDATE requests SET {assignments} WHERE id = ? AND status IN ({marks}){owned}",
        [*changes.values(), request_id, *statuses, *([owner] if owner is not None else [])],
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


# Ownership of an executing request (bot.services.leases): the owner's lease, and the call it recorded.


def renew_leases(db: Database, owner: str, request_ids: Iterable[str], until: str) -> int:
    """Push the lease of every listed request `owner` still holds to `until`; returns how many it holds."""
    ids = list(request_ids)
    marks = ", ".join("?" for _ in ids)
    cursor = db.execute(f"UPDATE requests SET lease_until = ? WHERE lease_owner = ? AND id IN ({marks})", [until, owner, *ids])
    return cursor.rowcount


def record_call(db: Database, request_id: str, owner: str, now: str, until: str) -> bool:
    """The owner's proof, right before the money-moving call, that it still owns the executing request; records
    that the call is being made. False when the request was taken over or decided meanwhile."""
    cursor = db.execute(
        "UPDATE requests SET called_at = ?, lease_until = ? WHERE id = ? AND status = 'executing' AND lease_owner = ?",
        [now, until, request_id, owner],
    )
    return cursor.rowcount == 1


def take_over(db: Database, request_id: str, old_owner: str | None, new_owner: str, now: str, until: str) -> bool:
    """A settler's claim on an executing request whose owner's lease ran out (or that predates leases)."""
    cursor = db.execute(
        "UPDATE requests SET lease_owner = ?, lease_until = ? WHERE id = ? AND status = 'executing' "
        "AND lease_owner IS ? AND (lease_until IS NULL OR lease_until <= ?)",
        [new_owner, until, request_id, old_owner, now],
    )
    return cursor.rowcount == 1


def to_settle(db: Database, now: str, unleased_cutoff: str) -> list[Row]:
    """Requests whose outcome is unknown, and executing ones whose owner is gone: a lease that ran out, or
    (rows from before leases) a decision older than the grace."""
    return select(
        db,
        "status = 'outcome_unknown' OR (status = 'executing' AND ("
        "(lease_owner IS NOT NULL AND lease_until <= ?) OR (lease_owner IS NULL AND decided_at <= ?)))",
        [now, unleased_cutoff],
        order_by="created_at",
    )
