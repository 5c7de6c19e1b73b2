"""The sandbox's state: accounts, numbers, the controllable clock and the behaviour switches, all behind
one lock. Timers (pending_release -> quarantine -> inventory) are settled lazily from timestamps, so
moving the clock is enough to move numbers along.

Control methods (the `/_sandbox/` API and the SandboxServer methods call these) raise `ControlError`
for bad input.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fakes.vobiz.model import (
    ELSEWHERE_OWNER,
    PENDING_RELEASE_PERIOD,
    QUARANTINE_PERIOD,
    Account,
    Number,
)
from fakes.vobiz.seed import SEED, START, build_world, stock
from fakes.vobiz.wire import amount, iso

RELEASE_MODES = ("current", "legacy_204", "legacy_message")
MAX_STOCK = 10_000


class ControlError(ValueError):
    """A control request that cannot be applied; the message says why."""


@dataclass
class Modes:
    """Behaviour switches for robustness tests. The defaults are the current documented behaviour."""

    strict_casing: bool = False  # 404 on the undocumented /account/ or /Account/ casing of a number route
    latency_ms: int = 0  # fixed delay before every /api answer
    release_mode: str = "current"  # current | legacy_204 | legacy_message (immediate, permanent, free)
    refund_fails: bool = False  # cancel-release restores the number but answers refund_status "failed"
    assign_status: int = 200  # 200 or 204 for assign/unassign-subaccount
    insufficient_balance_status: int = 500  # 500 "failed to purchase number", or 402 with the [ERR] envelope

    def validate(self) -> None:
        if self.release_mode not in RELEASE_MODES:
            raise ControlError(f"release_mode must be one of {', '.join(RELEASE_MODES)}")
        if self.assign_status not in (200, 204):
            raise ControlError("assign_status must be 200 or 204")
        if self.insufficient_balance_status not in (402, 500):
            raise ControlError("insufficient_balance_status must be 402 or 500")
        if not isinstance(self.latency_ms, int) or isinstance(self.latency_ms, bool) or self.latency_ms < 0:
            raise ControlError("latency_ms must be a whole number of milliseconds, 0 or more")
        for name in ("strict_casing", "refund_fails"):
            if not isinstance(getattr(self, name), bool):
                raise ControlError(f"{name} must be true or false")


class SandboxState:
    def __init__(self, *, seed: int = SEED, start: datetime = START, modes: Modes | None = None) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.start = start
        self._initial_modes = replace(modes) if modes else Modes()
        self._initial_modes.validate()
        self.reset()

    def reset(self) -> None:
        """Back to the seeded world, the start clock and the initial modes."""
        with self.lock:
            world = build_world(self.seed, self.start)
            self.accounts: dict[str, Account] = world.accounts
            self.numbers: dict[str, Number] = world.numbers
            self.modes = replace(self._initial_modes)
            self.audit: list[dict[str, Any]] = []
            self._now = self.start
            self._request_ids = 0

    # Clock -------------------------------------------------------------------------------------

    def now(self) -> datetime:
        with self.lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError("advance_seconds must be a number of seconds, 0 or more (the clock only moves forward)")
        with self.lock:
            self._now = self._now + timedelta(seconds=seconds)
            self.settle()
            return self._now

    def set_now(self, when: datetime) -> datetime:
        with self.lock:
            if when.tzinfo is None:
                raise ControlError("the time must carry a time zone, e.g. 2026-09-02T09:00:00Z")
            if when < self._now:
                raise ControlError(f"the clock only moves forward; it is already {iso(self._now)}")
            self._now = when
            self.settle()
            return self._now

    def settle(self) -> None:
        """Apply every timer that has run out by now: releases end, quarantines end."""
        with self.lock:
            for number in self.numbers.values():
                ends = number.cooldown_ends_at
                if number.status == "pending_release" and ends is not None and ends <= self._now:
                    self.quarantine(number, at=ends)
                if number.quarantine_ends_at and number.quarantine_ends_at <= self._now:
                    self.restock(number, at=number.quarantine_ends_at)

    def quarantine(self, number: Number, *, at: datetime) -> None:
        """The number leaves its owner for 45 days; then `settle` puts it back in inventory."""
        number.released_by = number.owner
        number.owner = None
        number.status = "released"
        number.released_at = at
        number.cooldown_ends_at = None
        number.quarantine_ends_at = at + QUARANTINE_PERIOD
        number.application_id = None
        number.trunk_group_id = None
        number.updated_at = at

    def restock(self, number: Number, *, at: datetime) -> None:
        """The number is available to buy again, as fresh as the day it was stocked."""
        number.owner = None
        number.status = "active"
        number.source = "inventory"
        number.tags = []
        number.purchased_at = number.last_billing_date = number.next_billing_date = None
        number.application_id = number.trunk_group_id = None
        number.released_at = number.last_call_at = None
        number.cooldown_ends_at = number.quarantine_ends_at = None
        number.released_by = None
        number.release_fee_charged = None
        number.release_fee_payer = None
        number.updated_at = at

    # Accounts and ownership --------------------------------------------------------------------

    @property
    def master(self) -> Account:
        return next(account for account in self.accounts.values() if account.is_master)

    def authenticate(self, auth_id: str | None, token: str | None) -> Account | None:
        account = self.accounts.get(auth_id or "")
        if account is None or not token or token != account.auth_token:
            return None
        return account

    def acting_account(self, caller: Account, path_auth_id: str) -> Account | None:
        """The account a path names, if the caller may act as it (itself, or a master's own child)."""
        target = self.accounts.get(path_auth_id)
        if target is None:
            return None
        if target.auth_id == caller.auth_id or (caller.is_master and target.parent == caller.auth_id):
            return target
        return None

    def payer(self, account: Account) -> Account:
        return self.accounts[account.parent] if account.parent else account

    def controls(self, account: Account, owner_id: str | None) -> bool:
        """True when `owner_id` is the account itself or (for a master) one of its sub-accounts."""
        if not owner_id:
            return False
        if owner_id == account.auth_id:
            return True
        owner = self.accounts.get(owner_id)
        return owner is not None and owner.parent == account.auth_id

    def children(self, account: Account) -> list[Account]:
        return [a for a in self.accounts.values() if a.parent == account.auth_id]

    def next_request_id(self) -> str:
        with self.lock:
            self._request_ids += 1
            return f"req_sandbox_{self._request_ids:06d}"

    def record(self, action: str, **details: Any) -> None:
        """Append to the sandbox's own audit trail (Vobiz's `did_assignment_audit` and the like)."""
        with self.lock:
            entry = {"at": iso(self._now), "action": action}
            entry.update({key: _jsonable(value) for key, value in details.items()})
            self.audit.append(entry)

    # Control -----------------------------------------------------------------------------------

    def number_or_error(self, e164: Any) -> Number:
        if not isinstance(e164, str) or e164.strip() not in self.numbers:
            raise ControlError(f"no such number in the sandbox: {e164!r}")
        return self.numbers[e164.strip()]

    def set_balance(self, value: Any) -> Decimal:
        balance = _decimal(value, "amount")
        with self.lock:
            self.master.balance = balance
            return balance

    def set_last_call(self, e164: Any, when: datetime | None) -> None:
        with self.lock:
            number = self.number_or_error(e164)
            if when is not None and when.tzinfo is None:
                raise ControlError("the time must carry a time zone, e.g. 2026-09-01T08:00:00Z")
            number.last_call_at = when

    def set_admin(self, flag: Any) -> None:
        if not isinstance(flag, bool):
            raise ControlError("admin must be true or false")
        with self.lock:
            self.master.admin = flag

    def set_fees(self, e164: Any, setup_fee: Any, monthly_fee: Any) -> None:
        setup = _decimal(setup_fee, "setup_fee", minimum=Decimal(0))
        monthly = _decimal(monthly_fee, "monthly_fee", minimum=Decimal(0))
        with self.lock:
            number = self.number_or_error(e164)
            number.setup_fee, number.monthly_fee = setup, monthly
            number.updated_at = self._now

    def set_terms(self, e164: Any, minimum_commitment_months: Any, aadhaar_verification_required: Any) -> None:
        if isinstance(minimum_commitment_months, bool) or not isinstance(minimum_commitment_months, int):
            raise ControlError("minimum_commitment_months must be a whole number of months")
        if minimum_commitment_months < 0:
            raise ControlError("minimum_commitment_months must be 0 or more")
        if not isinstance(aadhaar_verification_required, bool):
            raise ControlError("aadhaar_verification_required must be true or false")
        with self.lock:
            number = self.number_or_error(e164)
            number.minimum_commitment_months = minimum_commitment_months
            number.aadhaar_verification_required = aadhaar_verification_required
            number.updated_at = self._now

    def stock(self, country: Any, count: Any) -> int:
        """Add `count` (1..10,000) fresh inventory numbers of `country`; answers the inventory size after."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_STOCK:
            raise ControlError(f"count must be a whole number from 1 to {MAX_STOCK:,}")
        if not isinstance(country, str):
            raise ControlError("country must be an ISO-2 code such as IN")
        with self.lock:
            try:
                fresh = stock(self.seed, country.upper(), count, self.start, set(self.numbers))
            except ValueError as problem:
                raise ControlError(str(problem)) from None
            for number in fresh:
                self.numbers[number.e164] = number
            return sum(1 for n in self.numbers.values() if n.in_inventory)

    def sell_elsewhere(self, e164: Any) -> None:
        """Another customer buys this inventory number: it leaves inventory for good."""
        with self.lock:
            self.settle()
            number = self.number_or_error(e164)
            if not number.in_inventory:
                raise ControlError(f"{number.e164} is not in inventory")
            number.owner = ELSEWHERE_OWNER
            number.source = "inventory"
            number.purchased_at = self._now
            number.updated_at = self._now

    def configure(self, **changes: Any) -> Modes:
        unknown = set(changes) - set(asdict(self.modes))
        if unknown:
            raise ControlError(f"unknown mode {sorted(unknown)[0]!r}; known: {', '.join(asdict(self.modes))}")
        with self.lock:
            candidate = replace(self.modes, **changes)
            candidate.validate()
            self.modes = candidate
            return replace(candidate)

    def describe(self, e164: Any) -> dict[str, Any]:
        """One number's full sandbox record (owner, timers, last call ...), JSON-ready."""
        with self.lock:
            self.settle()
            return _number_state(self.number_or_error(e164))

    def snapshot(self) -> dict[str, Any]:
        """Everything, JSON-ready: what `GET /_sandbox/state` answers."""
        with self.lock:
            self.settle()
            numbers = [_number_state(n) for n in sorted(self.numbers.values(), key=lambda n: n.e164)]
            counts: dict[str, int] = {}
            for entry in numbers:
                counts[entry["where"]] = counts.get(entry["where"], 0) + 1
            return {
                "now": iso(self._now),
                "seed": self.seed,
                "modes": asdict(self.modes),
                "accounts": [_account_state(a) for a in self.accounts.values()],
                "counts": counts,
                "numbers": numbers,
                "audit": list(self.audit),
            }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return amount(value)
    return value


def _decimal(value: Any, name: str, *, minimum: Decimal | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ControlError(f"{name} must be a number")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ControlError(f"{name} must be a number") from None
    if not result.is_finite():
        raise ControlError(f"{name} must be a finite number")
    if minimum is not None and result < minimum:
        raise ControlError(f"{name} must be at least {minimum}")
    return result


def _where(number: Number) -> str:
    if number.status == "pending_release":
        return "pending_release"
    if number.in_quarantine:
        return "quarantined"
    if number.owner == ELSEWHERE_OWNER:
        return "sold_elsewhere"
    return "owned" if number.owner else "inventory"


def _number_state(number: Number) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return iso(value) if value else None

    return {
        "e164": number.e164,
        "id": number.id,
        "where": _where(number),
        "owner": number.owner,
        "status": number.status,
        "country": number.country,
        "region": number.region,
        "setup_fee": amount(number.setup_fee),
        "monthly_fee": amount(number.monthly_fee),
        "currency": number.currency,
        "capabilities": dict(number.capabilities),
        "minimum_commitment_months": number.minimum_commitment_months,
        "aadhaar_verification_required": number.aadhaar_verification_required,
        "purchased_at": when(number.purchased_at),
        "last_call_at": when(number.last_call_at),
        "cooldown_ends_at": when(number.cooldown_ends_at),
        "quarantine_ends_at": when(number.quarantine_ends_at),
        "released_at": when(number.released_at),
        "released_by": number.released_by,
        "release_fee_charged": amount(number.release_fee_charged) if number.release_fee_charged is not None else None,
        "application_id": number.application_id,
        "trunk_group_id": number.trunk_group_id,
    }


def _account_state(account: Account) -> dict[str, Any]:
    return {
        "auth_id": account.auth_id,
        "name": account.name,
        "parent": account.parent,
        "balance": amount(account.balance) if account.is_master else None,
        "currency": account.currency,
        "release_fee": amount(account.release_fee),
        "admin": account.admin,
        "is_active": account.is_active,
    }


__all__ = ["ControlError", "Modes", "PENDING_RELEASE_PERIOD", "RELEASE_MODES", "SandboxState"]
