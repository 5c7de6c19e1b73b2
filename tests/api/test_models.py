"""The Vobiz models read every answer shape the contract describes, and one odd optional field never makes a
whole answer unreadable: it becomes None (unknown) while everything else is still read."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from api import CoolOffInEffect, Page, PhoneNumber, ReleaseResult, SubAccount, SubAccountPage
from api.models import CancelReleaseResult
from client_helpers import AUTH_ID, json_reply, number_json, page_json, scripted_client

NUMBER = "+918012345678"


def phone(**fields: Any) -> PhoneNumber:
    return PhoneNumber.model_validate(number_json(NUMBER, **fields))


# The owner -------------------------------------------------------------------------------------


def test_the_older_auth_id_owner_name_is_read_as_account_id() -> None:
    body = number_json(NUMBER)
    body["auth_id"] = body.pop("account_id")
    number = PhoneNumber.model_validate(body)
    assert number.account_id == AUTH_ID
    assert number.owner == AUTH_ID


def test_an_inventory_item_with_an_empty_owner_and_null_tags_has_no_owner() -> None:
    number = phone(account_id="", tags=None)
    assert number.owner is None
    assert number.tags is None


# Unknown and odd fields ------------------------------------------------------------------------


def test_unknown_extra_fields_are_ignored() -> None:
    number = phone(provider_ref="MY-CARRIER-123", routing={"weights": [1, 2]}, new_flag=True)
    assert number.e164 == NUMBER
    assert not hasattr(number, "provider_ref") and not hasattr(number, "routing")


def test_numeric_ids_are_read_as_text() -> None:
    number = phone(id=7, application_id=20577609616603585, trunk_group_id=42)
    assert number.id == "7"
    assert number.application_id == "20577609616603585"
    assert number.trunk_group_id == "42"
    sub = SubAccount.model_validate({"auth_id": "SA_X", "id": 1234})
    assert sub.id == "1234"


@pytest.mark.parametrize("tags", [None, [], ["sales"], "sales", {"team": "sales"}, 3])
def test_tags_may_be_anything(tags: Any) -> None:
    assert phone(tags=tags).tags == tags


@pytest.mark.parametrize(
    "odd",
    [
        {"is_blocked": "maybe"},
        {"voice_enabled": {"on": True}},
        {"minimum_commitment_months": "none"},
        {"aadhaar_verified": []},
    ],
)
def test_an_unreadable_informational_flag_is_unknown_not_an_error(odd: dict[str, Any]) -> None:
    [(field, _)] = odd.items()
    number = phone(**odd)
    assert getattr(number, field) is None
    assert number.e164 == NUMBER and number.setup_fee == Decimal(100)


# Money -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "read"),
    [(100, Decimal("100")), (1.0, Decimal("1.0")), (0.1, Decimal("0.1")), (12.35, Decimal("12.35")), ("700", Decimal("700"))],
)
def test_fees_are_decimal_without_float_rounding(sent: Any, read: Decimal) -> None:
    number = phone(setup_fee=sent, monthly_fee=sent)
    for fee in (number.setup_fee, number.monthly_fee):
        assert isinstance(fee, Decimal)
        assert fee == read and str(fee) == str(read)
    released = ReleaseResult.model_validate({"status": "pending_release", "release_fee": sent})
    assert isinstance(released.release_fee, Decimal) and released.release_fee == read


@pytest.mark.parametrize("odd", ["", "free", None, True, "NaN", "Infinity", [1]])
def test_an_unreadable_fee_is_unknown(odd: Any) -> None:
    number = phone(monthly_fee=odd)
    assert number.monthly_fee is None
    assert number.setup_fee == Decimal(100)
    assert CancelReleaseResult.model_validate({"status": "active", "refund_amount": odd}).refund_amount is None


# Timestamps --------------------------------------------------------------------------------------


def test_timestamps_of_every_documented_precision_are_aware_utc() -> None:
    number = phone(
        created_at="2026-03-25T06:00:00Z",
        updated_at="2026-03-25T06:58:54.752187Z",
        released_at="2026-07-21T09:18:26.785758533Z",
    )
    assert number.created_at == datetime(2026, 3, 25, 6, 0, tzinfo=timezone.utc)
    assert number.updated_at == datetime(2026, 3, 25, 6, 58, 54, 752187, tzinfo=timezone.utc)
    assert number.released_at == datetime(2026, 7, 21, 9, 18, 26, 785758, tzinfo=timezone.utc)


@pytest.mark.parametrize("odd", ["", "   ", "tomorrow", "2026-13-45T99:00:00Z", {"at": 1}, [], True])
def test_an_empty_or_unreadable_timestamp_is_none(odd: Any) -> None:
    number = phone(created_at=odd, purchased_at=odd, next_billing_date=odd)
    assert (number.created_at, number.purchased_at, number.next_billing_date) == (None, None, None)
    assert number.updated_at is not None  # the readable one next to them still counts
    assert SubAccount.model_validate({"auth_id": "SA_X", "created_at": odd}).created_at is None


def test_a_release_with_an_empty_cooldown_still_reads_as_pending() -> None:
    result = ReleaseResult.model_validate(
        {"status": "pending_release", "cooldown_ends_at": "", "cancel_url": "/x", "message": "m", "release_fee": 700}
    )
    assert result.cancellable and result.cooldown_ends_at is None and result.release_fee == Decimal(700)


# Through the client: what a caller gets from odd answers --------------------------------------------


def test_a_release_answered_200_with_an_empty_cooldown_is_read_not_reported_as_unreadable() -> None:
    body = {
        "cancel_url": f"/api/v1/account/{AUTH_ID}/numbers/{NUMBER}/cancel-release",
        "cooldown_ends_at": "",
        "message": "number release initiated",
        "release_fee": 700,
        "status": "pending_release",
    }
    client, script, _ = scripted_client(json_reply(200, body))

    result = client.numbers.release(NUMBER)

    assert result.status == "pending_release" and result.cancellable
    assert result.cooldown_ends_at is None and result.release_fee == Decimal(700)
    assert len(script.seen) == 1


def test_a_page_with_one_odd_item_still_reads_every_item() -> None:
    items = [number_json(f"+9180123456{index:02d}") for index in range(5)]
    items[2].update(
        created_at="", updated_at="not a time", tags={"odd": True}, application_id=5, id=99, is_blocked="?", setup_fee=1.0
    )
    client, _, _ = scripted_client(json_reply(200, page_json(items, page=1, per_page=25, total=5)))

    page = client.numbers.list_page()

    assert [n.e164 for n in page.items] == [item["e164"] for item in items]
    odd = page.items[2]
    assert (odd.created_at, odd.updated_at, odd.is_blocked) == (None, None, None)
    assert (odd.id, odd.application_id, odd.setup_fee) == ("99", "5", Decimal("1.0"))
    assert page.items[1].created_at == datetime(2026, 3, 25, 6, 0, tzinfo=timezone.utc)


def test_an_item_without_its_number_still_makes_the_page_unreadable() -> None:
    """Tolerance stops at required fields: a listing that does not say which number is not guessed at."""
    items = [number_json("+918012345600"), {"id": "x", "account_id": AUTH_ID}]
    with pytest.raises(ValueError, match="e164"):
        Page[PhoneNumber].model_validate(page_json(items, page=1, per_page=25, total=2))


@pytest.mark.parametrize("remaining", [1209600, 1209600.0, "1209600", " 1209600 "])
def test_cool_off_remaining_seconds_are_read_from_numbers_and_numeric_strings(remaining: Any) -> None:
    body = {"error": "did_cool_off_in_effect", "cool_off_until": "2026-06-09T10:00:00Z", "cool_off_remaining_seconds": remaining}
    client, _, _ = scripted_client(json_reply(409, body))
    with pytest.raises(CoolOffInEffect) as caught:
        client.numbers.unassign_subaccount(NUMBER)
    assert caught.value.remaining_seconds == 1209600
    assert caught.value.cool_off_until == datetime(2026, 6, 9, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("odd", ["", "soon", None, True, -5, [1]])
def test_an_unreadable_cool_off_is_still_a_cool_off(odd: Any) -> None:
    body = {"error": "did_cool_off_in_effect", "cool_off_until": "" if odd == "" else "later", "cool_off_remaining_seconds": odd}
    client, _, _ = scripted_client(json_reply(409, body))
    with pytest.raises(CoolOffInEffect) as caught:
        client.numbers.unassign_subaccount(NUMBER)
    assert caught.value.remaining_seconds is None and caught.value.cool_off_until is None


def test_a_subaccount_page_reads_numeric_ids_and_odd_flags() -> None:
    page = SubAccountPage.model_validate(
        {"sub_accounts": [{"auth_id": "SA_A", "id": 3, "enabled": "perhaps", "is_active": True}], "total": 1}
    )
    [sub] = page.sub_accounts
    assert (sub.id, sub.enabled, sub.is_active) == ("3", None, True)
