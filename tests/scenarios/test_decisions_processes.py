"""Quorum and the freeze across two bot processes (each the Procfile's `web:` line, gunicorn with the real
app) sharing one store, on both engines: the last approvals arriving at both processes at once buy exactly
once, and a freeze made through one process refuses an Approve sent to the other."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.slack.records import Message
from fakes.slack.requests import SignedRequest, SlackRequests
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from tests.reliability.bot_process import BotProcess, bot_environment
from tests.scenarios.scenario_world import ADMIN, APPROVALS, APPROVER, REQUESTER, SIGNING_SECRET


class TwoProcesses:
    def __init__(self, slack: FakeSlack, sandbox: SandboxServer, db: Path, database_url: str | None) -> None:
        extra = {"APPROVALS_REQUIRED": "purchase:2"}
        if database_url:
            extra["DATABASE_URL"] = database_url
        self.slack = slack
        self.sandbox = sandbox
        self.requests = SlackRequests(SIGNING_SECRET, slack)
        self.bots = [BotProcess(bot_environment(slack, sandbox, db, **extra)) for _ in range(2)]
        for bot in self.bots:
            bot.start()

    def stop(self) -> None:
        for bot in self.bots:
            bot.stop()
        self.requests.close()

    def send(self, bot: int, signed: SignedRequest) -> None:
        status, _, _ = self.requests.send_http(f"{self.bots[bot].url}/slack/events", signed)
        assert status == 200

    def approval_message(self, needle: str, request_id: str) -> Message:
        found = self.slack.wait_for(
            lambda: [m for m in self.slack.messages(APPROVALS) if request_id in m.text and needle in m.as_text()], timeout=15
        )
        assert len(found) == 1
        return found[0]

    def ask_to_buy(self, e164: str) -> str:
        self.send(0, self.requests.slash_command(REQUESTER, f"buy {e164} two processes"))
        reply = self.slack.wait_for(lambda: [e for e in self.slack.ephemerals(REQUESTER) if "waiting for an approver" in e.text and e164[-4:] in e.as_text().replace(" ", "")], timeout=15)[-1]
        match = re.search(r"Request \*(R[0-9A-Z]+)\*", reply.text)
        assert match, reply.text
        return match.group(1)


@pytest.fixture
def two(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[TwoProcesses]:
    built = TwoProcesses(slack, sandbox, tmp_path / "numbers-bot.db", database_url)
    yield built
    built.stop()


def test_both_last_approvals_at_once_through_two_processes_buy_once(two: TwoProcesses) -> None:
    e164 = two.sandbox.inventory_numbers("IN")[0]
    request_id = two.ask_to_buy(e164)
    message = two.approval_message("0 of 2 approvals", request_id)
    clicks = [(n % 2, user, two.requests.click(user, message, "Approve")) for n, user in enumerate([APPROVER, ADMIN] * 3)]
    start = threading.Barrier(len(clicks))

    def send(bot: int, signed: SignedRequest) -> None:
        start.wait()
        two.send(bot, signed)

    threads = [threading.Thread(target=send, args=(bot, signed)) for bot, _, signed in clicks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    done = two.approval_message("is ours now", request_id)
    text = done.as_text().replace("*", "")
    assert "arjun (`U0APPROVE`)" in text and "meera (`U0ADMIN`)" in text
    assert done.buttons() == []
    assert len(two.sandbox.requests("purchase")) == 1


def test_a_freeze_made_through_one_process_refuses_approve_at_the_other(two: TwoProcesses) -> None:
    e164 = two.sandbox.inventory_numbers("IN")[1]
    request_id = two.ask_to_buy(e164)
    message = two.approval_message("0 of 2 approvals", request_id)
    two.send(0, two.requests.slash_command(ADMIN, "freeze Year-end audit"))
    two.slack.wait_for(lambda: [e for e in two.slack.ephemerals(ADMIN) if "The bot is frozen" in e.text], timeout=15)

    two.send(1, two.requests.click(APPROVER, message, "Approve"))
    refused = two.slack.wait_for(lambda: [e for e in two.slack.ephemerals(APPROVER) if "The bot is frozen" in e.text], timeout=15)[-1]
    assert "Year-end audit" in refused.text
    assert two.slack.wait_for(lambda: [m for m in two.slack.messages(APPROVALS) if "Frozen" in m.text], timeout=15)
    still = two.approval_message("0 of 2 approvals", request_id)
    assert len(still.buttons()) == 2
    assert two.sandbox.requests("purchase") == []
