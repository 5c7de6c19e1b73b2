"""The drift check: what Vobiz holds against what the audit log says the bot did.

Replaying the audit log gives, for every number the bot knows, what Vobiz should show now: whether the
account has it, its status (active or pending_release) and which account holds it (the master or a
sub-account). Reading the account's numbers at Vobiz gives what it does show. A difference is drift:

- `bought_outside_bot`: Vobiz lists a number the log says the account does not have;
- `released_outside_bot`: the log says the account has it, Vobiz no longer lists it;
- `release_started_outside_bot` / `release_cancelled_outside_bot`: its pending_release began or ended
  without the bot;
- `assignment_changed_outside_bot`: another (sub-)account holds it than the log says;
- `stuck_pending_release`: pending_release for longer than Vobiz's 24 hours (and an hour's slack).

Each difference is one audit row (`event=drift`, `action` = the kind, `outcome` = the status Vobiz shows
or `absent`, `sub_account_id` = the sub-account holding it) written in the same transaction as an outbox
item of kind `drift` (ref = that row) for the history channel. The row also records what was seen, so the
next run compares against it and a difference is reported once, not every run.

The first run records a baseline instead (`event=baseline`, one row per number the log does not know, plus
one summary row): numbers that were the account's before the bot watched are not drift.

Numbers with a request in flight (executing, its outcome being settled, or an undo of its release under way
or being checked) are left to the settler, and a number whose audit trail grows while Vobiz is being read
is checked on the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.services import journal, wording
from bot.services.clock import Clock
from bot.services.journal import SYSTEM
from bot.services.records import OutboxKind, Status
from bot.store import Connection, Store
from bot.store import reconcile as drift_reads
from bot.store.timestamps import from_db

if TYPE_CHECKING:
    from api.client import VobizClient

log = logging.getLogger(__name__)

DRIFT_EVENT = "drift"
BASELINE_EVENT = "baseline"
RECONCILE_ACTION = "reconcile"
OUTBOX_KIND = OutboxKind.DRIFT

ABSENT = "absent"
ACTIVE = "active"
PENDING_RELEASE = "pending_release"

RELEASE_WINDOW = timedelta(hours=24)  # Vobiz keeps a released number pending_release this long
SLACK = timedelta(hours=1)  # clocks and Vobiz's own timers are not exact
STUCK_AFTER = RELEASE_WINDOW + SLACK

STATE_EVENTS = ("executed", "settled", "done", "undone", "undo_unknown", "undo_failed", "settle_deferred", "settle_failed")


class DriftKind(StrEnum):
    BOUGHT_OUTSIDE = "bought_outside_bot"
    RELEASED_OUTSIDE = "released_outside_bot"
    RELEASE_STARTED_OUTSIDE = "release_started_outside_bot"
    RELEASE_CANCELLED_OUTSIDE = "release_cancelled_outside_bot"
    ASSIGNMENT_CHANGED = "assignment_changed_outside_bot"
    STUCK_PENDING_RELEASE = "stuck_pending_release"


@dataclass(frozen=True)
class Seen:
    """One number as Vobiz shows it: `status` is active, pending_release or absent (not listed)."""

    status: str
    owner: str | None = None  # the account holding it (master or sub-account); None when absent
    since: datetime | None = None  # when Vobiz last changed it, if it says


SEEN_ABSENT = Seen(ABSENT)


@dataclass(frozen=True)
class Expectation:
    """What the audit log says Vobiz should show for one number."""

    statuses: frozenset[str]  # acceptable statuses (more than one after an outcome nobody could confirm)
    owners: frozenset[str] | None  # acceptable holders; None: the log never said
    pending_since: datetime | None  # when its pending_release began, as far as the log knows
    because: str  # the log's last word on it, for people


@dataclass(frozen=True)
class Drift:
    e164: str
    kind: DriftKind
    seen: Seen
    detail: str
    audit_id: int | None = None  # set once recorded


@dataclass(frozen=True)
class ReconcileReport:
    checked: int  # numbers compared (listed at Vobiz or expected by the log)
    drifts: list[Drift] = field(default_factory=list)
    baseline: int = 0  # numbers recorded by a first run's baseline
    skipped: list[str] = field(default_factory=list)  # numbers left for the next run (work in flight)
    recorded: bool = True  # False for a dry run

    def summary(self) -> str:
        head = f"Checked {self.checked} numbers at Vobiz against the audit log"
        if self.baseline:
            head += f"; first run: recorded a baseline of {self.baseline} numbers"
        if self.skipped:
            head += f"; {len(self.skipped)} left for the next run (a request is in flight)"
        if not self.drifts:
            return head + "; no drift."
        verb = "found" if self.recorded else "would report"
        return head + f"; {verb} {len(self.drifts)} difference{'' if len(self.drifts) == 1 else 's'}."


class Reconciler:
    """`run()` is what `numbers-bot reconcile` and the app's periodic worker call."""

    def __init__(self, *, vobiz: VobizClient, store: Store, clock: Clock, stuck_after: timedelta = STUCK_AFTER) -> None:
        self._vobiz = vobiz
        self._store = store
        self._clock = clock
        self._stuck_after = stuck_after

    def run(self, *, record: bool = True) -> ReconcileReport:
        """Compare, then (unless `record` is False) write the drift rows and their notifications.

        Raises `api.errors.VobizError` when Vobiz cannot be read; nothing is written then.
        """
        with self._store.read() as db:
            watermark = drift_reads.last_audit_id(db)
            busy = drift_reads.numbers_in_flight(db)
        seen = self._read_vobiz()
        now = self._clock()
        unit = self._store.unit() if record else self._store.read()
        with unit as db:
            changed = drift_reads.numbers_changed_since(db, watermark)
            skipped = sorted((busy | drift_reads.numbers_in_flight(db) | changed) & (set(seen) | drift_reads.numbers_in_log(db)))
            expected = expectations(drift_reads.state_rows(db), master=self._vobiz.auth_id)
            baseline_taken = drift_reads.baseline_taken(db, BASELINE_EVENT)
            drifts, unknown = compare(
                expected, seen, now=now, master=self._vobiz.auth_id, stuck_after=self._stuck_after, skip=set(skipped)
            )
            if not baseline_taken:
                baseline, unknown = unknown, {}
            else:
                baseline = {}
                drifts += [_bought_outside(e164, s, self._vobiz.auth_id) for e164, s in sorted(unknown.items())]
            if record:
                drifts = [replace(d, audit_id=_record_drift(db, now, d, self._vobiz.auth_id)) for d in drifts]
                if not baseline_taken:
                    _record_baseline(db, now, baseline, self._vobiz.auth_id)
        for drift in drifts:
            log.warning("drift on %s: %s", drift.e164, drift.kind.value)
        checked = len(set(seen) | set(expected))
        return ReconcileReport(checked, drifts, len(baseline), skipped, recorded=record)

    def _read_vobiz(self) -> dict[str, Seen]:
        found: dict[str, Seen] = {}
        for number in self._vobiz.numbers.iter_all():
            found[number.e164] = Seen(_status_of(number.status), number.account_id or self._vobiz.auth_id, number.updated_at)
        return found


# ------------------------------------------------------------------------------------ the log's view


def expectations(rows: Iterable[dict[str, Any]], *, master: str) -> dict[str, Expectation]:
    """Replay audit rows (oldest first) into what Vobiz should show for each number they mention."""
    found: dict[str, Expectation] = {}
    for row in rows:
        e164 = row["e164"]
        if not e164:
            continue
        at = from_db(row["at"])
        assert at is not None
        before = found.get(e164)
        after = _apply(before, row, at, master)
        if after is not None:
            found[e164] = after
    return found


def _apply(before: Expectation | None, row: dict[str, Any], at: datetime, master: str) -> Expectation | None:
    event, action, outcome = row["event"], row["action"], row["outcome"]
    when = wording.when(at)
    ref = f" ({row['request_id']})" if row.get("request_id") else ""
    if event in (BASELINE_EVENT, DRIFT_EVENT):
        holder = row["sub_account_id"] or master
        owners = frozenset() if outcome == ABSENT else frozenset({holder})
        what = "baseline" if event == BASELINE_EVENT else "drift reported"
        return Expectation(
            frozenset({outcome}), owners, at if outcome == PENDING_RELEASE else None, f"{what} {when}: Vobiz showed it {outcome}"
        )
    if event not in STATE_EVENTS or outcome not in (Status.SUCCEEDED.value, Status.UNKNOWN.value):
        return None
    sure = outcome == Status.SUCCEEDED.value
    prior = before or Expectation(frozenset(), None, None, "")
    statuses, owners, pending_since = prior.statuses, prior.owners, prior.pending_since
    if action == "purchase":
        statuses, owners, word = _set_or_add(statuses, {ACTIVE}, sure), _owners(owners, master, sure), "bought"
        pending_since = None if sure else pending_since
    elif action == "release":
        statuses, pending_since, word = _set_or_add(statuses, {PENDING_RELEASE}, sure), at, "released (24 h pending_release)"
    elif action == "release_now":
        statuses, word = _set_or_add(statuses, {ABSENT}, sure), "released immediately"
    elif action == "undo_release":
        statuses, word = _set_or_add(statuses, {ACTIVE}, sure), "release undone"
        pending_since = None if sure else pending_since
    elif action == "assign":
        owners, word = _owners(owners, row["sub_account_id"], sure), f"assigned to {row['sub_account_id']}"
    elif action in ("unassign", "force_unassign"):
        owners, word = _owners(owners, master, sure), "moved back to the master account"
    else:
        return None
    if not statuses:  # an assignment of a number the log never saw arrive: it is the account's
        statuses = frozenset({ACTIVE, PENDING_RELEASE})
    maybe = "" if sure else " (maybe: the outcome was not confirmed)"
    return Expectation(statuses, owners, pending_since, f"{word} by the bot{ref} {when}{maybe}")


def _set_or_add(current: frozenset[str], new: set[str], sure: bool) -> frozenset[str]:
    return frozenset(new) if sure else current | new


def _owners(current: frozenset[str] | None, owner: str, sure: bool) -> frozenset[str] | None:
    if sure:
        return frozenset({owner})
    return None if current is None else current | {owner}


# ------------------------------------------------------------------------------------ comparing


def compare(
    expected: dict[str, Expectation],
    seen: dict[str, Seen],
    *,
    now: datetime,
    master: str,
    stuck_after: timedelta = STUCK_AFTER,
    skip: set[str] | frozenset[str] = frozenset(),
) -> tuple[list[Drift], dict[str, Seen]]:
    """The differences, and the numbers Vobiz lists that the log does not know at all."""
    drifts: list[Drift] = []
    unknown: dict[str, Seen] = {}
    for e164 in sorted(set(expected) | set(seen)):
        if e164 in skip:
            continue
        now_seen = seen.get(e164, SEEN_ABSENT)
        expectation = expected.get(e164)
        if expectation is None:
            unknown[e164] = now_seen
            continue
        drift = _difference(e164, expectation, now_seen, now=now, master=master, stuck_after=stuck_after)
        if drift is not None:
            drifts.append(drift)
    return drifts, unknown


def _difference(
    e164: str, expected: Expectation, seen: Seen, *, now: datetime, master: str, stuck_after: timedelta
) -> Drift | None:
    number = wording.number(e164)
    log_says = f"The audit log's last word: {expected.because}."
    statuses = set(expected.statuses)
    if PENDING_RELEASE in statuses and expected.pending_since and now >= expected.pending_since + RELEASE_WINDOW - SLACK:
        statuses.add(ABSENT)  # its 24 hours are (nearly) over: Vobiz takes it away
    if seen.status == PENDING_RELEASE and expected.pending_since and now >= expected.pending_since + stuck_after:
        return Drift(
            e164,
            DriftKind.STUCK_PENDING_RELEASE,
            seen,
            f"{number} has been pending_release since about {wording.when(expected.pending_since)}, longer than "
            f"Vobiz's 24 hours; Vobiz should have taken it away by now. {log_says}",
        )
    if seen.status not in statuses:
        kind, what = _status_drift(statuses, seen)
        holder = _holder(seen.owner, master)
        return Drift(e164, kind, seen, f"{number} {what}{holder}. {log_says}")
    if seen.status != ABSENT and expected.owners is not None and seen.owner not in expected.owners:
        should = " or ".join(sorted(_holder_name(o, master) for o in expected.owners)) or "nobody"
        return Drift(
            e164,
            DriftKind.ASSIGNMENT_CHANGED,
            seen,
            f"{number} is with {_holder_name(seen.owner, master)} at Vobiz, but should be with {should}. {log_says}",
        )
    return None


def _status_drift(expected: set[str], seen: Seen) -> tuple[DriftKind, str]:
    if seen.status == ABSENT:
        return DriftKind.RELEASED_OUTSIDE, "is no longer the account's at Vobiz, but the bot never released it for good"
    if expected == {ABSENT}:
        return DriftKind.BOUGHT_OUTSIDE, "is the account's again at Vobiz, but the bot did not buy it back"
    if seen.status == PENDING_RELEASE:
        return DriftKind.RELEASE_STARTED_OUTSIDE, "is pending_release at Vobiz, but the bot did not release it"
    return DriftKind.RELEASE_CANCELLED_OUTSIDE, "is active at Vobiz, but the bot released it and did not undo that"


def _bought_outside(e164: str, seen: Seen, master: str) -> Drift:
    detail = (
        f"{wording.number(e164)} is the account's at Vobiz ({seen.status}{_holder(seen.owner, master)}), but the "
        "audit log has no purchase of it: it was bought outside the bot."
    )
    return Drift(e164, DriftKind.BOUGHT_OUTSIDE, seen, detail)


def _holder(owner: str | None, master: str) -> str:
    return "" if owner is None else f", with {_holder_name(owner, master)}"


def _holder_name(owner: str | None, master: str) -> str:
    if owner is None:
        return "nobody"
    return "the master account" if owner == master else f"sub-account {owner}"


def _status_of(status: str | None) -> str:
    if status == PENDING_RELEASE:
        return PENDING_RELEASE
    if status == "released":
        return ABSENT
    return ACTIVE  # active, and the transient pending_purchase / blocked: the account holds it


# ------------------------------------------------------------------------------------ recording


def _record_drift(db: Connection, now: datetime, drift: Drift, master: str) -> int:
    event = journal.Event(
        actor=SYSTEM,
        event=DRIFT_EVENT,
        action=drift.kind.value,
        outcome=drift.seen.status,
        e164=drift.e164,
        sub_account_id=_sub_account(drift.seen.owner, master),
        detail=drift.detail,
    )
    return journal.record(db, now, event, notify=OUTBOX_KIND)


def _record_baseline(db: Connection, now: datetime, numbers: dict[str, Seen], master: str) -> None:
    for e164, seen in sorted(numbers.items()):
        detail = (
            f"First reconcile: Vobiz lists {wording.number(e164)} ({seen.status}{_holder(seen.owner, master)}); "
            "the bot compares it from now on."
        )
        event = journal.Event(
            actor=SYSTEM,
            event=BASELINE_EVENT,
            action=RECONCILE_ACTION,
            outcome=seen.status,
            e164=e164,
            sub_account_id=_sub_account(seen.owner, master),
            detail=detail,
        )
        journal.record(db, now, event, notify=None)  # one line for the whole baseline, below
    summary = journal.Event(
        actor=SYSTEM,
        event=BASELINE_EVENT,
        action=RECONCILE_ACTION,
        outcome="observed",
        detail=(
            f"First reconcile: recorded the {len(numbers)} numbers Vobiz lists that the audit log did not know. "
            "From now on a number bought, released or reassigned outside the bot is reported here."
        ),
    )
    journal.record(db, now, summary)


def _sub_account(owner: str | None, master: str) -> str | None:
    return None if owner in (None, master) else owner


__all__ = [
    "DriftKind",
    "Drift",
    "Expectation",
    "ReconcileReport",
    "Reconciler",
    "Seen",
    "compare",
    "expectations",
]
