"""Approval requests: asking, deciding (approve, deny), cancelling, expiring, undoing a release.

A request leaves PENDING through exactly one guarded update (`bot.store.requests.leave_pending`, which takes
effect only while the request is still pending) committed together with its audit row and notifications;
only the caller whose update took effect goes on to call Vobiz. Everyone else is told who got there first.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from api.errors import VobizError
from api.models import PhoneNumber

from bot.config import Settings
from bot.services import bulk, freeze, inventory_search, jobs, journal, marks, validation, wording
from bot.services.allowances import Allowances, AllowanceGrant, Money
from bot.services.clock import Clock
from bot.services.crashpoints import CrashPoints
from bot.services.errors import Conflict, NotAllowed, NotFound
from bot.services.execution import Executor
from bot.services.journal import SYSTEM
from bot.services.labels import remember_requested
from bot.services.leases import Leases, lease_ttl
from bot.services.locks import lock_refusal
from bot.services.outcomes import load, with_approvals
from bot.services.policy import Policy, cancel_refusal
from bot.services.quotes import QuoteUnavailable, quote_of
from bot.services.number_filters import NumberFilter
from bot.services.records import Actor, ApprovalRequest, Kind, Quote, RequestItem, RequestList, Status
from bot.services.rows import (
    db_values,
    item_to_values,
    request_from_row,
    request_to_row,
    request_with_items,
    requests_with_items,
)
from bot.services.settlement import Settler
from bot.services.undo import ReleaseUndo
from bot.services.vobiz_failures import read_failure
from bot.store import Connection, Store, audit, job_leases, nudges, request_approvals, request_items, requests
from bot.store.timestamps import from_db

if TYPE_CHECKING:
    from api.client import VobizClient

ID_ATTEMPTS = 20
LIST_LIMIT = 25


def random_request_id() -> str:
    return "R" + "".join(secrets.choice(validation.CROCKFORD) for _ in range(validation.REQUEST_ID_LENGTH))


class Approvals:
    def __init__(
        self,
        *,
        settings: Settings,
        vobiz: VobizClient,
        store: Store,
        policy: Policy,
        clock: Clock,
        new_id: Callable[[], str] = random_request_id,
        crash: CrashPoints | None = None,
        allowances: Allowances | None = None,
    ) -> None:
        self._settings = settings
        self._allowances = allowances or Allowances(settings=settings, store=store, clock=clock)
        self._vobiz = vobiz
        self._store = store
        self._policy = policy
        self._clock = clock
        self._new_id = new_id
        grace = timedelta(seconds=settings.settle_grace_seconds)
        self._leases = Leases(store=store, clock=clock, ttl=lease_ttl(grace))
        self._settler = Settler(vobiz=vobiz, store=store, clock=clock, leases=self._leases, grace=grace)
        self._executor = Executor(vobiz=vobiz, store=store, clock=clock, settler=self._settler, leases=self._leases, crash=crash)
        self._undo = ReleaseUndo(vobiz=vobiz, store=store, policy=policy, clock=clock, leases=self._leases, grace=grace)

    @property
    def owner(self) -> str:
        """This process's id as the store records it (the owner of its request and job leases)."""
        return self._leases.owner

    # asking --------------------------------------------------------------------------------------

    def request_purchase(
        self, actor: Actor, e164_raw: str, reason: str, *, team: str | None = None, purpose: str | None = None
    ) -> ApprovalRequest:
        """Ask to buy a number from inventory, quoting its current fees to the approver. With `team`, the number
        is labelled with it (and `purpose`) when the purchase succeeds."""
        e164 = validation.e164(e164_raw)
        why = validation.reason(reason)
        label = (marks.team(team), marks.purpose(purpose)) if team and team.strip() else None
        try:
            entry = self._vobiz.numbers.find_in_inventory(e164)
        except VobizError as exc:
            raise read_failure(exc, f"looking up {wording.number(e164)} in the inventory") from None
        if entry is None:
            raise NotFound(
                f"{wording.number(e164)} is not in Vobiz's inventory: someone may have bought it, it may be in "
                "quarantine after a release, or it was never stocked. Nothing was requested."
            )
        try:
            quote = quote_of(entry)
        except QuoteUnavailable as exc:
            raise NotFound(f"{exc} for {wording.number(e164)}, so it cannot be quoted. Nothing was requested.") from None
        return self._create(
            Kind.PURCHASE, e164, actor, why, quote=quote, label=label, allowance=Money(quote.monthly_fee, quote.currency)
        )

    def request_bulk_purchase(self, actor: Actor, count: int, wanted: NumberFilter, reason: str) -> ApprovalRequest:
        """Ask to buy `count` (2-20) numbers matching `wanted`, the cheapest monthly fee first: one request
        quoting each number, decided as one. Fewer matches than `count`: NotFound, nothing filed."""
        count = bulk.check_count(count)
        why = validation.reason(reason)
        try:
            found = inventory_search.search(inventory_search.vobiz_pages(self._vobiz), wanted, enough=10**6)
        except VobizError as exc:
            raise read_failure(exc, "searching the inventory") from None
        with self._store.read() as db:
            taken = {n.e164 for n in found.matches if _held(db, n.e164)}
        items = tuple(bulk.pick(found, count, taken))
        totals = {item.quote.currency for item in items}
        # the allowance counts the N purchases and their monthly total; numbers in several currencies wait
        # for an approver (the rule is in one currency)
        allowance = Money(sum((i.quote.monthly_fee for i in items), Decimal(0)), totals.pop()) if len(totals) == 1 else None
        return self._create(Kind.PURCHASE, items[0].e164, actor, why, items=items, allowance=allowance)

    def request_release(self, actor: Actor, e164_raw: str, reason: str, *, immediate: bool = False) -> ApprovalRequest:
        """Ask to release a number (24 h cancellable), or with `immediate` at once (a force operation).

        When RELEASE_NEEDS_APPROVAL is off, an ordinary release is carried out at once and returned final.
        """
        e164 = validation.e164(e164_raw)
        why = validation.reason(reason)
        self._refuse_if_locked(e164, "released")
        if not immediate and not self._settings.release_needs_approval:
            freeze.check(self._store)  # it would be carried out at once
        owned = self._owned(e164, "releasing")
        if owned.status == "pending_release":
            raise Conflict(f"{wording.number(e164)} is already pending release; nothing was requested.")
        kind = Kind.RELEASE_NOW if immediate else Kind.RELEASE
        request = self._create(kind, e164, actor, why)
        if kind is Kind.RELEASE and not self._settings.release_needs_approval:
            won = self._leave_pending(
                request,
                SYSTEM,
                Status.EXECUTING,
                {"decided_by": SYSTEM, "decided_at": self._clock(), "decision_reason": "no approval needed (RELEASE_NEEDS_APPROVAL is off)"},
                event="approved",
                tell_requester=False,
            )
            return self._executor.run(won)
        return request

    def request_force_unassign(self, actor: Actor, e164_raw: str, reason: str) -> ApprovalRequest:
        """Ask an admin to take a number back from its sub-account during the 15-day cool-off."""
        e164 = validation.e164(e164_raw)
        why = validation.reason(reason)
        self._refuse_if_locked(e164, "unassigned")
        owned = self._owned(e164, "force unassigning")
        if owned.owner in (None, self._vobiz.auth_id):
            raise Conflict(f"{wording.number(e164)} is not assigned to a sub-account, so there is nothing to unassign.")
        return self._create(Kind.FORCE_UNASSIGN, e164, actor, why, sub_account_id=owned.owner, cool_off_until=self._known_cool_off(e164))

    # deciding ------------------------------------------------------------------------------------

    def approve(self, request_id: str, actor: Actor) -> ApprovalRequest:
        """Record `actor`'s approval; once the request has as many distinct approvals as it needs, it leaves
        PENDING in that same transaction (so two last approvals at once execute it exactly once) and is
        carried out. Refused while the bot is frozen (the request stays as it was)."""
        request = self._pending_for_decision(request_id, actor, "approve")
        now = self._clock()
        with self._store.unit() as db:
            freeze.check_thawed(db)
            row = requests.get(db, request.id)
            assert row is not None
            current = request_with_items(db, row)
            decided = current.status is Status.PENDING and now < current.expires_at
            complete = False
            if decided:
                complete = self._count_approval(db, current, actor, now)
            row = requests.get(db, request.id)
            assert row is not None
            current = with_approvals(request_with_items(db, row), request_approvals.of(db, request.id))
        if not decided:
            if current.status is Status.PENDING:  # it expired before this click
                self._expire(current)
                raise Conflict(expired_message(current))
            raise Conflict(already_decided(current))
        if not complete:
            return self._with_progress(current)
        return self._executor.run(current)

    def _count_approval(self, db: Connection, request: ApprovalRequest, actor: Actor, now: datetime) -> bool:
        """Inside the deciding unit: add `actor`'s approval (once) and, when it completes the quorum, move the
        request to EXECUTING; each approval is its own audit row. True when the request is now approved."""
        added = request_approvals.add(db, request.id, actor.user_id, actor.name, now)
        given = request_approvals.count(db, request.id)
        needed = request.approvals_required
        if not added and given < needed:
            raise Conflict(
                f"You already approved this; it needs {needed - given} more approval{'' if needed - given == 1 else 's'} "
                f"from someone else ({given} of {needed} so far)."
            )
        progress = f"{min(given, needed)} of {needed} approvals" if needed > 1 else None
        if given < needed:
            journal.record(db, now, journal.about(request, actor, "approved", Status.PENDING.value, quote=request.quote, detail=progress))
            journal.announce(db, now, request.id, tell_requester=False)
            return False
        changes = self._decision_changes(Status.EXECUTING, {"decided_by": actor, "decided_at": now}, now)
        won = requests.leave_pending(db, request.id, now, db_values(changes))
        assert won, "checked pending and unexpired in this same transaction"
        journal.record(db, now, journal.about(request, actor, "approved", Status.EXECUTING.value, quote=request.quote, detail=progress))
        journal.announce(db, now, request.id, tell_requester=False)
        return True

    def check_may_decide(self, request_id: str, actor: Actor, *, verb: str = "deny") -> ApprovalRequest:
        """The request, if it waits for a decision and `actor` may make it (e.g. before asking them why they
        deny it); otherwise Conflict, or NotAllowed with the attempt audited as `refused`. Changes nothing else:
        the decision itself re-checks everything."""
        return self._pending_for_decision(validation.request_id(request_id), actor, verb)

    def deny(self, request_id: str, actor: Actor, reason: str) -> ApprovalRequest:
        rid = validation.request_id(request_id)
        why = validation.reason(reason, what="a reason for denying")
        request = self._pending_for_decision(rid, actor, "deny")
        now = self._clock()
        return self._leave_pending(
            request,
            actor,
            Status.DENIED,
            {"decided_by": actor, "decided_at": now, "decision_reason": why, "finished_at": now},
            event="denied",
            tell_requester=True,
            audit_reason=why,
        )

    def cancel(self, request_id: str, actor: Actor) -> ApprovalRequest:
        request = self._get(validation.request_id(request_id))
        refusal = cancel_refusal(request.requester.user_id, actor.user_id)
        if refusal:  # before any detail of the request's state
            self._refuse(request, actor, "cancel", refusal)
        request = self._pending(request.id)
        now = self._clock()
        return self._leave_pending(
            request, actor, Status.CANCELLED, {"decided_by": actor, "decided_at": now, "finished_at": now}, event="cancelled", tell_requester=False
        )

    def undo_release(self, request_id: str, actor: Actor) -> ApprovalRequest:
        return self._undo.undo(self._get(validation.request_id(request_id)), actor)

    # reading -------------------------------------------------------------------------------------

    def get(self, request_id: str) -> ApprovalRequest:
        """The request as it is now (a pending request past its expiry is expired first)."""
        request = self._get(validation.request_id(request_id))
        if request.status is Status.PENDING and self._due(request):
            self._expire(request)
            return load(self._store, request.id)
        return self._with_progress(request)

    def _with_progress(self, request: ApprovalRequest) -> ApprovalRequest:
        """A request waiting for more than one approval, with who may still approve it (APPROVERS/ADMINS entries
        that are not the requester and have not approved yet; user groups stay as they are)."""
        if request.status is not Status.PENDING or request.approvals_required <= 1:
            return request
        approved = {a.approver.user_id for a in request.approvals}
        left = tuple(e for e in self._policy.deciders(request.kind) if e not in approved and e != request.requester.user_id)
        return replace(request, may_still_approve=left)

    def allowance_left(self, actor: Actor) -> int | None:
        """How many purchases `actor` may still have auto-approved this month (None: allowances are off)."""
        return self._allowances.remaining(actor)

    def list_for(self, actor: Actor) -> RequestList:
        """The actor's own recent requests, and the pending ones they may decide."""
        self.expire_due()
        with self._store.read() as db:
            mine_rows = requests_with_items(db, requests.mine(db, actor.user_id, LIST_LIMIT))
            pending = requests_with_items(db, requests.pending(db))
            approved = request_approvals.pending_approved_by(db, actor.user_id)  # waiting for someone else now
            awaiting = [
                r for r in pending if r.id not in approved and self._policy.may_decide(r, actor.user_id)
            ][:LIST_LIMIT]
            mine = [self._progress_in(db, r) for r in mine_rows]
            awaiting = [self._progress_in(db, r) for r in awaiting]
        return RequestList(mine=mine, awaiting_me=awaiting)

    def _progress_in(self, db: Connection, request: ApprovalRequest) -> ApprovalRequest:
        """A pending request that needs several approvals, with those it has (for lists and App Home)."""
        if request.status is not Status.PENDING or request.approvals_required <= 1:
            return request
        return self._with_progress(with_approvals(request, request_approvals.of(db, request.id)))

    # housekeeping (the app runs these periodically and at start-up) -------------------------------

    def expire_due(self) -> list[ApprovalRequest]:
        with self._store.read() as db:
            # with their numbers: a bulk request's expiry names none of them, not its first
            due = requests_with_items(db, requests.due_to_expire(db, self._clock()))
        expired = []
        for request in due:
            if self._expire(request):
                expired.append(load(self._store, request.id))
        return expired

    def settle_unknown(self) -> list[ApprovalRequest]:
        """Re-read Vobiz for every request whose outcome is unknown (or stuck executing), and for every undo
        of a release whose answer was lost; returns the requests decided now."""
        return self._settler.settle_all() + self._undo.settle_all()

    def announce_ended_undo_windows(self, since: datetime, until: datetime) -> list[str]:
        """Queue a re-draw of the approval message of every release whose undo window closed after `since` and
        by `until` (its `cooldown_ends_at`), so the message stops offering Undo; returns their request ids.
        The app's worker calls it every pass with the previous pass's `until` as `since`."""
        with self._store.unit() as db:
            ids = requests.release_windows_ending(db, since, until)
            for request_id in ids:
                journal.announce(db, self._clock(), request_id, tell_requester=False)
        return ids

    def announce_undo_windows_ended_by(self, until: datetime, *, lookback: timedelta) -> list[str]:
        """`announce_ended_undo_windows` from where the last pass stopped, kept in the store (the last
        `until`, as the `undo_windows` job's last_run_at; `until - lookback` before any pass), and advanced
        to `until` in the same transaction: whichever process runs the pass next neither skips nor repeats
        a window."""
        with self._store.unit() as db:
            since = job_leases.last_run(db, jobs.UNDO_WINDOWS) or until - lookback
            ids = requests.release_windows_ending(db, since, until) if since < until else []
            for request_id in ids:
                journal.announce(db, self._clock(), request_id, tell_requester=False)
            job_leases.record_run(db, jobs.UNDO_WINDOWS, until)
        return ids

    def record_message(self, request_id: str, channel: str, ts: str) -> None:
        """Remember where the approval message was posted, so later changes update it in place."""
        rid = validation.request_id(request_id)
        with self._store.unit() as db:
            found = requests.record_message(db, rid, channel, ts, self._clock())
        if not found:
            raise NotFound(f"There is no request {rid}.")

    # internals -----------------------------------------------------------------------------------

    def _create(
        self,
        kind: Kind,
        e164: str,
        actor: Actor,
        reason: str,
        *,
        quote: Quote | None = None,
        sub_account_id: str | None = None,
        cool_off_until: datetime | None = None,
        label: tuple[str, str | None] | None = None,
        allowance: Money | None = None,
        items: tuple[RequestItem, ...] = (),
    ) -> ApprovalRequest:
        """Record a new pending request. A purchase (`allowance`: its monthly fee) that the allowance covers is
        approved by the rule in the same transaction, so its approval message is first drawn decided, and is
        carried out at once; not while the bot is frozen (then it waits for an approver like any other)."""
        now = self._clock()
        grant: AllowanceGrant | None = None
        ttl = timedelta(hours=self._settings.approval_ttl_hours)
        with self._store.unit() as db:
            for number in [item.e164 for item in items] or [e164]:
                open_ = requests.open_for_number(db, number, kind.value)
                if open_ is not None:
                    other = request_from_row(open_)
                    raise Conflict(f"There is already an open {kind.value.replace('_', ' ')} request for {wording.number(number)}: {other.id} ({other.status.value}). Nothing was requested.")
                held = request_items.open_for_number(db, number) if kind is Kind.PURCHASE else None
                if held is not None:
                    raise Conflict(f"{wording.number(number)} is in the open bulk purchase {held['request_id']}. Nothing was requested.")
            for _ in range(ID_ATTEMPTS):
                request = ApprovalRequest(
                    id=self._new_id(),
                    kind=kind,
                    e164=e164,
                    status=Status.PENDING,
                    requester=actor,
                    reason=reason,
                    created_at=now,
                    expires_at=now + ttl,
                    quote=quote,
                    sub_account_id=sub_account_id,
                    cool_off_until=cool_off_until,
                    approvals_required=self._settings.approvals_needed(kind.value),
                    items=items,
                )
                try:
                    requests.insert(db, request_to_row(request, now=now))  # a taken id undoes only this insert
                    break
                except requests.DuplicateId:
                    continue
            else:
                raise RuntimeError("could not draw a free request id")
            for item in items:
                request_items.insert(db, request.id, item.position, item_to_values(item))
            detail = bulk.requested_detail(request) if items else None
            journal.record(db, now, journal.about(request, actor, "requested", Status.PENDING.value, reason=reason, quote=quote, detail=detail))
            if label is not None:
                remember_requested(db, request.id, *label)
            journal.announce(db, now, request.id, tell_requester=False)
            if allowance is not None and kind is Kind.PURCHASE and freeze.state_in(db) is None:
                grant = self._allowances.take(db, actor, request.purchase_count, allowance, at=now)
                if grant is not None:
                    fields = {"decided_by": SYSTEM, "decided_at": now, "decision_reason": grant.rule}
                    won = requests.leave_pending(db, request.id, now, db_values(self._decision_changes(Status.EXECUTING, fields, now)))
                    assert won, "inserted pending in this same transaction"
                    journal.record(db, now, journal.about(request, SYSTEM, "approved", Status.EXECUTING.value, reason=grant.rule, quote=quote))
        if grant is not None:
            try:
                done = self._executor.run(load(self._store, request.id))
            except freeze.Frozen:
                # frozen between the rule's approval and the call: it was filed and waits for an approver (its
                # allowance given back, the requester told why); "nothing was requested" would be untrue
                return load(self._store, request.id)
            # a failed purchase gave its allowance back (bot.services.outcomes.finish)
            left = self._allowances.remaining(actor) if done.status is Status.FAILED or done.is_bulk else grant.remaining
            return replace(done, allowance_left=left)
        return request

    def _get(self, rid: str) -> ApprovalRequest:
        return load(self._store, rid)

    def _pending(self, rid: str) -> ApprovalRequest:
        """The request if it can still be decided; otherwise Conflict saying why (expiring it if due)."""
        request = self._get(rid)
        if request.status is not Status.PENDING:
            raise Conflict(already_decided(request))
        if self._due(request):
            self._expire(request)
            raise Conflict(expired_message(request))
        return request

    def _pending_for_decision(self, request_id: str, actor: Actor, verb: str) -> ApprovalRequest:
        """The request if it waits for a decision `actor` may make. Whether they may decide it is checked
        before anything about its state is said: someone without the right learns nothing of how (or by
        whom, or why) it was decided."""
        request = self._get(validation.request_id(request_id))
        refusal = self._policy.decision_refusal(request, actor.user_id)
        if refusal:
            self._refuse(request, actor, verb, refusal)
        return self._pending(request.id)

    def _refuse(self, request: ApprovalRequest, actor: Actor, verb: str, refusal: str) -> None:
        """Audit the refused attempt (nothing else changes), then raise NotAllowed."""
        now = self._clock()
        with self._store.unit() as db:
            journal.record(db, now, journal.about(request, actor, "refused", "refused", detail=f"tried to {verb}: {refusal}"))
        raise NotAllowed(refusal)

    def _leave_pending(
        self,
        request: ApprovalRequest,
        actor: Actor,
        to: Status,
        fields: dict[str, object],
        *,
        event: str,
        tell_requester: bool,
        audit_reason: str | None = None,
    ) -> ApprovalRequest:
        """The guarded transition out of PENDING. Exactly one caller wins; the others get Conflict."""
        now = self._clock()
        changes = self._decision_changes(to, fields, now)
        with self._store.unit() as db:
            won = requests.leave_pending(db, request.id, now, db_values(changes))
            if won:
                journal.record(db, now, journal.about(request, actor, event, to.value, reason=audit_reason, quote=request.quote))
                journal.announce(db, now, request.id, tell_requester=tell_requester)
            row = requests.get(db, request.id)
            assert row is not None
            current = request_with_items(db, row)
        if won:
            return current
        if current.status is Status.PENDING:  # it expired between the check and the update
            self._expire(current)
            raise Conflict(expired_message(current))
        raise Conflict(already_decided(current))

    def _decision_changes(self, to: Status, fields: dict[str, object], now: datetime) -> dict[str, object]:
        """The columns a decision sets: the new status, the decision's fields, and (when approved) this
        process as the owner that carries it out."""
        changes: dict[str, object] = {"status": to, "updated_at": now}
        if to is Status.EXECUTING:  # the winner owns the request while it carries it out
            changes.update(lease_owner=self._leases.owner, lease_until=self._leases.until())
        for name, value in fields.items():
            if isinstance(value, Actor):
                changes[f"{name}_id"], changes[f"{name}_name"] = value.user_id, value.name
            else:
                changes[name] = value
        return changes

    def _due(self, request: ApprovalRequest) -> bool:
        return self._clock() >= request.expires_at

    def _expire(self, request: ApprovalRequest) -> bool:
        now = self._clock()
        changes = {"status": Status.EXPIRED, "finished_at": now, "updated_at": now}
        with self._store.unit() as db:
            won = requests.expire(db, request.id, now, db_values(changes))
            if won:
                detail = unanswered(self._settings.approval_ttl_hours, [row["nudge"] for row in nudges.of_request(db, request.id)])
                journal.record(db, now, journal.about(request, SYSTEM, "expired", Status.EXPIRED.value, detail=detail))
                journal.announce(db, now, request.id, tell_requester=True)
        return won

    def _refuse_if_locked(self, e164: str, done: str) -> None:
        """A locked number is refused before any request is filed (and again right before the Vobiz call)."""
        with self._store.read() as db:
            refusal = lock_refusal(db, e164, done)
        if refusal:
            raise Conflict(refusal + " Nothing was requested.")

    def _owned(self, e164: str, doing: str) -> PhoneNumber:
        try:
            owned = self._vobiz.numbers.get(e164)
        except VobizError as exc:
            raise read_failure(exc, f"{doing} {wording.number(e164)}") from None
        if owned is None:
            raise NotFound(f"{wording.number(e164)} is not one of the account's numbers. Nothing was requested.")
        return owned

    def _known_cool_off(self, e164: str) -> datetime | None:
        """When the cool-off ends, as the last unassign attempt that met it reported (if still ahead)."""
        with self._store.read() as db:
            row = audit.latest_cool_off(db, e164, self._clock())
        return from_db(row["cool_off_until"]) if row else None


def _held(db: Connection, e164: str) -> bool:
    """Whether an open purchase (single or bulk) already holds `e164`."""
    return requests.open_for_number(db, e164, Kind.PURCHASE.value) is not None or request_items.open_for_number(db, e164) is not None


def already_decided(request: ApprovalRequest) -> str:
    who = wording.who(request.decided_by)
    at = wording.when(request.decided_at)
    status = request.status
    if status is Status.EXECUTING:
        return f"{who} already approved this at {at}; it is being carried out now."
    if status in (Status.SUCCEEDED, Status.FAILED, Status.UNKNOWN):
        result = {Status.SUCCEEDED: "it succeeded", Status.FAILED: "it failed", Status.UNKNOWN: "its outcome is being checked"}[status]
        return f"{who} already approved this at {at}; {result}."
    if status is Status.DENIED:
        return f"{who} already denied this at {at} ({request.decision_reason})."
    if status is Status.CANCELLED:
        return f"{wording.who(request.requester)} cancelled this at {at}."
    if status is Status.EXPIRED:
        return expired_message(request)
    return f"This request is {status.value}."


def unanswered(ttl_hours: float, nudged: list[str]) -> str:
    """The audit detail of an expiry: nobody answered, after how many reminders, escalated or not."""
    reminders = sum(1 for name in nudged if name.startswith("reminder-"))
    after = f"{reminders} reminder{'' if reminders == 1 else 's'}"
    if "escalation" in nudged:
        after += " and the escalation to the admins"
    return f"expired unanswered: nobody decided within {ttl_hours:g} hours ({after})"


def expired_message(request: ApprovalRequest) -> str:
    return f"This request expired at {wording.when(request.expires_at)}; nothing was done. Ask again if it is still needed."
