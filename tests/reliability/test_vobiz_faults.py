"""Faults at Vobiz, through the real app over HTTP: a purchase Vobiz answers slowly, with a 500, with a
429 or by dropping the connection. For each, the sandbox's request log shows the retry rule was kept
(a purchase is never sent twice), the approver's message says what is known, and the request ends in a
state that matches what Vobiz holds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fakes.vobiz import SandboxServer
from bot.services.records import Status
from fakes.slack.webapi import FakeSlack
from tests.scenarios.scenario_world import APPROVER, REQUESTER, World
from tests.reliability.worlds import RecordingSleep, audit_events, build_world_with, served, timed_send

SLACK_ACK_DEADLINE_S = 3.0


@dataclass(frozen=True)
class PurchaseFault:
    kind: str
    seconds: float  # for hang and hang_drop
    client_timeout: float
    first: Status  # right after the approval
    shown_first: str  # on the approval message then
    final: Status  # once settled (after Vobiz is done and the grace has passed)
    shown_final: str
    bought: bool


FAULTS = {
    # Vobiz takes 10 s and never finishes: the bot stops waiting at its timeout, cannot know, and does not
    # claim failure until Vobiz must be done; then the re-read proves nothing was bought.
    "10s_hang_never_done": PurchaseFault("hang_drop", 10.0, 0.5, Status.UNKNOWN, "did not confirm", Status.FAILED, "failed", False),
    # Vobiz buys it but answers after the bot gave up: unknown, then proved bought by the re-read.
    "slow_but_done": PurchaseFault("hang", 1.0, 0.3, Status.UNKNOWN, "did not confirm", Status.SUCCEEDED, "is ours now", True),
    # A 500 is an answer: the re-read settles it at once, never a second purchase.
    "server_error": PurchaseFault("server_error", 0, 5.0, Status.FAILED, "failed", Status.FAILED, "failed", False),
    # 429 on a purchase means Vobiz refused it: no retry of a money-moving call.
    "rate_limit": PurchaseFault("rate_limit", 0, 5.0, Status.FAILED, "rate-limiting", Status.FAILED, "failed", False),
    # The connection drops before Vobiz acted: unknown until the grace has passed, then failed.
    "drop": PurchaseFault("drop", 0, 5.0, Status.UNKNOWN, "did not confirm", Status.FAILED, "failed", False),
    # Vobiz acted, then the connection dropped: the re-read proves the purchase at once.
    "drop_after": PurchaseFault("drop_after", 0, 5.0, Status.SUCCEEDED, "is ours now", Status.SUCCEEDED, "is ours now", True),
}


@pytest.fixture
def make_world(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path) -> Iterator[object]:
    built: list[World] = []

    def make(**options: object) -> World:
        world = build_world_with(slack, sandbox, tmp_path / f"bot{len(built)}.db", **options)  # type: ignore[arg-type]
        built.append(world)
        return world

    yield make
    for world in built:
        world.bot.stop()


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_faulty_purchase_is_never_repeated_and_ends_matching_vobiz(make_world, name: str) -> None:  # type: ignore[no-untyped-def]
    fault = FAULTS[name]
    world: World = make_world(vobiz_timeout=fault.client_timeout)
    sandbox = world.sandbox
    e164 = sandbox.inventory_numbers("IN")[0]
    request_id = world.ask_to_buy(e164)
    message = world.approval_message(request_id)
    sandbox.inject("purchase", fault.kind, seconds=fault.seconds, retry_after=5)

    with served(world) as url:
        status, acked_in = timed_send(world, url, world.requests.click(APPROVER, message, "Approve"))
        assert status == 200 and acked_in < SLACK_ACK_DEADLINE_S, f"ack took {acked_in:.2f} s"
    request = world.settled(request_id)
    assert request.status is fault.first, request.outcome_detail
    assert sandbox.pending_faults() == []  # the one purchase reached Vobiz ...
    assert len(sandbox.requests("purchase")) == (0 if fault.kind.startswith("hang") else 1)  # ... and no other
    world.drain()
    assert fault.shown_first in world.approval_message(request_id).as_text()

    if fault.bought:  # wait for Vobiz (the sandbox) to have finished a slow purchase
        world.slack.wait_for(lambda: sandbox.describe(e164)["owner"] == sandbox.auth_id, timeout=5)
    world.clock.advance(minutes=2)  # past the settle grace
    world.bot.workers.maintain()  # what the maintenance loop does at start-up and every minute
    request = world.request(request_id)
    assert request.status is fault.final, request.outcome_detail
    # Never a second purchase, whatever happened (the 10 s one is still hanging at Vobiz: logged when done).
    assert len(sandbox.requests("purchase")) == (0 if fault.kind == "hang_drop" else 1)
    owner = sandbox.describe(e164)["owner"]
    assert (owner == sandbox.auth_id) is fault.bought
    world.drain()
    assert fault.shown_final in world.approval_message(request_id).as_text()
    assert any(fault.shown_final in m.as_text() for m in world.dms(REQUESTER))
    events = audit_events(world, request_id)
    assert events[-1][1] == fault.final.value
    if fault.first is Status.UNKNOWN:
        assert ("executed", "outcome_unknown") in events and events[-1][0] == "settled"


def test_reads_retry_500s_and_429s_honouring_retry_after(make_world) -> None:  # type: ignore[no-untyped-def]
    sleep = RecordingSleep()
    world: World = make_world(vobiz_sleep=sleep)
    sandbox = world.sandbox
    sandbox.inject("list_numbers", "server_error", count=2)
    world.command(REQUESTER, "list")
    world.reply_to(REQUESTER, "Our numbers")
    assert [e["status"] for e in sandbox.requests("list_numbers")] == [500, 500, 200]

    sandbox.clear_requests()
    sandbox.inject("list_inventory", "rate_limit", retry_after=7)
    world.command(REQUESTER, "inventory IN")
    world.reply_to(REQUESTER, "IN")
    assert [e["status"] for e in sandbox.requests("list_inventory")] == [429, 200]
    assert 7.0 in sleep.slept  # waited what Retry-After said, not a guess


def test_reads_that_keep_failing_end_in_a_clear_message_and_change_nothing(make_world) -> None:  # type: ignore[no-untyped-def]
    world: World = make_world()
    sandbox = world.sandbox
    e164 = sandbox.inventory_numbers("IN")[0]
    sandbox.inject("list_inventory", "server_error", count=3)
    world.command(REQUESTER, f"buy {e164} a line for the Pune office")
    reply = world.reply_to(REQUESTER, "Nothing was changed")
    assert "500" in reply.as_text() and "Traceback" not in reply.as_text()
    assert len(sandbox.requests("list_inventory")) == 3  # 1 + max_retries, then give up
    assert world.requests_of(REQUESTER) == []
    assert sandbox.requests("purchase") == []
