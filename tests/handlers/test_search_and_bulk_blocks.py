"""The inventory search answer and a bulk purchase's messages as data: wording, limits, escaping, and the
buttons' values (filter text and cursor only, read back exactly)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bot.services.inventory_search import Alternative, Cursor, SearchResult
from bot.services.number_filters import parse_filters
from bot.services.records import ItemStatus, Quote, RequestItem, Status
from handlers import ids
from handlers.render.approvals import approval_message, request_created
from handlers.render.nudges import ask_again
from handlers.render.inventory import how_far, read_search_value, search_results, search_value
from tests.handlers.records_for_tests import NOW, decided, indian_numbers, make_number, make_request
from tests.handlers.slack_checks import all_text, assert_no_injected_markup, assert_within_limits

WANTED = parse_filters('IN region:"tamil nadu" max-monthly:300 sms')


def result(matches: int, *, looked: int = 1000, total: int = 4512, start: Cursor | None = None, more: bool = True) -> SearchResult:
    return SearchResult(
        filter=WANTED,
        matches=indian_numbers(matches, owner=None),
        start=start or Cursor(),
        looked_at=looked,
        total=total,
        total_known=True,
        next=Cursor(11, 0, (start.looked if start else 0) + looked, matches) if more else None,
    )


def test_how_far_it_looked() -> None:
    assert how_far(result(7)) == "7 matches in the first 1,000 of 4,512 numbers."
    assert how_far(result(1, looked=312, total=312, more=False)) == "1 match among all 312 numbers Vobiz offers for that."
    later = result(3, start=Cursor(11, 0, 1000, 7))
    assert how_far(later) == "3 more matches in numbers 1,001–2,000 of 4,512 (10 so far)."


def test_twenty_matches_fit_one_message_with_keep_looking_carrying_the_cursor() -> None:
    msg = search_results(result(20))
    assert_within_limits(msg)
    buttons = [e for b in msg["blocks"] for e in ([b.get("accessory")] if b.get("accessory") else b.get("elements", []))]
    more = [b for b in buttons if b.get("action_id") == ids.INVENTORY_MORE]
    assert len(more) == 1 and read_search_value(more[0]["value"]) == (WANTED.text(), Cursor(11, 0, 1000, 20))
    assert len([b for b in buttons if b.get("action_id") == ids.REQUEST_PURCHASE]) == 20


def test_nothing_matched_names_the_filter_and_offers_alternatives() -> None:
    cheapest = make_number("+914412345678", owner=None, monthly_fee=Decimal(350))
    base = result(0)
    msg = search_results(
        replace(
            base,
            ruled_out=[("max-monthly:300", 900), ("sms", 700)],
            alternatives=[Alternative("max-monthly:300", WANTED.without("max-monthly:300"), 12, [cheapest])],
        )
    )
    text = all_text(msg)
    assert "`max-monthly:300` ruled out the most numbers: 900 of the 1,000 I looked at" in text
    assert "Without `max-monthly:300`: 12 of the numbers I looked at would match, from 350 INR/month" in text
    [without] = [b["accessory"] for b in msg["blocks"] if b.get("accessory", {}).get("action_id") == ids.INVENTORY_WITHOUT]
    assert read_search_value(without["value"]) == ('IN region:"tamil nadu" sms', None)


def test_a_button_value_from_elsewhere_is_refused() -> None:
    assert read_search_value("not json") is None
    assert read_search_value('{"f": "IN", "p": 0, "k": 0, "l": 0, "m": 0}') is None
    assert read_search_value('{"f": "IN", "p": true, "k": 0, "l": 0, "m": 0}') is None
    assert read_search_value(search_value(WANTED)) == (WANTED.text(), None)


def bulk(count: int, **changes: object):  # type: ignore[no-untyped-def]
    items = tuple(
        RequestItem(i, f"+9180{4000_0000 + i:08d}", Quote(Decimal(100), Decimal(150 + i), "INR", 12 if i % 2 else 0, True))
        for i in range(count)
    )
    return make_request(items=items, quote=None, reason="<!channel> new team *now*", **changes)


def test_a_twenty_number_bulk_request_fits_slacks_limits_and_escapes_the_reason() -> None:
    request = bulk(20)
    for msg in (approval_message(request, now=NOW), request_created(request, "C0APPROVALS")):
        assert_within_limits(msg)
        assert_no_injected_markup(msg)
    text = all_text(approval_message(request, now=NOW))
    assert "20 numbers" in text and "setup 2,000 INR, then 3,190 INR/month" in text
    assert "10 of 20 commit us for up to 12 months; 20 of 20 need Aadhaar verification before use" in text


def test_the_approval_message_shows_each_numbers_outcome() -> None:
    request = bulk(3)
    outcomes = (
        (ItemStatus.BOUGHT, "Bought it."),
        (ItemStatus.SKIPPED, "+91 80 4000 0001 was re-priced: now setup 999 INR. Skipped, not replaced."),
        (ItemStatus.FAILED, "Vobiz could not take the payment"),
    )
    items = tuple(replace(item, status=s, detail=d) for item, (s, d) in zip(request.items, outcomes))
    done = decided(Status.SUCCEEDED, items=items, quote=None, outcome_detail="Bought 1 of 3 numbers.")
    text = all_text(approval_message(done, now=NOW))
    assert "bought" in text and "skipped: +91 80 4000 0001 was re-priced" in text and "not bought: Vobiz could not" in text
    assert "Bought 1 of 3 numbers." in text


def test_an_expired_bulk_request_says_how_to_ask_for_n_numbers_again() -> None:
    line = ask_again(bulk(3))
    assert "`/numbers buy 3 [COUNTRY] [filters]" in line and "+918040000000" not in line
