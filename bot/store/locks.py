"""Row-level access to `number_locks` (migration m017 / p006): a locked number may not be released or
unassigned. Call the writers inside `Store.unit()`, together with the audit row that records the change;
the executor reads the lock in the same unit that records its Vobiz call, so a lock taken while a request
waited still stops it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

Row = dict[str, Any]
COLUMNS = ("e164", "reason", "locked_by_id", "locked_by_name", "locked_at")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM number_locks"
IN_CHUNK = 500


def get(db: Database, e164: str) -> Row | None:
    return next(db.query(f"{_SELECT} WHERE e164 = ?", [e164]), None)


def put(db: Database, row: Row) -> bool:
    """Lock the number; False (and nothing changed) when it is already locked."""
    if get(db, row["e164"]) is not None:
        return False
    db.execute(
        f"INSERT INTO number_locks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})",
        [row.get(column) for column in COLUMNS],
    )
    return True


def remove(db: Database, e164: str) -> Row | None:
    """Unlock the number; returns the lock it had, or None."""
    before = get(db, e164)
    if before is not None:
        db.execute("DELETE FROM number_locks WHERE e164 = ?", [e164])
    return before


def for_numbers(db: Database, e164s: Iterable[str]) -> list[Row]:
    wanted = sorted(set(e164s))
    found: list[Row] = []
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        found.extend(db.query(f"{_SELECT} WHERE e164 IN ({', '.join('?' for _ in chunk)})", chunk))
    return found
