"""The `requests` table: every statement on it, each a named operation.

Every function takes the unit's connection (`Store.unit()` / `Store.read()`) and plain values, and returns
rows (dicts of column -> stored value) or a plain answer. Instants come in as aware datetimes and are
compared as stored text (`bot.store.timestamps`). `changes` maps column names to stored values
(`bot.services.rows.db_values` makes them); the names are checked to be plain identifiers, and every value
travels as a parameter.

`rowid` orders requests created in the same microsecond by insertion (newest first in `mine` and
`open_for_number`); on PostgreSQL the `seq` identity column does the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.store.dialect import is_postgres
from bot.store.timestamps import to_db

Row = dict[str, Any]

# The stored values these operations name. bot.services.records.Status and Kind spell the same text (a store
# test keeps them in step); the undo states are described here, once.
PENDING = "pending"
EXECUTING = "executing"
SUCCEEDED = "succeeded"
OUTCOME_UNKNOWN = "outcome_unknown"
OPEN_STATUSES = (PENDING, EXECUTING, OUTCOME_UNKNOWN)  # a number may have one open request of each kind
RELEASE = "release"  # the kind whose 24 h window an undo may use
# undo_state: NULL (none), then UNDOING (claimed, Vobiz being asked), UNDO_UNKNOWN (its answer was lost) or
# UNDONE (the release was undone); see bot.services.undo.
UNDOING, UNDO_UNKNOWN, UNDONE = "undoing", "unknown", "done"

_NEWEST_FIRST = "created_at DESC, rowid DESC"
# A claim taken before its time was recorded (by a process older than the column) is timed by updated_at,
# which the claim set.
_UNDO_CLAIMED_AT = "coalesce(undo_claimed_at, updated_at)"


class DuplicateId(Exception):
    """A request id that is already taken (ids are random; the caller draws another)."""


def insert(db: Database, row: Mapping[str, Any]) -> None:
    """Add a request. A taken id inserts nothing and raises `DuplicateId`, so the caller's transaction can go
    on with another id (the same on both engines: no error aborts the transaction)."""
    columns = ", ".join(_identifiers(row))
    marks = ", ".join("?" for _ in row)
    cursor = db.execute(f"INSERT INTO requests ({columns}) VALUES ({marks}) ON CONFLICT (id) DO NOTHING", list(row.values()))
    if cursor.rowcount == 0:
        raise DuplicateId(row["id"])


def get(db: Database, request_id: str) -> Row | None:
    rows = _select(db, "id = ?", [request_id], order_by="id")
    return rows[0] if rows else None


# ------------------------------------------------------------------------------------------- reads


def open_for_number(db: Database, e164: str, kind: str) -> Row | None:
    """The newest request of `kind` for `e164` that is still open (pending, executing or being settled)."""
    rows = _select(
        db,
        f"e164 = ? AND kind = ? AND status IN ({_marks(OPEN_STATUSES)})",
        [e164, kind, *OPEN_STATUSES],
        order_by=_NEWEST_FIRST,
        limit=1,
    )
    return rows[0] if rows else None


def mine(db: Database, requester_id: str, limit: int) -> list[Row]:
    """A person's own requests, newest first, at most `limit`."""
    return _select(db, "requester_id = ?", [requester_id], order_by=_NEWEST_FIRST, limit=limit)


def pending(db: Database) -> list[Row]:
    """Every request waiting for a decision, oldest first (who may decide which is the policy's question)."""
    return _select(db, "status = ?", [PENDING], order_by="created_at")


def due_to_expire(db: Database, now: datetime) -> list[Row]:
    """Pending requests whose time to be decided is over by `now`, soonest expiry first."""
    return _select(db, "status = ? AND expires_at <= ?", [PENDING, to_db(now)], order_by="expires_at")


def releases_in_cooldown(db: Database, now: datetime, *, requester_id: str | None = None) -> list[Row]:
    """Releases carried out and not undone whose 24 h window is still running at `now` (only `requester_id`'s
    own, when given), soonest end first."""
    where = "kind = ? AND status = ? AND undone_at IS NULL AND cooldown_ends_at > ?"
    params: list[Any] = [RELEASE, SUCCEEDED, to_db(now)]
    if requester_id is not None:
        where += " AND requester_id = ?"
        params.append(requester_id)
    return _select(db, where, params, order_by="cooldown_ends_at")


def release_windows_ending(db: Database, since: datetime, until: datetime) -> list[str]:
    """The ids of releases (carried out, not undone, with a posted approval message) whose undo window ended
    after `since` and by `until`, in the order they ended."""
    rows = _select(
        db,
        "kind = ? AND status = ? AND undone_at IS NULL AND approval_ts IS NOT NULL "
        "AND cooldown_ends_at > ? AND cooldown_ends_at <= ?",
        [RELEASE, SUCCEEDED, to_db(since), to_db(until)],
        order_by="cooldown_ends_at",
    )
    return [row["id"] for row in rows]


# ----------------------------------------------------------------------------------------- changes


def record_message(db: Database, request_id: str, channel: str, ts: str, now: datetime) -> bool:
    """Remember where the request's approval message was posted; False when there is no such request."""
    return _update(db, request_id, "1 = 1", [], {"approval_channel": channel, "approval_ts": ts, "updated_at": to_db(now)})


def leave_pending(db: Database, request_id: str, now: datetime, changes: Mapping[str, Any]) -> bool:
    """The guarded decision: apply `changes` only if the request is still pending and not yet expired at
    `now`. True for the one caller whose update took effect; everyone else gets False."""
    return _update(db, request_id, "status = ? AND expires_at > ?", [PENDING, to_db(now)], changes)


def expire(db: Database, request_id: str, now: datetime, changes: Mapping[str, Any]) -> bool:
    """The guarded expiry: apply `changes` only if the request is still pending and its time is over at `now`."""
    return _update(db, request_id, "status = ? AND expires_at <= ?", [PENDING, to_db(now)], changes)


def transition(
    db: Database, request_id: str, from_statuses: Iterable[str], changes: Mapping[str, Any], *, owner: str | None = None
) -> bool:
    """The guarded update: apply `changes` only if the request is still in one of `from_statuses` (and, with
    `owner`, still leased by that owner).

    Returns True for the one caller whose update took effect (rowcount 1); everyone else gets False.
    """
    statuses = list(from_statuses)
    condition = f"status IN ({_marks(statuses)})" + (" AND lease_owner = ?" if owner is not None else "")
    return _update(db, request_id, condition, [*statuses, *([owner] if owner is not None else [])], changes)


# -------------------------------------------------------------------------- undoing a release's claim


@dataclass(frozen=True)
class InUndoState:
    """Guards a change of an undo's claim: the claim is still in `state`."""

    state: str


@dataclass(frozen=True)
class StaleUndoClaim:
    """Guards a change of an undo's claim: it is an UNDOING claim taken no later than `cutoff` (so Vobiz has
    finished with whatever it was sent) whose owner is gone: the lease taken with the claim, renewed while
    the owner waits for Vobiz, ran out by `now` (a claim from before leases has none). A claim taken since
    (a new click) is not it."""

    now: datetime
    cutoff: datetime


UndoGuard = InUndoState | StaleUndoClaim


def claim_undo(db: Database, request_id: str, changes: Mapping[str, Any]) -> bool:
    """Take the claim on undoing a release (`changes` sets it): only when nobody holds one and the release
    was not undone. True for the one caller who took it."""
    return _update(db, request_id, "undo_state IS NULL AND undone_at IS NULL", [], changes)


def change_undo(db: Database, request_id: str, guard: UndoGuard, changes: Mapping[str, Any]) -> bool:
    """Apply `changes` to an undo's claim only while `guard` still holds; True when it took effect."""
    condition, params = _undo_guard(guard)
    return _update(db, request_id, condition, params, changes)


def undos_to_settle(db: Database, now: datetime, cutoff: datetime) -> list[Row]:
    """Requests whose undo's outcome is unknown, and those whose undo claim is stale (`StaleUndoClaim`),
    oldest first."""
    stale, params = _undo_guard(StaleUndoClaim(now, cutoff))
    return _select(db, f"undo_state = ? OR ({stale})", [UNDO_UNKNOWN, *params], order_by="created_at")


def has_stale_undo_claim(db: Database, request_id: str, now: datetime, cutoff: datetime) -> bool:
    stale, params = _undo_guard(StaleUndoClaim(now, cutoff))
    return bool(_select(db, f"id = ? AND {stale}", [request_id, *params], order_by="id"))


def _undo_guard(guard: UndoGuard) -> tuple[str, list[Any]]:
    if isinstance(guard, InUndoState):
        return "undo_state = ?", [guard.state]
    alive = f"coalesce(lease_until >= {_UNDO_CLAIMED_AT} AND lease_until > ?, FALSE)"
    return f"undo_state = ? AND {_UNDO_CLAIMED_AT} <= ? AND NOT {alive}", [UNDOING, to_db(guard.cutoff), to_db(guard.now)]


# Ownership of an executing request (bot.services.leases): the owner's lease, and the call it recorded.


def renew_leases(db: Database, owner: str, request_ids: Iterable[str], until: datetime) -> int:
    """Push the lease of every listed request `owner` still holds to `until`; returns how many it holds."""
    ids = list(request_ids)
    cursor = db.execute(
        f"UPDATE requests SET lease_until = ? WHERE lease_owner = ? AND id IN ({_marks(ids)})", [to_db(until), owner, *ids]
    )
    return cursor.rowcount


def record_call(db: Database, request_id: str, owner: str, now: datetime, until: datetime) -> bool:
    """The owner's proof, right before the money-moving call, that it still owns the executing request; records
    that the call is being made. False when the request was taken over or decided meanwhile."""
    return _update(
        db, request_id, "status = ? AND lease_owner = ?", [EXECUTING, owner], {"called_at": to_db(now), "lease_until": to_db(until)}
    )


def take_over(
    db: Database,
    request_id: str,
    old_owner: str | None,
    called_at: datetime | None,
    new_owner: str,
    now: datetime,
    until: datetime,
) -> bool:
    """A settler's claim on an executing request whose owner's lease ran out (or that predates leases), as
    the settler read it: same owner and the same `called_at`, so an owner that recorded its call since the
    read is never settled from the stale read."""
    owned_by = "lease_owner IS NULL" if old_owner is None else "lease_owner = ?"
    called = "called_at IS NULL" if called_at is None else "called_at = ?"
    return _update(
        db,
        request_id,
        f"status = ? AND {owned_by} AND {called} AND (lease_until IS NULL OR lease_until <= ?)",
        [EXECUTING, *([] if old_owner is None else [old_owner]), *([] if called_at is None else [to_db(called_at)]), to_db(now)],
        {"lease_owner": new_owner, "lease_until": to_db(until)},
    )


def to_settle(db: Database, now: datetime, unleased_cutoff: datetime) -> list[Row]:
    """Requests whose outcome is unknown, and executing ones whose owner is gone: a lease that ran out, or
    (rows from before leases) a decision older than the grace."""
    return _select(
        db,
        "status = ? OR (status = ? AND ("
        "(lease_owner IS NOT NULL AND lease_until <= ?) OR (lease_owner IS NULL AND decided_at <= ?)))",
        [OUTCOME_UNKNOWN, EXECUTING, to_db(now), to_db(unleased_cutoff)],
        order_by="created_at",
    )


# ---------------------------------------------------------------------------------------- helpers


def _update(db: Database, request_id: str, condition: str, params: list[Any], changes: Mapping[str, Any]) -> bool:
    """UPDATE one request by id, only while `condition` (a fixed fragment of this module) holds."""
    assignments = ", ".join(f"{column} = ?" for column in _identifiers(changes))
    cursor = db.execute(
        f"UPDATE requests SET {assignments} WHERE id = ? AND ({condition})",
        [*changes.values(), request_id, *params],
    )
    return cursor.rowcount == 1


def _select(db: Database, where: str, params: list[Any], *, order_by: str, limit: int | None = None) -> list[Row]:
    if is_postgres(db):  # PostgreSQL has no rowid; its `seq` column counts insertions the same way
        order_by = order_by.replace("rowid", "seq")
    sql = f"SELECT * FROM requests WHERE {where} ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _marks(values: Iterable[object]) -> str:
    return ", ".join("?" for _ in values)


def _identifiers(columns: Iterable[str]) -> list[str]:
    names = list(columns)
    bad = [name for name in names if not (name.isidentifier() and name.isascii())]
    if bad:
        raise ValueError(f"not request columns: {bad!r}")
    return names
