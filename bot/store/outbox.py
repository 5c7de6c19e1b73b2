"""Row-level access to the `outbox`: notifications written in the same transaction as the change they
announce, and delivered (to Slack) later by whoever drains it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from bot.store.timestamps import to_db

Row = dict[str, Any]



class OutboxKind(StrEnum):
    """What an outbox item tells Slack, and what its `ref` names. The one list of kinds: services queue
    them, handlers.outbound.delivery draws them, and the table's CHECK allows them (see migrations)."""

    HISTORY = "history"  # ref = audit id: its line in the history channel
    APPROVAL_MESSAGE = "approval_message"  # ref = request id: post or redraw its approval message
    REQUESTER_NOTICE = "requester_notice"  # ref = request id: DM the requester the decision or outcome
    CHECKPOINT = "checkpoint"  # ref = checkpoint id: post the audit chain's head to the history channel
    DRIFT = "drift"  # ref = audit id of an event=drift row: a difference between Vobiz and the log

NO_ID_LIMIT = 2**63 - 1  # larger than any rowid
MAX_ERROR_CHARS = 500


def enqueue(db: Database, kind: OutboxKind | str, ref: str | int, now: datetime) -> int:
    try:
        value = OutboxKind(kind).value
    except ValueError:
        raise ValueError(f"unknown outbox kind {kind!r}") from None
    stamp = to_db(now)
    cursor = db.execute(
        "INSERT INTO outbox (kind, ref, created_at, next_attempt_at) VALUES (?, ?, ?, ?) RETURNING id",
        [value, str(ref), stamp, stamp],
    )
    return int(cursor.fetchone()[0])


def due(db: Database, now: datetime, limit: int) -> list[Row]:
    """Undelivered items whose time has come, at most `limit`.

    Every kind but `history` comes first, oldest first: an approval message's redraw or a DM never waits
    behind a backlog of history lines, which are paced to about one a second. History items follow in
    audit (id) order, and only up to the oldest undelivered one that is not due yet: a line waiting for a
    retry holds back every later line, so the channel reads in audit order.
    """
    stamp = to_db(now)
    first = _rows(
        db,
        "SELECT * FROM outbox WHERE done_at IS NULL AND next_attempt_at <= ? AND kind != ? ORDER BY id LIMIT ?",
        [stamp, OutboxKind.HISTORY.value, int(limit)],
    )
    room = int(limit) - len(first)
    if room <= 0:
        return first
    history = _rows(
        db,
        "SELECT * FROM outbox WHERE done_at IS NULL AND kind = ? AND next_attempt_at <= ? "
        "AND id < coalesce((SELECT min(id) FROM outbox WHERE done_at IS NULL AND kind = ? AND next_attempt_at > ?), ?) "
        "ORDER BY id LIMIT ?",
        [OutboxKind.HISTORY.value, stamp, OutboxKind.HISTORY.value, stamp, NO_ID_LIMIT, room],
    )
    return first + history


def mark_done(db: Database, item_id: int, now: datetime) -> bool:
    cursor = db.execute("UPDATE outbox SET done_at = ? WHERE id = ? AND done_at IS NULL", [to_db(now), item_id])
    return cursor.rowcount == 1


def retry_later(db: Database, item_id: int, error: str, delay: timedelta, now: datetime) -> bool:
    cursor = db.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
        "WHERE id = ? AND done_at IS NULL",
        [error[:MAX_ERROR_CHARS], to_db(now + delay), item_id],
    )
    return cursor.rowcount == 1


def _rows(db: Database, sql: str, params: list[Any]) -> list[Row]:
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]
