"""Settling calls whose outcome is unknown (timeout, dropped connection, 5xx) by re-reading the account's
numbers, never by repeating the call. Also settles requests left in EXECUTING by an owner that is gone:
one whose lease ran out (bot.services.leases), never one whose owner is still working on it."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from api.errors import VobizError

from bot.services import bulk, journal, vobiz_failures, wording
from bot.services.clock import Clock
from bot.services.journal import SYSTEM
from bot.services.leases import Leases
from bot.services.outcomes import Outcome, finish, load
from bot.services.records import ApprovalRequest, ItemStatus, Kind, RequestItem, Status
from bot.services.rows import db_values, requests_with_items
from bot.store import Store, requests

if TYPE_CHECKING:
    from api.client import VobizClient

log = logging.getLogger(__name__)

# After this long Vobiz must have finished with a call that timed out; also when EXECUTING counts as stuck.
SETTLE_GRACE = timedelta(minutes=1)
RELEASE_COOLDOWN = timedelta(hours=24)
STOPPED = "The bot stopped while carrying this out. "
STOPPED_BEFORE_CALL = "The bot stopped while carrying this out, before it called Vobiz. "


class Settler:
    def __init__(
        self, *, vobiz: VobizClient, store: Store, clock: Clock, leases: Leases, grace: timedelta = SETTLE_GRACE
    ) -> None:
        self._vobiz = vobiz
        self._store = store
        self._clock = clock
        self._leases = leases
        self._grace = grace

    def settle(self, request: ApprovalRequest, *, first_attempt: bool) -> ApprovalRequest:
        """Decide an UNKNOWN (or stuck EXECUTING) request from what Vobiz shows now.

        What Vobiz shows proves a success at once. It proves a failure only once Vobiz must have finished
        with the call: at once when Vobiz itself answered (a 5xx with its error body), otherwise a grace
        period after the call (after a timeout, a dropped connection or a gateway's 502/503/504 Vobiz may
        still be carrying it out). Until then it stays UNKNOWN.
        """
        if request.is_bulk:
            return self._settle_bulk(request, first_attempt=first_attempt)
        try:
            outcome = self._verdict(request)
        except VobizError as exc:
            log.warning("could not settle request %s: %s", request.id, vobiz_failures.code(exc))
            if first_attempt or request.status is Status.EXECUTING:
                self._note_unsettled(request, self._read_failed_detail(request, exc), "settle_failed", vobiz_failures.code(exc))
            return load(self._store, request.id)
        if outcome.status is Status.FAILED and not self._failure_is_final(request):
            if first_attempt:
                recheck = (request.decided_at or self._clock()) + self._grace
                detail = (
                    f"{(request.outcome_detail or '').rstrip()} Re-reading the account's numbers shows it has not "
                    f"happened yet, but Vobiz may still be working on the call; the bot checks again after "
                    f"{wording.when(recheck)}."
                ).strip()
                self._note_unsettled(request, detail, "settle_deferred", None)
            return load(self._store, request.id)
        final = finish(self._store, self._clock(), request, outcome, from_statuses=[request.status], event="settled", actor=SYSTEM)
        return final or load(self._store, request.id)

    def _settle_bulk(self, request: ApprovalRequest, *, first_attempt: bool) -> ApprovalRequest:
        """Settle each number of a bulk purchase whose outcome is not known, from the account's numbers; a
        number never called is not bought (it is never called now: only the approved run calls Vobiz)."""
        try:
            for item in request.items:
                verdict = self._item_verdict(request, item)
                if verdict is not None:
                    status, detail = verdict
                    event = "settled" if status.is_final else "settle_deferred"
                    with self._store.unit() as db:
                        bulk.record_item(db, self._clock(), request, item, status, detail, event=event, actor=SYSTEM)
        except VobizError as exc:
            log.warning("could not settle bulk request %s: %s", request.id, vobiz_failures.code(exc))
            if first_attempt or request.status is Status.EXECUTING:
                self._note_unsettled(request, self._read_failed_detail(request, exc), "settle_failed", vobiz_failures.code(exc))
            return load(self._store, request.id)
        after = load(self._store, request.id)
        outcome = bulk.summary(after)
        if outcome.status is Status.UNKNOWN:
            if after.status is Status.EXECUTING or first_attempt:
                self._note_unsettled(after, outcome.detail, "settle_deferred", None)
            return load(self._store, request.id)
        final = finish(self._store, self._clock(), after, outcome, from_statuses=[after.status], event=bulk.FINISHED_EVENT, actor=SYSTEM)
        return final or load(self._store, request.id)

    def _item_verdict(self, request: ApprovalRequest, item: RequestItem) -> tuple[ItemStatus, str] | None:
        """What to record for one item now, or None (final already, or still unknown and recorded so)."""
        number = wording.number(item.e164)
        if item.status.is_final:
            return None
        if item.status is ItemStatus.PENDING:
            return ItemStatus.FAILED, f"{STOPPED_BEFORE_CALL}{number} was never asked for: not bought. Ask again to buy it."
        owned = self._vobiz.numbers.get(item.e164)
        prefix = "Settled by re-reading the account's numbers: "
        if owned is not None:
            return ItemStatus.BOUGHT, f"{prefix}{number} is now the account's, so its purchase went through."
        if self._clock() >= (item.called_at or request.called_at or self._clock()) + self._grace:
            return ItemStatus.FAILED, f"{prefix}{number} is not the account's, so it was not bought."
        if item.status is ItemStatus.CALLING:
            return ItemStatus.UNKNOWN, (
                f"The purchase of {number} may or may not have gone through; Vobiz may still be working on it. "
                "The bot checks again by re-reading the account's numbers."
            )
        return None

    def _failure_is_final(self, request: ApprovalRequest) -> bool:
        if request.status is Status.UNKNOWN and vobiz_failures.vobiz_answered(request.vobiz_error):
            return True
        if _never_called(request):
            return True
        return self._clock() >= (request.called_at or request.decided_at or self._clock()) + self._grace

    def settle_all(self) -> list[ApprovalRequest]:
        """Every UNKNOWN request, and every EXECUTING one whose owner is gone (its lease ran out; for rows
        from before leases, decided longer than the grace ago); returns those now settled."""
        now = self._clock()
        with self._store.read() as db:
            found = requests_with_items(db, requests.to_settle(db, now, now - self._grace))
        settled = []
        for request in found:
            if request.status is Status.EXECUTING and not self._take_over(request):
                continue
            after = self.settle(request, first_attempt=False)
            if after.status.is_terminal:
                settled.append(after)
        return settled

    def _take_over(self, request: ApprovalRequest) -> bool:
        """Claim an executing request whose owner is gone; False when its owner is alive after all."""
        if self._leases.is_live_here(request.id, request.lease_owner):
            return False
        with self._store.unit() as db:
            taken = requests.take_over(
                db, request.id, request.lease_owner, request.called_at, self._leases.owner, self._clock(), self._leases.until()
            )
        if taken:
            log.warning("request %s: its owner %s is gone; settling it", request.id, request.lease_owner or "(before leases)")
        return taken

    def _verdict(self, request: ApprovalRequest) -> Outcome:
        owned = self._vobiz.numbers.get(request.e164)
        number = wording.number(request.e164)
        stopped = STOPPED_BEFORE_CALL if _never_called(request) else STOPPED
        prefix = (stopped if request.status is Status.EXECUTING else "") + "Settled by re-reading the account's numbers: "
        if request.kind is Kind.PURCHASE:
            if owned is not None:
                return Outcome(Status.SUCCEEDED, f"{prefix}{number} is now the account's, so the purchase went through.")
            return Outcome(Status.FAILED, f"{prefix}{number} is not the account's, so nothing was bought.")
        if request.kind in (Kind.RELEASE, Kind.RELEASE_NOW):
            if owned is None or owned.status in ("pending_release", "released"):
                state = "no longer listed" if owned is None else owned.status
                changes: dict[str, object] = {"release_currency": owned.currency if owned else None}
                undo = ""
                if request.kind is Kind.RELEASE and owned is not None and owned.status == "pending_release":
                    # The call was made after the decision, so its 24 h window ends no earlier than this.
                    ends = (request.decided_at or self._clock()) + RELEASE_COOLDOWN
                    changes["cooldown_ends_at"] = ends
                    undo = f" It can be undone until about {wording.when(ends)}."
                return Outcome(
                    Status.SUCCEEDED,
                    f"{prefix}{number} is {state}, so the release went through (the release fee is not known).{undo}",
                    changes=changes,
                )
            return Outcome(Status.FAILED, f"{prefix}{number} is still {owned.status or 'active'}, so it was not released.")
        if request.kind is Kind.FORCE_UNASSIGN:
            if owned is None:
                return Outcome(Status.FAILED, f"{prefix}{number} is no longer among the account's numbers at all.")
            if owned.owner in (None, self._vobiz.auth_id):
                return Outcome(Status.SUCCEEDED, f"{prefix}{number} is back with the master account, so the force unassign went through.")
            return Outcome(Status.FAILED, f"{prefix}{number} is still with {owned.owner}, so it was not unassigned.")
        raise AssertionError(f"unknown kind {request.kind}")

    def _read_failed_detail(self, request: ApprovalRequest, exc: VobizError) -> str:
        if _never_called(request) and request.status is Status.EXECUTING:
            return (
                f"{STOPPED_BEFORE_CALL}Nothing was changed at Vobiz, but re-reading the account's numbers failed "
                f"({vobiz_failures.reason(exc)}), so the bot checks again by itself."
            )
        base = STOPPED if request.status is Status.EXECUTING else (request.outcome_detail or "")
        return (
            f"{base.rstrip()} Re-reading the account's numbers failed too ({vobiz_failures.reason(exc)}), so the "
            "outcome is still unknown. The bot re-checks by itself; do not repeat this by hand until it is settled."
        ).strip()

    def _note_unsettled(self, request: ApprovalRequest, detail: str, event: str, vobiz_error: str | None) -> None:
        """Not settled yet: stay (or become) OUTCOME_UNKNOWN and say why."""
        now = self._clock()
        changes = {"status": Status.UNKNOWN, "outcome_detail": detail, "updated_at": now}
        if vobiz_error is not None and request.vobiz_error is None:
            changes["vobiz_error"] = vobiz_error
        with self._store.unit() as db:
            if not requests.transition(db, request.id, [request.status.value], db_values(changes)):
                return
            journal.record(
                db,
                now,
                journal.about(request, SYSTEM, event, Status.UNKNOWN.value, detail=detail, vobiz_error=vobiz_error),
            )
            journal.announce(db, now, request.id, tell_requester=True)


def _never_called(request: ApprovalRequest) -> bool:
    """An owned request whose owner never recorded the call: the call was not made (it is recorded first)."""
    return request.lease_owner is not None and request.called_at is None
