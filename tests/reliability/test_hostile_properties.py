"""Hostile input, property-based: whatever text follows `/numbers`, and whatever a (re-signed, so
genuinely from Slack's point of view) interaction payload holds — missing fields, wrong types, huge
values, unknown action ids, button values naming other people's requests — the bot never raises an
unhandled exception, never answers 5xx, always tells the person something clear (never a traceback or
unescaped markup) and changes no state: no Vobiz write, no request decided, nothing but `refused` rows
in the audit log.

One bot (module-scoped) serves every example, so the search stays fast; examples are kept modest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakes.vobiz import SandboxServer
from bot.services.records import Status
from fakes.slack.requests import SignedRequest
from fakes.slack.webapi import FakeSlack
from handlers import ids
from tests.scenarios.scenario_world import ADMIN, APPROVALS, APPROVER, OTHER, REQUESTER, World, build_world, fake_slack
from tests.handlers.slack_checks import assert_no_injected_markup, assert_no_traceback
from tests.reliability.worlds import rows, served

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VOBIZ_WRITES = ("purchase", "release", "cancel_release", "assign", "unassign")
KNOWN_ACTIONS = (
    ids.APPROVE,
    ids.DENY,
    ids.UNDO_RELEASE,
    ids.CANCEL_REQUEST,
    *ids.LIST_PAGE,
    *ids.INVENTORY_PAGE,
    ids.REQUEST_PURCHASE,
    ids.REQUEST_FORCE_UNASSIGN,
)
NASTY = [
    "<!channel>", "<!here|here>", "<https://evil.example|click>", "<@U0ADMIN>", "&amp;", "' OR 1=1 --",
    "'; DROP TABLE audit; --", "\x00", "\u202e", "%s%s%n", "{{7*7}}", "../../etc/passwd", "\n\n", "🙂" * 3,
    "+918012345678", "+1", "SA_X", "R0000000", "--now", "—now", "99999999999999999999", "-1", "NaN",
]


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture(scope="module")
def module_slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


@pytest.fixture(scope="module")
def bot(module_slack: FakeSlack, module_sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    world = build_world(module_slack, module_sandbox, tmp_path_factory.mktemp("hostile") / "bot.db")
    yield world
    world.bot.stop()


@pytest.fixture(scope="module")
def url(bot: World) -> Iterator[str]:
    """The bot behind the real WSGI router on 127.0.0.1: what Slack talks to."""
    with served(bot) as events_url:
        yield events_url


@pytest.fixture(scope="module")
def pending_request(bot: World) -> str:
    """A request of REQUESTER's that hostile clicks try to decide, cancel or undo."""
    return bot.ask_to_buy(bot.sandbox.inventory_numbers("IN")[0])


class Watch:
    """What one example did: replies, Slack-bound payloads, errors logged, state touched."""

    def __init__(self, world: World, caplog: pytest.LogCaptureFixture) -> None:
        self.world = world
        self.caplog = caplog
        self.calls = len(world.slack.calls())
        self.last_seq = max((c.seq for c in world.slack.calls()), default=0)
        self.ephemerals = {u: len(world.slack.ephemerals(u)) for u in (REQUESTER, OTHER, APPROVER)}
        self.dms = {u: len(world.dms(u)) for u in self.ephemerals}
        self.writes = len([e for e in world.sandbox.requests() if e["route"] in VOBIZ_WRITES])
        self.audit = len(rows(world, "SELECT id FROM audit"))
        self.statuses = {r["id"]: r["status"] for r in rows(world, "SELECT id, status FROM requests")}
        caplog.clear()

    def new_replies(self, user: str) -> list[Any]:
        """Ephemerals (response_url replies included) and direct messages since the example began."""
        return self.world.slack.ephemerals(user)[self.ephemerals[user] :] + self.world.dms(user)[self.dms[user] :]

    def assert_clean(self, *, told: str | None) -> None:
        world = self.world
        unexpected = [r for r in self.caplog.records if r.name == "handlers.listeners.errors" and r.levelno >= logging.ERROR]
        assert not unexpected, f"an unexpected error reached the error handler: {unexpected[0].getMessage()}"
        if told is not None:
            replies = self.new_replies(told)
            modals = [c for c in world.slack.calls("views.open") if c.seq > self.last_seq and c.ok]  # a reason prompt
            assert replies or modals, "the person was told nothing"
            for reply in replies:
                text = reply.as_text()
                assert text.strip() and "Something went wrong" not in text, text
                assert getattr(reply, "source", None) != "slack", f"Slack itself showed an error: {text}"
        payloads: list[Any] = [c.params for c in world.slack.calls()[self.calls :]]
        payloads += [{"text": e.text, "blocks": e.blocks} for u in self.ephemerals for e in self.new_replies(u)]
        for payload in payloads:
            assert_no_injected_markup(payload)
            assert_no_traceback(payload)
        assert len([e for e in world.sandbox.requests() if e["route"] in VOBIZ_WRITES]) == self.writes
        assert {r["id"]: r["status"] for r in rows(world, "SELECT id, status FROM requests")} == self.statuses
        added = rows(world, "SELECT event FROM audit WHERE id > ?", [self.audit])
        assert {r["event"] for r in added} <= {"refused"}, added


# ---------------------------------------------------------------------------------------------- commands

words = st.sampled_from(
    ["buy", "release", "assign", "unassign", "show", "list", "inventory", "history", "requests", "help", *NASTY]
)
command_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(words, st.text(min_size=1, max_size=30)), max_size=8).map(" ".join),
    st.builds(lambda w, n: f"{w} {'x' * n}", words, st.integers(3000, 40000)),
)


@EXAMPLES
@given(text=command_text)
def test_any_command_text_gets_a_clear_answer_and_changes_nothing(
    bot: World, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    watch = Watch(bot, caplog)
    bot.command(OTHER, text)
    watch.assert_clean(told=OTHER)


# ---------------------------------------------------------------------------------------------- clicks

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def hostile_click(draw: st.DrawFn, request_id: str) -> dict[str, Any]:
    """A block_actions payload from someone who may not act on `request_id`, bent out of shape."""
    action_id = draw(st.one_of(st.sampled_from(KNOWN_ACTIONS), st.text(max_size=30)))
    # Never an approver, and never the requester cancelling: those may legitimately change the request.
    users = [OTHER] if action_id == ids.CANCEL_REQUEST else [OTHER, REQUESTER]
    user = draw(st.sampled_from(users))
    value = draw(
        st.one_of(
            st.just(request_id),
            st.sampled_from(NASTY),
            st.text(max_size=60),
            st.builds(lambda n: "R" + "9" * n, st.integers(0, 5000)),
            st.builds(json.dumps, JSONISH),
        )
    )
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "value": value, "type": "button", "action_ts": "1.0"}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "name": "someone", "team_id": "T0NUMBERS"},
        "api_app_id": "A0NUMBERS",
        "token": "standin-verification-token",
        "trigger_id": "1.2.3",
        "team": {"id": "T0NUMBERS", "domain": "numbers"},
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C0GENERAL", "is_ephemeral": False},
        "channel": {"id": "C0GENERAL", "name": "general"},
        "actions": [action],
    }
    for key in draw(st.lists(st.sampled_from(["value", "block_id", "action_ts"]), max_size=3)):
        action.pop(key, None)
    for key in draw(st.lists(st.sampled_from(["container", "channel", "trigger_id", "team"]), max_size=2)):
        payload.pop(key, None)
    if draw(st.booleans()):  # a wrong type somewhere a listener reads
        target, key = draw(st.sampled_from([(action, "value"), (payload, "channel"), (payload, "container")]))
        target[key] = draw(JSONISH)
    return payload


def signed_payload(world: World, payload: dict[str, Any]) -> SignedRequest:
    return world.requests.sign(urlencode({"payload": json.dumps(payload)}))


@EXAMPLES
@given(data=st.data())
def test_any_click_payload_is_refused_cleanly_and_decides_nothing(
    bot: World, url: str, pending_request: str, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    payload = data.draw(hostile_click(pending_request))
    if "trigger_id" in payload:  # Slack's triggers are real and fresh; a made-up one fails views.open
        payload["trigger_id"] = bot.slack.issue_trigger(payload["user"]["id"])
    watch = Watch(bot, caplog)
    status, body, _ = bot.requests.send_http(url, signed_payload(bot, payload))
    bot.idle()
    assert status < 500, body
    # A click on a known button is answered; an envelope Bolt itself cannot read (a `channel` that is not
    # an object ...) is refused with 400 before any listener runs, and Slack never sends one.
    known = payload["actions"][0]["action_id"] in KNOWN_ACTIONS
    watch.assert_clean(told=payload["user"]["id"] if known and status == 200 else None)
    assert bot.request(pending_request).status is Status.PENDING


VIEWS = (
    ids.PURCHASE_REASON_VIEW,
    ids.RELEASE_REASON_VIEW,
    ids.RELEASE_NOW_REASON_VIEW,
    ids.FORCE_UNASSIGN_REASON_VIEW,
    ids.DENY_REASON_VIEW,
)


@st.composite
def hostile_submission(draw: st.DrawFn, request_id: str) -> dict[str, Any]:
    """A modal submission whose private_metadata names someone else's request or a made-up number."""
    subject = draw(
        st.one_of(
            st.fixed_dictionaries({"request_id": st.one_of(st.just(request_id), st.sampled_from(NASTY), st.text(max_size=20))}),
            st.fixed_dictionaries({"e164": st.one_of(st.sampled_from(NASTY), st.text(max_size=30))}),
            st.builds(json.dumps, JSONISH),
        )
    )
    metadata = subject if isinstance(subject, str) else json.dumps(subject)
    reason = draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=600)))
    return {
        "type": "view_submission",
        "team": {"id": "T0NUMBERS", "domain": "numbers"},
        "user": {"id": draw(st.sampled_from([OTHER, REQUESTER])), "username": "someone", "team_id": "T0NUMBERS"},
        "api_app_id": "A0NUMBERS",
        "trigger_id": "1.2.3",
        "view": {
            "id": "V0HOSTILE",
            "type": "modal",
            "callback_id": draw(st.sampled_from(VIEWS)),
            "private_metadata": metadata,
            "state": {"values": {ids.REASON_BLOCK: {ids.REASON_INPUT: {"type": "plain_text_input", "value": reason}}}},
        },
        "response_urls": [],
    }


@EXAMPLES
@given(data=st.data())
def test_any_modal_submission_is_refused_cleanly_and_decides_nothing(
    bot: World, url: str, pending_request: str, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    payload = data.draw(hostile_submission(pending_request))
    watch = Watch(bot, caplog)
    status, body, _ = bot.requests.send_http(url, signed_payload(bot, payload))
    bot.idle()
    assert status < 500, body
    answered_on_the_modal = '"errors"' in (body or "")
    watch.assert_clean(told=None if answered_on_the_modal else payload["user"]["id"])
    assert bot.request(pending_request).status is Status.PENDING


MALFORMED_ENVELOPES = [
    {"type": "block_actions", "user": None, "actions": []},
    {"type": "block_actions", "user": None, "actions": {}},
    {"type": "block_actions", "user": False, "actions": None},
    {"type": "block_actions", "user": {"id": OTHER}, "actions": "0"},
    {"type": "view_submission", "user": None, "view": None},
    {"type": "view_submission", "user": {"id": OTHER}, "view": "x"},
    None,
    [1, 2],
]


@pytest.mark.parametrize("payload", MALFORMED_ENVELOPES, ids=[json.dumps(p)[:40] for p in MALFORMED_ENVELOPES])
def test_a_signed_but_malformed_envelope_gets_400_never_a_5xx(bot: World, url: str, payload: Any) -> None:
    """Bolt (and the error handler) raise on envelopes Slack never sends; bot/server.py answers 400."""
    status, body, _ = bot.requests.send_http(url, signed_payload(bot, payload))
    bot.idle()
    assert status == 400, body


def test_a_click_on_an_unknown_button_gets_a_clear_message(bot: World, caplog: pytest.LogCaptureFixture) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": OTHER, "username": "sam", "team_id": "T0NUMBERS"},
        "team": {"id": "T0NUMBERS", "domain": "numbers"},
        "trigger_id": "1.2.3",
        "channel": {"id": "C0GENERAL", "name": "general"},
        "actions": [{"action_id": "approval.approve_v0", "block_id": "b", "value": "R0000000", "type": "button"}],
    }
    watch = Watch(bot, caplog)
    response = bot.requests.send_app(bot.app, signed_payload(bot, payload))
    bot.idle()
    assert response.status == 200
    watch.assert_clean(told=OTHER)


def test_the_pending_request_survived_every_example(bot: World, pending_request: str) -> None:
    assert bot.request(pending_request).status is Status.PENDING
    assert len([m for m in bot.slack.messages(APPROVALS) if pending_request in m.text]) == 1
    assert {r["event"] for r in rows(bot, "SELECT event FROM audit WHERE request_id = ?", [pending_request])} <= {
        "requested",
        "refused",
    }
    assert ADMIN  # admins never took part: every hostile click came from someone who may not decide
