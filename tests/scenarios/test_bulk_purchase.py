"""`/numbers buy N [COUNTRY] [filters] <reason>` through the real app, on both engines: one request quoting
each number and the totals, one approval, one purchase call per listed number, a number gone or re-priced
skipped (never replaced) and reported in the approval message, one history line per number, and fewer
matches than asked said before anything is filed."""

from __future__ import annotations

import re

from handlers.render.text import display_number
from tests.handlers.slack_checks import assert_no_injected_markup, assert_within_limits
from tests.scenarios.scenario_world import APPROVER, REQUESTER, World


def karnataka_cheapest(world: World, count: int) -> list[str]:
    found = [n for n in world.sandbox.snapshot()["numbers"] if n["where"] == "inventory" and n["region"] == "Karnataka"]
    found.sort(key=lambda n: (n["monthly_fee"], n["setup_fee"], n["e164"]))
    return [n["e164"] for n in found[:count]]


def ask_for_bulk(world: World, text: str) -> str:
    world.command(REQUESTER, text)
    reply = world.reply_to(REQUESTER, "waiting for an approver")
    match = re.search(r"Request \*(R[0-9A-Z]+)\*", reply.text)
    assert match, reply.text
    world.drain()
    return match.group(1)


def test_bulk_purchase_quotes_each_number_and_approval_buys_each_once(world: World) -> None:
    picked = karnataka_cheapest(world, 4)
    request_id = ask_for_bulk(world, "buy 4 IN region:karnataka New Bengaluru support team")
    reply = world.reply_to(REQUESTER, request_id)
    assert "to buy *4 numbers*" in reply.text and "Totals: setup" in reply.text
    posted = world.approval_message(request_id)
    text = posted.as_text()
    assert all(display_number(e164) in text for e164 in picked)
    assert "Totals" in text and "New Bengaluru support team" in text
    assert_within_limits({"blocks": posted.blocks})

    gone, repriced = picked[1], picked[2]
    world.sandbox.sell_elsewhere(gone)
    world.sandbox.set_fees(repriced, 999, 999)
    world.sandbox.clear_requests()
    world.click(APPROVER, posted, "Approve")
    request = world.settled(request_id)
    world.drain()

    bought = [e for e in picked if e not in (gone, repriced)]
    assert request.status.value == "succeeded" and "Bought 2 of 4" in (request.outcome_detail or "")
    purchases = world.sandbox.requests("purchase")
    assert len(purchases) == 2  # one call per number still as quoted; none for the skipped, no substitute
    assert [world.sandbox.describe(e)["where"] for e in picked] == ["owned", "sold_elsewhere", "inventory", "owned"]
    done = world.approval_message(request_id).as_text()
    assert done.count("bought") >= 2 and "skipped" in done and "re-priced" in done and "no longer in Vobiz's inventory" in done
    lines = world.history_lines()
    for e164 in picked:
        assert len([line for line in lines if request_id in line and display_number(e164) in line and "executed" in line]) == 1
    assert_no_injected_markup({"blocks": world.approval_message(request_id).blocks})


def test_fewer_matches_than_asked_is_said_before_filing_anything(world: World) -> None:
    world.command(REQUESTER, "buy 3 IN max-monthly:10 cheap lines")
    reply = world.reply_to(REQUESTER, "you asked for 3")
    assert "Nothing was requested" in reply.text
    world.drain()
    assert world.requests_of(REQUESTER) == [] and world.history_lines() == []


def test_a_bulk_count_out_of_range_gets_the_syntax_back(world: World) -> None:
    world.command(REQUESTER, "buy 30 IN region:karnataka lots")
    reply = world.reply_to(REQUESTER, "2 to 20 numbers")
    assert "buy N [COUNTRY] [filters]" in reply.text
    assert world.requests_of(REQUESTER) == [] and world.sandbox.requests("list_inventory") == []
