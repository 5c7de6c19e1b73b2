"""Direct operations anyone may do without approval (each audited): assign a number to a sub-account,
and unassign it. An unassign during the 15-day cool-off is a result (done=False), not an error."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from api.errors import APIConnectionError, CoolOffInEffect, VobizError
from api.errors import NotFound as VobizNotFound
from api.models import PhoneNumber

from bot.services import freeze, journal, validation, vobiz_failures, wording
from bot.services.clock import Clock
from bot.services.errors import Conflict, NotFound, VobizUnavailable
from bot.services.locks import lock_refusal
from bot.services.outcomes import recording_what_vobiz_did
from bot.services.records import Actor, DirectResult
from bot.services.vobiz_failures import read_failure
from bot.store import Store

if TYPE_CHECKING:
    from api.client import VobizClient


class DirectOps:
    def __init__(self, *, vobiz: VobizClient, store: Store, clock: Clock) -> None:
        self._vobiz = vobiz
        self._store = store
        self._clock = clock

    def assign(self, actor: Actor, e164_raw: str, sub_account_id: str) -> DirectResult:
        e164 = validation.e164(e164_raw)
        sub = validation.sub_account_id(sub_account_id)
        number = wording.number(e164)
        freeze.check(self._store)
        self._require_sub_account(sub)
        owned = self._owned(e164, "assigning")
        if owned.owner == sub:
            raise Conflict(f"{number} is already assigned to {sub}; nothing to do.")
        if owned.owner not in (None, self._vobiz.auth_id):
            raise Conflict(f"{number} is assigned to {owned.owner}; unassign it first, then assign it to {sub}.")
        freeze.check(self._store)  # right before the Vobiz write
        try:
            self._vobiz.numbers.assign_subaccount(e164, sub)
        except VobizError as exc:
            self._write_failure(actor, "assign", e164, sub, exc)
            raise self._failure("assign", number, exc) from None
        with recording_what_vobiz_did(f"Vobiz assigned {number} to {sub}"):
            audit_id = self._audit(actor, "assign", "succeeded", e164, sub, detail=f"Assigned {number} to {sub}.")
        return DirectResult(e164=e164, sub_account_id=sub, done=True, audit_id=audit_id)

    def unassign(self, actor: Actor, e164_raw: str) -> DirectResult:
        e164 = validation.e164(e164_raw)
        number = wording.number(e164)
        freeze.check(self._store)
        owned = self._owned(e164, "unassigning")
        sub = owned.owner
        if sub in (None, self._vobiz.auth_id):
            raise Conflict(f"{number} is not assigned to a sub-account, so there is nothing to unassign.")
        with self._store.read() as db:  # right before the call: a lock taken meanwhile still stops it
            refusal = lock_refusal(db, e164, "unassigned")
        if refusal:
            raise Conflict(f"{refusal} Nothing was changed.")
        freeze.check(self._store)  # right before the Vobiz write
        try:
            self._vobiz.numbers.unassign_subaccount(e164)
        except CoolOffInEffect as exc:
            until = exc.cool_off_until
            if until is None and exc.remaining_seconds is not None:
                until = self._clock() + timedelta(seconds=exc.remaining_seconds)
            detail = (
                f"{number} had a call in the last 15 days, so it stays with {sub} until {wording.when(until)}"
                " (the cool-off). An admin can approve a force unassign."
            )
            audit_id = self._audit(
                actor, "unassign", "cool_off", e164, sub, detail=detail, vobiz_error=vobiz_failures.code(exc), cool_off_until=until
            )
            return DirectResult(
                e164=e164,
                sub_account_id=sub,
                done=False,
                audit_id=audit_id,
                cool_off_until=until,
                cool_off_remaining_seconds=exc.remaining_seconds,
            )
        except VobizError as exc:
            self._write_failure(actor, "unassign", e164, sub, exc)
            raise self._failure("unassign", number, exc) from None
        with recording_what_vobiz_did(f"Vobiz moved {number} from {sub} back to the master account"):
            audit_id = self._audit(actor, "unassign", "succeeded", e164, sub, detail=f"Moved {number} from {sub} back to the master account.")
        return DirectResult(e164=e164, sub_account_id=sub, done=True, audit_id=audit_id)

    def _require_sub_account(self, sub: str) -> None:
        try:
            found = self._vobiz.subaccounts.get(sub)
            if found is not None:
                return
            known = sorted(s.auth_id for s in self._vobiz.subaccounts.iter_all())
        except VobizError as exc:
            raise read_failure(exc, "looking up sub-accounts") from None
        listing = ", ".join(known) if known else "none"
        raise NotFound(f"There is no sub-account {sub}. Known sub-accounts: {listing}. Nothing was changed.")

    def _owned(self, e164: str, doing: str) -> PhoneNumber:
        try:
            owned = self._vobiz.numbers.get(e164)
        except VobizError as exc:
            raise read_failure(exc, f"{doing} {wording.number(e164)}") from None
        if owned is None:
            raise NotFound(f"{wording.number(e164)} is not one of the account's numbers. Nothing was changed.")
        return owned

    def _write_failure(self, actor: Actor, action: str, e164: str, sub: str | None, exc: VobizError) -> None:
        outcome = "outcome_unknown" if vobiz_failures.outcome_unknown(exc) else "failed"
        detail = (
            f"{action} may or may not have happened: {vobiz_failures.why_unknown(exc)}."
            if outcome == "outcome_unknown"
            else f"Vobiz refused to {action}: {vobiz_failures.reason(exc)}."
        )
        self._audit(actor, action, outcome, e164, sub, detail=detail, vobiz_error=vobiz_failures.code(exc))

    def _failure(self, action: str, number: str, exc: VobizError) -> Exception:
        if vobiz_failures.outcome_unknown(exc):
            return VobizUnavailable(
                f"{vobiz_failures.why_unknown(exc)}, so I do not know whether the {action} of {number} happened. "
                "Check with `show` before trying again."
            )
        if isinstance(exc, VobizNotFound):
            return NotFound(f"Vobiz could not {action} {number}: {vobiz_failures.reason(exc)}. Nothing was changed.")
        if isinstance(exc, APIConnectionError):
            return VobizUnavailable(f"I could not reach Vobiz to {action} {number}; nothing was changed. Try again shortly.")
        return Conflict(f"Vobiz refused to {action} {number}: {vobiz_failures.reason(exc)}. Nothing was changed.")

    def _audit(self, actor: Actor, action: str, outcome: str, e164: str, sub: str | None, **extra: object) -> int:
        now = self._clock()
        # "done" only when it happened; a refusal (cool-off, Vobiz error) was an attempt.
        verb = "done" if outcome == "succeeded" else "attempted"
        event = journal.Event(actor=actor, event=verb, action=action, outcome=outcome, e164=e164, sub_account_id=sub, **extra)  # type: ignore[arg-type]
        with self._store.unit() as db:
            return journal.record(db, now, event)

