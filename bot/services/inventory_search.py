"""Searching Vobiz's inventory with filters it cannot apply itself, a bounded number of pages per answer.

Vobiz applies the country, `search` and `exclude` (`number_filters.vobiz_query`); each page it sends is
checked against the rest here. An answer reads at most `max_pages` pages of `PAGE_SIZE` and stops early once
it has enough matches; it says how far it looked and where to keep looking (a `Cursor`: the Vobiz page and
how many of its numbers were already looked at). When nothing matched it counts which filter ruled out
most numbers and which filters, dropped alone, would have let numbers through (the nearest alternatives).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from api.models import Page, PhoneNumber

from bot.services.number_filters import NumberFilter, failures, vobiz_query

PAGE_SIZE = 100  # Vobiz's largest page
MAX_PAGES = 10  # pages read for one answer: "in the first 1,000 of 4,512 numbers"
MATCHES_SHOWN = 20  # an answer stops once it has this many (a Slack message holds 50 blocks)
ALTERNATIVES = 3

if TYPE_CHECKING:
    from api.client import VobizClient

FetchPage = Callable[[NumberFilter, int], Page[PhoneNumber]]


@dataclass(frozen=True)
class Cursor:
    """Where an answer stopped: Vobiz page `page` (of PAGE_SIZE), whose first `skip` numbers were looked at,
    after `looked` numbers and `found` matches in earlier answers of the same search."""

    page: int = 1
    skip: int = 0
    looked: int = 0
    found: int = 0


@dataclass(frozen=True)
class Alternative:
    """The same search without the filter `without`: `matches` of the numbers looked at would then match
    (they failed that filter alone), the cheapest of them first in `examples`."""

    without: str
    filter: NumberFilter
    matches: int
    examples: list[PhoneNumber] = field(default_factory=list)


@dataclass(frozen=True)
class SearchResult:
    filter: NumberFilter
    matches: list[PhoneNumber]
    start: Cursor  # where this answer began
    looked_at: int  # numbers this answer looked at
    total: int  # numbers Vobiz holds for the part of the filter it applies (a lower bound unless total_known)
    total_known: bool
    next: Cursor | None  # where to keep looking; None once the inventory was read to its end
    ruled_out: list[tuple[str, int]] = field(default_factory=list)  # filter token, numbers it failed; most first
    alternatives: list[Alternative] = field(default_factory=list)  # only when nothing matched

    @property
    def looked_through(self) -> int:
        """How many numbers every answer of this search has looked at, up to the end of this one."""
        return self.start.looked + self.looked_at

    @property
    def found_before(self) -> int:
        return self.start.found


def vobiz_pages(vobiz: VobizClient) -> FetchPage:
    """Pages of Vobiz's inventory for a filter: what Vobiz can apply goes into the request."""

    def fetch(wanted: NumberFilter, page: int) -> Page[PhoneNumber]:
        query = vobiz_query(wanted)
        return vobiz.numbers.inventory_page(
            country=query.country, search=query.search, exclude=query.exclude or None, page=page, per_page=PAGE_SIZE
        )

    return fetch


def search(
    fetch: FetchPage,
    wanted: NumberFilter,
    start: Cursor | None = None,
    *,
    enough: int = MATCHES_SHOWN,
    max_pages: int = MAX_PAGES,
) -> SearchResult:
    """One answer: matches from `start` on, until `enough` of them or `max_pages` pages were read."""
    start = start or Cursor()
    page_number, skip = start.page, start.skip
    matches: list[PhoneNumber] = []
    ruled: Counter[str] = Counter()
    alone: dict[str, list[PhoneNumber]] = {}
    looked = 0
    total, total_known = 0, True
    following: Cursor | None = None
    for _ in range(max_pages):
        page = fetch(wanted, page_number)
        total, total_known = page.total, page.total_known
        rows = list(page.items)
        stopped_at: int | None = None
        for index in range(skip, len(rows)):
            number = rows[index]
            looked += 1
            failed = failures(number, wanted)
            if not failed:
                matches.append(number)
                if len(matches) >= enough:
                    stopped_at = index + 1
                    break
                continue
            ruled.update(failed)
            if len(failed) == 1:
                alone.setdefault(failed[0], []).append(number)
        last = page.is_last(page_number)
        if stopped_at is not None and stopped_at < len(rows):
            following = Cursor(page_number, stopped_at, start.looked + looked, start.found + len(matches))
            break
        if last:
            following = None
            break
        page_number, skip = page_number + 1, 0
        following = Cursor(page_number, 0, start.looked + looked, start.found + len(matches))
        if stopped_at is not None:
            break
    result = SearchResult(
        filter=wanted,
        matches=matches,
        start=start,
        looked_at=looked,
        total=total,
        total_known=total_known,
        next=following,
    )
    if matches:
        return result
    return _with_reasons(result, ruled, alone)


def _with_reasons(result: SearchResult, ruled: Counter[str], alone: dict[str, list[PhoneNumber]]) -> SearchResult:
    wanted = result.filter
    ruled_out = sorted(ruled.items(), key=lambda item: (-item[1], wanted.tokens().index(item[0])))
    alternatives = [
        Alternative(token, wanted.without(token), len(numbers), sorted(numbers, key=_cheapest)[:3])
        for token, numbers in sorted(alone.items(), key=lambda item: (-len(item[1]), wanted.tokens().index(item[0])))
    ][:ALTERNATIVES]
    if not alternatives:
        # Nothing failed one filter alone (or Vobiz had nothing for what it applies): offer dropping the
        # filter that ruled out most, or what Vobiz applied, without a count.
        droppable = [token for token, _ in ruled_out[:1]] or _vobiz_tokens(wanted)
        alternatives = [Alternative(token, wanted.without(token), 0) for token in droppable[:ALTERNATIVES]]
    return SearchResult(
        filter=result.filter,
        matches=result.matches,
        start=result.start,
        looked_at=result.looked_at,
        total=result.total,
        total_known=result.total_known,
        next=result.next,
        ruled_out=ruled_out,
        alternatives=alternatives,
    )


def _vobiz_tokens(wanted: NumberFilter) -> list[str]:
    """The tokens of what Vobiz applied for `wanted` (its search and exclude; the country last)."""
    query = vobiz_query(wanted)
    tokens = wanted.tokens()
    found = []
    if query.search is not None:
        found += [t for t in tokens if t.split(":", 1)[-1] == query.search and ":" in t]
    if query.exclude:
        found += [t for t in tokens if t.startswith("exclude:")]
    if query.country:
        found.append(query.country)
    return found


def _cheapest(number: PhoneNumber) -> tuple[Decimal, Decimal, str]:
    big = Decimal("Infinity")
    return (number.monthly_fee if number.monthly_fee is not None else big, number.setup_fee or big, number.e164)


def cheapest_first(numbers: list[PhoneNumber]) -> list[PhoneNumber]:
    """Cheapest monthly fee first, then setup fee, then the number (amounts compared as numbers, whatever
    their currency)."""
    return sorted(numbers, key=_cheapest)


__all__ = ["Alternative", "Cursor", "MAX_PAGES", "PAGE_SIZE", "SearchResult", "cheapest_first", "search"]
