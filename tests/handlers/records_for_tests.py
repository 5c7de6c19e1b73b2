"""Real records and real Vobiz models for the builder tests (no mocks: the builders read these types)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from api.models import Capabilities, Page, PhoneNumber
from bot.services.records import Actor, ApprovalRequest, Kind, Quote, Status

NOW = datetime(2026, 8, 1, 9, 30, tzinfo=timezone.utc)
REQUESTER = Actor("U0REQUEST", "riya")
APPROVER = Actor("U0APPROVE", "arjun")
QUOTE = Quote(setup_fee=Decimal("100"), monthly_fee=Decimal("300"), currency="INR")


def make_request(**changes: Any) -> ApprovalRequest:
    base = ApprovalRequest(
        id="R7K2QX4",
        kind=Kind.PURCHASE,
        e164="+918012345678",
        status=Status.PENDING,
        requester=REQUESTER,
        reason="A new support line for Bengaluru",
        created_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(hours=23),
        quote=QUOTE,
    )
    return replace(base, **changes)


def decided(status: Status, **changes: Any) -> ApprovalRequest:
    stamp: dict[str, Any] = {"decided_by": APPROVER, "decided_at": NOW - timedelta(minutes=5)}
    return make_request(status=status, **{**stamp, **changes})


def make_number(e164: str = "+918012345678", *, owner: str | None = "MA_SANDBOX01", **changes: Any) -> PhoneNumber:
    data: dict[str, Any] = {
        "e164": e164,
        "account_id": owner or "",
        "country": "IN",
        "region": "Karnataka",
        "capabilities": Capabilities(voice=True, sms=False),
        "status": "active",
        "setup_fee": Decimal("100"),
        "monthly_fee": Decimal("300"),
        "currency": "INR",
    }
    data.update(changes)
    return PhoneNumber(**data)


def indian_numbers(count: int, *, owner: str | None = "MA_SANDBOX01") -> list[PhoneNumber]:
    return [make_number(f"+9180{4000_0000 + i:08d}", owner=owner) for i in range(count)]


def make_page(items: list[PhoneNumber], *, page: int = 1, per_page: int = 25, total: int | None = None) -> Page[PhoneNumber]:
    return Page[PhoneNumber](items=items, page=page, per_page=per_page, total=len(items) if total is None else total)
