"""Faults at Slack: 429 with Retry-After, 500s and hanging answers while the outbox is delivered.

Promises: every history line and every approval message reaches Slack exactly once (counted in
FakeSlack), approval messages are re-drawn in place, requesters are told, nothing stays undelivered, and
no Slack failure changes what was executed at Vobiz.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.vobiz import SandboxServer
from bot.services.records import Status
from fakes.slack.webapi import FakeSlack
from handlers.render.history import history_line
from tests.scenarios.scenario_world import ADMIN, APPROVALS, APPROVER, HISTORY, REQUESTER, World, build_world
from tests.reliability.worlds import rows


def deliver_everything(world: World, *, rounds: int = 12) -> None:
    """Drain, moving the clock past every retry delay, until the outbox is empty."""
    for _ in range(rounds):
        world.drain()
        if not undelivered(world):
            return
        world.clock.advance(minutes=5)
    raise AssertionError(f"still undelivered after {rounds} rounds: {undelivered(world)}")


def undelivered(world: World) -> list[dict[str, object]]:
    return rows(world, "SELECT id, kind, ref, attempts, last_error FROM outbox WHERE done_at IS NULL")


def expected_history(world: World) -> list[str]:
    """One line per audit row, in audit order."""
    entries = [world.bot.services.history.entry(int(r["id"])) for r in rows(world, "SELECT id FROM audit ORDER BY id")]
    return [history_line(e) for e in entries if e is not None]


def assert_history_posted_exactly_once(world: World) -> None:
    """The history channel holds every audit row's line, each exactly once (order: see the xfail below)."""
    posted = world.history_lines()
    duplicates = [line for line, n in Counter(posted).items() if n > 1]
    assert not duplicates, f"history lines posted more than once: {duplicates[:3]}"
    assert sorted(posted) == sorted(expected_history(world))


def assert_one_approval_message_each(world: World, request_ids: list[str]) -> None:
    for request_id in request_ids:
        found = [m for m in world.slack.messages(APPROVALS) if request_id in m.text]
        assert len(found) == 1, f"{len(found)} approval messages for {request_id}"


def test_429_500_and_slow_slack_delay_messages_but_never_lose_or_double_them(world: World) -> None:
    slack, sandbox = world.slack, world.sandbox
    slack.fail_next("chat.postMessage", "ratelimited", count=3, retry_after=30)
    slack.fail_next("chat.update", "server_error", count=2)
    slack.fail_next("conversations.open", "server_error", count=1)
    slack.fail_next("chat.postMessage", "hang", seconds=0.3)  # slow, but inside the client's timeout

    bought, denied, waiting = (world.ask_to_buy(e164) for e164 in sandbox.inventory_numbers("IN")[:3])
    deliver_everything(world)
    world.click(APPROVER, world.approval_message(bought), "Approve")
    world.click(ADMIN, world.approval_message(denied), "Deny")
    world.modal_of(ADMIN)
    world.submit(ADMIN, {"reason": "Not this quarter"})
    slack.fail_next("chat.update", "ratelimited", count=2, retry_after=10)
    slack.fail_next("chat.postMessage", "server_error", count=2)
    deliver_everything(world)

    assert {c.fault for c in slack.calls() if c.fault} >= {"ratelimited", "server_error", "hang"}
    assert world.request(bought).status is Status.SUCCEEDED
    assert world.request(denied).status is Status.DENIED
    assert world.request(waiting).status is Status.PENDING
    assert len(sandbox.requests("purchase")) == 1  # Slack's trouble changed nothing at Vobiz
    assert_one_approval_message_each(world, [bought, denied, waiting])
    assert "is ours now" in world.approval_message(bought).as_text()
    assert "Denied" in world.approval_message(denied).as_text()
    assert world.approval_message(waiting).buttons()
    assert_history_posted_exactly_once(world)
    notices = [m.as_text() for m in world.dms(REQUESTER)]
    assert sum("is ours now" in n for n in notices) == 1 and sum("Denied" in n for n in notices) == 1


def test_a_failed_chat_update_never_changes_what_was_executed(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    message = world.approval_message(request_id)
    world.slack.fail_next("chat.update", "error:channel_not_found", count=1)  # refused outright once
    world.slack.fail_next("chat.update", "server_error", count=3)
    world.click(APPROVER, message, "Approve")
    before = world.request(request_id)
    deliver_everything(world, rounds=20)
    after = world.request(request_id)
    assert before.status is after.status is Status.SUCCEEDED
    assert before.outcome_detail == after.outcome_detail and before.finished_at == after.finished_at
    assert len(world.sandbox.requests("purchase")) == 1
    assert "is ours now" in world.slack.message(APPROVALS, message.ts).as_text()


@pytest.fixture
def impatient(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path) -> Iterator[World]:
    """A world whose Slack client gives up after 0.3 s, so a hanging Slack looks like a timeout."""
    built = build_world(slack, sandbox, tmp_path / "bot.db", slack_timeout=0.3)
    yield built
    built.bot.stop()


def test_a_chat_update_that_times_out_is_repeated_harmlessly(impatient: World) -> None:
    world = impatient
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    message = world.approval_message(request_id)
    world.click(APPROVER, message, "Approve")
    world.slack.fail_next("chat.update", "hang", seconds=0.6)  # Slack applies it, the bot hears nothing
    deliver_everything(world)
    assert len(world.slack.calls("chat.update")) >= 2  # retried, since the bot could not know
    assert "is ours now" in world.slack.message(APPROVALS, message.ts).as_text()
    assert_one_approval_message_each(world, [request_id])


def test_a_history_post_that_times_out_is_not_posted_twice(impatient: World) -> None:
    world = impatient
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    posted = len(world.history_lines())
    world.slack.fail_next("chat.postMessage", "hang", seconds=0.6)  # the next post: the history line below
    world.click(REQUESTER, world.approval_message(request_id), "Approve")  # refused (their own): a history line only
    world.drain()
    world.slack.wait_for(lambda: len(world.history_lines()) > posted, timeout=3)  # Slack did post it, late
    assert [c.params.get("channel") for c in world.slack.calls("chat.postMessage") if c.fault] == [HISTORY]
    deliver_everything(world)
    assert_one_approval_message_each(world, [request_id])
    assert_history_posted_exactly_once(world)


def test_history_lines_keep_audit_order_when_slack_rate_limits(world: World) -> None:
    requests = [world.ask_to_buy(e164) for e164 in world.sandbox.inventory_numbers("IN")[:2]]
    deliver_everything(world)
    # Refused clicks (on their own requests) write history lines and nothing else, so the next post is
    # the first of these lines: it is rate-limited and must hold back the line after it until it is posted.
    world.slack.fail_next("chat.postMessage", "ratelimited", retry_after=30)
    for request_id in requests:
        world.click(REQUESTER, world.approval_message(request_id), "Approve")
    deliver_everything(world)
    assert [c.params.get("channel") for c in world.slack.calls("chat.postMessage") if c.fault] == [HISTORY]
    assert world.history_lines() == expected_history(world)
