"""SlackRequests: signatures as slack_sdk verifies them, and payloads shaped like Slack's."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from fakes.slack import FakeSlack, SignedRequest, SlackRequests

from .conftest import SECRET

APPROVAL_BLOCKS = [
    {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "Buy +14155550100"}},
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"},
             "value": "R7K2QX", "style": "primary"},
            {"type": "button", "action_id": "deny", "text": {"type": "plain_text", "text": "Deny"}, "value": "R7K2QX"},
        ],
    },
]

BUY_MODAL = {
    "type": "modal",
    "callback_id": "buy",
    "private_metadata": "+14155550100",
    "title": {"type": "plain_text", "text": "Buy a number"},
    "submit": {"type": "plain_text", "text": "Request"},
    "blocks": [
        {"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Reason"},
         "element": {"type": "plain_text_input", "action_id": "reason_input"}},
        {"type": "input", "block_id": "note", "optional": True, "label": {"type": "plain_text", "text": "Note"},
         "element": {"type": "plain_text_input", "action_id": "note_input", "initial_value": "none"}},
        {"type": "input", "block_id": "country", "label": {"type": "plain_text", "text": "Country"},
         "element": {"type": "static_select", "action_id": "country_select", "options": [
             {"text": {"type": "plain_text", "text": "India"}, "value": "IN"},
             {"text": {"type": "plain_text", "text": "United States"}, "value": "US"}]}},
    ],
}


def verify(signed: SignedRequest, **kwargs: Any) -> bool:
    return SignatureVerifier(SECRET, **kwargs).is_valid_request(signed.body, signed.headers)


def post_approval(client: WebClient, slack: FakeSlack) -> str:
    return str(client.chat_postMessage(channel="C0APPROVAL", text="Approve?", blocks=APPROVAL_BLOCKS)["ts"])


def open_buy_modal(client: WebClient, slack: FakeSlack, user_id: str = "U0REQUEST") -> str:
    return str(client.views_open(trigger_id=slack.issue_trigger(user_id), view=BUY_MODAL)["view"]["id"])


# ------------------------------------------------------------------------------------------------ signing


def test_every_kind_of_request_is_signed_as_slack_signs(
    requests: SlackRequests, client: WebClient, slack: FakeSlack
) -> None:
    ts = post_approval(client, slack)
    open_buy_modal(client, slack)
    signed = [
        requests.slash_command("U0REQUEST", "buy +14155550100"),
        requests.block_action("U0BOSS", "approve", message=slack.message("C0APPROVAL", ts)),
        requests.view_submission("U0REQUEST", values={"reason": "sales", "country": "IN"}),
        requests.view_closed("U0REQUEST"),
        requests.app_home_opened("U0REQUEST"),
    ]
    assert all(verify(s) for s in signed)
    assert all(s.headers["X-Slack-Signature"].startswith("v0=") for s in signed)


def test_tampered_stale_and_forged_requests_are_rejected(requests: SlackRequests) -> None:
    genuine = requests.slash_command("U0REQUEST", "list")
    stale = requests.slash_command("U0REQUEST", "list", timestamp=int(time.time()) - 10 * 60)
    forged = requests.sign(genuine.body, secret="not-the-secret")

    assert verify(genuine)
    assert not verify(genuine.tampered())
    assert not verify(genuine.tampered(genuine.body.replace("list", "release")))
    assert not verify(stale)
    assert verify(stale, clock=_FixedClock(int(stale.headers["X-Slack-Request-Timestamp"])))  # only its age is wrong
    assert not verify(forged)


class _FixedClock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


# ------------------------------------------------------------------------------------------------ shapes


def test_slash_command_carries_slacks_fields_and_live_urls(requests: SlackRequests, slack: FakeSlack) -> None:
    signed = requests.slash_command("U0REQUEST", "buy +14155550100 for sales", channel_id="C0APPROVAL")
    fields = signed.payload()

    assert signed.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert set(fields) >= {
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
        "command", "text", "response_url", "trigger_id", "api_app_id",
    }
    assert (fields["user_id"], fields["user_name"], fields["command"]) == ("U0REQUEST", "rita", "/numbers")
    assert (fields["channel_id"], fields["channel_name"], fields["team_id"]) == ("C0APPROVAL", "approvals", "T0NUMBERS")
    assert fields["text"] == "buy +14155550100 for sales"

    WebhookClient(fields["response_url"]).send(text="got it")
    assert [e.text for e in slack.ephemerals("U0REQUEST")] == ["got it"]
    client = WebClient(token="xoxb-standin-test-token", base_url=slack.api_url)
    client.views_open(trigger_id=fields["trigger_id"], view=BUY_MODAL)
    assert [v.callback_id for v in slack.views("U0REQUEST")] == ["buy"]


def test_slash_command_defaults_to_the_users_dm(requests: SlackRequests) -> None:
    fields = requests.slash_command("U0REQUEST", "list").payload()
    assert (fields["channel_id"], fields["channel_name"]) == ("D0REQUEST", "directmessage")


def test_unknown_users_are_refused_when_the_fake_has_a_directory(requests: SlackRequests) -> None:
    with pytest.raises(ValueError, match="U0NOBODY is not in the fake's users"):
        requests.slash_command("U0NOBODY", "list")


def test_a_click_on_a_message_is_a_block_actions_payload(
    requests: SlackRequests, client: WebClient, slack: FakeSlack
) -> None:
    ts = post_approval(client, slack)

    payload = requests.click("U0BOSS", slack.message("C0APPROVAL", ts), "Approve").payload()

    assert payload["type"] == "block_actions"
    assert payload["user"] == {"id": "U0BOSS", "username": "bob", "name": "bob", "team_id": "T0NUMBERS"}
    assert payload["container"] == {"type": "message", "message_ts": ts, "channel_id": "C0APPROVAL", "is_ephemeral": False}
    assert payload["channel"] == {"id": "C0APPROVAL", "name": "approvals"}
    assert payload["message"]["ts"] == ts and payload["message"]["blocks"] == APPROVAL_BLOCKS
    assert payload["team"] == {"id": "T0NUMBERS", "domain": "numbers"}
    assert payload["api_app_id"] == slack.app_id and payload["trigger_id"]
    [action] = payload["actions"]
    assert {k: action[k] for k in ("action_id", "block_id", "value", "type", "style")} == {
        "action_id": "approve", "block_id": "decide", "value": "R7K2QX", "type": "button", "style": "primary",
    }
    assert action["text"]["text"] == "Approve" and action["action_ts"]

    WebhookClient(payload["response_url"]).send(text="Approved", replace_original=True)
    assert slack.message("C0APPROVAL", ts).text == "Approved"


def test_block_action_by_ts_fills_the_button_from_the_message(
    requests: SlackRequests, client: WebClient, slack: FakeSlack
) -> None:
    ts = post_approval(client, slack)
    [action] = requests.block_action("U0BOSS", "deny", channel_id="C0APPROVAL", message_ts=ts).payload()["actions"]
    assert (action["block_id"], action["value"]) == ("decide", "R7K2QX")


def test_a_button_that_is_not_there_cannot_be_clicked(
    requests: SlackRequests, client: WebClient, slack: FakeSlack
) -> None:
    ts = post_approval(client, slack)
    client.chat_update(channel="C0APPROVAL", ts=ts, text="Approved", blocks=[])
    with pytest.raises(ValueError, match="no button 'Approve' there; it shows no buttons"):
        requests.click("U0BOSS", slack.message("C0APPROVAL", ts), "Approve")
    with pytest.raises(ValueError, match="no button with action_id 'approve'"):
        requests.block_action("U0BOSS", "approve", channel_id="C0APPROVAL", message_ts=ts)


def test_a_stale_click_uses_the_message_as_the_user_saw_it(
    requests: SlackRequests, client: WebClient, slack: FakeSlack
) -> None:
    ts = post_approval(client, slack)
    seen_by_second_approver = slack.message("C0APPROVAL", ts)
    client.chat_update(channel="C0APPROVAL", ts=ts, text="Approved", blocks=[])

    payload = requests.click("U0OTHER", seen_by_second_approver, "approve").payload()

    assert payload["actions"][0]["value"] == "R7K2QX"
    assert payload["message"]["blocks"] == APPROVAL_BLOCKS


def test_a_click_on_an_ephemeral_has_no_message_but_a_response_url_for_it(
    requests: SlackRequests, slack: FakeSlack
) -> None:
    shown = slack.show_command_ack("U0REQUEST", "C0APPROVAL", {"text": "Pending", "blocks": APPROVAL_BLOCKS})
    assert shown is not None

    payload = requests.click("U0REQUEST", shown, "deny").payload()

    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    WebhookClient(payload["response_url"]).send(delete_original=True)
    assert slack.ephemerals("U0REQUEST") == []


def test_a_click_in_a_modal_carries_the_view(requests: SlackRequests, client: WebClient, slack: FakeSlack) -> None:
    view = {**BUY_MODAL, "blocks": [*BUY_MODAL["blocks"], *APPROVAL_BLOCKS]}
    view_id = client.views_open(trigger_id=slack.issue_trigger("U0REQUEST"), view=view)["view"]["id"]

    payload = requests.click("U0REQUEST", slack.views("U0REQUEST")[-1], "Deny").payload()

    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert payload["view"]["id"] == view_id and payload["view"]["callback_id"] == "buy"
    assert "response_url" not in payload and "message" not in payload


def test_view_submission_carries_the_view_and_state_values_in_slacks_shape(
    requests: SlackRequests, client: WebClient, slack: FakeSlack
) -> None:
    view_id = open_buy_modal(client, slack)

    payload = requests.view_submission("U0REQUEST", values={"reason_input": "sales line", "country": "US"}).payload()

    assert payload["type"] == "view_submission"
    view = payload["view"]
    assert (view["id"], view["callback_id"], view["private_metadata"]) == (view_id, "buy", "+14155550100")
    assert view["hash"] == slack.views("U0REQUEST")[0].hash
    assert view["state"]["values"] == {
        "reason": {"reason_input": {"type": "plain_text_input", "value": "sales line"}},
        "note": {"note_input": {"type": "plain_text_input", "value": "none"}},
        "country": {"country_select": {"type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": "United States", "emoji": True}, "value": "US"}}},
    }
    assert payload["user"]["id"] == "U0REQUEST" and payload["response_urls"] == []


def test_view_submission_refuses_what_slack_would_not_submit(
    requests: SlackRequests, client: WebClient, slack: FakeSlack
) -> None:
    open_buy_modal(client, slack)
    with pytest.raises(ValueError, match="required field\\(s\\) empty: Reason"):
        requests.view_submission("U0REQUEST", values={"country": "IN"})
    with pytest.raises(ValueError, match="has no input 'reasn'"):
        requests.view_submission("U0REQUEST", values={"reasn": "x", "country": "IN"})
    with pytest.raises(ValueError, match="'FR' is not an option of 'Country'"):
        requests.view_submission("U0REQUEST", values={"reason": "x", "country": "FR"})
    with pytest.raises(ValueError, match="U0BOSS has no modal open"):
        requests.view_submission("U0BOSS", values={})


def test_app_home_opened_is_an_event_callback_with_the_published_home(
    requests: SlackRequests, client: WebClient, slack: FakeSlack
) -> None:
    client.views_publish(user_id="U0REQUEST", view={"type": "home", "blocks": [{"type": "divider"}]})

    signed = requests.app_home_opened("U0REQUEST")
    body = signed.payload()

    assert signed.headers["Content-Type"] == "application/json"
    assert body["type"] == "event_callback" and body["team_id"] == "T0NUMBERS" and body["event_id"].startswith("Ev")
    event = body["event"]
    assert (event["type"], event["user"], event["channel"], event["tab"]) == (
        "app_home_opened", "U0REQUEST", "D0REQUEST", "home")
    assert event["view"]["blocks"] == [{"type": "divider"}]
    assert body["authorizations"][0]["user_id"] == slack.bot_user_id


def test_repr_shows_no_secret(requests: SlackRequests) -> None:
    assert SECRET not in repr(requests)
