"""Allowances: purchases approved by a rule instead of a person (AUTO_APPROVE_MONTHLY_FEE with
AUTO_APPROVE_PER_PERSON purchases a person a calendar month, UTC).

`take(db, requester, purchases, monthly_total)` is the one check: inside the caller's write unit (the one
that approves the request), it counts the purchases against the person's month in the store with one guarded
update, so concurrent requests (threads, processes) never pass the cap. A bulk request passes its number of
purchases and their monthly fees together; one purchase passes 1 and its own monthly fee. Never for
releases or force operations (callers only ask for purchases), never across currencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.config import Settings
from bot.services.clock import Clock
from bot.services.records import ALLOWANCE_RULE_PREFIX, Actor
from bot.store import Connection, Store, allowances


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class AllowanceGrant:
    """Purchases approved by the allowance: the rule's text (the audit reason) and what is left this month."""

    rule: str
    used: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")  # the clock is UTC


class Allowances:
    def __init__(self, *, settings: Settings, store: Store, clock: Clock) -> None:
        self._cap = settings.auto_approve_monthly_fee
        self._per_person = settings.auto_approve_per_person
        self._store = store
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return self._cap is not None and self._per_person > 0

    @property
    def rule(self) -> str:
        return (
            f"{ALLOWANCE_RULE_PREFIX} a monthly fee of at most {self._cap} and up to {self._per_person} "
            f"purchase{'' if self._per_person == 1 else 's'} a person each calendar month (UTC)"
        )

    def take(
        self, db: Connection, requester: Actor, purchases: int, monthly_total: Money, *, at: datetime
    ) -> AllowanceGrant | None:
        """Inside the approving unit: count `purchases` (whose monthly fees add up to `monthly_total`) against
        `requester`'s allowance this month; the grant, or None (nothing counted) when the rule does not cover
        them: off, another currency, above the fee, or not enough left."""
        cap = self._cap
        if cap is None or self._per_person <= 0 or purchases < 1:
            return None
        if monthly_total.currency.upper() != cap.currency or monthly_total.amount > cap.amount:
            return None
        # the month of the decision (`at`, its decided_at), which a purchase not made gives back to
        used = allowances.take(db, requester.user_id, month_of(at), purchases, self._per_person)
        if used is None:
            return None
        return AllowanceGrant(rule=self.rule, used=used, limit=self._per_person)

    def remaining(self, requester: Actor) -> int | None:
        """How many auto-approved purchases `requester` has left this month; None when allowances are off."""
        if not self.enabled:
            return None
        with self._store.read() as db:
            used = allowances.used(db, requester.user_id, month_of(self._clock()))
        return max(0, self._per_person - used)
