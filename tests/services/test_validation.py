"""What people type, turned into values or a clear InvalidInput."""

from __future__ import annotations

import pytest

from bot.services import validation
from bot.services.errors import InvalidInput


def test_numbers_are_normalised_or_refused_with_the_reason() -> None:
    assert validation.e164(" +91 80-1234 5678 ") == "+918012345678"
    with pytest.raises(InvalidInput, match="E.164"):
        validation.e164("call me maybe")
    with pytest.raises(InvalidInput, match="too short"):
        validation.e164("+12")


@pytest.mark.parametrize("raw", [None, "", "   ", "\n"])
def test_a_reason_is_required(raw: object) -> None:
    with pytest.raises(InvalidInput, match="required"):
        validation.reason(raw)


def test_a_reason_is_stripped_and_at_most_500_characters() -> None:
    assert validation.reason("  new support line  ") == "new support line"
    assert validation.reason("x" * 500) == "x" * 500
    with pytest.raises(InvalidInput, match="at most 500"):
        validation.reason("x" * 501)


def test_sub_account_ids() -> None:
    assert validation.sub_account_id(" SA_SALES0001 ") == "SA_SALES0001"
    for bad in ("MA_SANDBOX01", "SA_", "SA_sales-1", "", None):
        with pytest.raises(InvalidInput, match="SA_"):
            validation.sub_account_id(bad)


def test_request_ids_are_read_the_crockford_way() -> None:
    assert validation.request_id(" r7k2qx9 ") == "R7K2QX9"
    assert validation.request_id("R0O1IL0") == "R001110"  # O reads as 0, I and L as 1
    for bad in ("R7K2QX", "R7K2QX99", "X7K2QX9", "R7K2QU9", "", None, "R7K2QX9; DROP TABLE"):
        with pytest.raises(InvalidInput, match="request id"):
            validation.request_id(bad)


def test_search_country_and_page() -> None:
    assert validation.search(" +91 80 ") == "+9180"
    assert validation.search("") is None
    with pytest.raises(InvalidInput):
        validation.search("abc")
    assert validation.country("in") == "IN"
    assert validation.country(None) is None
    with pytest.raises(InvalidInput):
        validation.country("India")
    assert validation.page_number(2) == 2
    for bad in (0, -1, True, "2"):
        with pytest.raises(InvalidInput):
            validation.page_number(bad)


def test_a_nul_in_a_reason_is_dropped_before_it_is_stored_or_hashed() -> None:
    """PostgreSQL text cannot hold a NUL, and the hash is computed before the row is stored: the reason is
    cleaned first, so both engines store (and hash) the same text."""
    from bot.services import validation

    assert validation.reason("new\x00 support line") == "new support line"
