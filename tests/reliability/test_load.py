"""Load: 500 mixed Slack requests at concurrency 32 over real HTTP (the WSGI app on a threaded server on
127.0.0.1): purchase commands, reads, and many clicks racing on the same requests (Approve from three
approvers at once, denials submitted meanwhile, Slack redeliveries). Then the invariants:

- exactly one Vobiz purchase call per approved request, none for any other;
- every request is pending or terminal (nothing left executing or unknown);
- every request's audit trail matches its status: one decision at most, in order, ending in its status;
- no HTTP answer was a 5xx.

Throughput and latency percentiles are printed, never asserted. So is the number of late acks: Bolt acks
from a listener thread, so when every thread of the pool is busy a request can miss Slack's 3 seconds
and Bolt answers 404 (the work still happens; the invariants above still hold). See RELIABILITY.md.

The same load runs against several processes too (issue 13): three gunicorn instances (the Procfile's
`web:` line, one worker each) on one PostgreSQL database, and one gunicorn with three workers on one SQLite
file, the requests spread over them. Then also: every history line reached Slack once and in audit order,
and `numbers-bot audit verify` passes: the audit log stayed one chain while every process appended to it.
"""

from __future__ import annotations

import json
import logging
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from fakes.vobiz import SandboxServer
from fakes.slack.records import Message
from fakes.slack.requests import SignedRequest, SlackRequests
from fakes.slack.webapi import FakeSlack
from handlers import ids
from tests.postgres_server import PostgresServer
from tests.processes.cluster import Cluster
from tests.scenarios.scenario_world import (
    ADMIN,
    APPROVER,
    APPROVER_GROUP,
    GENERAL,
    GROUPIE,
    OTHER,
    REQUESTER,
    SIGNING_SECRET,
    World,
    build_world,
    fake_slack,
)
from tests.reliability.worlds import rows, served

TOTAL = 500
CONCURRENCY = 32
SLACK_DEADLINE_S = 3.0
PURCHASES = 40
TERMINAL_OR_PENDING = {"pending", "succeeded", "failed", "denied", "cancelled", "expired"}
DECISIONS = ("approved", "denied", "cancelled", "expired")


@pytest.fixture
def world(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path) -> Iterator[World]:
    """The load comes from three people sending hundreds of requests a minute: a load, not an abuse, so
    the per-person rate limit (RATE_LIMIT_PER_MINUTE, tested in tests/scenarios/test_rate_limit.py) is off."""
    built = build_world(slack, sandbox, tmp_path / "numbers-bot.db", rate_limit_per_minute=0)
    yield built
    built.bot.stop()


@dataclass(frozen=True)
class Sent:
    label: str
    status: int
    seconds: float


Batch = list[tuple[str, SignedRequest, int | None]]


@dataclass
class Target:
    """Where the load goes and how to read what it did: the in-process world, or a cluster of processes."""

    requests: SlackRequests
    slack: FakeSlack
    sandbox: SandboxServer
    urls: list[str]  # requests are spread over them in turn
    settle: Callable[[], None]  # wait until the work the last batch started is done and delivered
    rows: Callable[[str], list[dict[str, Any]]]
    approval_message: Callable[[str], Message]
    dropped: list[str] = field(default_factory=list)  # requests whose connection dropped unanswered (redelivered)


def run_concurrently(target: Target, batch: Batch) -> list[Sent]:
    def send(indexed: tuple[int, tuple[str, SignedRequest, int | None]]) -> Sent:
        index, (label, signed, retry) = indexed
        url = target.urls[index % len(target.urls)]
        started = time.monotonic()
        try:
            status, _, _ = target.requests.send_http(url, signed, retry)
        except httpx.RemoteProtocolError:
            # Closed without an answer: seen once in a handful of runs against gunicorn on a busy box, cause not
            # pinned down (the usual one: a kept-alive connection the server closes as it is reused; no worker
            # died, which the cluster test checks). Slack redelivers, and so does this test, once, counted.
            target.dropped.append(label)
            status, _, _ = target.requests.send_http(url, signed, (retry or 0) + 1, retry_reason="http_error")
        return Sent(label, status, time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        return list(pool.map(send, enumerate(batch)))


def denial(world: Target, user: str, request_id: str, reason: str) -> SignedRequest:
    """The submission of the deny modal for `request_id`, as Slack sends it."""
    payload = {
        "type": "view_submission",
        "team": {"id": world.slack.team_id, "domain": world.slack.team_domain},
        "user": {"id": user, "username": user.lower(), "team_id": world.slack.team_id},
        "api_app_id": world.slack.app_id,
        "trigger_id": world.slack.issue_trigger(user),
        "view": {
            "id": f"V{request_id}",
            "type": "modal",
            "callback_id": ids.DENY_REASON_VIEW,
            "private_metadata": json.dumps({"request_id": request_id}),
            "state": {"values": {ids.REASON_BLOCK: {ids.REASON_INPUT: {"type": "plain_text_input", "value": reason}}}},
        },
        "response_urls": [],
    }
    return world.requests.sign(urlencode({"payload": json.dumps(payload)}))


def reads(world: Target, rng: random.Random, count: int, numbers: list[str]) -> Batch:
    texts = ["list", "requests", "history", "help", "inventory IN", f"show {rng.choice(numbers)}", f"history {rng.choice(numbers)}"]
    users = [REQUESTER, OTHER, APPROVER]
    return [("read", world.requests.slash_command(rng.choice(users), rng.choice(texts), channel_id=GENERAL), None) for _ in range(count)]


def figures(name: str, sent: list[Sent], wall: float) -> str:
    latencies = sorted(s.seconds for s in sent)
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return (
        f"{name}: {len(sent)} requests in {wall:.2f} s = {len(sent) / wall:.0f} req/s; "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )


def test_500_mixed_requests_at_concurrency_32_keep_every_invariant(
    world: World, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.ERROR)

    def settle() -> None:
        world.idle()
        world.drain()

    with served(world) as url:
        target = Target(
            requests=world.requests,
            slack=world.slack,
            sandbox=world.sandbox,
            urls=[url],
            settle=settle,
            rows=lambda sql: rows(world, sql),
            approval_message=world.approval_message,
        )
        run_load(target, capsys, "load")

    unexpected = [r for r in caplog.records if r.name == "handlers.listeners.errors"]
    assert not unexpected, unexpected[0].getMessage()


def run_load(target: Target, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """The load, its figures printed, and the invariants asserted."""
    world = target
    rng = random.Random(20261127)
    sandbox = world.sandbox
    numbers = sandbox.inventory_numbers("IN")
    first, later = numbers[:PURCHASES], numbers[PURCHASES : PURCHASES + 20]
    all_sent: list[Sent] = []
    started = time.monotonic()

    # Phase 1: people ask to buy, while others read.
    asks = [("buy", world.requests.slash_command(REQUESTER, f"buy {e164} load test line"), None) for e164 in first]
    batch1 = asks + reads(world, rng, 60, numbers)
    rng.shuffle(batch1)
    all_sent += run_concurrently(world, batch1)
    world.settle()  # the approval messages appear
    created = {r["e164"]: r["id"] for r in world.rows("SELECT id, e164 FROM requests")}
    assert set(created) == set(first)
    messages = {rid: world.approval_message(rid) for rid in created.values()}

    # Phase 2: approvers race on every request, some get denied meanwhile, Slack redelivers some
    # clicks, more purchases are asked for and people keep reading.
    deciders = [APPROVER, ADMIN, GROUPIE]
    denied_targets = rng.sample(sorted(created.values()), 15)
    batch2: Batch = []
    for request_id, message in messages.items():
        for index in range(6):
            retry = 1 if index == 5 else None  # a redelivery of an earlier click
            batch2.append(("approve", world.requests.click(deciders[index % 3], message, "Approve"), retry))
    for request_id in denied_targets:
        batch2 += [("deny", denial(world, ADMIN, request_id, "over budget"), None)] * 2
    batch2 += [("buy", world.requests.slash_command(OTHER, f"buy {e164} second wave"), None) for e164 in later]
    batch2 += reads(world, rng, TOTAL - len(batch1) - len(batch2), numbers)
    rng.shuffle(batch2)
    all_sent += run_concurrently(world, batch2)
    world.settle()
    wall = time.monotonic() - started

    with capsys.disabled():
        print()
        print(figures(name, all_sent, wall))
        for label in ("approve", "deny", "buy", "read"):
            mine = [s for s in all_sent if s.label == label]
            latencies = sorted(s.seconds for s in mine)
            print(f"  {label:8s} {len(mine):3d}  p50 {statistics.median(latencies) * 1000:.0f} ms  "
                  f"p99 {latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000:.0f} ms")

    # Slack gives up after 3 s; Bolt itself answers 404 when no listener acked within 3 s.
    late = [s for s in all_sent if s.status == 404 or s.seconds > SLACK_DEADLINE_S]
    with capsys.disabled():
        print(f"  late acks (404, or answered after {SLACK_DEADLINE_S:g} s): {len(late)} {sorted(Counter(s.label for s in late).items())}")
        print(f"  connections dropped unanswered, then redelivered: {len(world.dropped)}")
    assert len(all_sent) == TOTAL
    assert {s.status for s in all_sent} <= {200, 404}, Counter(s.status for s in all_sent)  # never a 5xx

    requests_ = world.rows("SELECT * FROM requests")
    assert len(requests_) == PURCHASES + len(later)
    assert {r["status"] for r in requests_} <= TERMINAL_OR_PENDING
    statuses = Counter(r["status"] for r in requests_)

    # Exactly one purchase call per approved request; none for a denied or pending one.
    purchases = Counter(e["e164"] for e in sandbox.snapshot()["audit"] if e["action"] == "purchase")
    for request in requests_:
        expected = 1 if request["status"] == "succeeded" else 0
        assert purchases.get(request["e164"], 0) == expected, request
    assert len(sandbox.requests("purchase")) == statuses["succeeded"]

    # Every request's audit trail tells the story its status says.
    trails: dict[str, list[dict[str, Any]]] = {}
    for row in world.rows("SELECT * FROM audit WHERE request_id IS NOT NULL ORDER BY id"):
        trails.setdefault(row["request_id"], []).append(row)
    for request in requests_:
        story = [r for r in trails[request["id"]] if r["event"] != "refused"]
        events = [r["event"] for r in story]
        assert events[0] == "requested"
        assert sum(e in DECISIONS for e in events) <= 1, events
        expected_events = {
            "pending": ["requested"],
            "denied": ["requested", "denied"],
            "succeeded": ["requested", "approved", "executed"],
        }[request["status"]]
        assert events == expected_events, (request["id"], request["status"], events)
        assert story[-1]["outcome"] == request["status"]
        if request["status"] != "pending":
            decider = next(r for r in story if r["event"] in DECISIONS)
            assert decider["actor_id"] == request["decided_by_id"]
    for request_id in created.values():
        assert next(r for r in requests_ if r["id"] == request_id)["status"] in ("succeeded", "denied")

    with capsys.disabled():
        print(f"  outcome: {dict(statuses)}; Vobiz purchase calls: {len(sandbox.requests('purchase'))}")
        second = sum(1 for u in (APPROVER, ADMIN, GROUPIE) for e in world.slack.ephemerals(u) if "already" in e.text)
        print(f"  refusals shown to approvers who came second: {second}")


@pytest.fixture(params=["postgresql-3-instances", "sqlite-3-workers"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    """Three processes on one store (see tests/processes), with the load's people as approvers and the
    per-person rate limit off, as in the world above."""
    instances, workers = (3, 1) if request.param.startswith("postgresql") else (1, 3)
    database_url = None
    server: PostgresServer | None = None
    if request.param.startswith("postgresql"):
        server = request.getfixturevalue("postgres_server")
        database_url = server.create_database()
    with SandboxServer() as sandbox, fake_slack() as slack:
        built = Cluster(
            sandbox=sandbox,
            slack=slack,
            db=tmp_path / "numbers-bot.db",
            database_url=database_url,
            grace_s=60.0,
            interval_s=30.0,
            requests=SlackRequests(SIGNING_SECRET, slack),
            extra_env={"RATE_LIMIT_PER_MINUTE": "0", "APPROVERS": f"{APPROVER},{APPROVER_GROUP}"},
        )
        try:
            yield built.start(instances, workers)
        finally:
            built.stop()
    if server is not None and database_url is not None:
        server.drop_database(database_url)


def test_the_load_spread_over_three_processes_keeps_every_invariant_and_one_chain(
    cluster: Cluster, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    target = Target(
        requests=cluster.requests,
        slack=cluster.slack,
        sandbox=cluster.sandbox,
        urls=[f"{instance.url}/slack/events" for instance in cluster.instances],
        settle=cluster.settle,
        rows=cluster.query,
        approval_message=cluster.approval_message,
    )
    run_load(target, capsys, f"load over {request.node.callspec.params['cluster']}")
    # History lines are paced (about one a second per process), so the last ones are still on their way: what
    # has arrived is the log's beginning, each line once and in audit order, whichever process posted it
    # (tests/processes waits for every line).
    audit_ids = [str(row["id"]) for row in cluster.audit()]
    posted = cluster.history_posts()
    assert posted == audit_ids[: len(posted)] and posted, (len(posted), len(audit_ids))
    assert cluster.chain_links()
    verified = cluster.audit_verify()
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert not [line for line in cluster.troubles() if "Traceback" in line or "WORKER TIMEOUT" in line], cluster.troubles()
    with capsys.disabled():
        print(f"  audit rows: {len(audit_ids)}, one chain ({len(posted)} history lines posted so far, in order); "
              f"audit verify: {verified.stdout.strip().splitlines()[0]}")
