"""Many processes, one truth (issue 13), with real processes: three gunicorn instances (the Procfile's `web:`
line, one worker each, each its own master on its own port, like dynos) on one PostgreSQL database, and one
gunicorn with three workers on one SQLite file.

- 20 concurrent Approve clicks from two approvers plus Slack's redeliveries (`X-Slack-Retry-Num`), all
  really signed and spread over the processes, make exactly one purchase call at the sandbox;
- a request filed through one instance is decided through another;
- a process SIGKILLed while the sandbox holds its purchase call is settled by a survivor within the settle
  grace plus one maintenance interval, with that one purchase call and its approval message re-drawn;
- every history line reaches FakeSlack exactly once and in audit order, and `numbers-bot audit verify`
  passes on the store afterwards: one chain.

Short settings keep it quick: a 3 s grace and a 1 s maintenance interval (production: 60 s and 30 s).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from fakes.slack.requests import SignedRequest, SlackRequests
from fakes.vobiz import SandboxServer
from tests.postgres_server import PostgresServer
from tests.processes.cluster import Cluster, parse_at
from tests.reliability.bot_process import wait_until
from tests.scenarios.scenario_world import ADMIN, APPROVALS, APPROVER, SIGNING_SECRET, fake_slack

GRACE_S = 3.0
INTERVAL_S = 1.0
CLICKS = 20
RETRIES = 10
HELD_S = 1.0  # how long the sandbox holds the purchase call the test kills its caller during

SHAPES = {
    "postgresql-3-instances": ("postgresql", 3, 1),
    "sqlite-3-workers": ("sqlite", 1, 3),
}


@pytest.fixture(scope="module", params=list(SHAPES))
def cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    engine, instances, workers = SHAPES[request.param]
    database_url = None
    server: PostgresServer | None = None
    if engine == "postgresql":
        server = request.getfixturevalue("postgres_server")
        database_url = server.create_database()
    with SandboxServer() as sandbox, fake_slack() as slack:
        built = Cluster(
            sandbox=sandbox,
            slack=slack,
            db=tmp_path_factory.mktemp(request.param) / "numbers-bot.db",
            database_url=database_url,
            grace_s=GRACE_S,
            interval_s=INTERVAL_S,
            requests=SlackRequests(SIGNING_SECRET, slack),
        )
        try:
            yield built.start(instances, workers)
        finally:
            built.stop()
    if server is not None and database_url is not None:
        server.drop_database(database_url)


def numbers(cluster: Cluster, start: int, count: int) -> list[str]:
    """Inventory numbers no other test of the module uses (they share the sandbox)."""
    return cluster.sandbox.inventory_numbers("IN")[start : start + count]


def purchase_calls(cluster: Cluster) -> int:
    """Purchase calls the sandbox received (the module's tests run one at a time)."""
    return len(cluster.sandbox.requests("purchase"))


def sold(cluster: Cluster, e164: str) -> int:
    """How many times the sandbox sold `e164` to the account (its own audit trail)."""
    return sum(1 for e in cluster.sandbox.snapshot()["audit"] if e["action"] == "purchase" and e["e164"] == e164)


Send = tuple[SignedRequest, int, int | None]  # a signed request, the instance it goes to, its X-Slack-Retry-Num


def all_at_once(sends: list[Send], cluster: Cluster) -> list[int]:
    """Send every (signed request, instance, retry_num) from its own thread, released together."""
    start = threading.Barrier(len(sends))
    statuses: list[int] = [0] * len(sends)

    def send(index: int) -> None:
        signed, instance, retry_num = sends[index]
        start.wait()
        statuses[index] = cluster.send(signed, instance, retry_num)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def settled_shown(cluster: Cluster, ts: str, needle: str) -> bool:
    message = cluster.slack.message(APPROVALS, ts)
    return bool(message) and needle in message.as_text() and message.buttons() == []


def test_twenty_concurrent_approvals_and_retries_spread_over_the_processes_buy_once(cluster: Cluster) -> None:
    first, second = numbers(cluster, 0, 2)
    calls_before = purchase_calls(cluster)
    request_id, message = cluster.ask_to_buy(first, instance=0)
    clicks = [cluster.requests.click(APPROVER if i % 2 else ADMIN, message, "Approve") for i in range(CLICKS)]
    sends: list[Send] = [(click, i, None) for i, click in enumerate(clicks)]
    sends += [(clicks[i], i + 1, 1 + i % 2) for i in range(RETRIES)]  # Slack redelivers to another instance

    assert all_at_once(sends, cluster) == [200] * len(sends)

    wait_until(lambda: cluster.request(request_id)["status"] == "succeeded", timeout=30, what="the purchase")
    assert purchase_calls(cluster) - calls_before == 1 and sold(cluster, first) == 1
    assert [r["event"] for r in cluster.audit(request_id)].count("approved") == 1
    assert cluster.slack.wait_for(lambda: settled_shown(cluster, message.ts, "is ours now"), timeout=15)
    assert len([m for m in cluster.slack.messages(APPROVALS) if request_id in m.text]) == 1  # re-drawn in place

    # Filed through one instance (or worker), decided through another.
    other_id, other_message = cluster.ask_to_buy(second, instance=1)
    assert cluster.send(cluster.requests.click(APPROVER, other_message, "Approve"), instance=2) == 200
    wait_until(lambda: cluster.request(other_id)["status"] == "succeeded", timeout=30, what="the second purchase")
    assert purchase_calls(cluster) - calls_before == 2 and sold(cluster, second) == 1


def test_a_process_killed_while_its_purchase_is_held_is_settled_by_a_survivor(cluster: Cluster) -> None:
    (e164,) = numbers(cluster, 2, 1)
    calls_before = purchase_calls(cluster)
    request_id, message = cluster.ask_to_buy(e164, instance=0)
    cluster.sandbox.inject("purchase", "hang", seconds=HELD_S)  # held, then carried out: the caller is gone by then
    assert cluster.send(cluster.requests.click(APPROVER, message, "Approve"), instance=1) == 200
    # The sandbox takes the fault off its queue when the call arrives: from then on it holds the call.
    wait_until(lambda: not cluster.sandbox.pending_faults(), timeout=15, what="the purchase call held at the sandbox")
    assert cluster.request(request_id)["called_at"]

    killed_pid = cluster.kill_owner_of(request_id)
    killed_at = datetime.now(timezone.utc)

    wait_until(lambda: cluster.request(request_id)["status"] == "succeeded", timeout=30, what="settled by a survivor")
    settled = [r for r in cluster.audit(request_id) if r["event"] == "settled"]
    assert len(settled) == 1 and settled[0]["outcome"] == "succeeded"
    took = parse_at(settled[0]["at"]) - killed_at
    assert took <= timedelta(seconds=GRACE_S + INTERVAL_S), took
    assert f"/{killed_pid}/" not in str(cluster.request(request_id)["lease_owner"])  # a survivor settled it
    wait_until(lambda: purchase_calls(cluster) > calls_before, timeout=10, what="the held call logged")  # after its hold
    assert purchase_calls(cluster) - calls_before == 1 and sold(cluster, e164) == 1
    assert cluster.slack.wait_for(lambda: settled_shown(cluster, message.ts, "is ours now"), timeout=15)
    assert len([m for m in cluster.slack.messages(APPROVALS) if request_id in m.text]) == 1
    print(f"\n{cluster.db.parent.name}: settled {took.total_seconds():.2f} s after the kill (bound {GRACE_S + INTERVAL_S:.1f} s)")


def test_every_history_line_arrives_once_in_audit_order_and_the_chain_verifies(cluster: Cluster) -> None:
    third, fourth = numbers(cluster, 3, 2)
    asked = [cluster.ask_to_buy(third, instance=0), cluster.ask_to_buy(fourth, instance=1)]
    for index, (_, message) in enumerate(asked):
        assert cluster.send(cluster.requests.click(APPROVER, message, "Approve"), instance=index + 2) == 200
    for request_id, _ in asked:
        wait_until(lambda: cluster.request(request_id)["status"] == "succeeded", timeout=30, what="the purchase")

    wait_until(lambda: cluster.undelivered() == 0, timeout=60, what="the outbox drained")
    audit_ids = [str(row["id"]) for row in cluster.audit()]
    assert len(audit_ids) >= 10
    assert cluster.history_posts() == audit_ids  # each once, in audit order, whichever process posted it
    checkpoints = cluster.history_posts("checkpoint")
    assert len(checkpoints) == len(set(checkpoints)) == len(cluster.query("SELECT id FROM checkpoints"))

    verified = cluster.audit_verify()
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert str(len(audit_ids)) in verified.stdout, verified.stdout
