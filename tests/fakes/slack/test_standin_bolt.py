"""A tiny real Bolt app driven by SlackRequests: the payloads work with Bolt, and replies reach the fake.

Dispatched in-process (`send_app`) and over HTTP through Bolt's WSGI adapter (`send_http`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from fakes.slack import FakeSlack, SlackRequests

from .conftest import SECRET, TOKEN

BUY_MODAL = {
    "type": "modal",
    "callback_id": "buy",
    "private_metadata": "+14155550100",
    "title": {"type": "plain_text", "text": "Buy a number"},
    "submit": {"type": "plain_text", "text": "Request"},
    "blocks": [
        {"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Reason"},
         "element": {"type": "plain_text_input", "action_id": "reason_input"}},
    ],
}


def approval_blocks(request_id: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": f"Request {request_id}"}},
        {"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"},
             "value": request_id, "style": "primary"}]},
    ]


def build_app(slack: FakeSlack, retries_seen: list[str | None]) -> App:
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=slack.api_url),
        token_verification_enabled=False,
    )

    @app.command("/numbers")
    def numbers(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, request: BoltRequest) -> None:
        retries_seen.append(request.headers.get("x-slack-retry-num", [None])[0])
        text = command["text"].strip()
        if text == "boom":
            raise RuntimeError("listener failed before ack")
        if text == "buy":
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=BUY_MODAL)
            return
        ack(f"Working on `{text}`")
        client.chat_postMessage(channel="C0APPROVAL", text="Approve R1?", blocks=approval_blocks("R1"))
        respond("Request R1 is waiting for an approver")

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        request_id = body["actions"][0]["value"]
        client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text=f"{request_id} approved by {body['user']['name']}",
            blocks=[],
        )
        respond(f"You approved {request_id}")

    @app.view("buy")
    def submit(ack: Ack, view: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        reason = view["state"]["values"]["reason"]["reason_input"]["value"]
        if len(reason) < 3:
            ack(response_action="errors", errors={"reason": "Say a little more"})
            return
        ack()
        client.chat_postMessage(
            channel="C0APPROVAL", text=f"{body['user']['id']} wants {view['private_metadata']}: {reason}"
        )

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your requests"}}]},
        )

    return app


@pytest.fixture
def retries_seen() -> list[str | None]:
    return []


@pytest.fixture
def app(slack: FakeSlack, retries_seen: list[str | None]) -> App:
    return build_app(slack, retries_seen)


def test_slash_command_ack_reply_and_posted_message_reach_the_fake(
    app: App, requests: SlackRequests, slack: FakeSlack
) -> None:
    response = requests.send_app(app, requests.slash_command("U0REQUEST", "buy +14155550100", channel_id="C0APPROVAL"))

    assert response.status == 200
    [approval] = slack.wait_for(lambda: slack.messages("C0APPROVAL"))
    assert approval.as_text() == "Request R1\n[Approve]"
    replies = slack.wait_for(lambda: len(slack.ephemerals("U0REQUEST")) == 2 and slack.ephemerals("U0REQUEST"))
    assert [(e.source, e.text) for e in replies] == [
        ("ack", "Working on `buy +14155550100`"),
        ("response_url", "Request R1 is waiting for an approver"),
    ]


def test_clicking_approve_updates_the_message_and_answers_the_approver(
    app: App, requests: SlackRequests, slack: FakeSlack
) -> None:
    requests.send_app(app, requests.slash_command("U0REQUEST", "buy +14155550100"))
    [approval] = slack.wait_for(lambda: slack.messages("C0APPROVAL"))

    response = requests.send_app(app, requests.click("U0BOSS", approval, "Approve"))

    assert response.status == 200
    updated = slack.wait_for(lambda: (m := slack.message("C0APPROVAL", approval.ts)).edited and m)
    assert (updated.text, updated.buttons()) == ("R1 approved by bob", [])
    [reply] = slack.wait_for(lambda: slack.ephemerals("U0BOSS"))
    assert (reply.text, reply.channel) == ("You approved R1", "C0APPROVAL")


def test_a_tampered_request_is_refused_by_bolt_and_changes_nothing(
    app: App, requests: SlackRequests, slack: FakeSlack
) -> None:
    signed = requests.slash_command("U0REQUEST", "buy +14155550100")
    response = requests.send_app(app, signed.tampered(signed.body.replace("U0REQUEST", "U0BOSS")))
    assert response.status == 401
    assert slack.messages("C0APPROVAL") == [] and slack.ephemerals("U0REQUEST") == []


def test_a_modal_opened_from_a_command_is_validated_then_closed_on_submit(
    app: App, requests: SlackRequests, slack: FakeSlack
) -> None:
    requests.send_app(app, requests.slash_command("U0REQUEST", "buy"))
    [modal] = slack.wait_for(lambda: slack.views("U0REQUEST"))
    assert modal.callback_id == "buy"

    refused = requests.send_app(app, requests.view_submission("U0REQUEST", modal, {"reason": "x"}))
    assert refused.status == 200
    [still_open] = slack.views("U0REQUEST")
    assert still_open.errors == {"reason": "Say a little more"}

    accepted = requests.send_app(app, requests.view_submission("U0REQUEST", still_open, {"reason": "sales line"}))
    assert accepted.status == 200 and accepted.body == ""
    assert slack.views("U0REQUEST") == []
    [posted] = slack.wait_for(lambda: slack.messages("C0APPROVAL"))
    assert posted.text == "U0REQUEST wants +14155550100: sales line"


def test_app_home_opened_publishes_the_home(app: App, requests: SlackRequests, slack: FakeSlack) -> None:
    assert requests.send_app(app, requests.app_home_opened("U0REQUEST")).status == 200
    home = slack.wait_for(lambda: slack.home("U0REQUEST"))
    assert home.as_text() == "Your requests"


def test_a_listener_that_fails_before_ack_shows_slacks_dispatch_failed(
    app: App, requests: SlackRequests, slack: FakeSlack
) -> None:
    response = requests.send_app(app, requests.slash_command("U0REQUEST", "boom", channel_id="C0APPROVAL"))
    assert response.status == 500
    [shown] = slack.ephemerals("U0REQUEST")
    assert (shown.source, shown.text) == ("slack", '/numbers failed with the error "dispatch_failed"')


@pytest.fixture
def served_app(app: App) -> Iterator[str]:
    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server: WSGIServer = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    server.server_close()


def test_send_http_delivers_to_bolt_over_http_with_retry_headers(
    served_app: str, requests: SlackRequests, slack: FakeSlack, retries_seen: list[str | None]
) -> None:
    status, body, headers = requests.send_http(served_app, requests.slash_command("U0REQUEST", "list"), retry_num=1)
    requests.close()

    assert (status, body) == (200, "Working on `list`")  # Bolt acks with plain text; Slack shows it
    assert headers["content-type"].startswith("text/plain")
    assert retries_seen == ["1"]
    # The ack is recorded when its HTTP answer comes back, the listener's respond() when it is posted: under
    # load either may come first, so the two are compared as a set.
    replies = slack.wait_for(lambda: len(slack.ephemerals("U0REQUEST")) == 2 and slack.ephemerals("U0REQUEST"))
    assert sorted((e.source, e.text) for e in replies) == [
        ("ack", "Working on `list`"),
        ("response_url", "Request R1 is waiting for an approver"),
    ]

    stale = requests.slash_command("U0REQUEST", "list", timestamp=1_600_000_000)
    assert requests.send_http(served_app, stale)[0] == 401


def test_closing_a_modal_closes_it_in_the_fake_and_tells_the_app(
    app: App, requests: SlackRequests, slack: FakeSlack
) -> None:
    closed: list[str] = []

    @app.view_closed("buy")
    def on_close(ack: Ack, view: dict[str, Any]) -> None:
        ack()
        closed.append(view["id"])

    requests.send_app(app, requests.slash_command("U0REQUEST", "buy"))
    [modal] = slack.wait_for(lambda: slack.views("U0REQUEST"))

    assert requests.send_app(app, requests.view_closed("U0REQUEST")).status == 200
    assert slack.views("U0REQUEST") == []
    assert slack.wait_for(lambda: closed) == [modal.id]


def test_an_ack_later_than_three_seconds_shows_operation_timeout_instead_of_the_reply(
    app: App, slack: FakeSlack
) -> None:
    impatient = SlackRequests(SECRET, slack, ack_deadline=0.0)  # every ack counts as late
    impatient.send_app(app, impatient.slash_command("U0REQUEST", "list", channel_id="C0APPROVAL"))
    shown = slack.wait_for(lambda: [e for e in slack.ephemerals("U0REQUEST") if e.source != "response_url"])
    assert [(e.source, e.text) for e in shown] == [("slack", '/numbers failed with the error "operation_timeout"')]
