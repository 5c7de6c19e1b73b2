"""Who may do what. The rules are pure functions of ids and roles; `Policy` only resolves the
configured entries (user ids `U...`/`W...` and user-group ids `S...`) into roles for one user.

- Purchases and releases: an approver or an admin decides.
- Force operations (release now, force unassign): only an admin decides.
- Nobody decides their own request, whatever their role; they may cancel it instead.
- Undoing a release: the requester, an approver or an admin.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.services.clock import Clock
from bot.services.ports import Directory
from bot.services.records import ApprovalRequest, Kind

log = logging.getLogger(__name__)

GROUP_CACHE_TTL = timedelta(minutes=1)


@dataclass(frozen=True)
class Roles:
    is_approver: bool = False
    is_admin: bool = False
    # groups whose membership could not be read just now (the user might be in one of them)
    unresolved_groups: tuple[str, ...] = ()


def is_group(entry: str) -> bool:
    return entry.startswith("S")


def decision_refusal(kind: Kind, requester_id: str, actor_id: str, roles: Roles) -> str | None:
    """Why `actor_id` may not approve or deny this request, or None when they may."""
    if actor_id == requester_id:
        return "You asked for this yourself, so someone else has to decide it. You can cancel it instead."
    if kind.is_force:
        if not roles.is_admin:
            return (
                "Only an admin can decide a force operation (an immediate release or a force unassign); "
                "you are not in ADMINS." + _unresolved_note(roles)
            )
        return None
    if not (roles.is_approver or roles.is_admin):
        return "Only approvers (or admins) can decide requests; you are not in APPROVERS." + _unresolved_note(roles)
    return None


def cancel_refusal(requester_id: str, actor_id: str) -> str | None:
    if actor_id != requester_id:
        return "Only the person who asked can cancel a request; an approver can deny it instead."
    return None


def undo_refusal(requester_id: str, actor_id: str, roles: Roles) -> str | None:
    if actor_id == requester_id or roles.is_approver or roles.is_admin:
        return None
    return "Only the requester, an approver or an admin can undo a release." + _unresolved_note(roles)


def _unresolved_note(roles: Roles) -> str:
    if not roles.unresolved_groups:
        return ""
    return f" (I could not read the members of {', '.join(roles.unresolved_groups)} just now; try again in a minute.)"


class GroupLookupFailed(Exception):
    pass


class GroupMembers:
    """Members of Slack user groups, each cached for a minute. Thread-safe.

    When the directory fails, a stale cached answer is used if there is one; otherwise the group counts as
    unresolved (nobody is let in through it).
    """

    def __init__(self, directory: Directory, clock: Clock, ttl: timedelta = GROUP_CACHE_TTL) -> None:
        self._directory = directory
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[frozenset[str], datetime]] = {}

    def members_of(self, group_id: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group_id)
        if cached is not None and now < cached[1]:
            return cached[0]
        try:
            members = frozenset(self._directory.members_of(group_id))
        except Exception as exc:  # the port may raise anything; its message might not be safe to show
            log.warning("could not read members of user group %s: %s", group_id, type(exc).__name__)
            if cached is not None:
                return cached[0]
            raise GroupLookupFailed(group_id) from None
        with self._lock:
            self._cache[group_id] = (members, now + self._ttl)
        return members


class Policy:
    """The configured approvers and admins, resolved for one user at a time."""

    def __init__(self, settings: Settings, directory: Directory, clock: Clock) -> None:
        self._approvers = tuple(settings.approvers)
        self._admins = tuple(settings.admins)
        self._groups = GroupMembers(directory, clock)

    def roles_of(self, user_id: str) -> Roles:
        unresolved: list[str] = []
        is_admin = self._member(user_id, self._admins, unresolved)
        is_approver = self._member(user_id, self._approvers, unresolved)
        return Roles(is_approver=is_approver, is_admin=is_admin, unresolved_groups=tuple(dict.fromkeys(unresolved)))

    def is_approver(self, user_id: str) -> bool:
        """An approver or an admin (admins may decide ordinary requests too)."""
        roles = self.roles_of(user_id)
        return roles.is_approver or roles.is_admin

    def is_admin(self, user_id: str) -> bool:
        return self.roles_of(user_id).is_admin

    def decision_refusal(self, request: ApprovalRequest, actor_id: str) -> str | None:
        return decision_refusal(request.kind, request.requester.user_id, actor_id, self.roles_of(actor_id))

    def may_decide(self, request: ApprovalRequest, actor_id: str) -> bool:
        return self.decision_refusal(request, actor_id) is None

    def undo_refusal(self, request: ApprovalRequest, actor_id: str) -> str | None:
        return undo_refusal(request.requester.user_id, actor_id, self.roles_of(actor_id))

    def _member(self, user_id: str, entries: Iterable[str], unresolved: list[str]) -> bool:
        entries = tuple(entries)
        if user_id in entries:
            return True
        for entry in entries:
            if not is_group(entry):
                continue
            try:
                if user_id in self._groups.members_of(entry):
                    return True
            except GroupLookupFailed:
                unresolved.append(entry)
        return False
