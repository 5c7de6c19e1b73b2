"""The `freeze_state` table: at most one row, present while the bot is frozen (no Vobiz write is made)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

Row = dict[str, Any]
_COLUMNS = ("frozen_by_id", "frozen_by_name", "reason", "since")


def current(db: Database) -> Row | None:
    """The freeze in force (who, why, since when), or None."""
    cursor = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM freeze_state WHERE id = 1")
    found = cursor.fetchone()
    return dict(zip(_COLUMNS, found)) if found else None


def start(db: Database, frozen_by_id: str, frozen_by_name: str, reason: str, since: str) -> bool:
    """Freeze; False (nothing changes) when already frozen."""
    cursor = db.execute(
        "INSERT INTO freeze_state (id, frozen_by_id, frozen_by_name, reason, since) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        [frozen_by_id, frozen_by_name, reason, since],
    )
    return cursor.rowcount == 1


def end(db: Database) -> bool:
    """Unfreeze; False when it was not frozen."""
    return db.execute("DELETE FROM freeze_state WHERE id = 1").rowcount == 1
