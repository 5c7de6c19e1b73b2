"""The `allowance_counts` table: how many purchases each person had auto-approved in a calendar month.

`take` is one guarded update (the count grows only while it stays within the cap), so however many
processes and threads take at once, a person's count never passes the cap."""

from __future__ import annotations

from sqlite_utils import Database


def take(db: Database, requester_id: str, month: str, purchases: int, cap: int) -> int | None:
    """Count `purchases` more for `requester_id` in `month` if that stays within `cap`: the new count, or None
    (nothing counted) when it would not."""
    db.execute(
        "INSERT INTO allowance_counts (requester_id, month, used) VALUES (?, ?, 0) ON CONFLICT (requester_id, month) DO NOTHING",
        [requester_id, month],
    )
    cursor = db.execute(
        "UPDATE allowance_counts SET used = used + ? WHERE requester_id = ? AND month = ? AND used + ? <= ?",
        [purchases, requester_id, month, purchases, cap],
    )
    if cursor.rowcount != 1:
        return None
    return used(db, requester_id, month)


def used(db: Database, requester_id: str, month: str) -> int:
    row = db.execute("SELECT used FROM allowance_counts WHERE requester_id = ? AND month = ?", [requester_id, month]).fetchone()
    return int(row[0]) if row else 0


def give_back(db: Database, requester_id: str, month: str, purchases: int) -> bool:
    """Uncount `purchases` that were approved by the allowance but not made (never below zero)."""
    cursor = db.execute(
        "UPDATE allowance_counts SET used = used - ? WHERE requester_id = ? AND month = ? AND used >= ?",
        [purchases, requester_id, month, purchases],
    )
    return cursor.rowcount == 1
