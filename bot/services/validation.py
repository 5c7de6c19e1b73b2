"""Turning what people typed into values the services can use, or an `InvalidInput` that says why."""

from __future__ import annotations

import re

from api.errors import InvalidNumber
from api.phone import MAX_DIGITS, Problem, is_number_word, is_valid_number, normalize_e164, number_problem
from bot.services.errors import InvalidInput

# The phone-number rules live in api.phone; the handlers, which may not import api, reach them here.
__all__ = [
    "MAX_DIGITS", "Problem", "is_number_word", "is_valid_number", "number_problem",
    "country", "e164", "page_number", "reason", "request_id", "search", "sub_account_id",
]

MAX_REASON_CHARS = 500
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REQUEST_ID_LENGTH = 6
_REQUEST_ID = re.compile(rf"^R[{CROCKFORD}]{{{REQUEST_ID_LENGTH}}}$")
_SUB_ACCOUNT = re.compile(r"^SA_[A-Za-z0-9]+$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_SEARCH = re.compile(rf"^\+?[0-9]{{1,{MAX_DIGITS}}}$")
# Crockford base32 reads the letters people confuse with digits as those digits.
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def e164(raw: object) -> str:
    try:
        return normalize_e164(raw)
    except InvalidNumber as exc:
        raise InvalidInput(exc.message) from None


def reason(raw: object, *, what: str = "a reason") -> str:
    # A NUL is no text a person meant, and PostgreSQL text cannot hold one: drop it before it is hashed.
    text = raw.replace("\x00", "").strip() if isinstance(raw, str) else ""
    if not text:
        raise InvalidInput(f"Please give {what}: it is required and goes into the audit log.")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(f"Please shorten {what} to at most {MAX_REASON_CHARS} characters (it has {len(text)}).")
    return text


def sub_account_id(raw: object) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    if not _SUB_ACCOUNT.match(text):
        shown = f"'{text[:40]}'" if text else "nothing"
        raise InvalidInput(f"A sub-account id looks like SA_SALES0001 (SA_ then letters and digits); got {shown}.")
    return text


def request_id(raw: object) -> str:
    text = raw.strip().upper().translate(_CROCKFORD_ALIASES) if isinstance(raw, str) else ""
    if not _REQUEST_ID.match(text):
        shown = f"'{raw.strip()[:20]}'" if isinstance(raw, str) and raw.strip() else "nothing"
        raise InvalidInput(f"A request id looks like R7K2QX9 (R and {REQUEST_ID_LENGTH} letters or digits); got {shown}.")
    return text


def page_number(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise InvalidInput(f"Page numbers start at 1; got {raw!r}.")
    return raw


def country(raw: object) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else ""
    if not _COUNTRY.match(text):
        raise InvalidInput(f"A country is a two-letter ISO code such as IN, US or GB; got '{str(raw)[:20]}'.")
    return text.upper()


def search(raw: object) -> str | None:
    """A number or the start of one: digits with an optional leading +; spaces and dashes ignored."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = re.sub(r"[\s\-().]", "", raw) if isinstance(raw, str) else ""
    if not _SEARCH.match(text):
        raise InvalidInput(f"Search for digits of a number, e.g. +9180 or 4155; got '{str(raw)[:30]}'.")
    return text
