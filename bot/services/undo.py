"""Undoing a 24 h release: Vobiz's cancel-release while the cool-down lasts, with its refund recorded
(including a refund that failed).

A claim on the request (`undo_state`) makes concurrent clicks call Vobiz once::

    NULL --click--> undoing --Vobiz answered--> done
                       |  \\--refused, or never sent--> NULL (nothing changed)
                       \\--no answer (timeout, dropped, gateway 5xx)--> unknown
    unknown --re-read shows it active--> done
    unknown --still not active once Vobiz must have finished (the grace period)--> NULL (Undo possible again)
    undoing, claimed longer than the grace ago (the process stopped during the call) --> as unknown

After a call that got no answer the cancel may still happen at Vobiz, so the claim is kept and
`settle_all()` (run periodically with the other unknown outcomes) decides by re-reading the number, never
by calling cancel-release again. A claim is timed (`undo_claimed_at`, with who took it) so that one left
by a process that died between taking it and recording the outcome is settled the same way once the
grace has passed; a younger one belongs to a call that may still be running. Every step is audited
(`undone`, `undo_unknown`, `undo_failed`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from api.errors import APIConnectionError, APIStatusError, VobizError
from api.models import CancelReleaseResult

from bot.services import freeze, journal, vobiz_failures, wording
from bot.services.clock import Clock
from bot.services.errors import Conflict, NotAllowed, OutcomeUnknown, VobizUnavailable
from bot.services.journal import SYSTEM
from bot.services.leases import Leases
from bot.services.outcomes import load, recording_what_vobiz_did
from bot.services.policy import Policy
from bot.services.records import Actor, ApprovalRequest, Kind, Status
from bot.services.rows import actor_columns, db_values, request_from_row
from bot.services.settlement import SETTLE_GRACE
from bot.store import Store, audit, requests
from bot.store.requests import InUndoState, Row, StaleUndoClaim, UndoGuard
from bot.store.timestamps import from_db

if TYPE_CHECKING:
    from api.client import VobizClient

log = logging.getLogger(__name__)

ACTION = "undo_release"
UNKNOWN_EVENT = "undo_unknown"
UNDOING, UNKNOWN, DONE = requests.UNDOING, requests.UNDO_UNKNOWN, requests.UNDONE  # undo_state (the store's words)
UNREADABLE = "unreadable"  # what `_read_status` says when Vobiz could not be read
SETTLED = "Settled by re-reading the account's numbers: "
INTERRUPTED = "The bot stopped during this undo, before it recorded Vobiz's answer. "

# Which claim an outcome may replace: one still in a given undo_state, or a stale `undoing` claim (one whose
# owner is gone; see bot.store.requests.StaleUndoClaim).
Guard = UndoGuard


class ReleaseUndo:
    def __init__(
        self,
        *,
        vobiz: VobizClient,
        store: Store,
        policy: Policy,
        clock: Clock,
        leases: Leases,
        grace: timedelta = SETTLE_GRACE,
    ) -> None:
        self._vobiz = vobiz
        self._store = store
        self._policy = policy
        self._clock = clock
        self._leases = leases
        self._grace = grace

    def undo(self, request: ApprovalRequest, actor: Actor) -> ApprovalRequest:
        number = wording.number(request.e164)
        refusal = self._policy.undo_refusal(request, actor.user_id)
        if refusal:  # before anything about the request's state: who undid it, when, how it ended
            self._audit(request, actor, "refused", "refused", detail=f"tried to undo the release: {refusal}")
            raise NotAllowed(refusal)
        if request.kind is Kind.RELEASE_NOW:
            raise Conflict(f"{number} was released immediately; an immediate release cannot be undone.")
        if request.kind is not Kind.RELEASE:
            raise Conflict("Only a release can be undone.")
        if request.undone_at is not None:
            raise Conflict(f"{wording.who(request.undone_by)} already undid this release at {wording.when(request.undone_at)}.")
        if request.status is not Status.SUCCEEDED:
            raise Conflict(f"Only a completed release can be undone; this request is {request.status.value}.")
        if request.cooldown_ends_at is None:
            raise Conflict(f"Vobiz released {number} at once, so the release cannot be undone.")
        if self._clock() >= request.cooldown_ends_at:
            raise Conflict(
                f"The 24-hour window to undo this release ended at {wording.when(request.cooldown_ends_at)}; "
                f"{number} is now in quarantine and the bot can no longer take it back."
            )
        freeze.check(self._store)
        self._claim(request, actor)
        with self._leases.holding(request.id):
            try:
                result = self._vobiz.numbers.cancel_release(request.e164)
            except VobizError as exc:
                return self._after_failure(request, actor, exc)
            with recording_what_vobiz_did(f"Vobiz cancelled the release of {wording.number(request.e164)}"):
                return self._done(request, actor, result)

    def settle_all(self) -> list[ApprovalRequest]:
        """Decide by re-reading its number every undo whose outcome is unknown, and every one whose claim
        is older than the grace (its process stopped before recording the outcome); returns those now decided."""
        now = self._clock()
        stale = StaleUndoClaim(now, now - self._grace)
        with self._store.read() as db:
            rows = requests.undos_to_settle(db, stale.now, stale.cutoff)
        decided = []
        for row in rows:
            request = request_from_row(row)
            if request.undo_state == UNDOING and self._leases.is_live_here(request.id, request.lease_owner):
                continue  # its clicker is still waiting for Vobiz in this process
            if request.undo_state == UNKNOWN:
                after = self._settle(request)
            else:
                after = self._settle_interrupted(request, row, stale)
            if after is not None:
                decided.append(after)
        return decided

    # the claim -----------------------------------------------------------------------------------

    def _claim(self, request: ApprovalRequest, actor: Actor) -> None:
        now = self._clock()
        claim = {
            "undo_state": UNDOING,
            "undo_claimed_at": now,
            **actor_columns("undo_claimed_by", actor),
            "lease_owner": self._leases.owner,
            "lease_until": self._leases.until(),
            "updated_at": now,
        }
        with self._store.unit() as db:
            freeze.check_thawed(db)  # the guarded point right before the Vobiz write: frozen, nothing is claimed
            won = requests.claim_undo(db, request.id, db_values(claim))
        if won:
            return
        current = load(self._store, request.id)
        if current.undone_at is not None:
            raise Conflict(f"{wording.who(current.undone_by)} already undid this release at {wording.when(current.undone_at)}.")
        if current.undo_state == UNKNOWN:
            raise Conflict(
                f"An undo of this release is already being checked with Vobiz (its answer was lost); "
                f"I will update request {request.id} when I know whether {wording.number(request.e164)} is active again."
            )
        with self._store.read() as db:
            interrupted = requests.has_stale_undo_claim(db, request.id, now, now - self._grace)
        if interrupted:
            raise Conflict(
                f"An earlier undo of this release stopped before its outcome was recorded; I am checking with Vobiz "
                f"whether {wording.number(request.e164)} is active again and will update request {request.id}."
            )
        raise Conflict("Someone is undoing this release right now.")

    def _release_claim(self, request: ApprovalRequest, from_state: str = UNDOING) -> None:
        with self._store.unit() as db:
            requests.change_undo(db, request.id, InUndoState(from_state), db_values({"undo_state": None, "updated_at": self._clock()}))

    # outcomes ------------------------------------------------------------------------------------

    def _done(
        self,
        request: ApprovalRequest,
        undoer: Actor,
        result: CancelReleaseResult | None,
        *,
        claim: Guard = InUndoState(UNDOING),
        audit_actor: Actor | None = None,
        how: str = "",
        unknown_refund: str = "Vobiz's answer was lost, so the refund is not known",
    ) -> ApprovalRequest:
        """Record the release as undone by `undoer` (`result` None: active again, but Vobiz's answer unseen)."""
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
            refund = f"({unknown_refund}; the number reads as active again)"
        else:
            refund = "but Vobiz did not say what was refunded"
        detail = f"{how}Undid the release of {number}: it is active again {refund}. Its trunk and application are not restored."
        changes = db_values(
            {
                "undo_state": DONE,
                "undone_at": now,
                "undone_by_id": undoer.user_id,
                "undone_by_name": undoer.name,
                "refund_amount": amount,
                "refund_currency": currency,
                "refund_status": refund_status,
                "refund_error": refund_error,
                "updated_at": now,
            }
        )
        with self._store.unit() as db:
            if requests.change_undo(db, request.id, claim, changes):
                journal.record(
                    db,
                    now,
                    journal.about(
                        request, audit_actor or undoer, "undone", Status.SUCCEEDED.value, action=ACTION, detail=detail,
                        vobiz_error="refund_failed" if refund_status == "failed" else None,
                    ),
                )
                tell_requester = audit_actor is not None or undoer.user_id != request.requester.user_id
                journal.announce(db, now, request.id, tell_requester=tell_requester)
        return load(self._store, request.id)

    def _after_failure(self, request: ApprovalRequest, actor: Actor, exc: VobizError) -> ApprovalRequest:
        number = wording.number(request.e164)
        if isinstance(exc, APIConnectionError) and not exc.request_sent:
            self._release_claim(request)
            raise VobizUnavailable(f"I could not reach Vobiz to undo the release of {number}; nothing changed. Try again shortly.")
        if not vobiz_failures.outcome_unknown(exc):
            if _not_pending_release(exc) and self._read_status(request) == "active":
                # Cancelled already (an earlier attempt whose answer was lost, or someone outside the bot).
                return self._done(
                    request, actor, None,
                    how=f"Vobiz said {number} is no longer pending release, and it reads active: ",
                    unknown_refund="the release had already been cancelled (by an earlier attempt or outside the bot), so the refund is not known",
                )
            self._release_claim(request)
            detail = f"Vobiz refused to undo the release of {number}: {vobiz_failures.reason(exc)}. Nothing changed."
            self._audit(request, actor, "undo_failed", Status.FAILED.value, detail=detail, vobiz_error=vobiz_failures.code(exc))
            raise Conflict(detail)
        # The cancel may have happened, or may still happen: look at the number instead of guessing.
        status = self._read_status(request)
        if status == "active":
            return self._done(request, actor, None)
        if status != UNREADABLE and vobiz_failures.answered(exc):
            # Vobiz itself answered, so it has finished with the call, and the number is not active.
            self._release_claim(request)
            detail = f"{vobiz_failures.why_unknown(exc)}; {number} {_reads(status)}, so nothing changed. Try again."
            self._audit(request, actor, "undo_failed", Status.FAILED.value, detail=detail, vobiz_error=vobiz_failures.code(exc))
            raise VobizUnavailable(detail)
        detail = self._mark_unknown(request, actor, exc, status)
        raise OutcomeUnknown(f"{detail} I will update request {request.id} when I know.")

    def _mark_unknown(self, request: ApprovalRequest, actor: Actor, exc: VobizError, status: str) -> str:
        """Keep the claim (`unknown`) and audit it: the settler decides once Vobiz must have finished."""
        number = wording.number(request.e164)
        now = self._clock()
        seen = "it could not be re-read" if status == UNREADABLE else f"it still {_reads(status)}"
        detail = (
            f"{vobiz_failures.why_unknown(exc)}, so it is not known yet whether the release of {number} was undone "
            f"({seen}, but Vobiz may still be working on it). The bot re-reads the number and decides by "
            f"{wording.when(now + self._grace)} if Vobiz can be read; do not undo it by hand meanwhile."
        )
        with self._store.unit() as db:
            if requests.change_undo(db, request.id, InUndoState(UNDOING), db_values({"undo_state": UNKNOWN, "updated_at": now})):
                journal.record(
                    db,
                    now,
                    journal.about(
                        request, actor, UNKNOWN_EVENT, Status.UNKNOWN.value, action=ACTION, detail=detail,
                        vobiz_error=vobiz_failures.code(exc),
                    ),
                )
                journal.announce(db, now, request.id, tell_requester=actor.user_id != request.requester.user_id)
        return detail

    # settling ------------------------------------------------------------------------------------

    def _settle(self, request: ApprovalRequest) -> ApprovalRequest | None:
        with self._store.read() as db:
            attempt = audit.latest_event(db, request.id, UNKNOWN_EVENT)
        asked_by = Actor(attempt["actor_id"], attempt["actor_name"] or "") if attempt else SYSTEM
        asked_at = from_db(attempt["at"]) if attempt else None
        status = self._read_status(request)
        if status == UNREADABLE:
            return None  # logged by _read_status; the next pass tries again
        asker = f"the undo {wording.who(asked_by)} asked for at {wording.when(asked_at)}"
        if status == "active":
            return self._done(
                request, asked_by, None, claim=InUndoState(UNKNOWN), audit_actor=SYSTEM,
                how=f"{SETTLED}{wording.number(request.e164)} is active again, so {asker} went through. ",
            )
        answered = vobiz_failures.vobiz_answered(attempt["vobiz_error"] if attempt else None)
        if not answered and asked_at is not None and self._clock() < asked_at + self._grace:
            return None  # Vobiz may still be carrying it out
        return self._undo_failed(request, status, asker)

    def _settle_interrupted(self, request: ApprovalRequest, row: Row, claim: Guard) -> ApprovalRequest | None:
        """An `undoing` claim older than the grace (`claim` matches it while it still is): its process
        stopped between the claim and the outcome, and by now Vobiz has finished with whatever it was sent.
        Decided like `unknown`, by re-reading the number."""
        claimant = Actor(row["undo_claimed_by_id"], row["undo_claimed_by_name"] or "") if row["undo_claimed_by_id"] else None
        claimed_at = from_db(row["undo_claimed_at"] or row["updated_at"])
        status = self._read_status(request)
        if status == UNREADABLE:
            return None  # logged by _read_status; the next pass tries again
        asker = f"the undo {wording.who(claimant)} asked for at {wording.when(claimed_at)}"
        if status == "active":
            return self._done(
                request, claimant or SYSTEM, None, claim=claim, audit_actor=SYSTEM,
                how=f"{INTERRUPTED}{SETTLED}{wording.number(request.e164)} is active again, so {asker} went through. ",
                unknown_refund="the bot stopped before it learned Vobiz's answer, so the refund is not known",
            )
        return self._undo_failed(request, status, asker, claim=claim, how=INTERRUPTED)

    def _undo_failed(
        self, request: ApprovalRequest, status: str, asker: str, *, claim: Guard = InUndoState(UNKNOWN), how: str = ""
    ) -> ApprovalRequest | None:
        """The undo did not happen: record it, and clear the claim so Undo is offered again while it can be."""
        number = wording.number(request.e164)
        now = self._clock()
        if status == "pending_release" and request.cooldown_ends_at is not None and now < request.cooldown_ends_at:
            after = f"nothing changed. It can be undone again until {wording.when(request.cooldown_ends_at)}."
        else:
            after = "the release stands and can no longer be undone."
        detail = f"{how}{SETTLED}{number} {_reads(status)}, so {asker} did not happen; {after}"
        with self._store.unit() as db:
            won = requests.change_undo(db, request.id, claim, db_values({"undo_state": None, "updated_at": now}))
            if won:
                journal.record(db, now, journal.about(request, SYSTEM, "undo_failed", Status.FAILED.value, action=ACTION, detail=detail))
                journal.announce(db, now, request.id, tell_requester=True)
        return load(self._store, request.id) if won else None

    def _read_status(self, request: ApprovalRequest) -> str:
        """The number's status at Vobiz: active, pending_release ..., "gone" (not listed) or UNREADABLE."""
        try:
            owned = self._vobiz.numbers.get(request.e164)
        except VobizError as exc:
            log.warning("could not re-read %s for the undo of %s: %s", request.e164, request.id, vobiz_failures.code(exc))
            return UNREADABLE
        if owned is None:
            return "gone"
        return owned.status or "active"

    def _audit(self, request: ApprovalRequest, actor: Actor, event: str, outcome: str, **extra: object) -> None:
        now = self._clock()
        with self._store.unit() as db:
            journal.record(db, now, journal.about(request, actor, event, outcome, action=ACTION, **extra))


def _not_pending_release(exc: VobizError) -> bool:
    """Vobiz's 400 "number is not pending release": it is not (or no longer) in its 24 h window."""
    if not isinstance(exc, APIStatusError) or exc.status_code != 400:
        return False
    said = f"{exc.error or ''} {exc.message or ''}".lower()
    return "not pending release" in said


def _reads(status: str) -> str:
    if status == "gone":
        return "is no longer among the account's numbers"
    return f"is {status.replace('_', ' ')}"

