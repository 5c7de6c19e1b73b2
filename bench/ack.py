"""1. Ack latency through the real HTTP stack: the bot and the bare Bolt app under the same gunicorn
settings, really signed requests, bursts of 1, 8 and 32 at once, the sandbox answering in 0 ms and in
2,000 ms; bot and bare rounds interleaved (alternating which goes first).

A round is a burst: C clients send one request each at the same moment. The bot keeps working after
its ack (Vobiz calls, replies by response_url) on its 32 listener threads, and acks on those same
threads; a bot round starts once at least C of them are free, so the figures are acks of a bot that
is busy but not beyond its capacity (beyond it, acks would wait for Vobiz: see BENCHMARKS.md).

Each cell also reports the CPU time each worker process used per request: the bot's includes its work
after the ack, and the outbox deliveries the cell caused (approval messages, notices), so a cell starts
and ends with the outbox delivered; history lines (paced at one a second) are marked sent instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bench.loadgen import Outgoing, Result
from bench.stats import Summary, summarize
from bench.world import LISTENER_THREADS, BenchWorld, BenchError
from fakes.slack import Message

ENDPOINTS = ("help", "list", "approve")
CONCURRENCIES = (1, 8, 32)
LATENCIES_MS = (0, 2000)
WARMUP_CONCURRENCY = 8


@dataclass(frozen=True)
class AckRow:
    endpoint: str
    latency_ms: int
    concurrency: int
    bot: Summary
    bare: Summary
    bot_cpu_ms: float  # CPU time of the bot's worker process per request, including its work after the ack
    bare_cpu_ms: float
    failures: int  # answers other than 200, from either app
    lost: int  # bot requests acked whose answer (reply or Vobiz outcome) never came
    failure_example: str | None = None
    workers: int = 1  # gunicorn workers of each app
    engine: str = "sqlite"  # the bot's store
    bot_busiest: float = 1.0  # the busiest bot worker's share of the bot's CPU time in the cell
    bare_busiest: float = 1.0
    # CPU of the rest of the bench's work on the same cores in the cell: this process (FakeSlack and the
    # sandbox, which serve only the bot, and the bench's own waiting) per bot request, and the load generator
    # per request of either app. None where it was not measured (runs before it was).
    bench_cpu_ms: float | None = None
    loadgen_cpu_ms: float | None = None
    # The cell's length and each app's CPU time over it before the idle rate was subtracted, so the figures
    # can be worked out again with an idle rate measured later (`with_idle_rate`).
    seconds: float | None = None
    bot_cpu_s: float | None = None
    bare_cpu_s: float | None = None

    def with_idle_rate(self, bot_per_s: float, bare_per_s: float) -> AckRow:
        """The CPU per request again, less these idle rates (CPU seconds per second) over the cell."""
        if self.seconds is None or self.bot_cpu_s is None or self.bare_cpu_s is None:
            return self
        return replace(
            self,
            bot_cpu_ms=(self.bot_cpu_s - bot_per_s * self.seconds) / self.bot.count * 1000,
            bare_cpu_ms=(self.bare_cpu_s - bare_per_s * self.seconds) / self.bare.count * 1000,
        )

    @property
    def p99_ratio(self) -> float:
        return self.bot.p99_ms / self.bare.p99_ms

    @property
    def median_ratio(self) -> float:
        return self.bot.median_ms / self.bare.median_ms


@dataclass
class _InFlight:
    """What the bot is still doing after its acks: commands not yet answered, approvals not yet done.

    A job with no visible end `give_up_s` after it was sent is counted as lost (an answer a user never
    got) and no longer waited for."""

    world: BenchWorld
    give_up_s: float = 20.0
    channels: dict[str, float] = field(default_factory=dict)  # channel -> when its command was sent
    request_ids: dict[str, float] = field(default_factory=dict)  # approval request -> when it was clicked
    lost: int = 0

    def count(self) -> int:
        now = time.monotonic()
        self.channels = {c: t for c, t in self.channels.items() if self.world.reply_time(c) is None}
        if self.request_ids:
            busy = set(self.world.still_working_ids(self.request_ids))
            self.request_ids = {r: t for r, t in self.request_ids.items() if r in busy}
        for jobs in (self.channels, self.request_ids):
            for key, sent in list(jobs.items()):
                if now - sent > self.give_up_s:
                    del jobs[key]
                    self.lost += 1
        return len(self.channels) + len(self.request_ids)

    def wait_below(self, limit: int) -> None:
        self.world.wait(
            lambda: self.count() <= limit,
            timeout=self.give_up_s + 5,
            what=f"the bot to have {limit} or fewer jobs in flight",
        )
        time.sleep(0.01)  # the listener thread returns just after its last visible effect


class _Requests:
    """Builds the signed requests of one endpoint for either app."""

    def __init__(self, world: BenchWorld, endpoint: str, messages: Sequence[Message]) -> None:
        self.world = world
        self.endpoint = endpoint
        self._messages = list(messages)

    def for_bot(self, count: int, in_flight: _InFlight) -> list[Outgoing]:
        return [self._one(self.world.bot_url, in_flight) for _ in range(count)]

    def for_bare(self, count: int) -> list[Outgoing]:
        return [self._one(self.world.bare_url, None) for _ in range(count)]

    def _one(self, url: str, in_flight: _InFlight | None) -> Outgoing:
        if self.endpoint == "approve":
            if in_flight is None:  # the bare app only acks: any approval message's button will do
                return self.world.outgoing(url, self.world.approve_click(self._messages[-1]))
            if len(self._messages) < 2:
                raise BenchError("ran out of pending approvals to click")
            message = self._messages.pop(0)
            in_flight.request_ids[self.world.request_id_of(message)] = time.monotonic()
            return self.world.outgoing(url, self.world.approve_click(message))
        signed, channel = self.world.command(self.endpoint)
        if in_flight is not None:
            in_flight.channels[channel] = time.monotonic()
        return self.world.outgoing(url, signed)


def run(
    world: BenchWorld,
    *,
    rounds: dict[int, int],
    endpoints: Sequence[str] = ENDPOINTS,
    concurrencies: Sequence[int] = CONCURRENCIES,
    latencies_ms: Sequence[int] = LATENCIES_MS,
    progress: Callable[[str], None] = print,
    around_cell: tuple[Callable[[], None], Callable[[], None]] | None = None,
) -> list[AckRow]:
    """`rounds[latency_ms]` bursts per concurrency for each endpoint and app. `around_cell`: called right
    before and right after each measured cell, outside its CPU readings (the profiling pass's snapshots)."""
    assert world.loadgen is not None
    world.warm_connections()
    in_flight = _InFlight(world, give_up_s=max(latencies_ms) * 3 / 1000 + 15)
    rows: list[AckRow] = []
    for latency in latencies_ms:
        for endpoint in endpoints:
            in_flight.wait_below(0)
            world.sandbox.configure(latency_ms=0)
            messages: list[Message] = []
            if endpoint == "approve":
                needed = rounds[latency] * sum(concurrencies) + WARMUP_CONCURRENCY + 1
                progress(f"  asking for {needed} purchases to approve ...")
                messages = world.pending_purchases(needed)
            world.sandbox.configure(latency_ms=latency)
            build = _Requests(world, endpoint, messages)
            _burst_both(world, build, in_flight, WARMUP_CONCURRENCY, round_index=0)  # warm-up, not counted
            for concurrency in concurrencies:
                bot: list[Result] = []
                bare: list[Result] = []
                lost_before = in_flight.lost
                world.settle_outbox()  # deliveries left from earlier cells are not this cell's work
                if around_cell is not None:
                    around_cell[0]()
                by_worker_before, cell_started = world.cpu_by_worker(), time.monotonic()
                others_before = world.others_cpu_seconds()
                for index in range(rounds[latency]):
                    got_bot, got_bare = _burst_both(world, build, in_flight, concurrency, round_index=index)
                    bot += got_bot
                    bare += got_bare
                in_flight.wait_below(0)
                world.settle_outbox()  # this cell's approval messages and notices are part of its work
                elapsed = time.monotonic() - cell_started
                used = [_used(after, before) for after, before in zip(world.cpu_by_worker(), by_worker_before)]
                others = [after - before for after, before in zip(world.others_cpu_seconds(), others_before)]
                if around_cell is not None:
                    around_cell[1]()
                idle_cpu = [rate * elapsed for rate in world.idle_cpu_per_s]
                cpu = [sum(app.values()) - idle for app, idle in zip(used, idle_cpu)]
                row = _row(endpoint, latency, concurrency, bot, bare, lost=in_flight.lost - lost_before, cpu=cpu)
                row = replace(
                    row,
                    workers=world.workers,
                    engine="postgresql" if world.database_url else "sqlite",
                    bot_busiest=_busiest(used[0]),
                    bare_busiest=_busiest(used[1]),
                    bench_cpu_ms=others[0] / len(bot) * 1000,
                    seconds=elapsed,
                    bot_cpu_s=sum(used[0].values()),
                    bare_cpu_s=sum(used[1].values()),
                    loadgen_cpu_ms=others[1] / (len(bot) + len(bare)) * 1000,
                )
                rows.append(row)
                progress(
                    f"  {endpoint:8s} vobiz {latency:>4d} ms  c={concurrency:<2d}  bot {row.bot.cell()}  "
                    f"bare {row.bare.cell()} ms (median / p99)  p99 x{row.p99_ratio:.2f}  "
                    f"cpu/request {row.bot_cpu_ms:.1f} vs {row.bare_cpu_ms:.1f} ms"
                    + (f"  {row.failures} failed, e.g. {row.failure_example}" if row.failures else "")
                )
    in_flight.wait_below(0)
    world.sandbox.configure(latency_ms=0)
    return rows


def _burst_both(
    world: BenchWorld, build: _Requests, in_flight: _InFlight, concurrency: int, *, round_index: int
) -> tuple[list[Result], list[Result]]:
    """One bot burst and one bare burst, the order alternating by round."""
    assert world.loadgen is not None
    results: dict[str, list[Result]] = {}
    for app in ("bot", "bare") if round_index % 2 == 0 else ("bare", "bot"):
        if app == "bot":
            in_flight.wait_below(LISTENER_THREADS - concurrency)
            outgoing = build.for_bot(concurrency, in_flight)
        else:
            outgoing = build.for_bare(concurrency)
        results[app] = world.loadgen.burst(outgoing, concurrency)
    return results["bot"], results["bare"]


def _used(after: dict[int, float], before: dict[int, float]) -> dict[int, float]:
    """CPU seconds each worker used between two readings (a worker that was replaced counts from 0)."""
    return {pid: seconds - before.get(pid, 0.0) for pid, seconds in after.items()}


def _busiest(used: dict[int, float]) -> float:
    """The busiest worker's share of the CPU its app used (1.0 with one worker; 0.5 is an even split of 2)."""
    total = sum(used.values())
    return max(used.values()) / total if total > 0 else 1.0


def _row(
    endpoint: str, latency: int, concurrency: int, bot: list[Result], bare: list[Result], *, lost: int, cpu: list[float]
) -> AckRow:
    failed = [(app, r) for app, results in (("bot", bot), ("bare", bare)) for r in results if r.status != 200]
    example = f"{failed[0][0]}: {failed[0][1].status} {failed[0][1].error or ''}".strip() if failed else None
    return AckRow(
        endpoint=endpoint,
        latency_ms=latency,
        concurrency=concurrency,
        bot=summarize([r.elapsed for r in bot]),
        bare=summarize([r.elapsed for r in bare]),
        bot_cpu_ms=cpu[0] / len(bot) * 1000,
        bare_cpu_ms=cpu[1] / len(bare) * 1000,
        failures=len(failed),
        lost=lost,
        failure_example=example,
    )

