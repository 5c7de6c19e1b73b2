"""The sandbox's in-memory records: accounts and numbers. Plain mutable dataclasses, guarded by the
state's one lock; nothing here knows HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

PENDING_RELEASE_PERIOD = timedelta(hours=24)
QUARANTINE_PERIOD = timedelta(days=45)
COOL_OFF_PERIOD = timedelta(days=15)

# The sandbox bills every account in INR; numbers priced in other currencies are converted at these
# fixed rates (an invention: Vobiz does not document how it converts).
RATES_TO_INR: dict[str, Decimal] = {"INR": Decimal(1), "USD": Decimal(84), "GBP": Decimal(107)}

# Owner of numbers another customer bought (see SandboxState.sell_elsewhere): not a sandbox account.
ELSEWHERE_OWNER = "MA_ELSEWHERE01"


@dataclass
class Account:
    """A master (`MA_`) or sub (`SA_`) account. Balance lives on the master: sub-accounts spend it."""

    auth_id: str
    auth_token: str
    name: str
    parent: str | None  # None for the master
    release_fee: Decimal
    created_at: datetime
    numeric_id: str
    email: str = ""
    phone: str = ""
    description: str = ""
    balance: Decimal = Decimal(0)
    currency: str = "INR"
    admin: bool = False
    is_active: bool = True
    api_id: str = ""
    last_used: datetime | None = None

    @property
    def is_master(self) -> bool:
        return self.parent is None


@dataclass
class Number:
    """A telephone number: in inventory (no owner), owned, pending release, or quarantined."""

    id: str
    e164: str
    country: str
    region: str
    setup_fee: Decimal
    monthly_fee: Decimal
    currency: str
    created_at: datetime
    updated_at: datetime
    capabilities: dict[str, bool] = field(
        default_factory=lambda: {"voice": True, "sms": False, "mms": False, "fax": False}
    )
    # Terms Vobiz reports on every number: a minimum rental period and India's KYC requirement.
    minimum_commitment_months: int = 0
    aadhaar_verification_required: bool = False
    aadhaar_verified: bool = False
    owner: str | None = None
    status: str = "active"  # active | pending_release
    source: str = "inventory"
    tags: list[str] = field(default_factory=list)
    purchased_at: datetime | None = None
    last_billing_date: datetime | None = None
    next_billing_date: datetime | None = None
    application_id: str | None = None
    trunk_group_id: str | None = None
    released_at: datetime | None = None
    last_call_at: datetime | None = None
    # release bookkeeping
    cooldown_ends_at: datetime | None = None
    quarantine_ends_at: datetime | None = None
    released_by: str | None = None  # the owner before a release: may still ask to cancel (and hear 400)
    release_fee_charged: Decimal | None = None
    release_fee_payer: str | None = None

    @property
    def in_quarantine(self) -> bool:
        return self.quarantine_ends_at is not None

    @property
    def in_inventory(self) -> bool:
        return self.owner is None and not self.in_quarantine and self.status == "active"
