"""Outbox delivery to Slack when Slack misbehaves: nothing lost, nothing executed twice, history paced."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from fakes.vobiz import SandboxServer
from bot.services.records import Status
from fakes.slack.records import Call
from fakes.slack.webapi import FakeSlack
from handlers.outbound.delivery import Delivery
from tests.scenarios.scenario_world import APPROVALS, APPROVER, BOT_TOKEN, HISTORY, REQUESTER, World, build_world


@pytest.fixture
def impatient(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    """A world whose Slack client gives up after 0.3 s."""
    world = build_world(slack, sandbox, tmp_path / "bot.db", database_url=database_url, slack_timeout=0.3)
    yield world
    world.bot.stop()


def test_a_rate_limited_post_waits_for_retry_after_and_is_not_lost(world: World) -> None:
    world.slack.fail_next("chat.postMessage", "ratelimited", count=3, retry_after=30)
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])  # drains once
    assert [m for m in world.slack.messages(APPROVALS) if request_id in m.text] == []
    assert [c.status for c in world.slack.calls("chat.postMessage")][:1] == [429]

    report = world.drain()  # not due yet: Retry-After is honoured
    assert report.delivered == 0
    world.clock.advance(seconds=31)
    world.drain()
    world.clock.advance(seconds=31)
    world.drain()
    assert world.approval_message(request_id).buttons()
    assert any(request_id in line for line in world.history_lines())


def test_a_failed_chat_update_is_retried_and_never_changes_what_was_executed(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[1])
    message = world.approval_message(request_id)
    world.click(APPROVER, message, "Approve")
    world.slack.fail_next("chat.update", "server_error", count=2)
    world.drain()
    assert world.request(request_id).status is Status.SUCCEEDED
    assert world.slack.message(APPROVALS, message.ts).buttons()  # still the old drawing, for now
    for _ in range(3):
        world.clock.advance(minutes=5)
        world.drain()
    redrawn = world.slack.message(APPROVALS, message.ts)
    assert "is ours now" in redrawn.as_text() and redrawn.buttons() == []
    assert len(world.sandbox.requests("purchase")) == 1


def test_a_slack_timeout_is_retried_later(impatient: World) -> None:
    world = impatient
    world.slack.fail_next("conversations.open", "hang", seconds=1.0, count=2)
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[2])
    world.click(APPROVER, world.approval_message(request_id), "Deny")
    world.modal_of(APPROVER)
    world.submit(APPROVER, {"reason": "Not this quarter"})
    world.drain()  # the DM times out
    assert world.dms(REQUESTER) == []
    for _ in range(3):
        world.clock.advance(minutes=5)
        world.drain()
    dms = world.dms(REQUESTER)
    assert dms and "Denied" in dms[-1].as_text()


def test_history_lines_are_paced_to_one_a_second_per_channel(world: World) -> None:
    for index in range(3):
        world.ask_to_buy(world.sandbox.inventory_numbers("US")[index])
    world.drain()
    lines = world.history_lines()
    assert len(lines) >= 3
    posts = [c for c in world.slack.calls("chat.postMessage") if c.params.get("channel") == HISTORY]
    assert len(posts) == len(lines)
    # every line after the first waited its turn on the (injected) clock: about a second apart
    assert sum(world.time.slept) >= len(lines) - 1 - 0.01
    assert all(step <= 1.0 for step in world.time.slept)


def test_a_deleted_approval_message_is_posted_again_and_then_updated_there(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[3])
    original = world.approval_message(request_id)
    world.click(APPROVER, original, "Approve")
    world.slack.fail_next("chat.update", "error:message_not_found")
    world.drain()
    current = [m for m in world.slack.messages(APPROVALS) if request_id in m.text]
    assert len(current) == 2  # the original (deleted, as far as Slack said) and the re-post
    assert "is ours now" in current[-1].as_text()
    assert world.request(request_id).approval_ts == current[-1].ts


def approval_posts(world: World) -> list[Call]:
    return [c for c in world.slack.calls("chat.postMessage") if c.params.get("channel") == APPROVALS]


def test_an_approval_post_that_timed_out_is_found_in_the_channel_not_posted_twice(impatient: World) -> None:
    """Slack posted it but answered after the client gave up: a second copy would keep Approve/Deny forever."""
    world = impatient
    world.slack.fail_next("chat.postMessage", "hang", seconds=0.6)  # the approval message: posted, answered late
    world.command(REQUESTER, f"buy {world.sandbox.inventory_numbers('IN')[4]} Late Slack")
    world.reply_to(REQUESTER, "waiting for an approver")
    [request] = world.requests_of(REQUESTER)
    world.drain()
    assert len(world.slack.messages(APPROVALS)) == 1 and world.request(request.id).approval_ts is None

    world.clock.advance(minutes=5)
    world.drain()
    [message] = world.slack.messages(APPROVALS)
    assert world.request(request.id).approval_ts == message.ts  # the lost post, found by its metadata
    assert len(approval_posts(world)) == 1 and world.slack.calls("conversations.history")
    assert approval_posts(world)[0].params["metadata"] == {
        "event_type": "numbers_bot_outbox",
        "event_payload": {"kind": "approval_message", "ref": request.id},
    }

    world.click(APPROVER, message, "Approve")
    world.drain()
    [redrawn] = world.slack.messages(APPROVALS)
    assert redrawn.ts == message.ts and redrawn.buttons() == [] and "is ours now" in redrawn.as_text()


def test_a_history_line_that_fails_holds_back_the_lines_after_it(world: World) -> None:
    """Even with no pacing to hide it, a line that failed is not overtaken by the next one in the same pass."""
    requests = [world.ask_to_buy(e164) for e164 in world.sandbox.inventory_numbers("IN")[:2]]
    unpaced = Delivery(
        world.bot.services,
        WebClient(token=BOT_TOKEN, base_url=world.slack.api_url),
        approval_channel=APPROVALS,
        history_channel=HISTORY,
        now=world.clock,
        history_interval_s=0.0,
    )
    before = world.history_lines()
    world.slack.fail_next("chat.postMessage", "server_error")  # the first of the two lines below
    for request_id in requests:  # refused (their own request): a history line each, nothing else
        world.click(REQUESTER, world.approval_message(request_id), "Approve")
    report = unpaced.drain()
    assert world.history_lines() == before  # the second line waited for the first
    assert (report.retried, report.held) == (1, 1)
    world.clock.advance(minutes=5)
    unpaced.drain()
    refusals = [line for line in world.history_lines() if "*refused*" in line]
    assert len(refusals) == 2 and requests[0] in refusals[0] and requests[1] in refusals[1]  # in audit order


def test_an_approvals_channel_slack_refuses_is_logged_told_to_the_requester_and_retried_slowly(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.slack.fail_next("chat.postMessage", "error:not_in_channel")  # the approval message: the bot is not in
    with caplog.at_level(logging.ERROR, logger="handlers.outbound.delivery"):
        request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[5])
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR and request_id in r.getMessage()]
    assert APPROVALS in logged.getMessage() and "not_in_channel" in logged.getMessage()
    [told] = world.dms(REQUESTER)
    assert request_id in told.text and "not_in_channel" in told.as_text() and "invite" in told.as_text()
    assert world.slack.messages(APPROVALS) == []

    world.clock.advance(minutes=5)
    world.drain()
    assert len(approval_posts(world)) == 1  # not hammered: the next try is 15 minutes on
    world.slack.fail_next("chat.postMessage", "error:not_in_channel")
    world.clock.advance(minutes=11)
    world.drain()
    assert len(approval_posts(world)) == 2 and len(world.dms(REQUESTER)) == 1  # told once, not every retry
    world.clock.advance(minutes=16)  # an admin invited the bot meanwhile
    world.drain()
    assert world.approval_message(request_id).buttons()
    assert world.request(request_id).status is Status.PENDING
