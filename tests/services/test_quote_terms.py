"""A quote's terms: the plain words for them, and when a number's current terms still honour the quote."""

from __future__ import annotations

from decimal import Decimal

from bot.services.records import Quote
from bot.services.terms import commitment_notes


def test_the_words_for_a_numbers_terms() -> None:
    assert commitment_notes(12, True) == ["commits us for 12 months", "needs Aadhaar verification before use"]
    assert commitment_notes(1, False) == ["commits us for 1 month"]
    assert commitment_notes(0, None) == [] and commitment_notes(None, None) == []


def test_a_quote_binds_the_same_fees_and_the_terms_it_stated() -> None:
    quoted = Quote(Decimal(100), Decimal(300), "INR", commitment_months=0, aadhaar_required=False)
    assert quoted.binds(Quote(Decimal("100.00"), Decimal(300), "INR", 0, False))
    assert not quoted.binds(Quote(Decimal(100), Decimal(301), "INR", 0, False))  # re-priced
    assert not quoted.binds(Quote(Decimal(100), Decimal(300), "INR", 12, False))  # now commits us for a year
    assert not quoted.binds(Quote(Decimal(100), Decimal(300), "INR", 0, True))  # now needs Aadhaar
    assert quoted.binds(Quote(Decimal(100), Decimal(300), "INR", None, None))  # Vobiz stopped saying: nothing worse known
    older = Quote(Decimal(100), Decimal(300), "INR")  # terms not stated: shown to the approver as none
    assert older.binds(Quote(Decimal(100), Decimal(300), "INR", 0, False))
    assert not older.binds(Quote(Decimal(100), Decimal(300), "INR", 12, None))  # a commitment nobody approved
    assert not older.binds(Quote(Decimal(100), Decimal(300), "INR", None, True))  # an Aadhaar check nobody approved
    assert older == quoted  # equality is the fees, as the audit log keeps them
