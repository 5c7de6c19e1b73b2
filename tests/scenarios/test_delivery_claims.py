"""Several processes draining one outbox (issue 13, delivered once, in order): each item is posted once,
the history channel reads in audit order, and a process that dies holding a claim loses it to another,
which still posts once (the metadata lookup finds a post the dead one made). On both engines."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.app import Bot, build_bot
from bot.services import Services
from bot.services.outbox import CLAIM_TTL, Outbox
from bot.services.records import Actor
from handlers.outbound.delivery import Delivery
from tests.scenarios.scenario_world import APPROVALS, BOT_TOKEN, HISTORY, REQUESTER, World

ASKER = Actor(REQUESTER, "riya")


class Killed(BaseException):
    """The process died here (not an Exception: nothing in the delivery catches it)."""


@pytest.fixture
def second(world: World) -> Iterator[Bot]:
    """Another process on the same store: its own store object, services and outbox owner, one FakeSlack."""
    bot = build_bot(world.settings, slack_client=client(world), clock=world.clock)
    yield bot
    bot.services.store.close()


def client(world: World) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=world.slack.api_url, timeout=5)


def delivery(world: World, services: Services) -> Delivery:
    return Delivery(
        services, client(world), approval_channel=APPROVALS, history_channel=HISTORY, now=world.clock, history_interval_s=0.0
    )


def posts(world: World, channel: str) -> list[tuple[str, str]]:
    """(kind, ref) of every chat.postMessage to `channel` Slack accepted, in arrival order."""
    found = []
    for call in world.slack.calls("chat.postMessage"):
        if call.params.get("channel") == channel and call.status == 200:
            payload = (call.params.get("metadata") or {}).get("event_payload") or {}
            found.append((payload.get("kind"), str(payload.get("ref"))))
    return found


def undelivered(world: World) -> int:
    return int(world.rows("SELECT count(*) AS n FROM outbox WHERE done_at IS NULL")[0]["n"])


def test_two_processes_draining_at_once_post_every_item_once_and_history_in_audit_order(world: World, second: Bot) -> None:
    approvals = world.bot.services.approvals
    requests = [approvals.request_purchase(ASKER, e164, "a line") for e164 in world.sandbox.inventory_numbers("IN")[:8]]
    for request in requests[:3]:
        approvals.cancel(request.id, ASKER)
    assert undelivered(world) > 20
    drainers = [delivery(world, world.bot.services), delivery(world, second.services)]
    assert world.bot.services.outbox.owner != second.services.outbox.owner
    start = threading.Barrier(len(drainers))
    failures: list[BaseException] = []

    def drain(each: Delivery) -> None:
        start.wait()
        deadline = time.monotonic() + 60
        try:
            while undelivered(world) and time.monotonic() < deadline:
                each.deliver_due()
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=drain, args=(each,)) for each in drainers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not failures and undelivered(world) == 0

    audit_ids = [str(row["id"]) for row in world.rows("SELECT id FROM audit ORDER BY id")]
    assert posts(world, HISTORY) == [("history", ref) for ref in audit_ids]  # each once, in audit order
    assert sorted(posts(world, APPROVALS)) == sorted(("approval_message", r.id) for r in requests)  # one message each
    assert len(world.slack.messages(APPROVALS)) == len(requests)
    for request in requests[:3]:  # the cancelled ones were redrawn, not posted again
        assert "ancel" in world.slack.message(APPROVALS, world.request(request.id).approval_ts or "").as_text()


def dying(services: Services, world: World, *, at: str) -> Delivery:
    """A process that claims what is due, then dies: right before its post (`at="post"`) or right after it
    (`at="done"`), with its claims still in the store."""
    real = Outbox(store=services.store, clock=world.clock, owner="dead-host/4242/dead")

    class DyingOutbox:
        owner = real.owner

        def due(self, limit: int = 50) -> Any:
            return real.due(limit)

        def hold(self, item_id: int) -> bool:
            held = real.hold(item_id)
            if at == "post":
                raise Killed
            return held

        def done(self, item_id: int) -> None:
            raise Killed

        def retry_later(self, item_id: int, error: str, delay_s: float) -> None:
            raise Killed

        def release(self, item_ids: Any = None) -> int:
            raise Killed

    return delivery(world, dataclasses.replace(services, outbox=DyingOutbox()))  # type: ignore[arg-type]


def refused_click(world: World, request_id: str) -> None:
    """A history line and nothing else: the requester may not approve their own request."""
    with pytest.raises(Exception):
        world.bot.services.approvals.approve(request_id, ASKER)


@pytest.mark.parametrize("landed", [True, False], ids=["post-landed", "post-never-made"])
def test_a_claim_held_by_a_dead_process_is_delivered_once_by_another_after_it_runs_out(
    world: World, second: Bot, landed: bool
) -> None:
    request = world.bot.services.approvals.request_purchase(ASKER, world.sandbox.inventory_numbers("IN")[0], "a line")
    world.drain()
    before = posts(world, HISTORY)
    refused_click(world, request.id)
    dead = dying(second.services, world, at="done" if landed else "post")
    with pytest.raises(Killed):
        dead.deliver_due()
    [line] = world.rows("SELECT * FROM outbox WHERE done_at IS NULL")
    assert line["kind"] == "history" and line["claimed_by"] == "dead-host/4242/dead" and line["attempted_by"] == line["claimed_by"]
    assert len(posts(world, HISTORY)) == len(before) + (1 if landed else 0)
    refused_click(world, request.id)  # a later line: it must not overtake the dead process's one

    world.drain()  # the claim has not run out: nothing goes, not even the later line
    assert len(posts(world, HISTORY)) == len(before) + (1 if landed else 0)

    world.advance(seconds=CLAIM_TTL.total_seconds() + 1)
    lookups = len(world.slack.calls("conversations.history"))
    world.drain()
    assert undelivered(world) == 0
    audit_ids = [str(row["id"]) for row in world.rows("SELECT id FROM audit ORDER BY id")]
    assert posts(world, HISTORY) == [("history", ref) for ref in audit_ids]  # once each, in audit order
    assert len(world.slack.calls("conversations.history")) == lookups + 1  # looked up the dead one's line only
