"""A whole bot for scenario tests: the shared world (`fakes.world`: the real Bolt app built by `build_bot`,
the Vobiz sandbox over HTTP, FakeSlack on a real socket, really signed Slack requests) with the scenario
cast and what its people do and see. Nothing is mocked.

Listeners run after the ack on Bolt's threads, so tests wait for what a person would see
(`reply_to`, `settled`) instead of sleeping; the outbox is delivered with `drain()`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from slack_bolt.response import BoltResponse

import fakes.world
from bot.services.records import Actor, ApprovalRequest
from fakes.slack.records import Ephemeral, Message, View
from fakes.slack.requests import SignedRequest
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from fakes.world import Cast

SIGNING_SECRET = "scenario-signing-secret"
BOT_TOKEN = "xoxb-scenario-bot-token"
REQUESTER, APPROVER, ADMIN, OTHER, GROUPIE = "U0REQUEST", "U0APPROVE", "U0ADMIN", "U0OTHER", "U0GROUPIE"
USERS = {REQUESTER: "riya", APPROVER: "arjun", ADMIN: "meera", OTHER: "sam", GROUPIE: "lee"}
APPROVER_GROUP = "S0APPROVERS"
APPROVALS, HISTORY, GENERAL = "C0APPROVALS", "C0HISTORY", "C0GENERAL"
CHANNELS = {APPROVALS: "approvals", HISTORY: "numbers-history", GENERAL: "general"}
CAST = Cast(
    bot_token=BOT_TOKEN,
    signing_secret=SIGNING_SECRET,
    approvers=(APPROVER, APPROVER_GROUP),
    admins=(ADMIN,),
    approval_channel=APPROVALS,
    history_channel=HISTORY,
    users=USERS,
    channels=CHANNELS,
    usergroups={APPROVER_GROUP: [GROUPIE]},
)
VOBIZ_WRITES = ("purchase", "release", "cancel_release", "assign", "unassign")
# Slack waits this long for the HTTP answer (the ack); later, it shows the person an error (and retries an
# event) even though the bot may go on to do the work. The only ack deadline the tests hold the bot to: a
# tighter one measures the machine running the tests, not the bot.
SLACK_ACK_LIMIT_S = 3.0
LISTENER_TIMEOUT_S = 10.0


def assert_acked_in_time(acked_in: float, what: str = "the request") -> None:
    assert acked_in < SLACK_ACK_LIMIT_S, (
        f"{what} was acknowledged after {acked_in:.2f} s; Slack gives up after {SLACK_ACK_LIMIT_S:.0f} s and shows "
        "the person an error although the bot may still do the work"
    )


class World(fakes.world.World):
    """The shared world (`fakes.world.World`) with what a scenario's people do and see."""

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
        response = self.dispatch(signed, retry_num)
        acked_in = time.monotonic() - started
        # Every request is acknowledged, inside Slack's 3 seconds
        assert response.status == 200, (response.status, response.body)
        assert_acked_in_time(acked_in)
        if wait:
            self.idle()
        return response

    def idle(self) -> None:
        """Wait until every listener has finished (they go on after the ack, on Bolt's threads)."""
        if not self.wait_idle(LISTENER_TIMEOUT_S):
            raise TimeoutError(f"{self.listeners.running} listeners still running after {LISTENER_TIMEOUT_S} s")

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
        found = [m for m in self.slack.messages(APPROVALS) if request_id in m.text and m.thread_ts in (None, m.ts)]
        assert len(found) == 1, f"expected one approval message for {request_id}, found {len(found)}"
        return found[0]

    def thread(self, request_id: str) -> list[Message]:
        """The replies in the approval message's thread, oldest first."""
        parent = self.approval_message(request_id)
        replies = [m for m in self.slack.messages(APPROVALS) if m.thread_ts == parent.ts and m.ts != parent.ts]
        return sorted(replies, key=lambda m: float(m.ts))

    def history_lines(self) -> list[str]:
        return [m.text for m in self.slack.messages(HISTORY)]

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
    vobiz_sleep: Callable[[float], None] | None = None,
    **settings_changes: Any,
) -> World:
    """`vobiz_transport`: what carries the bot's Vobiz calls to the sandbox (default: plain HTTP), e.g. one
    that changes the sandbox's answers the way another Vobiz deployment words them. `vobiz_sleep`: the
    Vobiz client's retry waits (default: none)."""
    return World.build(
        CAST,
        slack,
        sandbox,
        db_path,
        vobiz_timeout=vobiz_timeout,
        vobiz_sleep=vobiz_sleep,
        vobiz_transport=vobiz_transport,
        slack_timeout=slack_timeout,
        start_workers=start_workers,
        listener_thread_prefix="scenario-listener",
        **settings_changes,
    )


def fake_slack() -> FakeSlack:
    return CAST.fake_slack()
