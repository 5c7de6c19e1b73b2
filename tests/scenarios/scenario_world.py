"""A whole bot for scenario tests: the real Bolt app built by `build_bot`, the Vobiz sandbox over HTTP,
FakeSlack on a real socket and really signed Slack requests. Nothing is mocked.

Listeners run after the ack on Bolt's threads, so tests wait for what a person would see
(`reply_to`, `settled`) instead of sleeping; the outbox is delivered with `drain()`.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from api.client import VobizClient
from fakes.vobiz import SandboxServer
from bot.app import Bot, build_bot
from bot.config import Settings
from bot.services.records import Actor, ApprovalRequest
from fakes.slack.records import Ephemeral, Message, View
from fakes.slack.requests import SignedRequest, SlackRequests
from fakes.slack.webapi import FakeSlack
from handlers.outbound.delivery import DeliveryReport

SIGNING_SECRET = "scenario-signing-secret"
BOT_TOKEN = "xoxb-scenario-bot-token"
REQUESTER, APPROVER, ADMIN, OTHER, GROUPIE = "U0REQUEST", "U0APPROVE", "U0ADMIN", "U0OTHER", "U0GROUPIE"
USERS = {REQUESTER: "riya", APPROVER: "arjun", ADMIN: "meera", OTHER: "sam", GROUPIE: "lee"}
APPROVER_GROUP = "S0APPROVERS"
APPROVALS, HISTORY, GENERAL = "C0APPROVALS", "C0HISTORY", "C0GENERAL"
CHANNELS = {APPROVALS: "approvals", HISTORY: "numbers-history", GENERAL: "general"}
VOBIZ_WRITES = ("purchase", "release", "cancel_release", "assign", "unassign")
# Slack waits this long for the HTTP answer (the ack); later, it shows the person an error (and retries an
# event) even though the bot may go on to do the work. The only ack deadline the tests hold the bot to: a
# tighter one measures the machine running the tests, not the bot.
SLACK_ACK_LIMIT_S = 3.0


def assert_acked_in_time(acked_in: float, what: str = "the request") -> None:
    assert acked_in < SLACK_ACK_LIMIT_S, (
        f"{what} was acknowledged after {acked_in:.2f} s; Slack gives up after {SLACK_ACK_LIMIT_S:.0f} s and shows "
        "the person an error although the bot may still do the work"
    )


class ScenarioClock:
    """The bot's clock follows the sandbox's (Vobiz's) clock plus the real time elapsed, so expiry,
    cool-offs and release cooldowns agree on both sides; `advance` moves both."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self._sandbox = sandbox
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self._sandbox.now() + timedelta(seconds=time.monotonic() - self._started)

    def advance(self, **delta: float) -> None:
        self._sandbox.advance(timedelta(**delta).total_seconds())


@dataclass
class FakeTime:
    """A monotonic clock that only the injected sleep moves: history pacing without waiting."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, counting what is still running so tests can wait for the bot to be idle."""

    def __init__(self) -> None:
        super().__init__(max_workers=32, thread_name_prefix="scenario-listener")
        self._running = 0
        self._changed = threading.Condition()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._changed:
            self._running += 1

        def tracked() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._changed:
                    self._running -= 1
                    self._changed.notify_all()

        return super().submit(tracked)

    def wait_idle(self, timeout: float = 10.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._running == 0, timeout):
                raise TimeoutError(f"{self._running} listeners still running after {timeout} s")


def make_settings(slack: FakeSlack, sandbox: SandboxServer, db_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "vobiz_auth_id": sandbox.auth_id,
        "vobiz_auth_token": sandbox.auth_token,
        "vobiz_base_url": sandbox.base_url,
        "numbers_bot_db": db_path,
        "approvers": (APPROVER, APPROVER_GROUP),
        "admins": (ADMIN,),
        "approval_channel": APPROVALS,
        "history_channel": HISTORY,
    }
    values.update(changes)
    return Settings(**values)


@dataclass
class World:
    bot: Bot
    slack: FakeSlack
    sandbox: SandboxServer
    requests: SlackRequests
    clock: ScenarioClock
    time: FakeTime
    settings: Settings
    db_path: Path
    listeners: TrackingExecutor

    @property
    def app(self) -> Any:
        return self.bot.app

    # ------------------------------------------------------------ what people do

    # Each of these returns once the listener has finished its work after the ack (idle()).

    def command(self, user: str, text: str, *, channel: str = GENERAL, retry_num: int | None = None) -> BoltResponse:
        return self.send(self.requests.slash_command(user, text, channel_id=channel), retry_num)

    def click(self, user: str, source: Message | Ephemeral | View, button: str, *, retry_num: int | None = None) -> BoltResponse:
        return self.send(self.requests.click(user, source, button), retry_num)

    def submit(self, user: str, values: dict[str, Any]) -> BoltResponse:
        return self.send(self.requests.view_submission(user, None, values))

    def send(self, signed: SignedRequest, retry_num: int | None = None, *, wait: bool = True) -> BoltResponse:
        started = time.monotonic()
        response = self.requests.send_app(self.app, signed, retry_num)
        acked_in = time.monotonic() - started
        # Every request is acknowledged, inside Slack's 3 seconds
        assert response.status == 200, (response.status, response.body)
        assert_acked_in_time(acked_in)
        if wait:
            self.idle()
        return response

    def idle(self) -> None:
        """Wait until every listener has finished (they go on after the ack, on Bolt's threads)."""
        self.listeners.wait_idle()

    # ------------------------------------------------------------ what people see

    def replies(self, user: str, needle: str) -> list[Ephemeral]:
        return [e for e in self.slack.ephemerals(user) if needle in e.text or needle in e.as_text()]

    def reply_to(self, user: str, needle: str, timeout: float = 5.0, *, after: int = 0) -> Ephemeral:
        """The newest ephemeral (or response_url reply) to `user` whose text contains `needle`, once
        more than `after` of them exist."""

        def found() -> Ephemeral | None:
            matching = self.replies(user, needle)
            return matching[-1] if len(matching) > after else None

        return self.slack.wait_for(found, timeout)

    def modal_of(self, user: str, timeout: float = 5.0) -> View:
        return self.slack.wait_for(lambda: (self.slack.views(user) or [None])[-1], timeout)

    def dms(self, user: str) -> list[Message]:
        return self.slack.messages(self.slack.dm_id(user))

    def approval_message(self, request_id: str) -> Message:
        found = [m for m in self.slack.messages(APPROVALS) if request_id in m.text]
        assert len(found) == 1, f"expected one approval message for {request_id}, found {len(found)}"
        return found[0]

    def history_lines(self) -> list[str]:
        return [m.text for m in self.slack.messages(HISTORY)]

    def drain(self) -> DeliveryReport:
        return self.bot.delivery.drain()

    # ------------------------------------------------------------ state

    def request(self, request_id: str) -> ApprovalRequest:
        return self.bot.services.approvals.get(request_id)

    def requests_of(self, user: str) -> list[ApprovalRequest]:
        return self.bot.services.approvals.list_for(Actor(user)).mine

    def settled(self, request_id: str) -> ApprovalRequest:
        """The request once every listener is done (its Vobiz call and any settling read made)."""
        self.idle()
        return self.request(request_id)

    def vobiz_writes(self) -> list[dict[str, Any]]:
        return [e for e in self.sandbox.requests() if e["route"] in VOBIZ_WRITES]

    def slack_bound(self) -> list[Any]:
        """Every payload the bot sent to Slack: Web API call params, response_url posts, modals."""
        payloads: list[Any] = [call.params for call in self.slack.calls()]
        for user in USERS:
            payloads.extend({"text": e.text, "blocks": e.blocks} for e in self.slack.ephemerals(user))
        return payloads

    def ask_to_buy(self, e164: str, reason: str = "A new support line for Bengaluru", user: str = REQUESTER) -> str:
        """`/numbers buy` from `user`, then the approval message posted: returns the request id."""
        before = len(self.replies(user, "waiting for an approver"))
        self.command(user, f"buy {e164} {reason}")
        reply = self.reply_to(user, "waiting for an approver", after=before)
        match = re.search(r"Request \*(R[0-9A-Z]+)\*", reply.text)
        assert match, reply.text
        self.drain()
        return match.group(1)


def build_world(
    slack: FakeSlack,
    sandbox: SandboxServer,
    db_path: Path,
    *,
    vobiz_timeout: float = 5.0,
    slack_timeout: float = 5.0,
    start_workers: bool = False,
    vobiz_transport: httpx.BaseTransport | None = None,
    **settings_changes: Any,
) -> World:
    """`vobiz_transport`: what carries the bot's Vobiz calls to the sandbox (default: plain HTTP), e.g. one
    that changes the sandbox's answers the way another Vobiz deployment words them."""
    settings = make_settings(slack, sandbox, db_path, **settings_changes)
    clock = ScenarioClock(sandbox)
    fake_time = FakeTime()
    listeners = TrackingExecutor()
    vobiz = VobizClient(
        sandbox.auth_id,
        sandbox.auth_token,
        base_url=sandbox.base_url,
        timeout=vobiz_timeout,
        sleep=lambda s: None,
        transport=vobiz_transport,
    )
    bot = build_bot(
        settings,
        slack_client=WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=slack_timeout),
        vobiz=vobiz,
        start_workers=start_workers,
        clock=clock,
        sleep=fake_time.sleep,
        monotonic=fake_time.monotonic,
        listener_executor=listeners,
    )
    requests = SlackRequests(SIGNING_SECRET, slack)
    return World(bot, slack, sandbox, requests, clock, fake_time, settings, db_path, listeners)


def fake_slack() -> FakeSlack:
    return FakeSlack(BOT_TOKEN, users=USERS, usergroups={APPROVER_GROUP: [GROUPIE]}, channels=CHANNELS)

