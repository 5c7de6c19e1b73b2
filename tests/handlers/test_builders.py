"""Builders other than the approval message, as data: lists, paging, requests, cool-off, history, modals."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import phonenumbers
import pytest

from api.models import Page, PhoneNumber
from bot.services.records import Actor, AuditEntry, DirectResult, RequestList, Status
from handlers import ids
from handlers.render.blocks import (
    help_message,
    history_line,
    inventory_list,
    number_detail,
    number_list,
    read_page_value,
    refusal,
    request_list,
    unassign_result,
    unexpected_error,
    usage_error,
)
from handlers.render.modals import ModalSubject, deny_reason_modal, purchase_reason_modal, release_reason_modal
from handlers.listeners.parsing import USAGES, UsageError
from records_for_tests import NOW, QUOTE, decided, indian_numbers, make_number, make_page, make_request
from slack_checks import all_text, assert_no_injected_markup, assert_within_limits, buttons


def test_help_lists_every_subcommand_with_an_example() -> None:
    msg = help_message()
    text = all_text(msg)
    for usage in USAGES:
        assert f"/numbers {usage.synopsis}".replace("<", "&lt;").replace(">", "&gt;") in text
        assert f"/numbers {usage.example}" in text
    assert_within_limits(msg)
    assert_no_injected_markup(msg)


def test_usage_error_says_what_is_wrong_suggests_and_shows_usage() -> None:
    msg = usage_error(UsageError("I don't know the subcommand “bye”.", suggestion="buy"))
    text = all_text(msg)
    assert "“bye”" in text and "Did you mean `buy`?" in text
    assert "/numbers buy +E164 &lt;reason&gt;" in text


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


def test_request_list_offers_cancel_on_my_pending_and_decisions_on_theirs() -> None:
    mine = [make_request(id="RMINE01"), decided(Status.SUCCEEDED, id="RMINE02")]
    theirs = [make_request(id="RTHEM01", requester=Actor("U0OTHER", "sam"))]
    msg = request_list(RequestList(mine=mine, awaiting_me=theirs))
    pairs = [(b["action_id"], b["value"]) for b in buttons(msg)]
    assert pairs == [(ids.CANCEL_REQUEST, "RMINE01"), (ids.APPROVE, "RTHEM01"), (ids.DENY, "RTHEM01")]


def test_request_list_with_many_requests_stays_within_limits() -> None:
    many = [make_request(id=f"R{i:06d}", reason="r" * 500) for i in range(60)]
    msg = request_list(RequestList(mine=many, awaiting_me=many))
    assert_within_limits(msg)
    assert "more waiting" in all_text(msg) and "older requests not shown" in all_text(msg)


def test_unassign_cool_off_gives_a_slack_date_the_time_left_and_a_force_request_button() -> None:
    until = NOW + timedelta(days=3, hours=4)
    result = DirectResult(
        e164="+918012345678", sub_account_id="SA_SALES0001", done=False, audit_id=7,
        cool_off_until=until, cool_off_remaining_seconds=int((until - NOW).total_seconds()),
    )
    msg = unassign_result(result, now=NOW)
    text = all_text(msg)
    stamp = int(until.timestamp())
    assert f"<!date^{stamp}^{{date_short_pretty}} {{time}}|2026-08-04 13:30 UTC>" in text
    assert "3 days 4 hours from now" in text
    [force] = buttons(msg)
    assert (force["action_id"], force["value"]) == (ids.REQUEST_FORCE_UNASSIGN, "+918012345678")


def test_unassign_done_has_no_button() -> None:
    msg = unassign_result(DirectResult("+918012345678", "SA_SALES0001", True, 8), now=NOW)
    assert buttons(msg) == []
    assert "taken back from SA_SALES0001" in all_text(msg)


def entry(**changes: object) -> AuditEntry:
    base = AuditEntry(
        id=1, at=NOW, actor=Actor("U0APPROVE", "arjun"), event="approved", action="purchase",
        outcome="succeeded", e164="+918012345678", request_id="R7K2QX4", reason="line\nfor <!channel>",
        quote=QUOTE,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("actor", "shown"),
    [
        (Actor("U0APPROVE", "arjun"), "arjun (`U0APPROVE`)"),
        (Actor("U0APPROVE", ""), "`U0APPROVE`"),
        (Actor("U0APPROVE", "<!channel> `x`"), "&lt;!channel&gt; `x` (`U0APPROVE`)"),
        (Actor("numbers-bot", "numbers-bot"), "numbers-bot"),
        (Actor("<@U0ADMIN>", ""), "&lt;@U0ADMIN&gt;"),
    ],
)
def test_history_lines_name_people_without_pinging_them(actor: Actor, shown: str) -> None:
    """The history channel gets a line per audit event: a mention would notify the person on every one."""
    line = history_line(entry(actor=actor))
    assert f"UTC> {shown} *approved* purchase" in line  # right after the date
    assert "<@" not in line
    assert_no_injected_markup({"text": line})


def test_history_line_is_one_readable_escaped_line() -> None:
    line = history_line(entry())
    assert "\n" not in line
    assert "arjun (`U0APPROVE`) *approved* purchase of *+91 80123 45678*" in line and "<@" not in line  # named, never pinged
    assert "[R7K2QX4]" in line and "→ succeeded" in line
    assert "&lt;!channel&gt;" in line
    assert_no_injected_markup({"text": line})


def test_refusal_and_unexpected_error_messages() -> None:
    assert "&lt;!channel&gt;" in all_text(refusal("You typed <!channel>"))
    text = all_text(unexpected_error("ABC123"))
    assert "Something went wrong (reference ABC123)" in text


def test_reason_modals_fit_slack_limits_and_carry_only_subject_and_reply_route() -> None:
    subject = ModalSubject(e164="+918012345678", response_url="https://hooks.slack.com/x", channel_id="C1")
    for view in (
        purchase_reason_modal(subject),
        release_reason_modal(subject, now=True),
        release_reason_modal(subject, now=False),
        deny_reason_modal(ModalSubject(request_id="R7K2QX4"), e164="+918012345678"),
    ):
        assert_within_limits(view, max_blocks=100)
        [reason_input] = [b for b in view["blocks"] if b["type"] == "input"]
        assert reason_input["block_id"] == ids.REASON_BLOCK
        assert reason_input["element"]["max_length"] == 500
    view = purchase_reason_modal(subject)
    assert view["callback_id"] == ids.PURCHASE_REASON_VIEW
    assert ModalSubject.from_metadata(view["private_metadata"]) == subject
    assert release_reason_modal(subject, now=True)["callback_id"] == ids.RELEASE_NOW_REASON_VIEW


def test_modal_metadata_that_is_not_ours_reads_as_empty() -> None:
    assert ModalSubject.from_metadata("not json") == ModalSubject()
    assert ModalSubject.from_metadata(json.dumps(["x"])) == ModalSubject()
    assert ModalSubject.from_metadata(json.dumps({"e164": 5, "evil": "x"})) == ModalSubject()


def test_money_is_never_rounded_and_whole_amounts_have_no_decimals() -> None:
    number = make_number(monthly_fee=Decimal("1250.5"), setup_fee=Decimal("0"), currency="USD")
    text = all_text(number_detail(number))
    assert "1,250.50 USD" in text and "0 USD" in text
