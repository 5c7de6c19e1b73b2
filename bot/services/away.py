"""Approvers who are away: `/numbers away until YYYY-MM-DD` and `/numbers back`.

An away period runs through the day it names (inclusive, UTC): it ends at the next midnight UTC. While it
runs, reminders leave the person out, and an approval message that nobody present may decide says who is
away and until when. Saying `away` again replaces the period; `back` ends it at once. Both are audited (a
history line each), and both re-draw the approval messages still waiting, whose away note may change. The
reminder job re-draws them again when a period runs out by itself (`announce_ended`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from bot.services import journal
from bot.services.clock import Clock
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.policy import Policy, unconfirmed
from bot.services.records import Actor
from bot.store import Connection, Store, away, requests
from bot.store.timestamps import from_db

MAX_AWAY_DAYS = 365  # further ahead is a typo (2062 for 2026), not a holiday
AUDIT_ACTION = "away"  # the audit rows' `action`; `event` and `outcome` are `away` or `back`
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class AwayPeriod:
    user_id: str
    name: str
    until: date  # the last day away, inclusive (UTC)
    ends_at: datetime  # the next midnight, UTC: when they count as present again
    since: datetime


def end_of(day: date) -> datetime:
    """When a period through `day` (inclusive, UTC) ends."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)


def parse_day(text: str) -> date:
    """`YYYY-MM-DD` as a calendar day, else InvalidInput saying what was expected."""
    cleaned = text.strip()
    if not _DATE.match(cleaned):
        raise InvalidInput(f"“{cleaned[:30]}” is not a date. Say `/numbers away until YYYY-MM-DD`, e.g. `/numbers away until 2026-12-24`.")
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput(f"{cleaned} is not a day of the calendar. Say `/numbers away until YYYY-MM-DD`.") from None


def period_from_row(row: dict[str, object]) -> AwayPeriod:
    ends_at, since = from_db(str(row["ends_at"])), from_db(str(row["since"]))
    assert ends_at is not None and since is not None
    return AwayPeriod(
        user_id=str(row["user_id"]),
        name=str(row["user_name"] or ""),
        until=date.fromisoformat(str(row["until_date"])),
        ends_at=ends_at,
        since=since,
    )


class AwayList:
    def __init__(self, *, store: Store, policy: Policy, clock: Clock) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock

    def set(self, actor: Actor, until_text: str) -> AwayPeriod:
        """Mark an approver (or admin) away through the day `until_text` names (today or later, UTC)."""
        self._check_approver(actor)
        day = parse_day(until_text)
        now = self._clock()
        today = now.astimezone(timezone.utc).date()
        if day < today:
            raise InvalidInput(
                f"{day.isoformat()} is in the past (today is {today.isoformat()} UTC). Give the last day you are away, "
                "today or later; nothing was changed."
            )
        if day > today + timedelta(days=MAX_AWAY_DAYS):
            raise InvalidInput(
                f"{day.isoformat()} is more than {MAX_AWAY_DAYS} days ahead; give the last day you are away within a "
                "year. Nothing was changed."
            )
        period = AwayPeriod(actor.user_id, actor.name, day, end_of(day), now)
        with self._store.unit() as db:
            away.put(db, actor.user_id, actor.name, day.isoformat(), period.ends_at, now)
            detail = f"away through {day.isoformat()} (UTC): reminders leave them out until then"
            journal.record(db, now, journal.Event(actor, "away", AUDIT_ACTION, "away", detail=detail))
            _redraw_waiting(db, now)
        return period

    def back(self, actor: Actor) -> AwayPeriod | None:
        """End the actor's away period now; the period they had (None when they were not away: nothing changes)."""
        now = self._clock()
        with self._store.unit() as db:
            row = away.get(db, actor.user_id)
            was = period_from_row(row) if row is not None else None
            if was is None or was.ends_at <= now:
                return None
            away.remove(db, actor.user_id)
            detail = f"back before the end of their away period (through {was.until.isoformat()})"
            journal.record(db, now, journal.Event(actor, "back", AUDIT_ACTION, "back", detail=detail))
            _redraw_waiting(db, now)
        return was

    def current(self) -> dict[str, AwayPeriod]:
        """Everyone away now, by user id."""
        with self._store.read() as db:
            rows = away.current(db, self._clock())
        return {str(row["user_id"]): period_from_row(row) for row in rows}

    def of(self, user_id: str) -> AwayPeriod | None:
        """`user_id`'s away period, if it runs now."""
        return self.current().get(user_id)

    def announce_ended(self, db: Connection, since: datetime, until: datetime) -> int:
        """Inside the caller's unit: re-draw the waiting approval messages when an away period ended after
        `since` and by `until` (their away note goes); how many periods ended."""
        ended = away.ended_between(db, since, until)
        if ended:
            _redraw_waiting(db, until)
        return len(ended)

    def _check_approver(self, actor: Actor) -> None:
        roles = self._policy.roles_of(actor.user_id)
        if roles.is_approver or roles.is_admin:
            return
        if roles.unresolved_groups:
            raise NotAllowed(unconfirmed("an approver", roles.unresolved_groups))
        raise NotAllowed("Only approvers (and admins) can say they are away: reminders mention approvers. You are not in APPROVERS.")


def _redraw_waiting(db: Connection, now: datetime) -> None:
    """Queue a re-draw of every posted approval message still waiting for a decision."""
    for row in requests.pending(db):
        if row.get("approval_ts"):
            journal.announce(db, now, str(row["id"]), tell_requester=False)
