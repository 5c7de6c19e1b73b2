"""E.164 validation, normalisation and display; used before any number reaches the network."""

from __future__ import annotations

import re
from enum import Enum
from urllib.parse import quote

import phonenumbers

from api.errors import InvalidNumber

# The one home of the rules for a phone number people type: which characters, how many digits, possible.
MIN_DIGITS = 8
MAX_DIGITS = 15  # E.164: country code and subscriber number together
MAX_TYPED_CHARS = 40
_SYMBOLS = r"+0-9()./\-"  # digits and what people write between them (spaces join words, see below)
_WORD = re.compile(rf"^[{_SYMBOLS}]+$")
_ALLOWED = re.compile(rf"^[{_SYMBOLS} ]+$")


class Problem(Enum):
    """Why text is not a phone number; each caller words it for its own readers."""

    NOT_A_NUMBER = "characters other than digits and + ( ) . / -"
    TOO_SHORT = f"fewer than {MIN_DIGITS} digits"
    TOO_LONG = f"more than {MAX_DIGITS} digits"
    NO_COUNTRY_CODE = "the digits do not start with a country code"
    NOT_POSSIBLE = "not a possible length for its country"


# How normalize_e164 words each problem in InvalidNumber ("'12' is too short to be a phone number; ...").
_INVALID_REASON = {
    Problem.NOT_A_NUMBER: "not a valid phone number",
    Problem.TOO_SHORT: "too short to be a phone number",
    Problem.TOO_LONG: "too long",
    Problem.NO_COUNTRY_CODE: "not a valid phone number",
    Problem.NOT_POSSIBLE: "not a possible phone number",
}


def is_number_word(word: str) -> bool:
    """A word made only of phone-number characters (`+91`, `(212)`, `845-6979`): part of a pasted number."""
    return bool(_WORD.match(word))


def number_problem(text: str) -> Problem | None:
    """Why `text` is not a possible phone number with its country code, or None when it is one."""
    if not _ALLOWED.match(text):
        return Problem.NOT_A_NUMBER
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_DIGITS:
        return Problem.TOO_SHORT
    if len(digits) > MAX_DIGITS:
        return Problem.TOO_LONG
    parsed = _parsed(digits)
    if parsed is None:
        return Problem.NO_COUNTRY_CODE
    if not phonenumbers.is_possible_number(parsed):
        return Problem.NOT_POSSIBLE
    return None


def is_valid_number(text: str) -> bool:
    """Whether the digits of `text` are a valid number (stricter than possible: a number range in use)."""
    parsed = _parsed(re.sub(r"\D", "", text))
    return parsed is not None and phonenumbers.is_valid_number(parsed)


def normalize_e164(raw: object) -> str:
    """Return `raw` as E.164 (`"+91 80-1234 5678"` -> `"+918012345678"`), or raise InvalidNumber.

    The number must carry its country code: either a leading `+` or digits that start with one.
    """
    if not isinstance(raw, str):
        raise InvalidNumber(raw)
    text = raw.strip()
    if not text or len(text) > MAX_TYPED_CHARS:
        raise InvalidNumber(raw)
    problem = number_problem(text)
    if problem is not None:
        raise InvalidNumber(raw, _INVALID_REASON[problem])
    parsed = _parsed(re.sub(r"\D", "", text))
    assert parsed is not None  # number_problem parsed it
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _parsed(digits: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None


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
