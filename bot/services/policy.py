"""Who may do what. The rules are pure functions of ids and roles; `Policy` only resolves the
configured entries (user ids `U...`/`W...` and user-group ids `S...`) into roles for one user.

- Purchases and releases: an approver or an admin decides.
- Force operations (release now, force unassign): only an admin decides.
- Nobody decides their own request, whatever their role; they may cancel it instead.
- Undoing a release: the requester, an approver or an admin.
- Locking and unlocking a number: only an admin.
- A role that hangs on a user group Slack will not list (and whose last listing is older than
  GROUP_STALE_LIMIT) is not granted: the person is told it could not be confirmed.
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

GROUP_CACHE_TTL = timedelta(minutes=1)  # a membership this fresh is used without asking Slack
# How old the last membership read may be and still stand in when Slack does not answer: a brief outage
# does not stop group approvers, but someone removed from a group is no longer let in after this.
GROUP_STALE_LIMIT = timedelta(minutes=5)


@dataclass(frozen=True)
class Roles:
    is_approver: bool = False
    is_admin: bool = False
    # APPROVERS / ADMINS groups whose members Slack did not tell us just now (the user might be in one)
    unresolved_approver_groups: tuple[str, ...] = ()
    unresolved_admin_groups: tuple[str, ...] = ()

    @property
    def unresolved_groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.unresolved_admin_groups + self.unresolved_approver_groups))


def is_group(entry: str) -> bool:
    return entry.startswith("S")


def decision_refusal(kind: Kind, requester_id: str, actor_id: str, roles: Roles) -> str | None:
    """Why `actor_id` may not approve or deny this request, or None when they may."""
    if actor_id == requester_id:
        return "You asked for this yourself, so someone else has to decide it. You can cancel it instead."
    if kind.is_force:
        if roles.is_admin:
            return None
        if roles.unresolved_admin_groups:
            return unconfirmed("an admin", roles.unresolved_admin_groups)
        return "Only an admin can decide a force operation (an immediate release or a force unassign); you are not in ADMINS."
    if roles.is_approver or roles.is_admin:
        return None
    if roles.unresolved_groups:
        return unconfirmed("an approver", roles.unresolved_groups)
    return "Only approvers (or admins) can decide requests; you are not in APPROVERS."


def lock_change_refusal(roles: Roles) -> str | None:
    """Why the person may not lock or unlock a number (only admins may), or None when they may."""
    if roles.is_admin:
        return None
    if roles.unresolved_admin_groups:
        return unconfirmed("an admin", roles.unresolved_admin_groups)
    return "Only an admin can lock or unlock a number; you are not in ADMINS."


def freeze_refusal(roles: Roles, verb: str) -> str | None:
    """Why someone may not freeze or unfreeze the bot (admins only), or None."""
    if roles.is_admin:
        return None
    if roles.unresolved_admin_groups:
        return unconfirmed("an admin", roles.unresolved_admin_groups)
    return f"Only an admin can {verb} the bot; you are not in ADMINS. Nothing was changed."


def cancel_refusal(requester_id: str, actor_id: str) -> str | None:
    if actor_id != requester_id:
        return "Only the person who asked can cancel a request; an approver can deny it instead."
    return None


def undo_refusal(requester_id: str, actor_id: str, roles: Roles) -> str | None:
    if actor_id == requester_id or roles.is_approver or roles.is_admin:
        return None
    if roles.unresolved_groups:
        return unconfirmed("an approver", roles.unresolved_groups)
    return "Only the requester, an approver or an admin can undo a release."


def unconfirmed(role: str, groups: tuple[str, ...]) -> str:
    """The refusal when the person's role hangs on groups Slack would not list: not a yes, and not a no."""
    return (
        f"I could not confirm you are {role}: Slack did not answer who is in {' or '.join(groups)}. "
        "Nothing was changed; try again in a minute."
    )


class DirectoryUnavailable(Exception):
    """What a Directory may raise when Slack does not answer; `reason` is short and safe to log (an error
    code such as `missing_scope`, or an exception type), never a token or a response body."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GroupLookupFailed(Exception):
    pass


class GroupMembers:
    """Members of Slack user groups, each read at most once a minute. Thread-safe.

    When the directory fails, the last membership read stands in for it only while it is younger than
    GROUP_STALE_LIMIT; past that the group is unresolved and nobody is let in through it.
    """

    def __init__(
        self, directory: Directory, clock: Clock, ttl: timedelta = GROUP_CACHE_TTL, stale_limit: timedelta = GROUP_STALE_LIMIT
    ) -> None:
        self._directory = directory
        self._clock = clock
        self._ttl = ttl
        self._stale_limit = stale_limit
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[frozenset[str], datetime]] = {}  # group -> (members, when read)

    def members_of(self, group_id: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group_id)
        if cached is not None and now - cached[1] < self._ttl:
            return cached[0]
        try:
            members = frozenset(self._directory.members_of(group_id))
        except Exception as exc:  # the port may raise anything; only its type (or safe reason) is logged
            reason = exc.reason if isinstance(exc, DirectoryUnavailable) else type(exc).__name__
            if cached is not None and now - cached[1] < self._stale_limit:
                age = int((now - cached[1]).total_seconds())
                log.warning("could not read members of user group %s (%s); using the list read %d s ago", group_id, reason, age)
                return cached[0]
            log.warning("could not read members of user group %s (%s); nobody is let in through it", group_id, reason)
            raise GroupLookupFailed(group_id) from None
        with self._lock:
            self._cache[group_id] = (members, now)
        return members


class Policy:
    """The configured approvers and admins, resolved for one user at a time."""

    def __init__(self, settings: Settings, directory: Directory, clock: Clock) -> None:
        self._approvers = tuple(settings.approvers)
        self._admins = tuple(settings.admins)
        self.groups = GroupMembers(directory, clock)  # also what the audit's visibility asks, so one cache

    @property
    def approver_entries(self) -> tuple[str, ...]:
        """APPROVERS as configured: user ids and user-group ids."""
        return self._approvers

    @property
    def admin_entries(self) -> tuple[str, ...]:
        """ADMINS as configured: user ids and user-group ids."""
        return self._admins

    def deciders_of(self, kind: Kind) -> tuple[str, ...]:
        """The configured entries whose people may decide a request of `kind` (the requester aside)."""
        if kind.is_force:
            return self._admins
        return tuple(dict.fromkeys(self._approvers + self._admins))

    def people_in(self, entry: str) -> frozenset[str] | None:
        """The user ids an APPROVERS/ADMINS entry stands for; None when it is a group Slack would not list."""
        if not is_group(entry):
            return frozenset({entry})
        try:
            return self.groups.members_of(entry)
        except GroupLookupFailed:
            return None

    def roles_of(self, user_id: str) -> Roles:
        unresolved_admin: list[str] = []
        unresolved_approver: list[str] = []
        is_admin = self._member(user_id, self._admins, unresolved_admin)
        is_approver = self._member(user_id, self._approvers, unresolved_approver)
        return Roles(
            is_approver=is_approver,
            is_admin=is_admin,
            unresolved_approver_groups=tuple(unresolved_approver),
            unresolved_admin_groups=tuple(unresolved_admin),
        )

    def is_approver(self, user_id: str) -> bool:
        """An approver or an admin (admins may decide ordinary requests too)."""
        roles = self.roles_of(user_id)
        return roles.is_approver or roles.is_admin

    def is_admin(self, user_id: str) -> bool:
        return self.roles_of(user_id).is_admin

    def decision_refusal(self, request: ApprovalRequest, actor_id: str) -> str | None:
        return decision_refusal(request.kind, request.requester.user_id, actor_id, self.roles_of(actor_id))

    def deciders(self, kind: Kind) -> tuple[str, ...]:
        """The configured entries (user and user-group ids) who may decide a request of `kind`."""
        if kind.is_force:
            return self._admins
        return tuple(dict.fromkeys(self._approvers + self._admins))

    def may_decide(self, request: ApprovalRequest, actor_id: str) -> bool:
        return self.decision_refusal(request, actor_id) is None

    def undo_refusal(self, request: ApprovalRequest, actor_id: str) -> str | None:
        return undo_refusal(request.requester.user_id, actor_id, self.roles_of(actor_id))

    def lock_change_refusal(self, actor_id: str) -> str | None:
        return lock_change_refusal(self.roles_of(actor_id))

    def _member(self, user_id: str, entries: Iterable[str], unresolved: list[str]) -> bool:
        entries = tuple(entries)
        if user_id in entries:
            return True
        for entry in entries:
            if not is_group(entry):
                continue
            try:
                if user_id in self.groups.members_of(entry):
                    return True
            except GroupLookupFailed:
                unresolved.append(entry)
        return False
