"""Row-level access to `approvers_away` (migrations m016 / p005): who is away, through which day.

One row per person: `until_date` is the last day away (inclusive, UTC, `YYYY-MM-DD`), `ends_at` the instant it
ends (the next midnight, UTC), `since` when it was said. A period that has ended stays until the person says
`away` again (it is replaced) or `back` (it is removed); readers compare `ends_at` with now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.store.timestamps import to_db

Row = dict[str, Any]


def put(db: Database, user_id: str, user_name: str, until_date: str, ends_at: datetime, since: datetime) -> None:
    """Mark `user_id` away through `until_date`, replacing any period they had."""
    db.execute(
        "INSERT INTO approvers_away (user_id, user_name, until_date, ends_at, since) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET user_name = excluded.user_name, until_date = excluded.until_date, "
        "ends_at = excluded.ends_at, since = excluded.since",
        [user_id, user_name, until_date, to_db(ends_at), to_db(since)],
    )


def remove(db: Database, user_id: str) -> bool:
    """Forget `user_id`'s away period; False when they had none."""
    return db.execute("DELETE FROM approvers_away WHERE user_id = ?", [user_id]).rowcount == 1


def get(db: Database, user_id: str) -> Row | None:
    rows = _rows(db, "SELECT * FROM approvers_away WHERE user_id = ?", [user_id])
    return rows[0] if rows else None


def current(db: Database, now: datetime) -> list[Row]:
    """Everyone away at `now`, soonest back first."""
    return _rows(db, "SELECT * FROM approvers_away WHERE ends_at > ? ORDER BY ends_at, user_id", [to_db(now)])


def ended_between(db: Database, since: datetime, until: datetime) -> list[Row]:
    """The away periods that ended after `since` and by `until`."""
    return _rows(
        db, "SELECT * FROM approvers_away WHERE ends_at > ? AND ends_at <= ? ORDER BY ends_at", [to_db(since), to_db(until)]
    )


def _rows(db: Database, sql: str, params: list[Any]) -> list[Row]:
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]
