"""2. Click to Vobiz: from the moment an Approve click is sent to the bot to the moment the purchase
request reaches the sandbox, one click at a time.

After the click the bot acks, records the approval (a guarded update and its audit row, one
transaction), re-checks the number's price in Vobiz's inventory (one round trip), then sends the
purchase. The sandbox's request log hook fires when an answer is ready, i.e. after its configured
latency, so a request arrived at `hook time - latency` (its own few microseconds of work aside).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.stats import Summary, summarize
from bench.world import BenchError, BenchWorld, VobizCall

LATENCIES_MS = (0, 2000)


@dataclass(frozen=True)
class ClickRow:
    latency_ms: int
    ack: Summary  # the click's HTTP answer
    to_recheck: Summary  # click sent -> the inventory re-check arrives at Vobiz
    to_purchase: Summary  # click sent -> the purchase arrives at Vobiz
    # to_purchase minus the sandbox's latency: what the bot adds to the one Vobiz round trip before the
    # purchase (the sandbox's own work on both requests is counted against the bot: a bound from above)
    beyond_vobiz: Summary


def run(
    world: BenchWorld, *, rounds: dict[int, int], latencies_ms: Sequence[int] = LATENCIES_MS, progress: Callable[[str], None] = print
) -> list[ClickRow]:
    assert world.loadgen is not None
    rows = []
    for latency in latencies_ms:
        world.sandbox.configure(latency_ms=0)
        messages = world.pending_purchases(rounds[latency] + 1)
        world.sandbox.configure(latency_ms=latency)
        acks: list[float] = []
        recheck: list[float] = []
        purchase: list[float] = []
        beyond: list[float] = []
        for index, message in enumerate(messages):
            result = world.loadgen.burst([world.outgoing(world.bot_url, world.approve_click(message))], 1)[0]
            if result.status != 200:
                raise BenchError(f"the bot answered an Approve click with {result.status}")
            calls = _wait_for_purchase(world, since=result.started, latency_ms=latency)
            request_id = world.request_id_of(message)
            world.wait(
                lambda: not world.still_working_ids([request_id]), timeout=latency / 1000 + 15, what="the approval to finish"
            )
            if index == 0:
                continue  # the first click after a change of latency warms the bot's Vobiz connection
            inventory, bought = calls
            offset = latency / 1000
            acks.append(result.elapsed)
            recheck.append(inventory.at - offset - result.started)
            purchase.append(bought.at - offset - result.started)
            beyond.append(bought.at - offset - result.started - offset)
        row = ClickRow(latency, summarize(acks), summarize(recheck), summarize(purchase), summarize(beyond))
        rows.append(row)
        progress(
            f"  vobiz {latency:>4d} ms  click->re-check {row.to_recheck.cell()}  click->purchase "
            f"{row.to_purchase.cell()}  beyond Vobiz {row.beyond_vobiz.cell()} ms (median / p99)"
        )
    world.sandbox.configure(latency_ms=0)
    return rows


def _wait_for_purchase(world: BenchWorld, *, since: float, latency_ms: int) -> tuple[VobizCall, VobizCall]:
    """The inventory re-check and the purchase this click caused (clicks go one at a time)."""

    def found() -> tuple[VobizCall, VobizCall] | None:
        calls = world.vobiz_log(since)
        bought = next((c for c in calls if c.route == "purchase"), None)
        if bought is None:
            return None
        checks = [c for c in calls if c.route == "list_inventory" and c.at <= bought.at]
        return (checks[-1], bought) if checks else None

    world.wait(lambda: found() is not None, timeout=latency_ms * 3 / 1000 + 15, what="the purchase to reach Vobiz")
    calls = found()
    assert calls is not None
    return calls
