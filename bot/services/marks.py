"""What the bot's own store says about a number beyond Vobiz: its label (team and purpose) and its lock.
Plain frozen records, made from the store's rows here and rendered by the handlers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.services.errors import InvalidInput
from bot.services.records import Actor
from bot.store.timestamps import from_db

TEAM_MAX = 40
PURPOSE_MAX = 200
_TEAM = re.compile(rf"^[a-z0-9][a-z0-9._-]{{0,{TEAM_MAX - 1}}}$")
TEAM_RULE = (
    f"A team name is 1 to {TEAM_MAX} characters: letters, digits, '.', '_' or '-', starting with a letter or "
    "digit (e.g. team:support-blr)."
)


@dataclass(frozen=True)
class Label:
    e164: str
    team: str
    purpose: str | None
    labelled_by: Actor
    labelled_at: datetime
    request_id: str | None = None  # set when the label came with a purchase request


@dataclass(frozen=True)
class Lock:
    e164: str
    reason: str
    locked_by: Actor
    locked_at: datetime


@dataclass(frozen=True)
class Marks:
    """A number's label and lock (either may be absent)."""

    label: Label | None = None
    lock: Lock | None = None


@dataclass(frozen=True)
class LabelChange:
    label: Label
    replaced: Label | None  # the label it had before, if any


def team(raw: object) -> str:
    """A team name as stored (lower case), or InvalidInput saying the rule."""
    text = raw.strip().lower() if isinstance(raw, str) else ""
    if not _TEAM.match(text):
        shown = f"“{raw.strip()[:TEAM_MAX + 5]}” is not one." if isinstance(raw, str) and raw.strip() else "None was given."
        raise InvalidInput(f"{TEAM_RULE} {shown}")
    return text


def purpose(raw: object) -> str | None:
    """An optional purpose: one line of at most PURPOSE_MAX characters, or None."""
    if raw is None:
        return None
    text = " ".join(str(raw).replace("\x00", "").split())
    if not text:
        return None
    if len(text) > PURPOSE_MAX:
        raise InvalidInput(f"Please keep the purpose to {PURPOSE_MAX} characters (it has {len(text)}).")
    return text


def label_from_row(row: dict[str, object]) -> Label:
    at = from_db(str(row["labelled_at"]))
    assert at is not None
    return Label(
        e164=str(row["e164"]),
        team=str(row["team"]),
        purpose=str(row["purpose"]) if row.get("purpose") is not None else None,
        labelled_by=Actor(str(row["labelled_by_id"]), str(row.get("labelled_by_name") or "")),
        labelled_at=at,
        request_id=str(row["request_id"]) if row.get("request_id") else None,
    )


def lock_from_row(row: dict[str, object]) -> Lock:
    at = from_db(str(row["locked_at"]))
    assert at is not None
    return Lock(
        e164=str(row["e164"]),
        reason=str(row["reason"]),
        locked_by=Actor(str(row["locked_by_id"]), str(row.get("locked_by_name") or "")),
        locked_at=at,
    )
