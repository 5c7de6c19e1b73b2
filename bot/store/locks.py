"""Row-level access to `number_locks` (migration m017 / p006): a locked number may not be released or
unassigned. Call the writers inside `Store.unit()`, together with the audit row that records the change;
the executor reads the lock in the same unit that records its Vobiz call, so a lock taken while a request
waited still stops it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from bot.store import per_number

Row = dict[str, Any]
COLUMNS = ("e164", "reason", "locked_by_id", "locked_by_name", "locked_at")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM number_locks"


def get(db: Database, e164: str) -> Row | None:
    return per_number.one(db, _SELECT, e164)


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
    return per_number.delete(db, "number_locks", _SELECT, e164)


def for_numbers(db: Database, e164s: Iterable[str]) -> list[Row]:
    return per_number.many(db, _SELECT, e164s)
