"""Numbers on hold, as the bot's records show them: in Vobiz's 15-day cool-off (an unassign met it) or in a
24-hour pending release (approved, undoable until its cooldown ends). What the App Home lists with end times.

Read only: pending releases come from the `requests` table, cool-offs from the audit log's `cool_off` rows
(the newest per number, unless a later row shows the number was since taken back or released).

Each person sees what `/numbers history` would show them (`AuditQueries.may_see_all`): auditors, approvers
and admins every hold; anyone else only the pending releases they asked for and the cool-offs whose row
they may read (their own unassign attempts), never another person's number or request id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.services.audit_filters import AuditFilter
from bot.services.audit_query import AuditQueries, Viewer, user_id_of
from bot.services.clock import Clock
from bot.services.errors import InvalidInput
from bot.services.rows import audit_from_row
from bot.store import Store, audit, requests
from bot.store.timestamps import from_db

HoldKind = Literal["cool_off", "pending_release"]

# Vobiz's cool-off ends at most 15 days after the number's last call, and the bot meets it (and writes its
# `cool_off` row) after that call: rows older than this cannot describe a cool-off still running. Only
# bounds the scan; each row's own `cool_off_until` decides.
COOL_OFF_LONGEST = timedelta(days=15)
SCAN_MARGIN = timedelta(days=1)
# After these the number is no longer in its sub-account's cool-off (taken back, or on its way out).
ENDS_A_COOL_OFF = ("unassign", "force_unassign", "release", "release_now")
MAX_LIMIT = 200


@dataclass(frozen=True)
class Hold:
    """One number that cannot simply be used or changed until `until`."""

    e164: str
    kind: HoldKind
    until: datetime  # aware, UTC
    sub_account_id: str | None = None  # cool-off: the sub-account it stays with
    request_id: str | None = None  # pending release: the approved request (undo is possible until `until`)


class Holds:
    def __init__(self, *, store: Store, clock: Clock, queries: AuditQueries) -> None:
        self._store = store
        self._clock = clock
        self._queries = queries

    def current(self, *, viewer: Viewer, limit: int = 50) -> list[Hold]:
        """Holds still running now that `viewer` may see, soonest end first (None: every hold, for an
        operator rather than a Slack user)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"Ask for between 1 and {MAX_LIMIT} holds; got {limit!r}.")
        now = self._clock()
        restricted_to = None if viewer is None or self._queries.may_see_all(viewer) else user_id_of(viewer)
        holds = self._pending_releases(now, restricted_to) + self._cool_offs(now, restricted_to)
        holds.sort(key=lambda h: (h.until, h.e164))
        return holds[:limit]

    def _pending_releases(self, now: datetime, restricted_to: str | None) -> list[Hold]:
        with self._store.read() as db:
            # restricted: only their own requests, not ones they merely clicked on
            rows = requests.releases_in_cooldown(db, now, requester_id=restricted_to)
        found = []
        for row in rows:
            until = from_db(row["cooldown_ends_at"])
            assert until is not None  # the store compared it
            found.append(Hold(e164=row["e164"], kind="pending_release", until=until, request_id=row["id"]))
        return found

    def _cool_offs(self, now: datetime, restricted_to: str | None) -> list[Hold]:
        """Every number's running cool-off, then (for a restricted viewer) only those whose deciding row is
        one they may read: a number's hold is its newest row, whoever wrote it."""
        window = AuditFilter(outcome="cool_off", since=now - COOL_OFF_LONGEST - SCAN_MARGIN)
        newest: dict[str, tuple[int, Hold | None]] = {}  # None: that number's latest cool-off is over
        with self._store.read() as db:
            for row in audit.iter_matching(db, self._queries.criteria(window, viewer=None), newest_first=True):
                entry = audit_from_row(row)
                if entry.e164 is None or entry.e164 in newest:
                    continue  # newest first: a number's first row is its latest cool-off
                if entry.cool_off_until is None or entry.cool_off_until <= now:
                    newest[entry.e164] = (entry.id, None)
                    continue
                hold = Hold(e164=entry.e164, kind="cool_off", until=entry.cool_off_until, sub_account_id=entry.sub_account_id)
                newest[entry.e164] = (entry.id, hold)
            running: list[tuple[int, Hold]] = []
            for e164, (audit_id, hold) in newest.items():
                if hold is None:
                    continue
                ended = audit.page(
                    db, audit.Criteria(e164=e164, actions=ENDS_A_COOL_OFF, outcome="succeeded"), before_id=None, limit=1
                )
                if ended and int(ended[0]["id"]) > audit_id:
                    continue
                running.append((audit_id, hold))
            if restricted_to is None:
                return [hold for _, hold in running]
            readable = self._queries.criteria(window, viewer=restricted_to)
            visible = {int(row["id"]) for row in audit.iter_matching(db, readable)} if running else set()
        return [hold for audit_id, hold in running if audit_id in visible]


