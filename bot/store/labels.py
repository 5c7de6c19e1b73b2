"""Row-level access to `number_labels` (which team a number belongs to, and why) and `requested_labels` (the
team a purchase request asked for, applied when the purchase succeeds); migration m017 / p006.

Call the writers inside `Store.unit()`, together with the audit row that records the change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from bot.store import per_number

Row = dict[str, Any]
COLUMNS = ("e164", "team", "purpose", "labelled_by_id", "labelled_by_name", "labelled_at", "request_id")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM number_labels"


def get(db: Database, e164: str) -> Row | None:
    return per_number.one(db, _SELECT, e164)


def put(db: Database, row: Row) -> Row | None:
    """Set the number's label (replacing any); returns the label it replaced, or None."""
    before = get(db, row["e164"])
    values = [row.get(column) for column in COLUMNS]
    db.execute(
        f"INSERT INTO number_labels ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
        "ON CONFLICT (e164) DO UPDATE SET team = excluded.team, purpose = excluded.purpose, "
        "labelled_by_id = excluded.labelled_by_id, labelled_by_name = excluded.labelled_by_name, "
        "labelled_at = excluded.labelled_at, request_id = excluded.request_id",
        values,
    )
    return before


def remove(db: Database, e164: str) -> Row | None:
    """Take the number's label off; returns it, or None when it had none."""
    return per_number.delete(db, "number_labels", _SELECT, e164)


def for_numbers(db: Database, e164s: Iterable[str]) -> list[Row]:
    return per_number.many(db, _SELECT, e164s)


def with_team(db: Database, team: str) -> list[Row]:
    return list(db.query(f"{_SELECT} WHERE team = ? ORDER BY e164", [team]))


def every(db: Database) -> list[Row]:
    return list(db.query(f"{_SELECT} ORDER BY e164"))


def request(db: Database, request_id: str, team: str, purpose: str | None) -> None:
    """Remember the team a purchase request asks its number to be labelled with (in the request's own unit)."""
    db.execute("INSERT INTO requested_labels (request_id, team, purpose) VALUES (?, ?, ?)", [request_id, team, purpose])


def requested(db: Database, request_id: str) -> Row | None:
    return next(db.query("SELECT request_id, team, purpose FROM requested_labels WHERE request_id = ?", [request_id]), None)
