"""Reminders, escalation and expiry through the real app (issue 14), on both engines: a request nobody decides
gets up to three reminders in its approval message's thread mentioning its approvers (never the requester),
then the admins are mentioned once, then it expires: the message loses its buttons, the requester is told
how to ask again, and the history says it expired unanswered. The maintenance job runs as the worker runs
it (`workers.maintain()`, under its job lease) and the outbox is delivered as the delivery thread does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.services.records import Status
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from handlers import ids
from tests.handlers.slack_checks import assert_no_injected_markup
from tests.scenarios.scenario_world import ADMIN, APPROVALS, APPROVER, APPROVER_GROUP, REQUESTER, World, build_world
from tests.concurrency import at_once

APPROVER_PING, GROUP_PING, ADMIN_PING, REQUESTER_PING = (
    f"<@{APPROVER}>",
    f"<!subteam^{APPROVER_GROUP}>",
    f"<@{ADMIN}>",
    f"<@{REQUESTER}>",
)


def tick(world: World, **delta: float) -> None:
    """Time passes, the maintenance jobs run, the outbox is delivered."""
    world.advance(**delta)
    world.bot.workers.maintain()
    world.drain()


def thread_texts(world: World, request_id: str) -> list[str]:
    return [m.as_text() for m in world.thread(request_id)]


def test_a_request_nobody_decides_is_reminded_three_times_escalated_once_then_expires_unanswered(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[0]
    request_id = world.ask_to_buy(e164)
    message = world.approval_message(request_id)

    tick(world, minutes=59)
    assert world.thread(request_id) == []  # not an hour yet

    tick(world, minutes=2)
    [first] = world.thread(request_id)
    assert first.thread_ts == message.ts
    text = first.as_text()
    assert "Reminder 1 of 3" in text and APPROVER_PING in text and GROUP_PING in text
    assert REQUESTER_PING not in text and ADMIN_PING not in text  # the admins are the backup, not yet
    posts = [c.params for c in world.slack.calls("chat.postMessage") if c.params.get("thread_ts")]
    assert [p["thread_ts"] for p in posts] == [message.ts]

    world.bot.workers.maintain()  # the same pass again (a second process, a restart): nothing new
    world.drain()
    assert len(world.thread(request_id)) == 1

    tick(world, minutes=60)
    tick(world, minutes=60)
    texts = thread_texts(world, request_id)
    assert ["Reminder 2 of 3" in texts[1], "Reminder 3 of 3" in texts[2]] == [True, True]
    assert all(ADMIN_PING not in t for t in texts)

    tick(world, minutes=60)  # 4 hours: the admins are mentioned, once
    escalation = thread_texts(world, request_id)[3]
    assert "Escalated to the admins" in escalation and ADMIN_PING in escalation
    assert APPROVER_PING not in escalation and REQUESTER_PING not in escalation

    for _ in range(3):
        tick(world, minutes=60)
    assert len(world.thread(request_id)) == 4  # at most three reminders, one escalation
    # all the while the approval message itself offers its buttons
    assert [b.action_id for b in world.approval_message(request_id).buttons()] == [ids.APPROVE, ids.DENY]

    lines = world.history_lines()
    assert sum("*reminded*" in line and request_id in line for line in lines) == 3
    assert sum("*escalated*" in line and request_id in line for line in lines) == 1

    tick(world, hours=18)  # past the 24 h
    assert world.request(request_id).status is Status.EXPIRED
    expired = world.approval_message(request_id)
    assert expired.buttons() == [] and "Expired" in expired.as_text()
    [dm] = world.dms(REQUESTER)
    assert "Nobody answered it in time" in dm.as_text()
    assert f"/numbers buy {e164} A new support line for Bengaluru" in dm.as_text()
    [expiry] = [line for line in world.history_lines() if "*expired*" in line]
    assert request_id in expiry and "expired unanswered" in expiry and "3 reminders and the escalation" in expiry

    tick(world, hours=1)  # once: no second DM, line or reminder
    assert len(world.dms(REQUESTER)) == 1
    assert sum("*expired*" in line for line in world.history_lines()) == 1
    assert len(world.thread(request_id)) == 4
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)


def test_a_force_operation_reminds_the_admins_and_a_requester_who_approves_is_left_out(world: World) -> None:
    owned = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    world.command(APPROVER, f"release {owned} Number leaked --now")  # only admins decide a force operation
    world.drain()
    [force] = world.requests_of(APPROVER)
    purchase = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0], user=APPROVER)

    tick(world, minutes=61)
    [force_reminder] = thread_texts(world, force.id)
    assert ADMIN_PING in force_reminder and APPROVER_PING not in force_reminder and GROUP_PING not in force_reminder
    [purchase_reminder] = thread_texts(world, purchase)
    assert GROUP_PING in purchase_reminder and APPROVER_PING not in purchase_reminder  # never the requester


def test_a_reminder_waits_for_its_approval_message_instead_of_posting_without_a_thread(world: World) -> None:
    world.slack.fail_next("chat.postMessage", "error:not_in_channel", count=100)  # the bot is not in the channel
    e164 = world.sandbox.inventory_numbers("IN")[0]
    world.command(REQUESTER, f"buy {e164} A new support line")
    world.drain()
    [request] = world.requests_of(REQUESTER)

    tick(world, minutes=61)
    assert world.request(request.id).approval_ts is None
    assert world.slack.messages(APPROVALS) == []  # nothing thread-less: nothing at all
    assert not any("*reminded*" in line for line in world.history_lines())  # and it was not counted as sent

    world.slack.clear_faults()  # an admin invites the bot
    world.advance(minutes=16)
    world.drain()  # the approval message's retry posts it ...
    world.bot.workers.maintain()
    world.drain()  # ... and its first reminder follows in its thread
    parent = world.approval_message(request.id)
    [reminder] = world.thread(request.id)
    assert reminder.thread_ts == parent.ts and "Reminder 1 of 3" in reminder.as_text()
    assert len(world.slack.messages(APPROVALS)) == 2


@pytest.fixture
def quiet(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    built = build_world(
        slack, sandbox, tmp_path / "quiet.db", database_url=database_url, approval_remind_minutes=0, approval_escalate_minutes=0
    )
    yield built
    built.stop()


def test_zero_minutes_turns_reminders_and_escalation_off(quiet: World) -> None:
    request_id = quiet.ask_to_buy(quiet.sandbox.inventory_numbers("IN")[0])
    for _ in range(6):
        tick(quiet, hours=1)
    assert quiet.thread(request_id) == []
    assert not any("*reminded*" in line or "*escalated*" in line for line in quiet.history_lines())


@pytest.fixture
def impatient(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    """A world whose Slack client gives up after 0.5 s, so a slow post looks like a timeout."""
    built = build_world(slack, sandbox, tmp_path / "impatient.db", database_url=database_url, slack_timeout=0.5)
    yield built
    built.stop()


def test_a_reminder_whose_answer_was_lost_is_found_in_its_thread_instead_of_posted_twice(impatient: World) -> None:
    world = impatient
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    world.advance(minutes=61)
    world.bot.workers.maintain()
    world.slack.fail_next("chat.postMessage", "hang", seconds=1.0)  # posted, but answered too late
    world.drain()
    assert len(world.thread(request_id)) == 1

    tick(world, minutes=5)  # the retry looks in the thread first (conversations.replies) and finds it
    assert len(world.thread(request_id)) == 1
    assert world.slack.calls("conversations.replies")
    assert world.rows("SELECT count(*) AS n FROM outbox WHERE kind = 'approval_nudge' AND done_at IS NULL") == [{"n": 0}]
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)


def test_a_decided_request_is_not_reminded_even_when_its_reminder_was_already_queued(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    world.advance(minutes=61)
    world.bot.workers.maintain()  # reminder 1 is decided and queued, not yet delivered
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.SUCCEEDED
    world.drain()
    assert world.thread(request_id) == []  # a "still waiting" after the decision would mislead: dropped
    assert "is ours now" in world.approval_message(request_id).as_text()
    for _ in range(5):
        tick(world, hours=1)
    assert world.thread(request_id) == []
    assert sum("*reminded*" in line for line in world.history_lines()) == 1  # decided and audited before the click


@pytest.fixture
def second_bot(world: World, slack: FakeSlack, sandbox: SandboxServer, database_url: str | None) -> Iterator[World]:
    """Another bot process over the same store, Slack and Vobiz (its own outbox owner and job-lease owner)."""
    built = build_world(slack, sandbox, world.db_path, database_url=database_url)
    yield built
    built.stop()


def test_two_bots_sharing_the_store_post_each_reminder_once(world: World, second_bot: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    for _ in range(5):  # reminders 1-3, the escalation, then nothing: each pass run by both bots at once
        world.advance(minutes=61)
        at_once(world.bot.workers.maintain, second_bot.bot.workers.maintain)
        at_once(world.drain, second_bot.drain)
    texts = thread_texts(world, request_id)
    heads = [re.search(r"\*([^*]+)\*", t).group(1) for t in texts]  # type: ignore[union-attr]
    assert heads == ["Reminder 1 of 3", "Reminder 2 of 3", "Reminder 3 of 3", "Escalated to the admins"]
    assert sum("*reminded*" in line for line in world.history_lines()) == 3

