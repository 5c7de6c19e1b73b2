"""Row-level access to the `outbox`: notifications written in the same transaction as the change they
announce, and delivered (to Slack) later by whoever drains it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from bot.store.dialect import is_postgres
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
    APPROVALS_NOTICE = "approvals_notice"  # ref = audit id: that row's line in the approvals channel (a freeze)
    APPROVAL_NUDGE = "approval_nudge"  # ref = "<request id>:<nudge>": a reminder or escalation in its thread

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


def claim_due(db: Database, owner: str, now: datetime, until: datetime, limit: int) -> list[Row]:
    """Claim for `owner` until `until` what is due now and no other process holds, at most `limit`, and
    return it in `due()`'s order. Run it in a write unit: SQLite's write transaction and PostgreSQL's write
    lock serialize claims, and on PostgreSQL the rows are also locked (`FOR UPDATE`, `SKIP LOCKED` for the
    kinds whose order does not matter).

    An item is free when unclaimed, claimed by `owner` itself (its claim is renewed) or its claim ran out.
    Two more rules keep one deliverer per message:
    - an item is not taken while another process holds an item of the same kind and ref (two redraws of
      one approval message, or two notices to one requester, never race each other);
    - history items are taken strictly in audit order, only up to the oldest one that is not due or that
      another process holds: one process at a time posts history lines, so the channel reads in order.
    """
    found = _claimable(db, owner, now, limit, lock=True)
    if found:
        marks = ", ".join("?" for _ in found)
        db.execute(
            f"UPDATE outbox SET claimed_by = ?, claim_until = ? WHERE id IN ({marks})",
            [owner, to_db(until), *(row["id"] for row in found)],
        )
    return found


def claimable(db: Database, owner: str, now: datetime, limit: int) -> list[Row]:
    """What `claim_due` would claim now, without claiming it (a cheap read first: most passes find nothing)."""
    return _claimable(db, owner, now, limit, lock=False)


def hold(db: Database, item_id: int, owner: str, until: datetime) -> bool:
    """Right before delivering: True when `owner` still holds the item (then its claim runs to `until` and
    `owner` is recorded as having begun to deliver it); False when it is done or another process took it."""
    cursor = db.execute(
        "UPDATE outbox SET claim_until = ?, attempted_by = ? WHERE id = ? AND claimed_by = ? AND done_at IS NULL",
        [to_db(until), owner, item_id, owner],
    )
    return cursor.rowcount == 1


def claim_holders(db: Database, now: datetime) -> list[str]:
    """The owners holding a claim that has not run out."""
    cursor = db.execute("SELECT DISTINCT claimed_by FROM outbox WHERE claimed_by IS NOT NULL AND claim_until > ?", [to_db(now)])
    return [str(owner) for (owner,) in cursor.fetchall()]


def release_claims(db: Database, owner: str, item_ids: list[int] | None = None) -> int:
    """Give up the claims `owner` holds on `item_ids` (default: all of them), so others need not wait them out."""
    only = "" if item_ids is None else f" AND id IN ({', '.join('?' for _ in item_ids)})"
    cursor = db.execute(
        f"UPDATE outbox SET claimed_by = NULL, claim_until = NULL WHERE claimed_by = ? AND done_at IS NULL{only}",
        [owner, *(item_ids or [])],
    )
    return int(cursor.rowcount)


def mark_done(db: Database, item_id: int, now: datetime) -> bool:
    """Delivered, whoever holds the claim now (it was delivered: a later holder must not post it again)."""
    cursor = db.execute(
        "UPDATE outbox SET done_at = ?, claimed_by = NULL, claim_until = NULL WHERE id = ? AND done_at IS NULL",
        [to_db(now), item_id],
    )
    return cursor.rowcount == 1


def retry_later(
    db: Database, item_id: int, error: str, delay: timedelta, now: datetime, *, owner: str | None = None
) -> bool:
    """Try again after `delay`, releasing the claim. With `owner`: only while the item is unclaimed or
    `owner`'s (a process that lost its claim leaves the item to the one that took it)."""
    mine = "" if owner is None else " AND (claimed_by IS NULL OR claimed_by = ?)"
    cursor = db.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_by = NULL, "
        f"claim_until = NULL WHERE id = ? AND done_at IS NULL{mine}",
        [error[:MAX_ERROR_CHARS], to_db(now + delay), item_id, *([] if owner is None else [owner])],
    )
    return cursor.rowcount == 1


def _claimable(db: Database, owner: str, now: datetime, limit: int, *, lock: bool) -> list[Row]:
    stamp = to_db(now)
    postgres = lock and is_postgres(db)
    first = _rows(
        db,
        "SELECT * FROM outbox o WHERE done_at IS NULL AND next_attempt_at <= ? AND kind != ? "
        "AND (claimed_by IS NULL OR claimed_by = ? OR claim_until <= ?) "
        "AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.done_at IS NULL AND x.kind = o.kind AND x.ref = o.ref "
        "AND x.claimed_by != ? AND x.claim_until > ?) "
        "ORDER BY id LIMIT ?" + (" FOR UPDATE SKIP LOCKED" if postgres else ""),
        [stamp, OutboxKind.HISTORY.value, owner, stamp, owner, stamp, int(limit)],
    )
    room = int(limit) - len(first)
    if room <= 0:
        return first
    # Not SKIP LOCKED: skipping a locked older line would let a later one overtake it.
    history = _rows(
        db,
        "SELECT * FROM outbox WHERE done_at IS NULL AND kind = ? AND next_attempt_at <= ? "
        "AND id < coalesce((SELECT min(id) FROM outbox WHERE done_at IS NULL AND kind = ? "
        "AND (next_attempt_at > ? OR (claimed_by != ? AND claim_until > ?))), ?) "
        "ORDER BY id LIMIT ?" + (" FOR UPDATE" if postgres else ""),
        [OutboxKind.HISTORY.value, stamp, OutboxKind.HISTORY.value, stamp, owner, stamp, NO_ID_LIMIT, room],
    )
    return first + history


def _rows(db: Database, sql: str, params: list[Any]) -> list[Row]:
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]
