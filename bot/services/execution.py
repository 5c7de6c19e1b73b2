"""Carrying out an approved request: the one Vobiz call that moves money or numbers, and its outcome.

Only the approver who won the guarded pending -> executing transition gets here, and that transition made
this process the request's owner (bot.services.leases), so each request makes at most one such call. Before
it, the bot re-reads the number (a purchase is bound to its quote); then, immediately before the call, it
proves it still owns the request and records that the call is being made, in one guarded update. An owner
that finds the request taken over (its lease ran out while it waited) makes no call. After the call, a
clear refusal is FAILED, success is SUCCEEDED, and a call that may or may not have happened (timeout,
dropped connection, 5xx) is OUTCOME_UNKNOWN and handed to the settler at once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from api.errors import NotFound as VobizNotFound
from api.errors import PermissionDenied, PurchaseDebitFailed, RateLimited, VobizError
from api.models import PhoneNumber

from bot.services import bulk, freeze, journal, vobiz_failures, wording
from bot.services.clock import Clock
from bot.services.crashpoints import CrashPoints
from bot.services.errors import OutcomeUnknown, StoreUnavailable
from bot.services.journal import SYSTEM
from bot.services.leases import Leases
from bot.services.locks import lock_refusal
from bot.services.outcomes import Outcome, finish, load
from bot.services.quotes import QuoteUnavailable, quote_of
from bot.services.records import ApprovalRequest, FreezeState, ItemStatus, Kind, RequestItem, Status
from bot.services.settlement import Settler
from bot.store import Connection, Store, allowances, request_items, requests
from bot.store.timestamps import to_db

if TYPE_CHECKING:
    from api.client import VobizClient

log = logging.getLogger(__name__)


def failed(detail: str, exc: BaseException | None = None, **changes: object) -> Outcome:
    return Outcome(Status.FAILED, detail, vobiz_failures.code(exc) if exc else None, dict(changes))


def unknown_detail(what: str, number: str, exc: BaseException) -> str:
    return (
        f"The {what} of {number} may or may not have gone through: {vobiz_failures.why_unknown(exc)}. "
        "Checking by re-reading the account's numbers."
    )


def unknown(detail: str, exc: BaseException) -> Outcome:
    return Outcome(Status.UNKNOWN, detail, vobiz_failures.code(exc))


class Locked(Exception):
    """The number was locked after the request was filed: no release or unassign call may be made."""

    def __init__(self, refusal: str) -> None:
        super().__init__(refusal)
        self.refusal = refusal


# The kinds a lock stops, and how the refusal words what cannot happen.
LOCKABLE = {Kind.RELEASE: "released", Kind.RELEASE_NOW: "released", Kind.FORCE_UNASSIGN: "unassigned"}


class ItemFrozen(Exception):
    """A freeze began in the middle of a bulk purchase: its remaining numbers are not called."""


class ClaimLost(Exception):
    """The request was taken over (or decided) while its owner waited: the owner must not call Vobiz."""


class Executor:
    def __init__(
        self,
        *,
        vobiz: VobizClient,
        store: Store,
        clock: Clock,
        settler: Settler,
        leases: Leases,
        crash: CrashPoints | None = None,
    ) -> None:
        self._vobiz = vobiz
        self._store = store
        self._clock = clock
        self._settler = settler
        self._leases = leases
        self._crash = crash or CrashPoints()
        self._calling: set[str] = set()  # requests whose money-moving call this process has started

    def run(self, request: ApprovalRequest) -> ApprovalRequest:
        """Execute a request that is EXECUTING and leased by this process; returns it in its outcome state."""
        if request.kind is Kind.PURCHASE and not request.items:
            # a bulk purchase read without its numbers must never be carried out as a purchase of its first
            request = load(self._store, request.id)
        with self._leases.holding(request.id):
            return self._run(request)

    def _run(self, request: ApprovalRequest) -> ApprovalRequest:
        try:
            return self._execute(request)
        finally:
            self._calling.discard(request.id)

    def _execute(self, request: ApprovalRequest) -> ApprovalRequest:
        self._crash.reached("before_vobiz_call")
        try:
            outcome = self._attempt(request)
        except StoreUnavailable:
            if request.id in self._calling:  # a bulk purchase's earlier numbers were called: Vobiz may have acted
                raise self._unrecorded(request) from None
            raise  # the call could not be recorded, so it was not made: nothing changed
        except freeze.Frozen:  # nothing was called: the request waits again and the person hears why
            raise
        except ClaimLost:
            log.warning("request %s was taken over before its Vobiz call; this process made no call", request.id)
            return load(self._store, request.id)
        except Locked as exc:  # locked after it was asked for: refused here, before Vobiz, and the requester told
            outcome = failed(f"Refused when it was to be carried out: {exc.refusal} Nothing was done at Vobiz.")
        except Exception as exc:  # a bug rather than a Vobiz answer: the call may or may not have happened
            log.exception("unexpected error executing request %s", request.id)
            outcome = unknown("Something unexpected went wrong while carrying this out; checking with Vobiz what happened.", exc)
        self._crash.reached("after_vobiz_answer")
        actor = request.decided_by or SYSTEM
        try:
            final = finish(
                self._store,
                self._clock(),
                request,
                outcome,
                # Once the call is made, its answer is the truth to record, also over a settler that took the
                # request over meanwhile and could not tell yet (it left it OUTCOME_UNKNOWN).
                from_statuses=[Status.EXECUTING, Status.UNKNOWN] if request.id in self._calling else [Status.EXECUTING],
                event=bulk.FINISHED_EVENT if request.is_bulk else "executed",
                actor=actor,
            )
        except StoreUnavailable:
            if request.id not in self._calling:  # decided before any call (a changed price ...): nothing changed
                raise
            raise self._unrecorded(request) from None
        if final is None:  # taken over and settled by someone else meanwhile
            return load(self._store, request.id)
        if final.status is Status.UNKNOWN:
            return self._settler.settle(final, first_attempt=True)
        return final

    def _unrecorded(self, request: ApprovalRequest) -> OutcomeUnknown:
        """Vobiz was called but the outcome could not be recorded: "nothing was changed" would be untrue."""
        log.error("request %s: Vobiz was called but the outcome could not be recorded", request.id)
        return OutcomeUnknown(
            f"Vobiz was asked to carry out request {request.id}, but the bot's database could not be reached to "
            "record the outcome. The bot settles it from Vobiz's own records once its database is back; "
            "do not repeat it by hand."
        )

    def _about_to_call(self, request: ApprovalRequest) -> None:
        """Prove this process still owns the request and record that the call starts now; ClaimLost if not.
        A release or unassign of a number locked meanwhile raises Locked instead, and no call is recorded. It is
        also where a freeze stops every money-moving call: a request frozen here goes back to waiting (audited)
        and Frozen is raised; Vobiz is not called."""
        now = self._clock()
        with self._store.unit() as db:
            state = freeze.state_in(db)
            if state is not None:
                held = self._wait_again(db, request, state, now)
            else:
                if request.kind in LOCKABLE:
                    refusal = lock_refusal(db, request.e164, LOCKABLE[request.kind])
                    if refusal:
                        raise Locked(refusal)
                owned = requests.record_call(db, request.id, self._leases.owner, now, self._leases.until())
        if state is not None:
            if not held:
                raise ClaimLost(request.id)
            raise freeze.Frozen(state)
        if not owned:
            raise ClaimLost(request.id)
        self._calling.add(request.id)

    def _wait_again(self, db: Connection, request: ApprovalRequest, state: FreezeState, now: datetime) -> bool:
        """An approved request met a freeze before its call: back to pending (its approvals kept), so it can
        be approved again once unfrozen. False when this process no longer owns it."""
        changes = {
            "status": Status.PENDING.value,
            "lease_owner": None,
            "lease_until": None,
            "decided_by_id": None,
            "decided_by_name": None,
            "decided_at": None,
            "decision_reason": None,
            "updated_at": to_db(now),
        }
        if not requests.transition(db, request.id, [Status.EXECUTING.value], changes, owner=self._leases.owner):
            return False
        if request.by_allowance and request.decided_at is not None:
            # no longer approved by the rule: a person decides it now, so it does not count against the allowance
            allowances.give_back(db, request.requester.user_id, request.decided_at.strftime("%Y-%m"), request.purchase_count)
        detail = f"not carried out: {freeze.frozen_message(state)} It waits for approval again."
        journal.record(db, now, journal.about(request, SYSTEM, "held", Status.PENDING.value, detail=detail, quote=request.quote))
        journal.announce(db, now, request.id, tell_requester=True)
        return True

    def _attempt(self, request: ApprovalRequest) -> Outcome:
        if request.kind is Kind.PURCHASE:
            return self._bulk_purchase(request) if request.is_bulk else self._purchase(request)
        if request.kind in (Kind.RELEASE, Kind.RELEASE_NOW):
            return self._release(request)
        if request.kind is Kind.FORCE_UNASSIGN:
            return self._force_unassign(request)
        raise AssertionError(f"unknown kind {request.kind}")

    # purchase ------------------------------------------------------------------------------------

    def _purchase(self, request: ApprovalRequest) -> Outcome:
        number = wording.number(request.e164)
        try:
            current = self._vobiz.numbers.find_in_inventory(request.e164)
        except VobizError as exc:
            return failed(f"I could not re-check {number} with Vobiz before buying it ({vobiz_failures.reason(exc)}); nothing was bought. Ask again.", exc)
        if current is None:
            return failed(f"{number} is no longer available in Vobiz's inventory; nothing was bought or charged.")
        try:
            new_quote = quote_of(current)
        except QuoteUnavailable as exc:
            return failed(f"Vobiz no longer says what {number} costs ({exc}); nothing was bought.")
        if request.quote is not None and not request.quote.binds(new_quote):
            return failed(
                f"The price or terms of {number} changed since it was requested: now {wording.quote(new_quote)}, "
                f"was {wording.quote(request.quote)}. Nothing was bought; ask again to get the new price approved.",
                new_quote_setup_fee=new_quote.setup_fee,
                new_quote_monthly_fee=new_quote.monthly_fee,
                new_quote_currency=new_quote.currency,
            )
        self._about_to_call(request)
        try:
            self._vobiz.numbers.purchase(request.e164)
        except PurchaseDebitFailed as exc:
            return failed(
                "Vobiz could not take the payment: the debit failed (insufficient balance?); "
                f"nothing was charged and {number} is still in inventory.",
                exc,
            )
        except VobizNotFound as exc:
            return failed(f"{number} is no longer available in Vobiz's inventory; nothing was bought or charged.", exc)
        except RateLimited as exc:
            return failed("Vobiz is rate-limiting the bot and refused the purchase; nothing was bought. Ask again in a minute.", exc)
        except VobizError as exc:
            if vobiz_failures.outcome_unknown(exc):
                return unknown(unknown_detail("purchase", number, exc), exc)
            return failed(f"Vobiz refused the purchase of {number}: {vobiz_failures.reason(exc)}. Nothing was bought.", exc)
        return Outcome(Status.SUCCEEDED, f"Bought {number} for {wording.quote(new_quote)}.")

    # bulk purchase -------------------------------------------------------------------------------

    def _bulk_purchase(self, request: ApprovalRequest) -> Outcome:
        """One purchase call per item still pending, in the quoted order; each outcome recorded as it is known."""
        actor = request.decided_by or SYSTEM
        for item in request.items:
            if item.status is not ItemStatus.PENDING:
                continue
            status, detail, error = self._buy_item(request, item)
            with self._store.unit() as db:
                bulk.record_item(db, self._clock(), request, item, status, detail, event="executed", actor=actor, vobiz_error=error)
            self._crash.reached("bulk_after_item")
        return bulk.summary(load(self._store, request.id))

    def _buy_item(self, request: ApprovalRequest, item: RequestItem) -> tuple[ItemStatus, str, str | None]:
        number = wording.number(item.e164)
        try:
            current = self._vobiz.numbers.find_in_inventory(item.e164)
        except VobizError as exc:
            reason = vobiz_failures.reason(exc)
            return ItemStatus.FAILED, f"I could not re-check {number} with Vobiz before buying it ({reason}); not bought.", vobiz_failures.code(exc)
        if current is None:
            return ItemStatus.SKIPPED, f"{number} is no longer in Vobiz's inventory: skipped, not replaced; nothing charged.", None
        try:
            now_quote = quote_of(current)
        except QuoteUnavailable as exc:
            return ItemStatus.SKIPPED, f"Vobiz no longer says what {number} costs ({exc}): skipped, not replaced.", None
        if not item.quote.binds(now_quote):
            return (
                ItemStatus.SKIPPED,
                f"{number} was re-priced: now {wording.quote(now_quote)}, quoted {wording.quote(item.quote)}. "
                "Skipped, not replaced; nothing charged.",
                None,
            )
        try:
            self._about_to_call_item(request, item)
        except ItemFrozen as frozen:
            return ItemStatus.FAILED, f"Not bought: {frozen}", None
        try:
            self._vobiz.numbers.purchase(item.e164)
        except PurchaseDebitFailed as exc:
            return ItemStatus.FAILED, f"Vobiz could not take the payment for {number} (insufficient balance?); not bought, nothing charged.", vobiz_failures.code(exc)
        except VobizNotFound as exc:
            return ItemStatus.SKIPPED, f"{number} is no longer in Vobiz's inventory: skipped, not replaced; nothing charged.", vobiz_failures.code(exc)
        except VobizError as exc:
            if vobiz_failures.outcome_unknown(exc):
                return ItemStatus.UNKNOWN, unknown_detail("purchase", number, exc), vobiz_failures.code(exc)
            return ItemStatus.FAILED, f"Vobiz refused the purchase of {number}: {vobiz_failures.reason(exc)}. Not bought.", vobiz_failures.code(exc)
        return ItemStatus.BOUGHT, f"Bought {number} for {wording.quote(now_quote)}.", None

    def _about_to_call_item(self, request: ApprovalRequest, item: RequestItem) -> None:
        """Prove this process still owns the request and record that this item's call starts now, together;
        ClaimLost (and nothing recorded) if either fails. A freeze stops the calls: before the first one the
        whole request waits again like a single purchase (Frozen); after some were made, ItemFrozen (this
        number and the rest are not bought: what was bought stays bought, and nothing is called now)."""
        if request.id not in self._calling:
            self._about_to_call(request)  # the freeze and ownership checks of the first call, as for one number
        with self._store.unit() as db:
            now = self._clock()
            state = freeze.state_in(db)
            if state is not None:
                raise ItemFrozen(freeze.frozen_message(state))
            if not requests.record_call(db, request.id, self._leases.owner, now, self._leases.until()):
                raise ClaimLost(request.id)
            if not request_items.start_call(db, request.id, item.position, now):
                raise ClaimLost(request.id)
        self._calling.add(request.id)

    # release -------------------------------------------------------------------------------------

    def _release(self, request: ApprovalRequest) -> Outcome:
        number = wording.number(request.e164)
        immediate = request.kind is Kind.RELEASE_NOW
        owned = self._owned(request)
        if isinstance(owned, Outcome):
            return owned
        if owned.status == "pending_release":
            return failed(f"{number} is already pending release; nothing was done.")
        self._about_to_call(request)
        try:
            result = self._vobiz.numbers.release(request.e164, immediate=immediate)
        except PermissionDenied as exc:
            return failed(f"Vobiz says the account does not own {number} ({vobiz_failures.reason(exc)}); nothing was released.", exc)
        except VobizNotFound as exc:
            return failed(f"Vobiz does not know {number} ({vobiz_failures.reason(exc)}); nothing was released.", exc)
        except VobizError as exc:
            if vobiz_failures.outcome_unknown(exc):
                return unknown(unknown_detail("release", number, exc), exc)
            return failed(f"Vobiz refused to release {number}: {vobiz_failures.reason(exc)}. Nothing was released.", exc)
        fee = wording.money(result.release_fee, owned.currency) if result.release_fee is not None else "no fee stated"
        cancellable = result.cancellable and not immediate
        if cancellable:
            detail = (
                f"Released {number} (release fee {fee}). It stays pending_release until "
                f"{wording.when(result.cooldown_ends_at)} and can be undone until then."
            )
        elif immediate:
            detail = f"Released {number} immediately (release fee {fee}); this cannot be undone."
        else:
            detail = f"Vobiz released {number} at once (release fee {fee}); this cannot be undone."
        return Outcome(
            Status.SUCCEEDED,
            detail,
            changes={
                "release_fee": result.release_fee,
                "release_currency": owned.currency,
                "cooldown_ends_at": result.cooldown_ends_at if cancellable else None,
            },
        )

    # force unassign ------------------------------------------------------------------------------

    def _force_unassign(self, request: ApprovalRequest) -> Outcome:
        number = wording.number(request.e164)
        owned = self._owned(request)
        if isinstance(owned, Outcome):
            return owned
        if owned.owner != request.sub_account_id:
            where = "the master account" if owned.owner in (None, self._vobiz.auth_id) else owned.owner
            return failed(f"{number} is no longer with {request.sub_account_id} (it is with {where}); nothing was done.")
        self._about_to_call(request)
        try:
            self._vobiz.numbers.unassign_subaccount(request.e164, force=True)
        except PermissionDenied as exc:
            return failed(
                f"Vobiz refused to force it: the bot's Vobiz account is not an admin-role account "
                f"({vobiz_failures.reason(exc)}). {number} stays with {request.sub_account_id}.",
                exc,
            )
        except VobizError as exc:
            if vobiz_failures.outcome_unknown(exc):
                return unknown(unknown_detail("force unassign", number, exc), exc)
            return failed(f"Vobiz refused to unassign {number}: {vobiz_failures.reason(exc)}. Nothing changed.", exc)
        return Outcome(Status.SUCCEEDED, f"Moved {number} from {request.sub_account_id} back to the master account (forced during the cool-off).")

    def _owned(self, request: ApprovalRequest) -> PhoneNumber | Outcome:
        number = wording.number(request.e164)
        try:
            owned = self._vobiz.numbers.get(request.e164)
        except VobizError as exc:
            return failed(f"I could not re-check {number} with Vobiz ({vobiz_failures.reason(exc)}); nothing was done. Ask again.", exc)
        if owned is None:
            return failed(f"{number} is no longer one of the account's numbers; nothing was done.")
        return owned
