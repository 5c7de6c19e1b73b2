"""response_url: what Bolt's respond() posts (through slack_sdk's WebhookClient, as respond() does)."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from fakes.slack import FakeSlack

BUTTON = [
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [{"type": "button", "action_id": "cancel", "text": {"type": "plain_text", "text": "Cancel"}}],
    }
]


def test_a_reply_is_ephemeral_by_default(slack: FakeSlack) -> None:
    url = slack.response_url("U0REQUEST", "C0APPROVAL")

    answer = WebhookClient(url).send(text="Request R7K2QX sent to the approvers")

    assert answer.status_code == 200
    [reply] = slack.ephemerals("U0REQUEST")
    assert (reply.channel, reply.text, reply.source) == ("C0APPROVAL", "Request R7K2QX sent to the approvers", "response_url")
    assert slack.messages("C0APPROVAL") == []


def test_in_channel_replies_become_channel_messages(slack: FakeSlack) -> None:
    WebhookClient(slack.response_url("U0REQUEST", "C0APPROVAL")).send(text="Everyone sees this", response_type="in_channel")
    [message] = slack.messages("C0APPROVAL")
    assert (message.text, message.source) == ("Everyone sees this", "response_url")
    assert slack.ephemerals("U0REQUEST") == []


def test_replace_original_replaces_the_ephemeral_the_click_came_from(slack: FakeSlack) -> None:
    shown = slack.show_command_ack("U0REQUEST", "C0APPROVAL", {"text": "Your requests", "blocks": BUTTON})
    assert shown is not None
    url = slack.response_url("U0REQUEST", "C0APPROVAL", message_ts=shown.ts, ephemeral=True)

    WebhookClient(url).send(text="Cancelled R7K2QX", replace_original=True)

    [reply] = slack.ephemerals("U0REQUEST")
    assert (reply.ts, reply.text, reply.replaced, reply.buttons()) == (shown.ts, "Cancelled R7K2QX", 1, [])


def test_replace_and_delete_original_act_on_a_channel_message(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0APPROVAL", text="pending", blocks=BUTTON)["ts"]
    url = slack.response_url("U0BOSS", "C0APPROVAL", message_ts=ts)

    WebhookClient(url).send(text="Approved by bob", replace_original=True)
    message = slack.message("C0APPROVAL", ts)
    assert (message.text, message.edited, message.blocks) == ("Approved by bob", 1, [])

    WebhookClient(url).send(delete_original=True)
    assert slack.messages("C0APPROVAL") == []


def test_bad_replies_get_400_with_slacks_plain_text_error(slack: FakeSlack) -> None:
    url = slack.response_url("U0REQUEST", "C0APPROVAL")
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]

    invalid = WebhookClient(url).send(text="x", blocks=too_long)
    empty = WebhookClient(url).send(text="")

    assert (invalid.status_code, invalid.body) == (400, "invalid_blocks")
    assert (empty.status_code, empty.body) == (400, "no_text")
    assert slack.ephemerals("U0REQUEST") == []


def test_a_response_url_works_five_times_only(slack: FakeSlack) -> None:
    url = slack.response_url("U0REQUEST", "C0APPROVAL")
    statuses = [WebhookClient(url).send(text=f"reply {n}").status_code for n in range(6)]
    assert statuses == [200, 200, 200, 200, 200, 404]
    assert len(slack.ephemerals("U0REQUEST")) == 5


def test_unknown_response_urls_are_404(slack: FakeSlack) -> None:
    answer = WebhookClient(f"{slack.base_url}/response/T0NUMBERS/not-a-token").send(text="x")
    assert answer.status_code == 404


def test_response_url_faults(slack: FakeSlack) -> None:
    slack.fail_next("response_url", "server_error")
    url = slack.response_url("U0REQUEST", "C0APPROVAL")
    assert WebhookClient(url).send(text="lost").status_code == 500
    assert WebhookClient(url).send(text="delivered").status_code == 200
    assert [e.text for e in slack.ephemerals("U0REQUEST")] == ["delivered"]
    assert [c.fault for c in slack.calls("response_url")] == ["server_error", None]
