"""Undoing a 24 h release: Vobiz's cancel-release while the cool-down lasts, with its refund recorded
(including a refund that failed). A claim on the request (`undo_state`) makes concurrent clicks call
Vobiz once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.errors import APIConnectionError, VobizError
from api.models import CancelReleaseResult

from bot.services import journal, vobiz_failures, wording
from bot.services.clock import Clock
from bot.services.errors import Conflict, NotAllowed, VobizUnavailable
from bot.services.outcomes import load
from bot.services.policy import Policy
from bot.services.records import Actor, ApprovalRequest, Kind, Status
from bot.services.rows import db_values
from bot.store import Store, requests

if TYPE_CHECKING:
    from api.client import VobizClient

ACTION = "undo_release"


class ReleaseUndo:
    def __init__(self, *, vobiz: VobizClient, store: Store, policy: Policy, clock: Clock) -> None:
        self._vobiz = vobiz
        self._store = store
        self._policy = policy
        self._clock = clock

    def undo(self, request: ApprovalRequest, actor: Actor) -> ApprovalRequest:
        number = wording.number(request.e164)
        if request.kind is Kind.RELEASE_NOW:
            raise Conflict(f"{number} was released immediately; an immediate release cannot be undone.")
        if request.kind is not Kind.RELEASE:
            raise Conflict("Only a release can be undone.")
        if request.undone_at is not None:
            raise Conflict(f"{wording.who(request.undone_by)} already undid this release at {wording.when(request.undone_at)}.")
        if request.status is not Status.SUCCEEDED:
            raise Conflict(f"Only a completed release can be undone; this request is {request.status.value}.")
        refusal = self._policy.undo_refusal(request, actor.user_id)
        if refusal:
            self._audit(request, actor, "refused", "refused", detail=f"tried to undo the release: {refusal}")
            raise NotAllowed(refusal)
        if request.cooldown_ends_at is None:
            raise Conflict(f"Vobiz released {number} at once, so the release cannot be undone.")
        if self._clock() >= request.cooldown_ends_at:
            raise Conflict(
                f"The 24-hour window to undo this release ended at {wording.when(request.cooldown_ends_at)}; "
                f"{number} is now in quarantine and the bot can no longer take it back."
            )
        self._claim(request)
        try:
            result = self._vobiz.numbers.cancel_release(request.e164)
        except VobizError as exc:
            return self._after_failure(request, actor, exc)
        return self._done(request, actor, result)

    def _claim(self, request: ApprovalRequest) -> None:
        with self._store.unit() as db:
            won = requests.update_where(
                db, request.id, "undo_state IS NULL AND undone_at IS NULL", [], db_values({"undo_state": "undoing", "updated_at": self._clock()})
            )
        if not won:
            raise Conflict("Someone is undoing this release right now.")

    def _unclaim(self, request: ApprovalRequest) -> None:
        with self._store.unit() as db:
            requests.update_where(db, request.id, "undo_state = 'undoing'", [], db_values({"undo_state": None, "updated_at": self._clock()}))

    def _done(self, request: ApprovalRequest, actor: Actor, result: CancelReleaseResult | None) -> ApprovalRequest:
        number = wording.number(request.e164)
        now = self._clock()
        amount = result.refund_amount if result else None
        currency = (result.currency if result else None) or request.release_currency
        refund_status = (result.refund_status if result else None) or ("success" if amount is not None else None)
        refund_error = result.refund_error if result else None
        if refund_status == "failed":
            refund = (
                f"but Vobiz says the refund of the release fee FAILED ({refund_error or 'no reason given'}); "
                f"ask Vobiz support for the {wording.money(request.release_fee, request.release_currency)} back"
            )
        elif amount is not None:
            refund = f"and {wording.money(amount, currency)} was refunded"
        elif result is None:
            refund = "(Vobiz's answer was lost, so the refund is not known; the number reads as active again)"
        else:
            refund = "but Vobiz did not say what was refunded"
        detail = f"Undid the release of {number}: it is active again {refund}. Its trunk and application are not restored."
        changes = db_values(
            {
                "undo_state": "done",
                "undone_at": now,
                "undone_by_id": actor.user_id,
                "undone_by_name": actor.name,
                "refund_amount": amount,
                "refund_currency": currency,
                "refund_status": refund_status,
                "refund_error": refund_error,
                "updated_at": now,
            }
        )
        with self._store.unit() as db:
            requests.update_where(db, request.id, "undo_state = 'undoing'", [], changes)
            journal.record(
                db,
                now,
                journal.about(
                    request, actor, "undone", "succeeded", action=ACTION, detail=detail,
                    vobiz_error="refund_failed" if refund_status == "failed" else None,
                ),
            )
            journal.announce(db, now, request.id, tell_requester=actor.user_id != request.requester.user_id)
        return load(self._store, request.id)

    def _after_failure(self, request: ApprovalRequest, actor: Actor, exc: VobizError) -> ApprovalRequest:
        number = wording.number(request.e164)
        if isinstance(exc, APIConnectionError) and not exc.request_sent:
            self._unclaim(request)
            raise VobizUnavailable(f"I could not reach Vobiz to undo the release of {number}; nothing changed. Try again shortly.")
        if not vobiz_failures.outcome_unknown(exc):
            self._unclaim(request)
            detail = f"Vobiz refused to undo the release of {number}: {vobiz_failures.reason(exc)}. Nothing changed."
            self._audit(request, actor, "undo_failed", "failed", detail=detail, vobiz_error=vobiz_failures.code(exc))
            raise Conflict(detail)
        # The cancel may have happened: look at the number instead of guessing.
        try:
            owned = self._vobiz.numbers.get(request.e164)
        except VobizError:
            status = "unreadable"
        else:
            status = owned.status if owned is not None else "gone"
        if status == "active":
            return self._done(request, actor, None)
        self._unclaim(request)
        if status == "pending_release":
            detail = f"{vobiz_failures.why_unknown(exc)}; {number} is still pending release, so nothing changed. Try again."
            outcome = "failed"
        else:
            detail = (
                f"{vobiz_failures.why_unknown(exc)} and the number could not be re-read, so the release may or may not "
                "have been undone. Trying again is safe: Vobiz refuses to undo twice."
            )
            outcome = "outcome_unknown"
        self._audit(request, actor, "undo_failed", outcome, detail=detail, vobiz_error=vobiz_failures.code(exc))
        raise VobizUnavailable(detail)

    def _audit(self, request: ApprovalRequest, actor: Actor, event: str, outcome: str, **extra: object) -> None:
        now = self._clock()
        with self._store.unit() as db:
            journal.record(db, now, journal.about(request, actor, event, outcome, action=ACTION, **extra))
