"""Reminders and escalation for requests nobody decides (issue 14), run by the maintenance job `reminders`.

- A pending request gets a reply in its approval message's thread every APPROVAL_REMIND_MINUTES (0: never),
  at most `MAX_REMINDERS` times, mentioning whoever may decide it: the APPROVERS entries for a purchase or
  release, the ADMINS for a force operation (only admins decide those), and after the escalation the admins
  too. Never the requester, nor an approver whose approval already counts (a request needing several);
  nobody who is away; not a user group whose every member is away, the requester or has approved.
- Once it has waited APPROVAL_ESCALATE_MINUTES (0: never), the admins are mentioned in the thread, once.
- One nudge per request per pass; a reminder comes at least one interval after the previous nudge, so a
  request posted late (or a bot that was down) is not reminded three times in a row.
- A request whose approval message was never posted (no `approval_ts`) waits: no thread-less reminder.

Exactly once: deciding "nudge X is due" and queueing its post happen in one write unit, behind the
`request_nudges` row's primary key (`bot.store.nudges.record`). A second process, or a re-run after a crash,
inserts nothing and queues nothing. Each nudge is an audit row (`reminded` / `escalated`), so the history
channel shows it, and its post (outbox kind `approval_nudge`) is delivered once like every other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.services import jobs, journal
from bot.services.away import AwayList, AwayPeriod
from bot.services.clock import Clock
from bot.services.errors import NotFound
from bot.services.journal import SYSTEM
from bot.services.outcomes import load, with_approvals
from bot.services.policy import Policy, is_group
from bot.services.records import ApprovalRequest, Status
from bot.services.rows import requests_with_items
from bot.store import Store, job_leases, nudges, outbox, request_approvals, requests
from bot.store.outbox import OutboxKind
from bot.store.timestamps import from_db

MAX_REMINDERS = 3
ESCALATION = "escalation"
# On a store where the job never ran, away periods that ended this long ago still re-draw the messages.
AWAY_LOOKBACK = timedelta(days=2)


def reminder_name(number: int) -> str:
    return f"reminder-{number}"


@dataclass(frozen=True)
class Nudge:
    """One reminder or escalation as decided: what to post in the request's thread."""

    request: ApprovalRequest
    name: str  # reminder-1 .. reminder-3, or escalation
    at: datetime
    mentions: tuple[str, ...]  # Slack user ids (U...) and user-group ids (S...), in the order to mention them
    away: tuple[AwayPeriod, ...] = ()  # deciders left out because they are away (when nobody is mentioned)

    @property
    def is_escalation(self) -> bool:
        return self.name == ESCALATION

    @property
    def number(self) -> int:
        """Which reminder this is (1-based); 0 for the escalation."""
        return 0 if self.is_escalation else int(self.name.rsplit("-", 1)[1])

    @property
    def waited(self) -> timedelta:
        return self.at - self.request.created_at

    @property
    def ref(self) -> str:
        return nudge_ref(self.request.id, self.name)


def _cannot_add(request: ApprovalRequest) -> set[str]:
    """Who cannot bring the request closer to a decision: its requester and whoever already approved it."""
    return {request.requester.user_id, *(approval.approver.user_id for approval in request.approvals)}


def nudge_ref(request_id: str, name: str) -> str:
    return f"{request_id}:{name}"


def next_nudge(
    created_at: datetime,
    sent: Mapping[str, datetime],
    now: datetime,
    *,
    remind_every: timedelta | None,
    escalate_after: timedelta | None,
    max_reminders: int = MAX_REMINDERS,
) -> str | None:
    """Which nudge is due `now` for a request created at `created_at` that already had `sent` (name -> when);
    None when none is. The escalation comes first when both are due; reminder k+1 is due `k+1` intervals after
    the request was made and at least one interval after the last nudge of either kind."""
    if escalate_after is not None and ESCALATION not in sent and now >= created_at + escalate_after:
        return ESCALATION
    if remind_every is None:
        return None
    done = sum(1 for name in sent if name != ESCALATION)
    if done >= max_reminders:
        return None
    due = created_at + remind_every * (done + 1)
    if sent:
        due = max(due, max(sent.values()) + remind_every)
    return reminder_name(done + 1) if now >= due else None


class Reminders:
    def __init__(self, *, settings: Settings, store: Store, policy: Policy, away: AwayList, clock: Clock) -> None:
        self._store = store
        self._policy = policy
        self._away = away
        self._clock = clock
        remind, escalate = settings.approval_remind_minutes, settings.approval_escalate_minutes
        self.remind_every = timedelta(minutes=remind) if remind else None
        self.escalate_after = timedelta(minutes=escalate) if escalate else None

    # the job ---------------------------------------------------------------------------------------

    def send_due(self) -> list[str]:
        """Decide and queue every nudge due now (one per request at most); returns their refs. Then re-draw the
        waiting approval messages if an away period ended since the last pass."""
        now = self._clock()
        queued: list[str] = []
        if self.remind_every is not None or self.escalate_after is not None:
            with self._store.read() as db:
                waiting = [
                    with_approvals(request, request_approvals.of(db, request.id))
                    for request in requests_with_items(db, requests.pending(db))  # a bulk one names no single number
                ]
                sent: dict[str, dict[str, datetime]] = defaultdict(dict)
                for row in nudges.of_pending(db):
                    at = from_db(row["at"])
                    assert at is not None
                    sent[str(row["request_id"])][str(row["nudge"])] = at
            away = self._away.current() if waiting else {}
            for request in waiting:
                if request.approval_ts is None or now >= request.expires_at:
                    continue  # not posted yet: it waits for its thread; past its expiry: the expiry job's
                name = next_nudge(
                    request.created_at, sent[request.id], now, remind_every=self.remind_every, escalate_after=self.escalate_after
                )
                if name is None:
                    continue
                escalated = name == ESCALATION or ESCALATION in sent[request.id]
                mentions = self.mentions_for(request, name, escalated=escalated, away=away)
                if self._record(request, name, mentions, now):
                    queued.append(nudge_ref(request.id, name))
        with self._store.unit() as db:
            since = job_leases.last_run(db, jobs.REMIND) or now - AWAY_LOOKBACK
            if since < now:
                self._away.announce_ended(db, since, now)
            job_leases.record_run(db, jobs.REMIND, now)
        return queued

    def _record(self, request: ApprovalRequest, name: str, mentions: Sequence[str], now: datetime) -> bool:
        """Record and queue `name` for the request, once: False when it is no longer pending or another
        process (or an earlier run) recorded it first."""
        with self._store.unit() as db:
            row = requests.get(db, request.id)
            if row is None or row["status"] != Status.PENDING.value:
                return False
            if not nudges.record(db, request.id, name, now, mentions):
                return False
            event, detail = self._event(request, name, mentions, now)
            journal.record(db, now, journal.about(request, SYSTEM, event, Status.PENDING.value, detail=detail))
            outbox.enqueue(db, OutboxKind.APPROVAL_NUDGE, nudge_ref(request.id, name), now)
        return True

    def _event(self, request: ApprovalRequest, name: str, mentions: Sequence[str], now: datetime) -> tuple[str, str]:
        who = ", ".join(mentions) if mentions else "nobody (everyone who may decide it is away)"
        waited = int((now - request.created_at).total_seconds() // 60)
        if name == ESCALATION:
            return "escalated", f"pending after {waited} minutes: escalated to the admins, mentioning {who}"
        number = name.rsplit("-", 1)[1]
        return "reminded", f"reminder {number} of {MAX_REMINDERS} after {waited} minutes, mentioning {who}"

    # who -------------------------------------------------------------------------------------------

    def mentions_for(
        self, request: ApprovalRequest, name: str, *, escalated: bool, away: Mapping[str, AwayPeriod]
    ) -> tuple[str, ...]:
        """Whom nudge `name` mentions: see the module's docstring."""
        if name == ESCALATION or request.kind.is_force:
            entries = self._policy.admin_entries
        elif escalated:
            entries = self._policy.approver_entries + self._policy.admin_entries
        else:
            entries = self._policy.approver_entries
        done = _cannot_add(request)  # the requester, and approvers whose approval already counts (quorum)
        chosen: list[str] = []
        for entry in entries:
            if is_group(entry):
                people = self._policy.people_in(entry)
                if people is not None and not (people - done - set(away)):
                    continue  # nobody in it who could act now
            elif entry in done or entry in away:
                continue
            chosen.append(entry)
        return tuple(dict.fromkeys(chosen))

    def away_deciders(self, request: ApprovalRequest) -> tuple[AwayPeriod, ...]:
        """When nobody who may decide this pending request is present (everyone but the requester is away):
        who is away and until when, soonest back first. Empty when someone is present, when it is not pending,
        or when a user group among the deciders could not be listed (then nobody can say)."""
        if request.status is not Status.PENDING:
            return ()
        away = self._away.current()
        if not away:
            return ()
        people: set[str] = set()
        for entry in self._policy.deciders_of(request.kind):
            found = self._policy.people_in(entry)
            if found is None:
                return ()
            people |= found
        people -= _cannot_add(request)
        if not people or not people <= set(away):
            return ()
        return tuple(sorted((away[p] for p in people), key=lambda period: (period.ends_at, period.user_id)))

    # what delivery asks ------------------------------------------------------------------------------

    def nudge(self, ref: str) -> Nudge:
        """The nudge an `approval_nudge` outbox item names, with its request as it is now."""
        request_id, _, name = ref.partition(":")
        with self._store.read() as db:
            row = nudges.get(db, request_id, name)
        if row is None:
            raise NotFound(f"There is no {name or 'nudge'} for request {request_id}.")
        request = load(self._store, request_id)
        at = from_db(row["at"])
        assert at is not None
        mentions = tuple(str(row["mentions"]).split())
        left_out = () if mentions else self.away_deciders(request)
        return Nudge(request=request, name=name, at=at, mentions=mentions, away=left_out)
