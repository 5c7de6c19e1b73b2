"""The `request_approvals` table: who approved which request (quorum). One row per (request, approver), so a
person counts once however often they click; every statement here works on both engines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.store.timestamps import to_db

Row = dict[str, Any]


def add(db: Database, request_id: str, approver_id: str, approver_name: str, now: datetime) -> bool:
    """Record one approval; False when this person had already approved the request (nothing changes)."""
    cursor = db.execute(
        "INSERT INTO request_approvals (request_id, approver_id, approver_name, at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (request_id, approver_id) DO NOTHING",
        [request_id, approver_id, approver_name, to_db(now)],
    )
    return cursor.rowcount == 1


def of(db: Database, request_id: str) -> list[Row]:
    """The request's approvals, in the order they were given."""
    cursor = db.execute(
        "SELECT approver_id, approver_name, at FROM request_approvals WHERE request_id = ? ORDER BY at, approver_id",
        [request_id],
    )
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def count(db: Database, request_id: str) -> int:
    return int(db.execute("SELECT count(*) FROM request_approvals WHERE request_id = ?", [request_id]).fetchone()[0])


def pending_approved_by(db: Database, approver_id: str) -> set[str]:
    """Ids of the still-pending requests `approver_id` has approved (they wait for someone else now)."""
    cursor = db.execute(
        "SELECT a.request_id FROM request_approvals a JOIN requests r ON r.id = a.request_id "
        "WHERE a.approver_id = ? AND r.status = ?",
        [approver_id, "pending"],
    )
    return {row[0] for row in cursor.fetchall()}
