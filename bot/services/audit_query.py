"""The auditors' questions: who did what to which number, when, and who approved it.

`AuditFilter` is the question (its grammar, `parse_query` and `filter_text`, is bot.services.audit_filters);
`AuditQueries` answers it a page at a time, newest first, showing each person only what they may see:
auditors, approvers and admins see everything, everyone else only the rows where they acted or whose
request it was.
"""

from __future__ import annotations

from bot.services import validation
from bot.services.audit_filters import ACTIONS, AuditFilter, AuditQuery, parse_query
from bot.services.clock import Clock
from bot.services.errors import InvalidInput
from bot.services.policy import GroupLookupFailed, GroupMembers, Policy, is_group
from bot.services.records import Actor, AuditEntry, AuditPage
from bot.services.rows import audit_from_row
from bot.store import Store, audit
from bot.store.timestamps import to_db

DEFAULT_PAGE = 50
MAX_PAGE = 200


class Visibility:
    """Who may see the whole audit log: auditors (user or user-group ids), approvers and admins."""

    def __init__(self, *, policy: Policy | None, auditors: tuple[str, ...] = (), groups: GroupMembers | None = None) -> None:
        self._policy = policy
        self._auditors = tuple(auditors)
        self._groups = groups

    def may_see_all(self, user_id: str) -> bool:
        if user_id in self._auditors:
            return True
        for entry in self._auditors:
            if is_group(entry) and self._groups is not None:
                try:
                    if user_id in self._groups.members_of(entry):
                        return True
                except GroupLookupFailed:
                    continue  # unknown just now: not let in through this group
        return self._policy is not None and self._policy.is_approver(user_id)


Viewer = Actor | str | None  # None: unrestricted (an operator at the command line, not a Slack user)


class AuditQueries:
    def __init__(self, *, store: Store, visibility: Visibility, clock: Clock) -> None:
        self._store = store
        self._visibility = visibility
        self._clock = clock

    def parse(self, text: str) -> AuditQuery:
        return parse_query(text, now=self._clock())

    def may_see_all(self, actor: Actor | str) -> bool:
        return self._visibility.may_see_all(user_id_of(actor))

    def search(
        self, audit_filter: AuditFilter, *, viewer: Viewer, before_id: int | None = None, limit: int = DEFAULT_PAGE
    ) -> AuditPage:
        """One page, newest first. `viewer` is who asks (they see only what they may); None = everything."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"Ask for between 1 and {MAX_PAGE} entries; got {limit!r}.")
        if before_id is not None and (isinstance(before_id, bool) or not isinstance(before_id, int) or before_id < 1):
            raise InvalidInput(f"A page starts before an audit id (1 or more); got {before_id!r}.")
        with self._store.read() as db:
            rows = audit.page(db, self.criteria(audit_filter, viewer=viewer), before_id=before_id, limit=limit + 1)
        entries = [audit_from_row(r) for r in rows[:limit]]
        return AuditPage(entries, entries[-1].id if len(rows) > limit else None)

    def trail(self, e164_raw: str, *, viewer: Viewer) -> list[AuditEntry]:
        """The whole life of one number, oldest first (as much of it as `viewer` may see)."""
        criteria = self.criteria(AuditFilter(e164=validation.e164(e164_raw)), viewer=viewer)
        with self._store.read() as db:
            return [audit_from_row(r) for r in audit.iter_matching(db, criteria)]

    def criteria(self, audit_filter: AuditFilter, *, viewer: Viewer) -> audit.Criteria:
        """The filter in the store's terms, narrowed to what `viewer` may see."""
        viewer_id = None if viewer is None else user_id_of(viewer)
        return audit.Criteria(
            e164=audit_filter.e164,
            party_id=audit_filter.actor,
            approver_id=audit_filter.approver,
            actions=ACTIONS[audit_filter.action] if audit_filter.action else (),
            outcome=audit_filter.outcome,
            since=to_db(audit_filter.since) if audit_filter.since else None,
            until=to_db(audit_filter.until) if audit_filter.until else None,
            request_id=audit_filter.request_id,
            visible_to=None if viewer_id is None or self._visibility.may_see_all(viewer_id) else viewer_id,
        )


def user_id_of(actor: Actor | str) -> str:
    return actor.user_id if isinstance(actor, Actor) else str(actor)
