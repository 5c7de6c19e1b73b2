"""4. A big account: with 10,000 owned numbers at the sandbox, `/numbers list` should make one Vobiz
request (the first page) and answer in about one Vobiz round trip.

The answer is the reply by response_url, timed from the command's sending to its arrival at FakeSlack.
The round trip is the same first-page request (`per_page` as the bot asks) made directly with the
project's Vobiz client from the bench process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from api.client import VobizClient
from bench.stats import Summary, summarize
from bench.world import BenchError, BenchWorld
from bot.services.numbers import PER_PAGE

OWNED_NUMBERS = 10_000
LATENCIES_MS = (0, 2000)


@dataclass(frozen=True)
class BigAccountRow:
    latency_ms: int
    owned: int
    ack: Summary
    answer: Summary  # command sent -> its reply at Slack
    round_trip: Summary  # one first-page request to the sandbox, made directly
    vobiz_requests_per_list: tuple[int, ...]  # distinct counts seen, e.g. (1,)

    @property
    def beyond_round_trip_ms(self) -> float:
        return self.answer.median_ms - self.round_trip.median_ms


def run(
    world: BenchWorld, *, rounds: dict[int, int], latencies_ms: Sequence[int] = LATENCIES_MS, progress: Callable[[str], None] = print
) -> list[BigAccountRow]:
    assert world.loadgen is not None
    world.add_owned(OWNED_NUMBERS)
    owned = len(world.sandbox.owned_numbers())
    vobiz = VobizClient(world.sandbox.auth_id, world.sandbox.auth_token, base_url=world.sandbox.base_url)
    rows = []
    try:
        for latency in latencies_ms:
            world.sandbox.configure(latency_ms=latency)
            acks: list[float] = []
            answers: list[float] = []
            trips: list[float] = []
            counts: set[int] = set()
            for index in range(rounds[latency] + 1):
                signed, channel = world.command("list")
                result = world.loadgen.burst([world.outgoing(world.bot_url, signed)], 1)[0]
                if result.status != 200:
                    raise BenchError(f"the bot answered /numbers list with {result.status}")
                world.wait(
                    lambda: world.reply_time(channel) is not None, timeout=latency / 1000 + 15, what="the list's answer"
                )
                replied = world.reply_time(channel)
                assert replied is not None
                listed = [c for c in world.vobiz_log(result.started) if c.route == "list_numbers" and c.at <= replied]
                started = time.monotonic()
                vobiz.numbers.list_page(page=1, per_page=PER_PAGE)
                trip = time.monotonic() - started
                if index == 0:
                    continue  # warms the connections after the change of latency
                acks.append(result.elapsed)
                answers.append(replied - result.started)
                trips.append(trip)
                counts.add(len(listed))
            row = BigAccountRow(latency, owned, summarize(acks), summarize(answers), summarize(trips), tuple(sorted(counts)))
            rows.append(row)
            progress(
                f"  vobiz {latency:>4d} ms  {owned} numbers  answer {row.answer.cell()}  round trip "
                f"{row.round_trip.cell()} ms (median / p99)  Vobiz requests per list: {row.vobiz_requests_per_list}"
            )
    finally:
        vobiz.close()
        world.sandbox.configure(latency_ms=0)
    return rows
