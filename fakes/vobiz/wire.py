"""What the sandbox puts on the wire: the current Vobiz schema only (see the contract, §2 and §6.17).

Optional fields the schema types as plain strings (`application_id`, billing dates, `released_at`,
`trunk_group_id`) are left out when unset rather than sent as null, because the OpenAPI 3.0 schemas do
not mark them nullable. Whole-number amounts go out as JSON integers.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from fakes.vobiz.model import Account, Number


def iso(when: datetime) -> str:
    """ISO-8601 UTC with a `Z`: seconds when whole, else microseconds (Vobiz sends both)."""
    when = when.astimezone(timezone.utc)
    if when.microsecond:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Read an ISO-8601 timestamp (a `Z` or an offset; naive means UTC). Raises ValueError."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def amount(value: Decimal | int | float) -> int | float:
    """A money amount as JSON: an integer when whole."""
    as_decimal = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if as_decimal == as_decimal.to_integral_value():
        return int(as_decimal)
    return float(as_decimal)


def _common(number: Number) -> dict[str, Any]:
    return {
        "id": number.id,
        "account_id": number.owner or "",
        "e164": number.e164,
        "country": number.country,
        "region": number.region,
        "capabilities": dict(number.capabilities),
        "status": number.status,
        "provider": "",
        "setup_fee": amount(number.setup_fee),
        "monthly_fee": amount(number.monthly_fee),
        "currency": number.currency,
    }


def owned_number(number: Number) -> dict[str, Any]:
    """An owned number as the account-numbers list and the purchase answer show it."""
    body = _common(number)
    optional = {
        "application_id": number.application_id,
        "last_billing_date": iso(number.last_billing_date) if number.last_billing_date else None,
        "next_billing_date": iso(number.next_billing_date) if number.next_billing_date else None,
        "released_at": iso(number.released_at) if number.released_at else None,
        "trunk_group_id": number.trunk_group_id,
    }
    body.update(
        {
            "voice_enabled": number.capabilities.get("voice", False),
            "tags": list(number.tags),
            "purchased_at": iso(number.purchased_at or number.created_at),
            "is_blocked": False,
            "created_at": iso(number.created_at),
            "updated_at": iso(number.updated_at),
            "is_trial_number": False,
            **_terms(number),
            "source": number.source,
        }
    )
    body.update({key: value for key, value in optional.items() if value is not None})
    return body


def inventory_number(number: Number) -> dict[str, Any]:
    """An inventory number: the full required set, `account_id: ""`, `tags: null`, no `purchased_at`."""
    body = _common(number)
    body.update(
        {
            "voice_enabled": number.capabilities.get("voice", False),
            "tags": None,
            "is_blocked": False,
            "created_at": iso(number.created_at),
            "updated_at": iso(number.updated_at),
            "is_trial_number": False,
            **_terms(number),
        }
    )
    return body


def _terms(number: Number) -> dict[str, Any]:
    return {
        "minimum_commitment_months": number.minimum_commitment_months,
        "aadhaar_verification_required": number.aadhaar_verification_required,
        "aadhaar_verified": number.aadhaar_verified,
    }


def purchase_summary(number: Number) -> dict[str, Any]:
    """The reduced copy the purchase answer carries in `items`."""
    full = _common(number)
    keys = ("id", "account_id", "e164", "country", "region", "capabilities", "status", "monthly_fee", "currency")
    return {key: full[key] for key in keys}


def sub_account(account: Account, master: Account) -> dict[str, Any]:
    """A sub-account as the sub-accounts list shows it; the token is always `<redacted>`."""
    base = f"/api/v1/accounts/{master.auth_id}/"
    return {
        "name": account.name,
        "email": account.email,
        "phone": account.phone,
        "description": account.description,
        "permissions": {"cdr": True, "calls": True},
        "rate_limit": 1000,
        "id": account.numeric_id,
        "parent_account_id": master.numeric_id,
        "parent_auth_id": master.auth_id,
        "auth_id": account.auth_id,
        "auth_token": "<redacted>",
        "api_id": account.api_id,
        "email_verified": True,
        "enabled": account.is_active,
        "created": iso(account.created_at),
        "modified": iso(account.created_at),
        "is_active": account.is_active,
        "created_at": iso(account.created_at),
        "updated_at": iso(account.created_at),
        "last_used": iso(account.last_used) if account.last_used else None,
        "account": base,
        "resource_uri": f"{base}sub-accounts/{account.auth_id}/",
    }


def page(items: list[dict[str, Any]], page_number: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page_number, "per_page": per_page, "total": total}


def error(code: str, message: str) -> dict[str, str]:
    """The flat error body every number endpoint except cancel-release uses."""
    return {"error": code, "message": message}
