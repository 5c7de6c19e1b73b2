"""The inventory-filter grammar and the filter itself, pure: `parse_filters` (text -> `NumberFilter`),
`NumberFilter.text()` (the canonical text that parses back to it), `failures` (which filters a number fails)
and `vobiz_query` (what of the filter Vobiz can apply itself: `country`, `search`, `exclude`).

    inventory IN region:karnataka max-monthly:300 sms ends:00
    inventory region:"tamil nadu" starts:+9144 max-setup:0

Vobiz's inventory only filters by country, by a substring of the number (`search`) and by excluded
prefixes (`exclude`); everything else is checked here, on each page as it is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NoReturn, Protocol

from bot.services import validation
from bot.services.errors import InvalidInput

CAPABILITIES = ("voice", "sms", "mms")
MAX_TEXT = 300  # every filter together; longer is a mistake (and must fit a button's value)
MAX_AMOUNT = Decimal(10_000_000)
MAX_EXCLUDES = 10

SYNTAX = (
    "[COUNTRY] [region:<text>] [starts:<+digits>] [ends:<digits>] [contains:<digits>] "
    "[max-monthly:<amount>] [max-setup:<amount>] [voice] [sms] [mms] [exclude:<+digits,...>]"
)
FILTER_HELP = (
    "`IN` a two-letter country  ·  `region:karnataka` part of the region's name (quotes for spaces: "
    '`region:"tamil nadu"`)  ·  `starts:+9180` the number begins so  ·  `ends:00`  ·  `contains:555`  ·  '
    "`max-monthly:300` and `max-setup:0`, in the number's own currency  ·  `voice`, `sms`, `mms` what it must "
    "do  ·  `exclude:+9122,+9111` leave out numbers starting so. Filters combine."
)

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'})
_TOKEN = re.compile(r'([A-Za-z][A-Za-z-]*):"([^"]*)"|(\S+)')
_DIGITS = re.compile(r"^[0-9]{1,15}$")
_PREFIX = re.compile(r"^\+?[0-9]{1,15}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_AMOUNT = re.compile(r"^[0-9]{1,8}(\.[0-9]{1,2})?$")


class NumberLike(Protocol):
    """What the filter reads of a number (api.models.PhoneNumber has it)."""

    @property
    def e164(self) -> str: ...
    @property
    def region(self) -> str | None: ...
    @property
    def setup_fee(self) -> Decimal | None: ...
    @property
    def monthly_fee(self) -> Decimal | None: ...
    @property
    def capabilities(self) -> object: ...


@dataclass(frozen=True)
class VobizQuery:
    """The part of a filter sent to Vobiz's inventory list."""

    country: str | None
    search: str | None
    exclude: tuple[str, ...]


@dataclass(frozen=True)
class NumberFilter:
    country: str | None = None
    region: str | None = None  # lower case; matched as part of the region's name
    starts: str | None = None  # "+9180": the number's E.164 begins with it
    ends: str | None = None  # digits
    contains: str | None = None  # digits
    max_monthly: Decimal | None = None
    max_setup: Decimal | None = None
    capabilities: tuple[str, ...] = ()  # in CAPABILITIES order
    exclude: tuple[str, ...] = ()  # digit prefixes (country code included), as Vobiz's `exclude` takes them

    def tokens(self) -> list[str]:
        """Each filter as typed, canonical, in a fixed order."""
        found: list[str] = []
        if self.country:
            found.append(self.country)
        found.extend(self.checks())
        if self.exclude:
            found.append("exclude:" + ",".join("+" + p for p in self.exclude))
        return found

    def checks(self) -> list[str]:
        """The filters a number can fail here (country and exclude are Vobiz's to apply), as tokens."""
        found: list[str] = []
        if self.region is not None:
            found.append(f'region:"{self.region}"' if " " in self.region else f"region:{self.region}")
        if self.starts:
            found.append(f"starts:{self.starts}")
        if self.ends:
            found.append(f"ends:{self.ends}")
        if self.contains:
            found.append(f"contains:{self.contains}")
        if self.max_monthly is not None:
            found.append(f"max-monthly:{self.max_monthly:f}")
        if self.max_setup is not None:
            found.append(f"max-setup:{self.max_setup:f}")
        found.extend(self.capabilities)
        return found

    def text(self) -> str:
        return " ".join(self.tokens())

    def without(self, token: str) -> NumberFilter:
        """The same filter without the one `token` (as `checks()` or `tokens()` spells it)."""
        return parse_filters(" ".join(t for t in self.tokens() if t != token))

    @property
    def is_empty(self) -> bool:
        return not self.tokens()


def parse_filters(text: str) -> NumberFilter:
    """The filter `text` says, or InvalidInput naming the word it could not read, with the syntax."""
    text = (text or "").translate(_QUOTES).strip()
    if len(text) > MAX_TEXT:
        _refuse(f"Those filters are {len(text):,} characters long; all of them together fit in {MAX_TEXT}.")
    values: dict[str, object] = {}
    capabilities: set[str] = set()
    for match in _TOKEN.finditer(text):
        key, quoted, word = match.group(1), match.group(2), match.group(3)
        if key is not None:
            _set(values, key.lower(), quoted, f'{key}:"{quoted}"')
            continue
        assert word is not None
        lowered = word.lower()
        if lowered in CAPABILITIES:
            capabilities.add(lowered)
        elif ":" in word:
            name, _, value = word.partition(":")
            if value.startswith('"'):
                _refuse(f"The quote after “{_shown(name)}:” is never closed; write {name}:\"two words\".")
            _set(values, name.lower(), value, word)
        elif _COUNTRY.match(word) and "country" not in values:
            values["country"] = word.upper()
        elif _COUNTRY.match(word):
            _refuse(f"One country at a time: {values['country']} and “{_shown(word)}”.")
        elif _PREFIX.match(word):  # bare digits, as `inventory IN 80` always meant: part of the number
            _set(values, "starts" if word.startswith("+") else "contains", word, word)
        else:
            _refuse(f"I cannot read “{_shown(word)}” as an inventory filter.")
    return NumberFilter(
        **{k: v for k, v in values.items()},  # type: ignore[arg-type]
        capabilities=tuple(c for c in CAPABILITIES if c in capabilities),
    )


def leading_filters(text: str) -> tuple[str, str]:
    """`text` split into the filters it starts with and the rest (for `buy N [COUNTRY] [filters] <reason>`).
    Filters here are an upper-case country code first, then `key:value` words with a known key and the
    capability words; the rest starts at the first other word. The filter part is not checked yet."""
    text = (text or "").translate(_QUOTES).strip()
    end = 0
    first = True
    for match in _TOKEN.finditer(text):
        key, word = match.group(1), match.group(3)
        name = (key or (word or "").partition(":")[0]).lower()
        is_filter = (
            (key is not None and name in _READERS)
            or (word is not None and ":" in word and name in _READERS)
            or (word is not None and word.lower() in CAPABILITIES)
            or (first and word is not None and _COUNTRY.match(word) is not None and word.isupper())
        )
        if not is_filter:
            break
        first = False
        end = match.end()
    return text[:end].strip(), text[end:].strip()


def _set(values: dict[str, object], name: str, value: str, shown: str) -> None:
    reader = _READERS.get(name)
    if reader is None:
        _refuse(f"I do not know the filter “{_shown(name)}:” (in “{_shown(shown)}”).")
    field_name, parsed = reader(value.strip(), shown)
    if field_name in values:
        _refuse(f"“{_shown(name)}” is given twice; say it once.")
    values[field_name] = parsed


def _region(value: str, shown: str) -> tuple[str, object]:
    cleaned = " ".join(value.split()).lower()
    if not cleaned or len(cleaned) > 60:
        _refuse(f"“{_shown(shown)}”: a region is some letters of its name, e.g. region:karnataka.")
    return "region", cleaned


def _starts(value: str, shown: str) -> tuple[str, object]:
    digits = re.sub(r"[\s\-().]", "", value)
    if not _PREFIX.match(digits):
        _refuse(f"“{_shown(shown)}”: starts: takes the first digits with the country code, e.g. starts:+9180.")
    return "starts", "+" + digits.lstrip("+")


Reader = Callable[[str, str], tuple[str, object]]


def _digits(name: str) -> Reader:
    def read(value: str, shown: str) -> tuple[str, object]:
        if not _DIGITS.match(value.lstrip("+") if name == "contains" else value):
            _refuse(f"“{_shown(shown)}”: {name}: takes digits, e.g. {name}:00.")
        return name, value.lstrip("+") if name == "contains" else value

    return read


def _amount(field_name: str) -> Reader:
    def read(value: str, shown: str) -> tuple[str, object]:
        if not _AMOUNT.match(value):
            _refuse(f"“{_shown(shown)}”: say an amount such as 300 or 2.50, in the number's own currency.")
        try:
            amount = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            _refuse(f"“{_shown(shown)}” is not an amount.")
        if amount > MAX_AMOUNT:
            _refuse(f"“{_shown(shown)}” is more than any number costs.")
        return field_name, amount

    return read


def _exclude(value: str, shown: str) -> tuple[str, object]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or len(parts) > MAX_EXCLUDES or not all(_PREFIX.match(p) for p in parts):
        _refuse(f"“{_shown(shown)}”: exclude: takes up to {MAX_EXCLUDES} prefixes with the country code, e.g. exclude:+9122,+9111.")
    return "exclude", tuple(dict.fromkeys(p.lstrip("+") for p in parts))


def _country(value: str, shown: str) -> tuple[str, object]:
    try:
        code = validation.country(value)
    except InvalidInput as error:
        _refuse(error.user_message)
    return "country", code


_READERS: dict[str, Reader] = {
    "region": _region,
    "starts": _starts,
    "ends": _digits("ends"),
    "contains": _digits("contains"),
    "max-monthly": _amount("max_monthly"),
    "max-setup": _amount("max_setup"),
    "exclude": _exclude,
    "country": _country,
}


def _refuse(problem: str) -> NoReturn:
    raise InvalidInput(f"{problem} Filters: `{SYNTAX}`.")


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


# The filter on a number --------------------------------------------------------------------------------


def failures(number: NumberLike, wanted: NumberFilter) -> list[str]:
    """The tokens (as `wanted.checks()` spells them) of every filter `number` fails; empty when it matches.
    A fee Vobiz left out fails a fee limit: the bot cannot promise what it was not told."""
    failed: list[str] = []
    tokens = iter(wanted.checks())
    e164 = number.e164
    if wanted.region is not None:
        token = next(tokens)
        if wanted.region not in " ".join((number.region or "").split()).lower():
            failed.append(token)
    for prefix_check in (
        (wanted.starts, lambda v: e164.startswith(v)),
        (wanted.ends, lambda v: e164.endswith(v)),
        (wanted.contains, lambda v: v in e164[1:]),
    ):
        value, test = prefix_check
        if value:
            token = next(tokens)
            if not test(value):
                failed.append(token)
    for limit, fee in ((wanted.max_monthly, number.monthly_fee), (wanted.max_setup, number.setup_fee)):
        if limit is not None:
            token = next(tokens)
            if fee is None or fee > limit:
                failed.append(token)
    for capability in wanted.capabilities:
        token = next(tokens)
        if not getattr(number.capabilities, capability, False):
            failed.append(token)
    return failed


def matches(number: NumberLike, wanted: NumberFilter) -> bool:
    return not failures(number, wanted)


def vobiz_query(wanted: NumberFilter) -> VobizQuery:
    """What Vobiz can apply itself. Its `search` is a substring of the E.164 (with its `+`), so `starts`
    goes as `+digits` (exact: only the start has a `+`); otherwise the longer of `contains` and `ends` (a
    superset, checked here again). `exclude` goes as it is."""
    search: str | None
    if wanted.starts:
        search = wanted.starts
    else:
        candidates = [v for v in (wanted.contains, wanted.ends) if v]
        search = max(candidates, key=len) if candidates else None
    return VobizQuery(country=wanted.country, search=search, exclude=wanted.exclude)


__all__ = [
    "CAPABILITIES",
    "FILTER_HELP",
    "NumberFilter",
    "SYNTAX",
    "VobizQuery",
    "failures",
    "matches",
    "leading_filters",
    "parse_filters",
    "vobiz_query",
]
