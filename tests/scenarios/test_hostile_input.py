"""Hostile and clumsy input: a clear message, no Vobiz write, nothing unescaped, no traceback anywhere."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient

from handlers import ids
from tests.scenarios.scenario_world import APPROVER, BOT_TOKEN, GENERAL, OTHER, REQUESTER, World
from tests.handlers.slack_checks import assert_no_injected_markup, assert_no_traceback, assert_within_limits

HOSTILE_REASON = "<!channel> <!here> <https://evil.example|click to approve> & <@U0ADMIN> pls"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("buy 123", "too short to be a phone number"),
        ("buy 25 IN lots of lines", "2 to 20 numbers"),
        ("buy", "Which number?"),
        ("bye +918012345678 x", "Did you mean `buy`?"),
        ("frobnicate", "`/numbers help`"),
        ("x" * 4000, "I don't know the subcommand"),
        ("buy +918012345678 " + "y" * 4000, "keep it to 500"),
        ("assign +918012345678 SA_<!channel>", "is not a sub-account id"),
        ("show <https://evil.example|+918012345678>", "is not a phone number"),
        ("inventory <!channel>", "as an inventory filter"),
    ],
)
def test_bad_commands_get_a_clear_message_and_write_nothing(world: World, text: str, needle: str) -> None:
    world.command(REQUESTER, text)
    reply = world.reply_to(REQUESTER, needle)
    assert_within_limits({"blocks": reply.blocks})
    assert world.vobiz_writes() == []
    assert world.requests_of(REQUESTER) == []
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)
        assert_no_traceback(payload)


def test_a_number_not_in_inventory_is_refused_before_any_request(world: World) -> None:
    owned = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    world.command(REQUESTER, f"buy {owned} I want it")
    world.reply_to(REQUESTER, "is not in Vobiz's inventory")
    assert world.requests_of(REQUESTER) == []
    assert world.vobiz_writes() == []


def test_assign_to_an_unknown_sub_account_writes_nothing(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    world.command(REQUESTER, f"assign {e164} SA_GHOST00001")
    world.reply_to(REQUESTER, "SA_GHOST00001")
    assert world.vobiz_writes() == []


def test_a_hostile_reason_is_stored_as_typed_and_never_pings_or_links(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0], reason=HOSTILE_REASON)
    assert world.request(request_id).reason == HOSTILE_REASON
    world.click(APPROVER, world.approval_message(request_id), "Deny")
    world.modal_of(APPROVER)
    world.submit(APPROVER, {"reason": HOSTILE_REASON})
    world.drain()
    shown = world.approval_message(request_id)
    assert "&lt;!channel&gt;" in json.dumps(shown.blocks)
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)
        assert_no_traceback(payload)
    assert all("&lt;!channel&gt;" in line or "channel" not in line for line in world.history_lines())


def test_forged_button_values_are_refused_cleanly(world: World) -> None:
    ghost = world.requests.block_action(OTHER, ids.APPROVE, "R<!channel>", channel_id="C0GENERAL", message={"ts": "1.1", "blocks": []})
    world.send(ghost)
    [refusal] = world.slack.ephemerals(OTHER)
    assert refusal.text.startswith(":no_entry_sign:")
    bogus_number = world.requests.block_action(OTHER, ids.REQUEST_PURCHASE, "+1<script>", channel_id="C0GENERAL", message={"ts": "1.2", "blocks": []})
    world.send(bogus_number)
    world.reply_to(OTHER, "is not a phone number")
    assert world.slack.views(OTHER) == []
    assert world.vobiz_writes() == []
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)
        assert_no_traceback(payload)


def test_an_unexpected_failure_shows_a_reference_never_a_traceback(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.slack.fail_next("views.open", "error:internal_error")  # Slack itself misbehaves mid-listener
    world.command(REQUESTER, f"buy {world.sandbox.inventory_numbers('IN')[0]}")
    reply = world.reply_to(REQUESTER, "Something went wrong (reference")
    reference = reply.text.split("reference ")[1][:6]
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)
    for payload in world.slack_bound():
        assert_no_traceback(payload)
        assert "xoxb-" not in json.dumps(payload)


def _client(world: World) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=world.slack.api_url)


def test_a_button_from_an_older_version_of_the_bot_is_answered_not_404(world: World) -> None:
    """A message drawn by an older version carries action ids this one does not know."""
    old_button = {"type": "button", "action_id": "approval.approve_v0", "value": "R0000000", "text": {"type": "plain_text", "text": "Approve"}}
    posted = _client(world).chat_postMessage(channel=GENERAL, text="old", blocks=[{"type": "actions", "elements": [old_button]}])
    response = world.click(OTHER, world.slack.message(GENERAL, posted["ts"]), "Approve")
    assert response.status == 200  # Bolt's own answer was a 404, which Slack shows as an error
    reply = world.reply_to(OTHER, "older version of this bot")
    assert "nothing was changed" in reply.as_text() and "/numbers requests" in reply.as_text()
    assert world.vobiz_writes() == []


def test_a_modal_from_an_older_version_of_the_bot_is_closed_and_explained(world: World) -> None:
    old_modal = {
        "type": "modal",
        "callback_id": "view.deny_reason_v0",
        "title": {"type": "plain_text", "text": "Deny request"},
        "submit": {"type": "plain_text", "text": "Deny"},
        "blocks": [
            {"type": "input", "block_id": ids.REASON_BLOCK, "label": {"type": "plain_text", "text": "Why?"},
             "element": {"type": "plain_text_input", "action_id": ids.REASON_INPUT}},
        ],
    }
    _client(world).views_open(trigger_id=world.slack.issue_trigger(APPROVER), view=old_modal)
    response = world.submit(APPROVER, {"reason": "Not now"})
    assert response.status == 200 and "errors" not in (response.body or "")
    world.slack.wait_for(lambda: any("older version of this bot" in m.as_text() for m in world.dms(APPROVER)))
    assert world.slack.views(APPROVER) == []  # the form closed
