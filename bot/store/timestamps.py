"""How instants are written to SQLite: UTC ISO-8601 with microseconds and a fixed `+00:00` suffix.

One fixed width and zone makes the text sort in time order, so SQL can compare instants as strings.
"""

from __future__ import annotations

from datetime import datetime, timezone


def to_db(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware (UTC) datetime")
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def from_db(text: str | None) -> datetime | None:
    if text is None:
        return None
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
