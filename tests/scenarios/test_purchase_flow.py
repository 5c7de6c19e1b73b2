"""Purchases end to end: slash command -> approval message -> click -> Vobiz -> message, DM, history."""

from __future__ import annotations

import json

from bot.services.records import Status
from handlers import ids
from handlers.render.text import display_number
from tests.handlers.slack_checks import assert_no_injected_markup, assert_no_traceback, assert_within_limits
from tests.scenarios.scenario_world import ADMIN, APPROVALS, APPROVER, GROUPIE, HISTORY, OTHER, REQUESTER, World


def test_purchase_approved_end_to_end(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[0]
    balance_before = world.sandbox.balance

    request_id = world.ask_to_buy(e164)
    message = world.approval_message(request_id)
    assert [b.action_id for b in message.buttons()] == [ids.APPROVE, ids.DENY]
    assert "Reason" in message.as_text() and "A new support line for Bengaluru" in message.as_text()

    response = world.click(APPROVER, message, "Approve")
    assert response.status == 200
    assert world.settled(request_id).status is Status.SUCCEEDED
    world.drain()

    redrawn = world.slack.message(message.channel, message.ts)
    assert redrawn.edited >= 1
    assert redrawn.buttons() == []
    assert "Approved by arjun (`U0APPROVE`)" in redrawn.as_text().replace("*", "")
    assert "is ours now" in redrawn.as_text()

    [notice] = world.dms(REQUESTER)
    assert request_id in notice.text and "is ours now" in notice.as_text()

    lines = world.history_lines()
    assert any("requested" in line and request_id in line for line in lines)
    assert any("approved" in line or "executed" in line for line in lines)

    assert world.sandbox.describe(e164)["owner"] == world.sandbox.auth_id
    assert world.sandbox.balance < balance_before
    assert len(world.sandbox.requests("purchase")) == 1
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)
        assert_no_traceback(payload)


def test_an_approver_from_a_user_group_can_approve(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("US")[0])
    world.click(GROUPIE, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.SUCCEEDED
    assert world.slack.calls("usergroups.users.list")


def test_denied_with_a_reason(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[1]
    request_id = world.ask_to_buy(e164)
    world.click(APPROVER, world.approval_message(request_id), "Deny")
    modal = world.modal_of(APPROVER)
    assert modal.callback_id == ids.DENY_REASON_VIEW

    empty = world.requests.send_app(world.app, world.requests.view_submission(APPROVER, None, {"reason": "   "}))
    assert "errors" in empty.body  # a blank reason stays in the modal with an error
    assert world.request(request_id).status is Status.PENDING

    world.submit(APPROVER, {"reason": "We have a spare <!channel> number in Bengaluru"})
    world.reply_to(APPROVER, "Denied")
    assert world.slack.views(APPROVER) == []
    world.drain()

    message = world.approval_message(request_id)
    text = message.as_text()
    assert "Denied" in text and "We have a spare" in text
    assert message.buttons() == []
    assert any("Denied" in m.as_text() for m in world.dms(REQUESTER))
    assert world.sandbox.requests("purchase") == []
    assert world.request(request_id).decision_reason == "We have a spare <!channel> number in Bengaluru"
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)


def test_self_approval_is_refused_even_for_an_approver(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[2], user=APPROVER)
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    refusal = world.reply_to(APPROVER, "someone else has to decide")
    assert refusal.source == "response_url"
    assert world.request(request_id).status is Status.PENDING
    assert world.sandbox.requests("purchase") == []


def test_a_non_approver_is_refused_and_nothing_changes(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[3])
    world.click(OTHER, world.approval_message(request_id), "Approve")
    world.reply_to(OTHER, "Only approvers")
    world.click(OTHER, world.approval_message(request_id), "Deny")
    world.reply_to(OTHER, "Only approvers", after=1)  # refused on the click, before being asked why
    assert world.slack.views(OTHER) == []
    assert world.request(request_id).status is Status.PENDING
    assert world.sandbox.requests("purchase") == []
    world.drain()
    assert any("refused" in line for line in world.history_lines())


def test_buy_without_a_reason_asks_for_one_in_a_modal_that_quotes_nothing_until_sent(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("GB")[0]
    world.command(REQUESTER, f"buy {e164}")
    modal = world.modal_of(REQUESTER)
    assert modal.callback_id == ids.PURCHASE_REASON_VIEW
    world.submit(REQUESTER, {"reason": "UK sales line"})
    reply = world.reply_to(REQUESTER, "waiting for an approver")
    assert reply.channel == "C0GENERAL"  # back where the command was typed
    assert "Quote: setup" in reply.as_text()
    world.drain()
    [request] = world.requests_of(REQUESTER)
    assert world.approval_message(request.id)


def test_requests_lists_mine_with_cancel_and_theirs_with_decisions(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[4])
    world.command(ADMIN, "requests")
    listing = world.reply_to(ADMIN, "Waiting for your decision")
    assert [b.action_id for b in listing.buttons()] == [ids.APPROVE, ids.DENY]
    world.click(ADMIN, listing, "Approve")
    world.reply_to(ADMIN, "is ours now")  # not clicked on the approval message: told directly
    assert world.request(request_id).status is Status.SUCCEEDED

    other = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[5])
    world.command(REQUESTER, "requests")
    mine = world.reply_to(REQUESTER, "Your requests")
    assert_within_limits({"blocks": mine.blocks})
    world.click(REQUESTER, mine, "Cancel")
    world.reply_to(REQUESTER, "is cancelled")
    assert world.request(other).status is Status.CANCELLED
    world.drain()
    assert "Cancelled" in world.approval_message(other).as_text()


def test_a_number_pasted_as_slack_formats_it_can_be_shown_and_bought(world: World) -> None:
    """What the bot itself shows (`+91 80 1234 5678`) can be pasted back into a command."""
    e164 = world.sandbox.inventory_numbers("IN")[0]
    formatted = display_number(e164)
    assert " " in formatted

    world.command(REQUESTER, f"show {formatted}")
    assert e164 in world.reply_to(REQUESTER, "Monthly fee").as_text()

    world.command(REQUESTER, f"buy {formatted} Second support line")
    world.reply_to(REQUESTER, "waiting for an approver")
    [request] = world.requests_of(REQUESTER)
    assert request.e164 == e164 and request.reason == "Second support line"


def test_the_history_channel_and_the_approval_message_name_people_without_pinging(world: World) -> None:
    """A mention on every audit line would notify people on every step; only the requester's DM pings."""
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[4])
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    world.settled(request_id)
    world.drain()

    channel_posts = world.slack.messages(HISTORY) + world.slack.messages(APPROVALS)
    assert channel_posts and all("<@" not in json.dumps([m.text, m.blocks]) for m in channel_posts)
    lines = world.history_lines()
    assert any("riya (`U0REQUEST`) *requested*" in line for line in lines)
    assert any("arjun (`U0APPROVE`) *approved*" in line for line in lines)
    [notice] = world.dms(REQUESTER)
    assert "<@U0APPROVE>" in json.dumps(notice.blocks)  # the requester's own notice: here a mention is the point
