"""pydantic models of what Vobiz sends back.

They are tolerant on purpose, because one odd optional field must not make a whole answer unreadable
(a release that answered 200 has happened, whatever its body says):

- optional fields may be missing and unknown fields are ignored;
- the older `auth_id` owner name is read as `account_id`;
- numbers sent where text is expected (ids, `application_id`) are read as text;
- an empty or unreadable timestamp or amount is read as None (unknown), never as an error;
- `tags` may be anything (the inventory schema says "nullable, any type").

Fees stay `Decimal` so money is never rounded by floats. Required fields (`e164`, a purchase's
`number`, a sub-account's `auth_id`) are still required: without them an answer says nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from api.errors import parse_timestamp

T = TypeVar("T")


class VobizModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, coerce_numbers_to_str=True)


def _timestamp(value: Any) -> datetime | None:
    """An ISO-8601 string (or epoch seconds) as an aware datetime; anything unreadable is None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        return parse_timestamp(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _amount(value: Any) -> Decimal | None:
    """A money amount as Decimal (floats through their shortest text, so 1.1 stays 1.1); None when the
    amount is missing or unreadable, so callers treat it as unknown rather than failing the whole answer."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip()
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return amount if amount.is_finite() else None


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """For informational flags and counts: an unreadable value is None (unknown)."""
    try:
        return handler(value)
    except ValidationError:
        return None


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
    tags: Any = None  # a list of strings today; the inventory schema says "nullable, any type"
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
    _fees = field_validator("setup_fee", "monthly_fee", mode="before")(_amount)
    _flags = field_validator(
        "voice_enabled",
        "is_blocked",
        "is_trial_number",
        "minimum_commitment_months",
        "aadhaar_verification_required",
        "aadhaar_verified",
        mode="wrap",
    )(_or_none)

    @field_validator("capabilities", mode="before")
    @classmethod
    def _capabilities(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def owner(self) -> str | None:
        return self.account_id or None


def _is_last_page(count: int, asked: int, size: int, reported_total: int | None) -> bool:
    """Whether page `asked` (holding `count` entries, of pages of `size`) is the last one. When Vobiz
    leaves the total out, only an empty or short page ends the list: never guess that page 1 is all."""
    if count == 0:
        return True
    if reported_total is not None:
        return asked * size >= reported_total
    return count < size


def _total(count: int, page: int, size: int, reported_total: int | None) -> int:
    if reported_total is not None:
        return reported_total
    return (page - 1) * size + count if count else 0


_TOTAL = Field(default=None, validation_alias=AliasChoices("total", "reported_total"), serialization_alias="total")


class Page(VobizModel, Generic[T]):
    """One page of a list. `reported_total` is the count of every match as Vobiz sent it (None when it
    left it out); `total` is that count, or when unknown as many matches as this page proves exist (exact
    on a short last page, a lower bound while `has_next`)."""

    items: list[T] = Field(default_factory=list)
    page: int = 1
    per_page: int = 25
    reported_total: int | None = _TOTAL

    @property
    def total(self) -> int:
        return _total(len(self.items), self.page, self.per_page, self.reported_total)

    @property
    def total_known(self) -> bool:
        return self.reported_total is not None

    def is_last(self, asked: int) -> bool:
        """Whether this answer to a request for page `asked` ends the list."""
        return _is_last_page(len(self.items), asked, self.per_page, self.reported_total)

    @property
    def rows(self) -> list[T]:
        return self.items

    @property
    def has_next(self) -> bool:
        return not self.is_last(self.page)

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
    _fee = field_validator("release_fee", mode="before")(_amount)

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

    _refund = field_validator("refund_amount", mode="before")(_amount)

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
    _flags = field_validator("enabled", "is_active", mode="wrap")(_or_none)


class SubAccountPage(VobizModel):
    """One page of sub-accounts (`size` is its page size); `reported_total` and `total` as in `Page`."""

    sub_accounts: list[SubAccount] = Field(default_factory=list)
    reported_total: int | None = _TOTAL
    page: int = 1
    size: int = 25

    @property
    def total(self) -> int:
        return _total(len(self.sub_accounts), self.page, self.size, self.reported_total)

    @property
    def total_known(self) -> bool:
        return self.reported_total is not None

    def is_last(self, asked: int) -> bool:
        return _is_last_page(len(self.sub_accounts), asked, self.size, self.reported_total)

    @property
    def rows(self) -> list[SubAccount]:
        return self.sub_accounts

    @property
    def has_next(self) -> bool:
        return not self.is_last(self.page)
