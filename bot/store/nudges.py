"""Row-level access to `request_nudges` (migrations m016 / p005): the reminders and the escalation decided for
each request, one row each, so they survive restarts and happen once across processes.

`nudge` is `reminder-1` .. `reminder-N` or `escalation`; `mentions` the Slack ids mentioned, space-separated.
`record` is the guard: the primary key (request_id, nudge) lets exactly one insert through, whoever tries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.store.timestamps import to_db

Row = dict[str, Any]


def record(db: Database, request_id: str, nudge: str, at: datetime, mentions: Iterable[str]) -> bool:
    """Record `nudge` for the request; True when this call recorded it, False when it already was."""
    cursor = db.execute(
        "INSERT INTO request_nudges (request_id, nudge, at, mentions) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (request_id, nudge) DO NOTHING",
        [request_id, nudge, to_db(at), " ".join(mentions)],
    )
    return cursor.rowcount == 1


def of_request(db: Database, request_id: str) -> list[Row]:
    """The request's nudges, oldest first."""
    return _rows(db, "SELECT * FROM request_nudges WHERE request_id = ? ORDER BY at, nudge", [request_id])


def get(db: Database, request_id: str, nudge: str) -> Row | None:
    rows = _rows(db, "SELECT * FROM request_nudges WHERE request_id = ? AND nudge = ?", [request_id, nudge])
    return rows[0] if rows else None


def of_pending(db: Database) -> list[Row]:
    """The nudges of every request still waiting for a decision."""
    return _rows(
        db,
        "SELECT n.* FROM request_nudges n JOIN requests r ON r.id = n.request_id WHERE r.status = ? ORDER BY n.at",
        ["pending"],
    )


def _rows(db: Database, sql: str, params: list[Any]) -> list[Row]:
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]
