"""Quorum, allowances and the freeze switch (issue 14) through the real Bolt app on both engines: really signed
requests, the sandbox Vobiz over HTTP, FakeSlack recording what people see. At each step the approval message
is read as Slack shows it (text and buttons)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.services.records import Status
from fakes.slack.records import Message
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from handlers import ids
from tests.handlers.slack_checks import assert_no_injected_markup, assert_no_traceback, assert_within_limits
from tests.scenarios.scenario_world import ADMIN, APPROVALS, APPROVER, GROUPIE, OTHER, REQUESTER, World, build_world

SALES = "SA_SALES0001"


def plain(message: Message) -> str:
    return message.as_text().replace("*", "")


def check_everything_sent(world: World) -> None:
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)
        assert_no_traceback(payload)
        assert_within_limits(payload)


@pytest.fixture
def quorum(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "numbers-bot.db", database_url=database_url, approvals_required="purchase:2")
    yield built
    built.stop()


@pytest.fixture
def allowance(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    built = build_world(
        slack, sandbox, tmp_path / "numbers-bot.db", database_url=database_url,
        auto_approve_monthly_fee="100000 INR", auto_approve_per_person=1,
    )
    yield built
    built.stop()


# ------------------------------------------------------------------------------------------------ quorum


def test_two_approvers_are_needed_and_the_message_shows_the_progress(quorum: World) -> None:
    world = quorum
    e164 = world.sandbox.inventory_numbers("IN")[0]
    request_id = world.ask_to_buy(e164)
    assert "It needs 2 different approvers." in world.replies(REQUESTER, request_id)[-1].text

    message = world.approval_message(request_id)
    assert "0 of 2 approvals: it needs 2 different approvers." in plain(message)
    assert "May still approve: `U0APPROVE`, members of `S0APPROVERS`, `U0ADMIN`." in plain(message)
    assert [b.action_id for b in message.buttons()] == [ids.APPROVE, ids.DENY]

    world.click(APPROVER, message, "Approve")
    ack = world.reply_to(APPROVER, "Your approval is recorded")
    assert "it needs 1 more before anything is done" in ack.text
    world.drain()
    message = world.approval_message(request_id)
    assert "1 of 2 approvals: arjun (`U0APPROVE`)." in plain(message)
    assert "May still approve: members of `S0APPROVERS`, `U0ADMIN`." in plain(message)
    assert [b.action_id for b in message.buttons()] == [ids.APPROVE, ids.DENY]  # still waiting
    assert world.sandbox.requests("purchase") == []

    # the same person again (a double click, and Slack's retry of it) counts once
    world.click(APPROVER, message, "Approve")
    world.click(APPROVER, message, "Approve", retry_num=1)
    world.reply_to(APPROVER, "You already approved this; it needs 1 more approval")
    world.click(REQUESTER, message, "Approve")
    world.reply_to(REQUESTER, "You asked for this yourself")
    assert world.request(request_id).status is Status.PENDING
    assert len(world.request(request_id).approvals) == 1
    world.send(world.requests.app_home_opened(ADMIN))  # App Home and /numbers requests show the count too
    home = world.slack.wait_for(lambda: world.slack.home(ADMIN))
    assert request_id in home.as_text() and "1 of 2 approvals" in home.as_text()
    world.command(REQUESTER, "requests")
    assert "1 of 2 approvals" in world.reply_to(REQUESTER, request_id).as_text()

    world.click(GROUPIE, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.SUCCEEDED
    world.drain()
    done = world.approval_message(request_id)
    assert done.buttons() == []
    assert "Approved by arjun (`U0APPROVE`) and lee (`U0GROUPIE`)" in plain(done) and "is ours now" in plain(done)
    assert "approvals:" not in plain(done)  # the progress line is gone once decided
    assert len(world.sandbox.requests("purchase")) == 1

    approved = [line for line in world.history_lines() if "approved" in line and request_id in line]
    assert len(approved) == 2  # each approval its own audit row, mirrored once
    assert "1 of 2 approvals" in approved[0] and "2 of 2 approvals" in approved[1]
    [notice] = world.dms(REQUESTER)
    assert "is ours now" in notice.as_text()
    check_everything_sent(world)


def test_one_deny_ends_a_request_that_has_approvals(quorum: World) -> None:
    world = quorum
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[1])
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    world.drain()
    world.click(ADMIN, world.approval_message(request_id), "Deny")
    world.submit(ADMIN, {"reason": "One number is enough"})
    world.drain()
    message = world.approval_message(request_id)
    assert message.buttons() == [] and "Denied by meera (`U0ADMIN`)" in plain(message)
    assert world.request(request_id).status is Status.DENIED
    assert world.sandbox.requests("purchase") == []
    check_everything_sent(world)


# -------------------------------------------------------------------------------------------- allowances


def test_a_purchase_within_the_allowance_is_approved_by_the_rule(allowance: World) -> None:
    world = allowance
    first, second = world.sandbox.inventory_numbers("IN")[:2]
    world.command(REQUESTER, f"buy {first} Sales line for Pune")
    receipt = world.reply_to(REQUESTER, "Approved by your allowance")
    assert "You have 0 auto-approved purchases left this month (UTC)." in receipt.text
    assert "is ours now" in receipt.as_text()
    request_id = re.search(r"request \*(R[0-9A-Z]+)\*", receipt.text).group(1)  # type: ignore[union-attr]
    assert world.request(request_id).status is Status.SUCCEEDED
    world.drain()

    message = world.approval_message(request_id)  # approvers see it, decided, without buttons
    assert message.buttons() == []
    assert "Approved by the allowance (allowance: a monthly fee of at most 100000 INR" in plain(message)
    assert "is ours now" in plain(message)
    assert len([m for m in world.slack.messages(APPROVALS) if request_id in m.text]) == 1
    lines = [line for line in world.history_lines() if request_id in line]
    assert any("numbers-bot" in line and "approved" in line and "reason: “allowance:" in line for line in lines)
    assert any("is ours now" in m.as_text() for m in world.dms(REQUESTER))
    assert len(world.sandbox.requests("purchase")) == 1

    # the allowance is used up: the next purchase waits for an approver, with buttons
    second_id = world.ask_to_buy(second, "Sales line for Nagpur")
    assert [b.action_id for b in world.approval_message(second_id).buttons()] == [ids.APPROVE, ids.DENY]
    assert len(world.sandbox.requests("purchase")) == 1
    check_everything_sent(world)


# ---------------------------------------------------------------------------------------------- freeze


def test_a_freeze_stops_every_write_until_an_admin_unfreezes(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[0]
    request_id = world.ask_to_buy(e164)

    world.command(OTHER, "freeze testing")
    world.reply_to(OTHER, "Only an admin can freeze the bot")
    world.command(ADMIN, "freeze Vobiz billing incident, hold all changes")
    world.reply_to(ADMIN, "The bot is frozen")
    world.drain()
    [announced] = [m for m in world.slack.messages(APPROVALS) if "Frozen" in m.text]
    assert "Frozen by meera (`U0ADMIN`)" in plain(announced) and "Vobiz billing incident" in plain(announced)
    assert any("froze" in line and "Vobiz billing incident" in line for line in world.history_lines())

    # Approve on a pending request: refused, the request and its message unchanged
    message = world.approval_message(request_id)
    world.click(APPROVER, message, "Approve")
    refused = world.reply_to(APPROVER, "The bot is frozen")
    assert "Meera" in refused.text or "meera" in refused.text
    assert "“Vobiz billing incident, hold all changes”" in refused.text and "nothing was changed" in refused.text
    assert world.request(request_id).status is Status.PENDING
    world.drain()
    assert [b.action_id for b in world.approval_message(request_id).buttons()] == [ids.APPROVE, ids.DENY]

    # direct writes are refused too, and help and App Home say so first
    world.command(REQUESTER, f"assign {e164} {SALES}")
    world.reply_to(REQUESTER, "The bot is frozen")
    world.command(REQUESTER, "help")
    help_reply = world.reply_to(REQUESTER, "telephone numbers from Vobiz")
    assert "The bot is frozen" in help_reply.blocks[1]["text"]["text"]
    world.send(world.requests.app_home_opened(APPROVER))
    home = world.slack.wait_for(lambda: world.slack.home(APPROVER))
    assert "The bot is frozen" in home.blocks[1]["text"]["text"]
    assert world.vobiz_writes() == []

    world.command(ADMIN, "unfreeze")
    world.reply_to(ADMIN, "Unfrozen")
    world.drain()
    assert any("Unfrozen by meera" in plain(m) for m in world.slack.messages(APPROVALS))
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.SUCCEEDED
    assert len(world.sandbox.requests("purchase")) == 1
    check_everything_sent(world)


def test_the_freeze_survives_a_restart(world: World, slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> None:
    world.command(ADMIN, "freeze Quarter close")
    world.reply_to(ADMIN, "The bot is frozen")
    world.stop()
    restarted = build_world(slack, sandbox, tmp_path / "numbers-bot.db", database_url=database_url)
    try:
        restarted.command(REQUESTER, "help")
        assert "Quarter close" in restarted.reply_to(REQUESTER, "telephone numbers from Vobiz").blocks[1]["text"]["text"]
    finally:
        restarted.stop()
