"""Crash safety: the bot as a real gunicorn process (the Procfile's web command), killed with SIGKILL at
each step of an approved purchase, then restarted over the same database file.

Promises checked: no request is lost; Vobiz is never asked to buy twice (the sandbox's request log); the
request caught in flight is settled at start-up against what Vobiz actually shows, into succeeded or
failed, with an audit row saying how; and its approval message is re-drawn in place (chat.update).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fakes.vobiz import SandboxServer
from fakes.slack.records import Message
from fakes.slack.requests import SlackRequests
from fakes.slack.webapi import FakeSlack
from tests.reliability.bot_process import WORKER_KILLED, BotProcess, bot_environment, query, request_row, wait_until
from tests.scenarios.scenario_world import APPROVALS, APPROVER, REQUESTER, SIGNING_SECRET, fake_slack

# Short, so the restarted bot may settle an EXECUTING request at once; production keeps a minute.
GRACE_SECONDS = "0.3"
# The production app built with crash points (production code reads no crash knob).
CRASHING_WSGI = "tests.reliability.crashing_wsgi:application"


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture(scope="module")
def shared_slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


@dataclass
class Harness:
    sandbox: SandboxServer
    slack: FakeSlack
    requests: SlackRequests
    db: Path
    processes: list[BotProcess]
    purchase_calls_before: int = 0

    def start(self, crash_at: str | None = None) -> BotProcess:
        env = {"NUMBERS_BOT_TEST_CRASH_AT": crash_at} if crash_at else {}
        process = BotProcess(
            bot_environment(self.slack, self.sandbox, self.db, NUMBERS_BOT_SETTLE_GRACE_SECONDS=GRACE_SECONDS, **env),
            target=CRASHING_WSGI,
        )
        self.processes.append(process)
        return process.start()

    def ask_to_buy(self, bot: BotProcess, e164: str) -> tuple[str, Message]:
        before = len(self.slack.ephemerals(REQUESTER))
        status, _, _ = self.requests.send_http(
            f"{bot.url}/slack/events", self.requests.slash_command(REQUESTER, f"buy {e164} crash test line")
        )
        assert status == 200
        reply = self.slack.wait_for(
            lambda: [e for e in self.slack.ephemerals(REQUESTER)[before:] if "waiting for an approver" in e.text]
        )[-1]
        match = re.search(r"Request \*(R[0-9A-Z]+)\*", reply.text)
        assert match, reply.text
        request_id = match.group(1)
        return request_id, self.approval_message(request_id)

    def approval_message(self, request_id: str) -> Message:
        found = self.slack.wait_for(lambda: [m for m in self.slack.messages(APPROVALS) if request_id in m.text])
        assert len(found) == 1, f"{len(found)} approval messages for {request_id}"
        return found[0]

    def approve(self, bot: BotProcess, message: Message, *, may_die: bool = False) -> None:
        """Click Approve. The ack is sent before the listener executes, but a process killed right after
        may not have flushed it yet: then Slack sees a dropped connection, as it would in production."""
        try:
            status, _, _ = self.requests.send_http(
                f"{bot.url}/slack/events", self.requests.click(APPROVER, message, "Approve")
            )
        except httpx.RemoteProtocolError:
            assert may_die
            return
        assert status == 200

    def purchase_calls(self) -> int:
        """Purchase requests Vobiz received since this test began (tests share the sandbox, one at a time)."""
        return len(self.sandbox.requests("purchase")) - self.purchase_calls_before

    def bought_at_vobiz(self, e164: str) -> int:
        """How many times Vobiz actually sold `e164` to the account (its own audit trail)."""
        return sum(1 for e in self.sandbox.snapshot()["audit"] if e["action"] == "purchase" and e["e164"] == e164)


@pytest.fixture
def harness(shared_sandbox: SandboxServer, shared_slack: FakeSlack, tmp_path: Path) -> Iterator[Harness]:
    requests = SlackRequests(SIGNING_SECRET, shared_slack)
    built = Harness(shared_sandbox, shared_slack, requests, tmp_path / "numbers-bot.db", [], len(shared_sandbox.requests("purchase")))
    yield built
    for process in built.processes:
        process.kill()
    requests.close()
    shared_sandbox.clear_faults()


def settled_story(db: Path, request_id: str) -> list[tuple[str, str, str]]:
    rows = query(db, "SELECT event, outcome, actor_id FROM audit WHERE request_id = ? ORDER BY id", (request_id,))
    return [(r["event"], r["outcome"], r["actor_id"]) for r in rows]


def assert_redrawn_in_place(harness: Harness, message: Message, needle: str) -> None:
    """The approval message was updated with chat.update (not posted again) and now shows the outcome."""
    redrawn = harness.slack.wait_for(
        lambda: (m := harness.slack.message(APPROVALS, message.ts)) and needle in m.as_text() and m, timeout=10
    )
    assert redrawn.buttons() == []
    assert any(c.params.get("ts") == message.ts and c.ok for c in harness.slack.calls("chat.update"))
    request_id = re.search(r"R[0-9A-Z]{6,}", message.text)
    assert request_id and len([m for m in harness.slack.messages(APPROVALS) if request_id.group(0) in m.text]) == 1


@pytest.mark.parametrize(
    ("crash_at", "vobiz_bought", "final", "shown"),
    [
        ("before_vobiz_call", 0, "failed", "failed"),
        ("after_vobiz_answer", 1, "succeeded", "is ours now"),
    ],
)
def test_killed_at_a_crash_point_the_restarted_bot_settles_against_vobiz(
    harness: Harness, crash_at: str, vobiz_bought: int, final: str, shown: str
) -> None:
    e164, other = harness.sandbox.inventory_numbers("IN")[:2]
    bot = harness.start(crash_at=crash_at)
    waiting_id, waiting_message = harness.ask_to_buy(bot, other)  # a request nobody has decided yet
    request_id, message = harness.ask_to_buy(bot, e164)

    harness.approve(bot, message, may_die=True)
    bot.wait_for_line(WORKER_KILLED)  # the worker SIGKILLed itself at the crash point
    bot.kill()  # and the arbiter goes too, before it boots a replacement: the whole bot is down

    assert request_row(harness.db, request_id)["status"] == "executing"  # the approval was durable
    assert harness.purchase_calls() == vobiz_bought
    assert harness.bought_at_vobiz(e164) == vobiz_bought
    assert [e for e, _, _ in settled_story(harness.db, request_id)] == ["requested", "approved"]

    harness.start()  # the same database file, no crash point: start-up settles what was in flight
    row = wait_until(lambda: (r := request_row(harness.db, request_id))["status"] != "executing" and r, what="settled")
    assert row["status"] == final
    assert "The bot stopped while carrying this out" in row["outcome_detail"]
    assert settled_story(harness.db, request_id)[-1] == ("settled", final, "numbers-bot")
    assert harness.purchase_calls() == vobiz_bought  # settled by reading, never by buying again
    assert harness.bought_at_vobiz(e164) == vobiz_bought
    owner = harness.sandbox.describe(e164)["owner"]
    assert owner == (harness.sandbox.auth_id if final == "succeeded" else None)
    assert_redrawn_in_place(harness, message, shown)

    assert request_row(harness.db, waiting_id)["status"] == "pending"  # nothing lost
    assert harness.slack.message(APPROVALS, waiting_message.ts).buttons()


def test_killed_while_vobiz_is_still_working_on_the_purchase(harness: Harness) -> None:
    e164 = harness.sandbox.inventory_numbers("IN")[0]
    bot = harness.start()
    request_id, message = harness.ask_to_buy(bot, e164)
    harness.sandbox.inject("purchase", "hang", seconds=1.0)  # Vobiz takes its time, then buys

    harness.approve(bot, message)
    wait_until(lambda: not harness.sandbox.pending_faults(), what="the purchase reaching Vobiz")
    bot.kill()  # the call is in flight at Vobiz; the bot is gone

    assert request_row(harness.db, request_id)["status"] == "executing"
    wait_until(lambda: harness.purchase_calls() == 1, what="Vobiz finishing the purchase")
    assert harness.bought_at_vobiz(e164) == 1  # it happened, and the bot never heard

    harness.start()
    row = wait_until(lambda: (r := request_row(harness.db, request_id))["status"] != "executing" and r, what="settled")
    assert row["status"] == "succeeded"
    assert settled_story(harness.db, request_id)[-1] == ("settled", "succeeded", "numbers-bot")
    assert harness.purchase_calls() == 1
    assert_redrawn_in_place(harness, message, "is ours now")


def test_killed_in_the_middle_of_a_bulk_purchase_each_number_is_settled_and_none_bought_twice(harness: Harness) -> None:
    bot = harness.start(crash_at="bulk_after_item")  # dies right after the first number is bought and recorded
    before = len(harness.slack.ephemerals(REQUESTER))
    status, _, _ = harness.requests.send_http(
        f"{bot.url}/slack/events", harness.requests.slash_command(REQUESTER, "buy 3 IN region:karnataka crash test team")
    )
    assert status == 200
    reply = harness.slack.wait_for(
        lambda: [e for e in harness.slack.ephemerals(REQUESTER)[before:] if "waiting for an approver" in e.text]
    )[-1]
    match = re.search(r"Request \*(R[0-9A-Z]+)\*", reply.text)
    assert match, reply.text
    request_id = match.group(1)
    message = harness.approval_message(request_id)
    items = query(harness.db, "SELECT e164 FROM request_items WHERE request_id = ? ORDER BY position", (request_id,))
    numbers = [r["e164"] for r in items]

    harness.approve(bot, message, may_die=True)
    bot.wait_for_line(WORKER_KILLED)
    bot.kill()
    assert request_row(harness.db, request_id)["status"] == "executing"
    assert harness.purchase_calls() == 1 and harness.bought_at_vobiz(numbers[0]) == 1

    harness.start()  # start-up settles each number: the bought one from Vobiz, the others were never called
    row = wait_until(lambda: (r := request_row(harness.db, request_id))["status"] != "executing" and r, what="settled")
    assert row["status"] == "succeeded" and "Bought 1 of 3" in row["outcome_detail"]
    states = query(harness.db, "SELECT e164, status FROM request_items WHERE request_id = ? ORDER BY position", (request_id,))
    assert [(r["e164"], r["status"]) for r in states] == [(numbers[0], "bought"), (numbers[1], "failed"), (numbers[2], "failed")]
    assert harness.purchase_calls() == 1  # settled by reading, never by buying again
    assert [harness.bought_at_vobiz(e) for e in numbers] == [1, 0, 0]
    assert_redrawn_in_place(harness, message, "Bought 1 of 3")
