"""E.164 validation, normalisation and display; used before any number reaches the network."""

from __future__ import annotations

import re
from urllib.parse import quote

import phonenumbers

from api.errors import InvalidNumber

_ALLOWED = re.compile(r"^[+0-9 ()./\-]+$")


def normalize_e164(raw: object) -> str:
    """Return `raw` as E.164 (`"+91 80-1234 5678"` -> `"+918012345678"`), or raise InvalidNumber.

    The number must carry its country code: either a leading `+` or digits that start with one.
    """
    if not isinstance(raw, str):
        raise InvalidNumber(raw)
    text = raw.strip()
    if not text or len(text) > 40 or not _ALLOWED.match(text):
        raise InvalidNumber(raw)
    digits = re.sub(r"\D", "", text)
    if not 8 <= len(digits) <= 15:
        raise InvalidNumber(raw, "too short to be a phone number" if len(digits) < 8 else "too long")
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(raw) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidNumber(raw, "not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def path_segment(e164: str) -> str:
    """The number as it goes into a URL path: `+` written as `%2B`."""
    return quote(e164, safe="")


def display(e164: str) -> str:
    """The number formatted for people: `+91 80 1234 5678`. Falls back to the raw string."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def country_of(e164: str) -> str | None:
    """ISO-2 region of a number, when phonenumbers knows it."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed)
