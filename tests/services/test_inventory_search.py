"""Searching a big inventory over the sandbox: bounded Vobiz pages per answer, honest counts, Keep looking
that neither repeats nor skips a number, and reasons plus alternatives when nothing matches."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from api import VobizClient
from api.models import PhoneNumber
from bot.services.errors import VobizUnavailable
from bot.services.inventory_search import MAX_PAGES, PAGE_SIZE
from bot.services.number_filters import failures, parse_filters
from bot.services.numbers import NumberQueries
from fakes.vobiz import SandboxServer


@pytest.fixture
def big(sandbox: SandboxServer) -> SandboxServer:
    sandbox.stock("IN", 4000)
    return sandbox


@pytest.fixture
def queries(big: SandboxServer, vobiz_for: Callable[..., VobizClient]) -> NumberQueries:
    return NumberQueries(vobiz=vobiz_for(big))


def inventory_in_vobiz_order(sandbox: SandboxServer, country: str) -> list[PhoneNumber]:
    """The inventory as the sandbox pages it (its own order), read through the real client."""
    with VobizClient(sandbox.auth_id, sandbox.auth_token, base_url=sandbox.base_url) as client:
        return list(client.numbers.iter_inventory(country=country))


def test_an_answer_reads_at_most_ten_pages_and_says_how_far_it_looked(big: SandboxServer, queries: NumberQueries) -> None:
    wanted = parse_filters("IN region:karnataka max-monthly:150 sms mms")  # mms: never in India, so no match
    big.clear_requests()
    result = queries.search(wanted)
    reads = big.requests("list_inventory")
    assert len(reads) == MAX_PAGES and all(f"per_page={PAGE_SIZE}" in r["path"] for r in reads)
    assert result.matches == [] and result.looked_at == MAX_PAGES * PAGE_SIZE
    assert result.total == len(big.inventory_numbers("IN")) and result.total_known
    assert result.next is not None and result.next.page == MAX_PAGES + 1


def test_keep_looking_continues_where_it_stopped_without_repeating_or_skipping(big: SandboxServer, queries: NumberQueries) -> None:
    wanted = parse_filters("IN region:karnataka max-monthly:200 sms")
    everything = inventory_in_vobiz_order(big, "IN")
    expected = [n.e164 for n in everything if not failures(n, wanted)]
    assert len(expected) > 40  # enough for several answers of 20
    seen: list[str] = []
    result = queries.search(wanted)
    answers = 1
    while True:
        assert result.start.found == len(seen)
        seen += [n.e164 for n in result.matches]
        if result.next is None:
            break
        result = queries.search(wanted, result.next)
        answers += 1
    assert seen == expected and answers > 2
    assert result.looked_through == len(everything)


def test_pushed_filters_reach_vobiz_as_search_and_exclude(big: SandboxServer, queries: NumberQueries) -> None:
    big.clear_requests()
    result = queries.search(parse_filters("IN starts:+9180 exclude:+91802"))
    [read] = big.requests("list_inventory")[:1]
    assert "search=%2B9180" in read["path"] and "exclude=91802" in read["path"]
    assert result.matches and all(n.e164.startswith("+9180") and not n.e164.startswith("+91802") for n in result.matches)


def test_nothing_matches_names_the_filter_that_ruled_most_out_and_the_nearest_alternatives(queries: NumberQueries) -> None:
    wanted = parse_filters("IN region:karnataka max-monthly:100")  # no Indian number is under 150 a month
    result = queries.search(wanted)
    assert result.matches == []
    token, count = result.ruled_out[0]
    assert token == "max-monthly:100" and count == result.looked_at  # it ruled out every number looked at
    [alternative] = result.alternatives  # only dropping the price lets any number through
    assert alternative.without == "max-monthly:100" and alternative.filter == parse_filters("IN region:karnataka")
    assert alternative.matches > 0 and all(n.region == "Karnataka" for n in alternative.examples)
    fees = [n.monthly_fee for n in alternative.examples]
    assert fees == sorted(fees) and fees[0] == Decimal(150)  # the cheapest first


def test_nothing_in_vobiz_for_the_pushed_part_offers_dropping_it(queries: NumberQueries) -> None:
    result = queries.search(parse_filters("US starts:+1999"))
    assert result.matches == [] and result.looked_at == 0 and result.next is None
    assert [a.without for a in result.alternatives] == ["starts:+1999", "US"]


def test_vobiz_down_is_a_clear_refusal(big: SandboxServer, queries: NumberQueries) -> None:
    big.inject("list_inventory", "server_error", count=10)
    with pytest.raises(VobizUnavailable):
        queries.search(parse_filters("IN sms"))
