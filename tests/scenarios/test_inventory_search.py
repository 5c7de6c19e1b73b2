"""`/numbers inventory` with filters through the real app, on both engines: how far it looked, Keep looking,
why nothing matched with the nearest alternatives, the syntax back on a bad filter, and the terms of a
number (commitment, Aadhaar) in the inventory row, the request's quote and the approval message."""

from __future__ import annotations

import json

from handlers import ids
from tests.handlers.slack_checks import assert_within_limits
from tests.scenarios.scenario_world import APPROVALS, APPROVER, REQUESTER, World


def test_a_filtered_search_says_how_far_it_looked_and_keeps_looking(world: World) -> None:
    world.sandbox.stock("IN", 4000)
    total = len(world.sandbox.inventory_numbers("IN"))
    world.command(REQUESTER, "inventory IN region:karnataka max-monthly:150 sms")
    first = world.reply_to(REQUESTER, "Numbers we can buy IN")
    text = first.as_text()
    assert f"of {total:,} numbers" in text
    offers = [b for b in first.buttons() if b.action_id == ids.REQUEST_PURCHASE]
    assert offers and "Karnataka" in text and "150 INR/month" in text
    assert_within_limits({"blocks": first.blocks})
    [more] = [b for b in first.buttons() if b.action_id == ids.INVENTORY_MORE]
    world.sandbox.clear_requests()
    world.click(REQUESTER, first, more)
    second = world.reply_to(REQUESTER, "so far")
    assert second.ts == first.ts  # the same message, re-drawn with the next answer
    [read, *_] = world.sandbox.requests("list_inventory")
    assert f"page={json.loads(more.value)['p']}" in read["path"]  # continued, not started over
    shown_before = {b.value for b in offers}
    shown_now = {b.value for b in second.buttons() if b.action_id == ids.REQUEST_PURCHASE}
    assert not shown_before & shown_now


def test_nothing_matches_names_the_filter_and_offers_searching_without_it(world: World) -> None:
    world.command(REQUESTER, "inventory IN region:karnataka max-monthly:100")
    answer = world.reply_to(REQUESTER, "ruled out the most numbers")
    assert "`max-monthly:100`" in answer.as_text()
    [without] = [b for b in answer.buttons() if b.action_id == ids.INVENTORY_WITHOUT]
    assert without.text == "Search without max-monthly:100"
    world.click(REQUESTER, answer, without)
    found = world.reply_to(REQUESTER, "Numbers we can buy IN region:karnataka", after=0)
    assert [b for b in found.buttons() if b.action_id == ids.REQUEST_PURCHASE]
    assert "Karnataka" in found.as_text()


def test_a_bad_filter_gets_the_syntax_back_and_nothing_is_asked_of_vobiz(world: World) -> None:
    world.sandbox.clear_requests()
    world.command(REQUESTER, "inventory IN max-monthly:cheap")
    reply = world.reply_to(REQUESTER, "max-monthly:cheap")
    assert "[max-monthly:&lt;amount&gt;]" in reply.text and "`/numbers help inventory` explains every filter" in reply.text
    assert world.sandbox.requests("list_inventory") == []


def test_commitments_show_in_the_row_the_quote_and_the_approval_message(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[0]
    world.sandbox.set_terms(e164, minimum_commitment_months=12, aadhaar_verification_required=True)
    world.command(REQUESTER, f"inventory IN starts:{e164}")
    row = world.reply_to(REQUESTER, "Numbers we can buy")
    assert "Commits us for 12 months; needs Aadhaar verification before use" in row.as_text()
    request_id = world.ask_to_buy(e164)
    created = world.reply_to(REQUESTER, request_id)
    assert "commits us for 12 months; needs Aadhaar verification before use" in created.text
    posted = world.approval_message(request_id)
    assert "Commits us for 12 months; needs Aadhaar verification before use" in posted.as_text()
    assert world.request(request_id).quote.commitment_months == 12  # kept in the store, not the message
    assert posted.channel == APPROVALS


def test_terms_changed_after_the_quote_fail_the_purchase_like_a_new_price(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[1]
    world.sandbox.set_terms(e164, minimum_commitment_months=0, aadhaar_verification_required=False)
    request_id = world.ask_to_buy(e164)
    world.sandbox.set_terms(e164, minimum_commitment_months=12, aadhaar_verification_required=False)
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    done = world.settled(request_id)
    assert done.status.value == "failed" and "commits us for 12 months" in (done.outcome_detail or "")
    assert world.sandbox.describe(e164)["where"] == "inventory"
