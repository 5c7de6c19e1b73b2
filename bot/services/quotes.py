"""The fees of a number as a Quote, or a clear reason why Vobiz did not give them."""

from __future__ import annotations

from api.models import PhoneNumber

from bot.services.records import Quote

DEFAULT_CURRENCY = "USD"  # what Vobiz charges in when a number names no currency


class QuoteUnavailable(Exception):
    pass


def quote_of(number: PhoneNumber) -> Quote:
    if number.setup_fee is None or number.monthly_fee is None:
        raise QuoteUnavailable("Vobiz did not state its setup and monthly fees")
    return Quote(
        number.setup_fee,
        number.monthly_fee,
        (number.currency or DEFAULT_CURRENCY).upper(),
        commitment_months=number.minimum_commitment_months,
        aadhaar_required=number.aadhaar_verification_required,
    )
