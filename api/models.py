"""pydantic models of what Vobiz sends back.

They are tolerant on purpose: optional fields may be missing, unknown fields are ignored, and the older
`auth_id` owner name is read as `account_id`. Fees stay `Decimal` so money is never rounded by floats.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from api.errors import parse_timestamp

T = TypeVar("T")


class VobizModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


def _timestamp(value: Any) -> Any:
    if isinstance(value, str):
        return parse_timestamp(value) or value
    return value


class Capabilities(VobizModel):
    voice: bool = False
    sms: bool = False
    mms: bool = False
    fax: bool = False


class PhoneNumber(VobizModel):
    """A phone number, owned by an account or (with an empty `account_id`) in inventory."""

    e164: str
    id: str | None = None
    account_id: str | None = Field(default=None, validation_alias=AliasChoices("account_id", "auth_id"))
    country: str | None = None
    region: str | None = None
    capabilities: Capabilities = Field(default_factory=Capabilities)
    status: str | None = None
    provider: str | None = None
    setup_fee: Decimal | None = None
    monthly_fee: Decimal | None = None
    currency: str | None = None
    application_id: str | None = None
    voice_enabled: bool | None = None
    tags: list[Any] | None = None
    purchased_at: datetime | None = None
    is_blocked: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    is_trial_number: bool | None = None
    last_billing_date: datetime | None = None
    next_billing_date: datetime | None = None
    minimum_commitment_months: int | None = None
    aadhaar_verification_required: bool | None = None
    aadhaar_verified: bool | None = None
    source: str | None = None
    released_at: datetime | None = None
    trunk_group_id: str | None = None

    _ts = field_validator(
        "purchased_at",
        "created_at",
        "updated_at",
        "last_billing_date",
        "next_billing_date",
        "released_at",
        mode="before",
    )(_timestamp)

    @field_validator("capabilities", mode="before")
    @classmethod
    def _capabilities(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def owner(self) -> str | None:
        return self.account_id or None


class Page(VobizModel, Generic[T]):
    """One page of a list: `total` counts every match, not just this page."""

    items: list[T] = Field(default_factory=list)
    page: int = 1
    per_page: int = 25
    total: int = 0

    @property
    def has_next(self) -> bool:
        return bool(self.items) and self.page * self.per_page < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1


class PurchaseResult(VobizModel):
    message: str | None = None
    number: PhoneNumber


class ReleaseResult(VobizModel):
    """What a release answered. Older API versions answered 204 or `{"message": ...}`: then only
    `status` is known ("released", permanent) and the other fields are None."""

    status: str = "pending_release"
    message: str | None = None
    note: str | None = None
    cancel_url: str | None = None
    cooldown_ends_at: datetime | None = None
    release_fee: Decimal | None = None

    _ts = field_validator("cooldown_ends_at", mode="before")(_timestamp)

    @property
    def cancellable(self) -> bool:
        return self.status == "pending_release"


class CancelReleaseResult(VobizModel):
    message: str | None = None
    status: str = "active"
    currency: str | None = None
    refund_amount: Decimal | None = None
    refund_status: str | None = None
    refund_error: str | None = None

    @property
    def refunded(self) -> bool:
        return self.refund_status != "failed"


class SubAccount(VobizModel):
    auth_id: str
    name: str | None = None
    id: str | None = None
    email: str | None = None
    description: str | None = None
    parent_auth_id: str | None = None
    enabled: bool | None = None
    is_active: bool | None = None
    created_at: datetime | None = None

    _ts = field_validator("created_at", mode="before")(_timestamp)


class SubAccountPage(VobizModel):
    sub_accounts: list[SubAccount] = Field(default_factory=list)
    total: int = 0
    page: int = 1
    size: int = 25

    @property
    def has_next(self) -> bool:
        return bool(self.sub_accounts) and self.page * self.size < self.total
