"""Our numbers, one number and the inventory as data: lines, paging, buttons, escaping, money."""

from __future__ import annotations

from decimal import Decimal

import phonenumbers

from api.models import Page, PhoneNumber
from handlers import ids
from handlers.render.numbers import inventory_list, number_detail, number_list
from handlers.render.paging import read_page_value
from records_for_tests import indian_numbers, make_number, make_page
from slack_checks import all_text, assert_no_injected_markup, assert_within_limits, buttons


def test_number_list_line_has_everything_a_person_needs() -> None:
    number = make_number("+918012345678", owner="SA_SALES0001", region="Karnataka")
    text = all_text(number_list(make_page([number])))
    assert "*+91 80123 45678*" in text
    assert "IN, Karnataka" in text
    assert "voice" in text
    assert "active" in text
    assert "300 INR/month" in text
    assert "owner SA_SALES0001" in text


def test_number_list_pages_carry_only_page_and_search() -> None:
    page = make_page(indian_numbers(25), page=2, per_page=25, total=80)
    msg = number_list(page, "9180")
    nav = buttons(msg)
    assert [b["action_id"] for b in nav] == [ids.LIST_PREVIOUS, ids.LIST_NEXT]
    assert [read_page_value(b["value"]) for b in nav] == [{"p": 1, "s": "9180"}, {"p": 3, "s": "9180"}]
    assert "26–50 of 80" in all_text(msg)
    assert_within_limits(msg)  # includes: Previous and Next may not share an action_id in one block
    assert_within_limits(inventory_list(page, "IN", "80"))


def test_first_and_last_pages_have_only_the_buttons_that_lead_somewhere() -> None:
    first = number_list(make_page(indian_numbers(25), page=1, total=30))
    last = number_list(make_page(indian_numbers(5), page=2, total=30))
    assert [b["text"]["text"] for b in buttons(first)] == ["Next ▶"]
    assert [b["text"]["text"] for b in buttons(last)] == ["◀ Previous"]
    assert buttons(number_list(make_page(indian_numbers(3)))) == []


def test_a_page_without_a_total_from_vobiz_says_at_least_and_keeps_next() -> None:
    full = Page[PhoneNumber](items=indian_numbers(25), page=1, per_page=25)  # Vobiz sent no total
    assert not full.total_known
    for msg in (number_list(full), inventory_list(full, "IN")):
        text = all_text(msg)
        assert "1–25 of at least 25" in text and "page 1 of 1" not in text
        assert [b["text"]["text"] for b in buttons(msg) if b["action_id"] in (*ids.LIST_PAGE, *ids.INVENTORY_PAGE)] == ["Next ▶"]
    short_last = Page[PhoneNumber](items=indian_numbers(5), page=3, per_page=25)  # the end, proven by its size
    assert "51–55 of 55 (page 3 of 3)" in all_text(number_list(short_last))


def test_sixty_numbers_fit_in_one_message_and_all_are_shown() -> None:
    numbers = indian_numbers(60)
    msg = number_list(make_page(numbers, per_page=100))
    assert_within_limits(msg)
    text = all_text(msg)
    human = [phonenumbers.format_number(phonenumbers.parse(n.e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL) for n in numbers]
    assert len(set(human)) == 60
    assert all(f"*{h}*" in text for h in human)


def test_inventory_items_each_have_a_request_purchase_button_and_fees() -> None:
    numbers = indian_numbers(3, owner=None)
    msg = inventory_list(make_page(numbers), "IN", "80")
    purchase_buttons = [b for b in buttons(msg) if b["action_id"] == ids.REQUEST_PURCHASE]
    assert [b["value"] for b in purchase_buttons] == [n.e164 for n in numbers]
    assert "Setup 100 INR" in all_text(msg) and "300 INR/month" in all_text(msg)


def test_a_huge_inventory_page_is_cut_to_slacks_block_limit_and_says_so() -> None:
    msg = inventory_list(make_page(indian_numbers(60, owner=None), per_page=100, total=500))
    assert_within_limits(msg)
    assert "more on this page not shown" in all_text(msg)


def test_number_detail_offers_purchase_only_for_inventory_numbers() -> None:
    assert buttons(number_detail(make_number(owner="MA_SANDBOX01"))) == []
    [offer] = buttons(number_detail(make_number(owner=None)))
    assert offer["action_id"] == ids.REQUEST_PURCHASE


def test_vobiz_supplied_text_is_escaped_too() -> None:
    number = make_number(region="<!channel>", status="<https://evil|x>", owner="SA_<b>")
    for msg in (number_list(make_page([number])), number_detail(number), inventory_list(make_page([number]))):
        assert_no_injected_markup(msg)


def test_money_is_never_rounded_and_whole_amounts_have_no_decimals() -> None:
    number = make_number(monthly_fee=Decimal("1250.5"), setup_fee=Decimal("0"), currency="USD")
    text = all_text(number_detail(number))
    assert "1,250.50 USD" in text and "0 USD" in text
