"""The domain's data: plain frozen dataclasses that services return and handlers render.

Nothing here knows Slack or HTTP. Handlers read these; only services create them (from the store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.services.terms import commitment_notes
from bot.store.outbox import OutboxKind  # re-exported: handlers name the kinds through the services


BOT_USER_ID = "numbers-bot"  # the actor of what the bot does by itself (bot.services.journal.SYSTEM)
ALLOWANCE_RULE_PREFIX = "allowance:"  # how the allowance rule's text (the reason it approves with) begins


class Kind(StrEnum):
    """What an approval request asks for."""

    PURCHASE = "purchase"
    RELEASE = "release"  # the cancellable 24 h pending_release
    RELEASE_NOW = "release_now"  # immediate=true, not cancellable: a force operation
    FORCE_UNASSIGN = "force_unassign"  # unassign with force=true during the cool-off: a force operation

    @property
    def is_force(self) -> bool:
        return self in (Kind.RELEASE_NOW, Kind.FORCE_UNASSIGN)


class Status(StrEnum):
    """Where a request is. PENDING is the only state a decision can leave."""

    PENDING = "pending"
    EXECUTING = "executing"  # approved; the Vobiz call is being made
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # Vobiz (or a pre-check such as the quote) said no; nothing changed at Vobiz
    UNKNOWN = "outcome_unknown"  # timeout or 5xx on a money-moving call: being settled by re-reading
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in (Status.SUCCEEDED, Status.FAILED, Status.DENIED, Status.CANCELLED, Status.EXPIRED)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a Slack user id and the name Slack gave us for display."""

    user_id: str
    name: str = ""


@dataclass(frozen=True)
class Quote:
    """Fees of a number at one moment, in the number's currency, and the terms Vobiz reported beside them
    (None: it did not say, or the quote predates the bot recording them)."""

    setup_fee: Decimal
    monthly_fee: Decimal
    currency: str
    # Not part of ==: a quote is its fees (the audit row keeps only those); `binds` weighs the terms too.
    commitment_months: int | None = field(default=None, compare=False)
    aadhaar_required: bool | None = field(default=None, compare=False)

    def binds(self, current: Quote) -> bool:
        """Whether `current` is still what was approved: the same fees and the same terms. A term the quote
        did not state (Vobiz did not say, or the quote predates the bot recording terms) was shown to the
        approver as none, so a commitment or an Aadhaar check that appears later is a change, like a new price."""
        if (self.setup_fee, self.monthly_fee, self.currency) != (current.setup_fee, current.monthly_fee, current.currency):
            return False
        if (current.commitment_months or 0) != (self.commitment_months or 0):
            return False
        return bool(current.aadhaar_required) == bool(self.aadhaar_required)

    @property
    def notes(self) -> list[str]:
        """What the number commits us to, in plain words ("commits us for 12 months")."""
        return commitment_notes(self.commitment_months, self.aadhaar_required)


class ItemStatus(StrEnum):
    """Where one number of a bulk purchase is (bot.store.request_items spells the same text)."""

    PENDING = "pending"  # not called yet
    CALLING = "calling"  # its one purchase call was recorded as started: never called again, only re-read
    BOUGHT = "bought"
    SKIPPED = "skipped"  # gone from inventory or re-priced since the quote: not bought, never replaced
    FAILED = "failed"  # Vobiz refused, or the bot stopped before calling: not bought
    UNKNOWN = "unknown"  # the call's answer was lost: being settled by re-reading the account's numbers

    @property
    def is_final(self) -> bool:
        return self in (ItemStatus.BOUGHT, ItemStatus.SKIPPED, ItemStatus.FAILED)


@dataclass(frozen=True)
class RequestItem:
    """One number of a bulk purchase, with the quote that binds it and what became of it."""

    position: int
    e164: str
    quote: Quote
    status: ItemStatus = ItemStatus.PENDING
    detail: str | None = None
    called_at: datetime | None = None


@dataclass(frozen=True)
class Approval:
    """One approver's approval of a request (quorum: a request may need several)."""

    approver: Actor
    at: datetime


@dataclass(frozen=True)
class FreezeState:
    """The bot is frozen: no Vobiz write is made until an admin unfreezes it."""

    by: Actor
    since: datetime
    reason: str


@dataclass(frozen=True)
class ApprovalRequest:
    id: str  # short and human-friendly, e.g. "R7K2QX"; what buttons carry and people quote
    kind: Kind
    e164: str
    status: Status
    requester: Actor
    reason: str
    created_at: datetime  # aware, UTC
    expires_at: datetime  # aware, UTC
    quote: Quote | None = None  # purchase: the fees quoted to the approver
    sub_account_id: str | None = None  # force_unassign: the sub-account the number leaves
    cool_off_until: datetime | None = None  # force_unassign: when the cool-off would have ended
    decided_by: Actor | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None  # deny reason
    outcome_detail: str | None = None  # a sentence for people: Vobiz's reason, "no longer available" ...
    new_quote: Quote | None = None  # purchase failed because the fees changed: the current fees
    # release results, once executed
    release_fee: Decimal | None = None
    release_currency: str | None = None
    cooldown_ends_at: datetime | None = None
    undone_at: datetime | None = None
    undone_by: Actor | None = None
    # where the approval message lives, once posted
    approval_channel: str | None = None
    approval_ts: str | None = None
    finished_at: datetime | None = None
    # added by the services: Vobiz's error code behind a failure, and what undoing a release refunded
    vobiz_error: str | None = None
    refund_amount: Decimal | None = None
    refund_currency: str | None = None
    refund_status: str | None = None  # "success" or "failed" (Vobiz still cancelled the release)
    refund_error: str | None = None
    # undoing a release: None (not tried, or tried and nothing changed), "undoing" (the call is being
    # made), "unknown" (Vobiz's answer was lost: being checked by re-reading), "done" (see undone_at)
    undo_state: str | None = None
    # executing: the process that owns it (its lease) and when it started the money-moving call (None: not yet)
    lease_owner: str | None = None
    called_at: datetime | None = None
    # quorum: how many distinct approvers it needs (fixed when asked), who approved so far (in order), and
    # (filled in by the services while it waits) the APPROVERS/ADMINS entries who may still approve it
    approvals_required: int = 1
    approvals: tuple[Approval, ...] = ()
    may_still_approve: tuple[str, ...] = ()
    # an allowance approved it: how many auto-approved purchases the requester has left this month (set on
    # the answer to the request only; not stored)
    allowance_left: int | None = None

    @property
    def by_allowance(self) -> bool:
        """Approved by the allowance rule (the bot as the actor, the rule's text as the reason)."""
        return (
            self.decided_by is not None
            and self.decided_by.user_id == BOT_USER_ID
            and (self.decision_reason or "").startswith(ALLOWANCE_RULE_PREFIX)
        )
    # a bulk purchase (kind PURCHASE): its numbers, each quoted; empty for a single-number request
    items: tuple[RequestItem, ...] = ()

    @property
    def is_bulk(self) -> bool:
        return bool(self.items)

    @property
    def purchase_count(self) -> int:
        """How many numbers the request buys if approved (what a per-person allowance counts)."""
        if self.kind is not Kind.PURCHASE:
            return 0
        return len(self.items) if self.items else 1

    def totals(self) -> dict[str, tuple[Decimal, Decimal]]:
        """(setup, monthly) per currency of everything the request buys, as quoted."""
        quotes = [item.quote for item in self.items] or ([self.quote] if self.quote else [])
        found: dict[str, tuple[Decimal, Decimal]] = {}
        for q in quotes:
            setup, monthly = found.get(q.currency, (Decimal(0), Decimal(0)))
            found[q.currency] = (setup + q.setup_fee, monthly + q.monthly_fee)
        return found

    @property
    def undo_being_checked(self) -> bool:
        """An undo was sent but its answer was lost; the bot is re-reading Vobiz to learn whether it happened."""
        return self.undo_state == "unknown"

    @property
    def undoable_until(self) -> datetime | None:
        """When a completed 24 h release stops being undoable; None when it cannot be undone (now)."""
        if self.kind is not Kind.RELEASE or self.status is not Status.SUCCEEDED or self.undone_at is not None:
            return None
        if self.undo_state is not None:  # an undo is under way or being checked
            return None
        return self.cooldown_ends_at


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime  # aware, UTC
    actor: Actor
    event: str  # requested, approved, denied, cancelled, expired, refused, executed, settled, undone, done
    action: str  # purchase, release, release_now, force_unassign, assign, unassign, undo_release
    outcome: str  # pending, succeeded, failed, outcome_unknown, denied, cancelled, expired, refused, cool_off
    e164: str | None = None
    sub_account_id: str | None = None
    request_id: str | None = None
    reason: str | None = None
    quote: Quote | None = None
    vobiz_error: str | None = None
    detail: str | None = None
    cool_off_until: datetime | None = None  # an unassign that met the cool-off: when it ends


@dataclass(frozen=True)
class OutboxItem:
    """One notification waiting for delivery: `kind` is an `OutboxKind` value, which says what `ref` names."""

    id: int
    kind: str
    ref: str
    attempts: int = 0
    attempted_elsewhere: bool = False  # another process began delivering it and did not finish: it may be in Slack


@dataclass(frozen=True)
class DirectResult:
    """The result of a direct (unapproved) operation: assign or unassign."""

    e164: str
    sub_account_id: str | None
    done: bool
    audit_id: int
    cool_off_until: datetime | None = None  # set when an unassign met the cool-off (done is False)
    cool_off_remaining_seconds: int | None = None


@dataclass(frozen=True)
class RequestList:
    mine: list[ApprovalRequest] = field(default_factory=list)
    awaiting_me: list[ApprovalRequest] = field(default_factory=list)


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries, newest first. Pass `next_before_id` as `before_id` for the next (older)
    page; it is None on the last page."""

    entries: list[AuditEntry]
    next_before_id: int | None = None


@dataclass(frozen=True)
class Checkpoint:
    """The audit chain's head at one moment: how many rows, the last row's id and its hash.

    Posted to the history channel, it is a witness kept outside the database: `verify(witness=...)`
    proves the log still holds exactly those rows. `id` is 0 and `at` None for a witness typed in by hand.
    """

    id: int
    at: datetime | None
    head_id: int
    head_hash: str
    row_count: int


@dataclass(frozen=True)
class VerifyReport:
    """What `Integrity.verify` found: intact, or the first bad row and why."""

    ok: bool
    rows_checked: int  # rows found good, in id order
    head_id: int  # the last row found good (the chain's head when ok) and its hash
    head_hash: str
    bad_row_id: int | None = None  # where the chain first fails (None: intact, or no single row to blame)
    problem: str | None = None  # a sentence for people
    checkpoints_checked: int = 0
    witness_checked: bool = False

    def summary(self) -> str:
        if self.ok:
            against = f"{self.checkpoints_checked} checkpoint{'' if self.checkpoints_checked == 1 else 's'}"
            if self.witness_checked:
                against += " and the witness"
            return (
                f"Audit log intact: {self.rows_checked} rows, head row {self.head_id} "
                f"(hash {self.head_hash}); agrees with {against}."
            )
        where = f"row {self.bad_row_id}" if self.bad_row_id is not None else "the log"
        return f"Audit log NOT intact at {where}: {self.problem}"
