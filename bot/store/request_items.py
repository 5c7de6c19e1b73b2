"""The `request_items` table: the numbers of a bulk purchase, one row each, in the order they were quoted.

An item moves pending -> calling (its one purchase call is about to be made: `called_at` recorded first, in
its own unit, by the process that owns the request's lease) -> bought, skipped or failed; or -> unknown when
Vobiz's answer was lost, until a re-read settles it. Every change is guarded by the status it leaves, so two
processes can never both start the call for one item, and an item that reached `calling` is never called
again: it can only be settled by reading Vobiz.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.store.requests import OPEN_STATUSES
from bot.store.timestamps import to_db

Row = dict[str, Any]

PENDING, CALLING, BOUGHT, SKIPPED, FAILED, UNKNOWN = "pending", "calling", "bought", "skipped", "failed", "unknown"
FINAL = (BOUGHT, SKIPPED, FAILED)
_COLUMNS = ("e164", "setup_fee", "monthly_fee", "currency", "commitment_months", "aadhaar_required")


def insert(db: Database, request_id: str, position: int, values: Mapping[str, Any]) -> None:
    """Add item `position` of `request_id` (pending); `values` holds the number and its quote's columns."""
    row = {"request_id": request_id, "position": position, **{c: values.get(c) for c in _COLUMNS}, "status": PENDING}
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO request_items ({', '.join(row)}) VALUES ({marks})", list(row.values()))


def of_request(db: Database, request_id: str) -> list[Row]:
    return _select(db, "request_id = ?", [request_id])


def of_requests(db: Database, request_ids: Iterable[str]) -> dict[str, list[Row]]:
    """The items of each of `request_ids` (those with none are left out)."""
    ids = list(dict.fromkeys(request_ids))
    found: dict[str, list[Row]] = {}
    if not ids:
        return found
    for row in _select(db, f"request_id IN ({', '.join('?' for _ in ids)})", ids):
        found.setdefault(row["request_id"], []).append(row)
    return found


def open_for_number(db: Database, e164: str) -> Row | None:
    """An item for `e164` not settled yet (pending, calling or unknown) in a request still open (pending,
    executing or being settled): the items of a denied, expired or cancelled request hold nothing."""
    cursor = db.execute(
        "SELECT i.* FROM request_items i JOIN requests r ON r.id = i.request_id "
        "WHERE i.e164 = ? AND i.status IN (?, ?, ?) AND r.status IN (?, ?, ?) LIMIT 1",
        [e164, PENDING, CALLING, UNKNOWN, *OPEN_STATUSES],
    )
    names = [c[0] for c in cursor.description]
    row = cursor.fetchone()
    return dict(zip(names, row)) if row else None


def start_call(db: Database, request_id: str, position: int, now: datetime) -> bool:
    """pending -> calling with `called_at`: only one caller ever wins, and only once."""
    cursor = db.execute(
        "UPDATE request_items SET status = ?, called_at = ? WHERE request_id = ? AND position = ? AND status = ?",
        [CALLING, to_db(now), request_id, position, PENDING],
    )
    return cursor.rowcount == 1


def finish(db: Database, request_id: str, position: int, status: str, detail: str | None, now: datetime | None) -> bool:
    """An item leaves pending, calling or unknown for `status` (final, or unknown); False when it had
    already left them (settled by someone else). Unknown never becomes unknown again: two settlers that both
    could not tell record it (and its history line) once."""
    leaving = [PENDING, CALLING] if status == UNKNOWN else [PENDING, CALLING, UNKNOWN]
    cursor = db.execute(
        "UPDATE request_items SET status = ?, detail = ?, finished_at = ? "
        f"WHERE request_id = ? AND position = ? AND status IN ({', '.join('?' for _ in leaving)})",
        [status, detail, to_db(now) if now is not None else None, request_id, position, *leaving],
    )
    return cursor.rowcount == 1


def _select(db: Database, where: str, params: list[Any], *, limit: int | None = None) -> list[Row]:
    sql = f"SELECT * FROM request_items WHERE {where} ORDER BY request_id, position"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


__all__ = ["BOUGHT", "CALLING", "FAILED", "FINAL", "PENDING", "SKIPPED", "UNKNOWN", "finish", "insert", "of_request"]
