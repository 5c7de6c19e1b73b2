"""What the drift check (`bot.services.reconcile`) reads: the audit log's story of every number, and which
numbers have work in flight. Read only; the drift and baseline rows it writes go through `audit.append`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from bot.store.requests import EXECUTING, OUTCOME_UNKNOWN, UNDO_UNKNOWN, UNDOING

Row = dict[str, Any]

CHUNK_ROWS = 1000
# Requests whose outcome at Vobiz is not settled yet: the settler decides them, not the drift check.
IN_FLIGHT = (EXECUTING, OUTCOME_UNKNOWN)
UNDO_IN_FLIGHT = (UNDOING, UNDO_UNKNOWN)  # requests.undo_state while an undo's outcome is not known


def state_rows(db: Database, *, chunk: int = CHUNK_ROWS) -> Iterator[Row]:
    """Every audit row that names a number, oldest first, with the columns a replay needs (at, event, action,
    outcome, e164, sub_account_id, request_id); streamed a chunk at a time."""
    cursor = db.execute(
        "SELECT at, event, action, outcome, e164, sub_account_id, request_id FROM audit "
        "WHERE e164 IS NOT NULL ORDER BY id"
    )
    names = [c[0] for c in cursor.description]
    while batch := cursor.fetchmany(chunk):
        for values in batch:
            yield dict(zip(names, values))


def numbers_in_log(db: Database) -> set[str]:
    """Every number the audit log names."""
    return {row[0] for row in db.execute("SELECT DISTINCT e164 FROM audit WHERE e164 IS NOT NULL").fetchall()}


def last_audit_id(db: Database) -> int:
    """The id of the newest audit row (0 for an empty log): a watermark for `numbers_changed_since`."""
    return int(db.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0])


def numbers_changed_since(db: Database, audit_id: int) -> set[str]:
    """The numbers named by audit rows newer than `audit_id`."""
    rows = db.execute("SELECT DISTINCT e164 FROM audit WHERE id > ? AND e164 IS NOT NULL", [int(audit_id)]).fetchall()
    return {row[0] for row in rows}


def numbers_in_flight(db: Database) -> set[str]:
    """Numbers with a request being carried out or settled, or an undo of its release under way or being checked."""
    marks = ", ".join("?" for _ in IN_FLIGHT)
    undo_marks = ", ".join("?" for _ in UNDO_IN_FLIGHT)
    rows = db.execute(
        f"SELECT DISTINCT e164 FROM requests WHERE status IN ({marks}) OR undo_state IN ({undo_marks}) "
        # the numbers of a bulk purchase being carried out or settled
        f"UNION SELECT i.e164 FROM request_items i JOIN requests r ON r.id = i.request_id WHERE r.status IN ({marks})",
        [*IN_FLIGHT, *UNDO_IN_FLIGHT, *IN_FLIGHT],
    ).fetchall()
    return {row[0] for row in rows}


def baseline_taken(db: Database, event: str) -> bool:
    """True once a first run recorded its baseline: a row of `event` that names no number (its summary)."""
    found = db.execute("SELECT 1 FROM audit WHERE event = ? AND e164 IS NULL LIMIT 1", [event]).fetchone()
    return found is not None
