"""Lazy paging: pages are fetched only as items are consumed, and iteration stops on the last page."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

import httpx
import pytest

from api import Page, PhoneNumber
from client_helpers import json_reply, number_json, page_json, paged_numbers, scripted_client


def test_iterating_1000_numbers_in_pages_of_100_makes_exactly_10_requests() -> None:
    client, script, _ = scripted_client(paged_numbers(1000))

    numbers = [n.e164 for n in client.numbers.iter_all(per_page=100)]

    assert len(numbers) == 1000 and len(set(numbers)) == 1000
    assert len(script.seen) == 10
    assert [r.query["page"] for r in script.seen] == [[str(p)] for p in range(1, 11)]


def test_taking_the_first_number_makes_exactly_one_request() -> None:
    client, script, _ = scripted_client(paged_numbers(1000))

    first = next(client.numbers.iter_all(per_page=100))

    assert first.e164 == "+918000000000"
    assert len(script.seen) == 1


def test_taking_150_numbers_makes_two_requests() -> None:
    client, script, _ = scripted_client(paged_numbers(1000))
    assert len(list(islice(client.numbers.iter_all(per_page=100), 150))) == 150
    assert len(script.seen) == 2


def test_creating_the_iterator_makes_no_request() -> None:
    client, script, _ = scripted_client(paged_numbers(10))
    client.numbers.iter_all()
    client.numbers.iter_inventory()
    assert script.seen == []


def test_a_partial_last_page_ends_iteration() -> None:
    client, script, _ = scripted_client(paged_numbers(250))
    assert len(list(client.numbers.iter_all(per_page=100))) == 250
    assert len(script.seen) == 3


def test_an_empty_page_ends_iteration_even_if_total_says_more() -> None:
    client, script, _ = scripted_client(
        json_reply(200, page_json([number_json("+918000000001")], page=1, per_page=1, total=5)),
        json_reply(200, page_json([], page=2, per_page=1, total=5)),
    )
    assert len(list(client.numbers.iter_all(per_page=1))) == 1
    assert len(script.seen) == 2


@pytest.mark.parametrize("total", [3, None])
def test_a_server_that_ignores_the_page_parameter_cannot_loop_forever_or_repeat_numbers(total: int | None) -> None:
    stuck = json_reply(200, page_json([number_json("+918000000001")], page=1, per_page=1, total=total))
    client, script, _ = scripted_client(stuck)
    assert [n.e164 for n in client.numbers.iter_all(per_page=1)] == ["+918000000001"]
    assert len(script.seen) == 2  # page 2 came back as page 1 again: the end


# A server that leaves `total` out -----------------------------------------------------------------


@pytest.mark.parametrize(("count", "requests"), [(250, 3), (200, 3), (99, 1), (0, 1)])
def test_without_a_total_iteration_reads_until_a_short_or_empty_page(count: int, requests: int) -> None:
    client, script, _ = scripted_client(paged_numbers(count, send_total=False))

    numbers = [n.e164 for n in client.numbers.iter_all(per_page=100)]

    assert len(numbers) == count and len(set(numbers)) == count
    assert len(script.seen) == requests


def test_without_a_total_the_first_number_still_costs_one_request() -> None:
    client, script, _ = scripted_client(paged_numbers(1000, send_total=False))
    assert next(client.numbers.iter_all(per_page=100)).e164 == "+918000000000"
    assert len(script.seen) == 1


def test_without_a_total_inventory_and_lookups_read_past_page_one() -> None:
    client, script, _ = scripted_client(paged_numbers(250, send_total=False))
    assert len(list(client.numbers.iter_inventory(per_page=100))) == 250
    found = client.numbers.find_in_inventory("+918000000240")
    assert found is not None and found.e164 == "+918000000240"


def test_a_page_without_a_total_says_whether_more_may_follow() -> None:
    def page(count: int, number: int) -> Page[PhoneNumber]:
        items = [number_json(f"+9180000000{i:02d}") for i in range(count)]
        return Page[PhoneNumber].model_validate(page_json(items, page=number, per_page=25, total=None))

    full, short, empty = page(25, 2), page(1, 3), page(0, 1)

    assert (full.has_next, full.total_known, full.total) == (True, False, 50)  # at least 50
    assert (short.has_next, short.total) == (False, 51)  # exactly 51
    assert (empty.has_next, empty.total) == (False, 0)
    known = Page[PhoneNumber].model_validate(page_json([number_json("+918000000001")], page=1, per_page=1, total=7))
    assert (known.has_next, known.total_known, known.total, known.reported_total) == (True, True, 7, 7)


def test_iteration_uses_the_page_size_the_server_applied() -> None:
    client, script, _ = scripted_client(paged_numbers(250, max_per_page=100))
    assert len(list(client.numbers.iter_all(per_page=500))) == 250
    assert len(script.seen) == 3


def test_iter_inventory_pages_lazily_with_its_filters_on_every_page() -> None:
    client, script, _ = scripted_client(paged_numbers(300))

    taken = list(islice(client.numbers.iter_inventory(country="IN", exclude=["1415"], per_page=100), 101))

    assert len(taken) == 101 and len(script.seen) == 2
    for seen in script.seen:
        assert seen.path.endswith("/inventory/numbers")
        assert seen.query["country"] == ["IN"] and seen.query["exclude"] == ["1415"]


def test_get_stops_reading_pages_once_it_finds_the_number() -> None:
    client, script, _ = scripted_client(
        json_reply(200, page_json([number_json("+918012345678")], page=1, per_page=1, total=3))
    )
    assert client.numbers.get("+918012345678") is not None
    assert len(script.seen) == 1


def subaccount_pages(total: int) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        size = int(request.url.params["size"])
        ids = [f"SA_{i:04d}" for i in range(total)][(page - 1) * size : page * size]
        return json_reply(200, {"sub_accounts": [{"auth_id": i} for i in ids], "total": total, "page": page, "size": size})

    return handler


def test_subaccounts_iterate_lazily_over_their_size_based_pages() -> None:
    client, script, _ = scripted_client(subaccount_pages(250))
    ids = [s.auth_id for s in client.subaccounts.iter_all()]
    assert len(ids) == 250 and ids[-1] == "SA_0249"
    assert len(script.seen) == 3


def test_subaccounts_without_a_total_are_all_read() -> None:
    handler = subaccount_pages(250)

    def without_total(request: httpx.Request) -> httpx.Response:
        body = handler(request).json()
        del body["total"]
        return json_reply(200, body)

    client, script, _ = scripted_client(without_total)
    assert len(list(client.subaccounts.iter_all())) == 250
    assert client.subaccounts.get("SA_0249") is not None
    assert len(script.seen) == 3 + 3


def test_subaccounts_get_scans_until_found_or_returns_none() -> None:
    client, script, _ = scripted_client(subaccount_pages(250))
    found = client.subaccounts.get("SA_0150")
    assert found is not None and found.auth_id == "SA_0150"
    assert len(script.seen) == 2

    assert client.subaccounts.get("SA_9999") is None
    assert len(script.seen) == 2 + 3
