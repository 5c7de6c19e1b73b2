"""Row-level access to the append-only `audit` table (triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlite_utils import Database

Row = dict[str, Any]

COLUMNS = (
    "at",
    "actor_id",
    "actor_name",
    "event",
    "action",
    "outcome",
    "e164",
    "sub_account_id",
    "request_id",
    "reason",
    "quote_setup_fee",
    "quote_monthly_fee",
    "quote_currency",
    "vobiz_error",
    "detail",
    "cool_off_until",
)


def append(db: Database, row: Mapping[str, Any]) -> int:
    """Write one audit row and return its id."""
    unknown = set(row) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not audit columns: {sorted(unknown)}")
    columns = list(row)
    cursor = db.execute(
        f"INSERT INTO audit ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [row[c] for c in columns],
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def latest(db: Database, *, e164: str | None = None, limit: int = 20) -> list[Row]:
    """Newest first."""
    where, params = ("e164 = ?", [e164]) if e164 else ("1 = 1", [])
    return _select(db, where, params, order="id DESC", limit=limit)


def by_id(db: Database, audit_id: int) -> Row | None:
    rows = _select(db, "id = ?", [audit_id], order="id", limit=1)
    return rows[0] if rows else None


def for_request(db: Database, request_id: str) -> list[Row]:
    """Oldest first: the request's story in order."""
    return _select(db, "request_id = ?", [request_id], order="id", limit=None)


def latest_where(db: Database, where: str, params: list[Any]) -> Row | None:
    rows = _select(db, where, params, order="id DESC", limit=1)
    return rows[0] if rows else None


def _select(db: Database, where: str, params: list[Any], *, order: str, limit: int | None) -> list[Row]:
    sql = f"SELECT * FROM audit WHERE {where} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]
