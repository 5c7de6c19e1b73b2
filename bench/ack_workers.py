"""Ack latency by gunicorn workers (issue 13): the ack piece (`bench.ack`) again with the bot and the bare
Bolt app both served by `gunicorn --workers N --threads 8`, for each N and each engine, in one run.

Each (engine, N) gets a world of its own (a fresh SQLite file, or a fresh database on one throwaway
PostgreSQL server), with the date and the load average before and after it, so every figure says on how
busy a machine it was measured. CPU time per request is summed over all of an app's workers (from
/proc), and each cell notes the busiest worker's share of it (how evenly the kernel spread the
connections). `profile=True` adds a pass with cProfile in every worker thread (`bench/gunicorn_profile.py`)
at 32 at once, whose split of the CPU by area says where a bot request's CPU goes beside a bare one's.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench import ack, profiles
from bench.ack import AckRow
from bench.servers import REPO, THREADS
from bench.world import BenchWorld, check_bare_app_matches_the_bot

BEGIN = "<!-- bench:workers:begin (written by `python -m bench --only ack --workers ...`; edit outside these markers) -->"
END = "<!-- bench:workers:end -->"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
ACK_P99_MS = 100.0
ACK_RATIO = 1.25
TARGET_CONCURRENCY = 32
CPU_MIN_REQUESTS = 50
PROFILE_CONCURRENCY = 32
PROFILE_LATENCY_MS = 0
IDLE_SECONDS = 5.0
SETTLE_SECONDS = 3.0
PROFILE_WORKERS = 2  # the Procfile's default (${WEB_CONCURRENCY:-2})


@dataclass
class WorldRun:
    """One (engine, workers) world: its figures and the conditions they were measured in."""

    engine: str
    workers: int
    date: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    seconds: float = 0.0
    idle_cpu_ms_per_s: tuple[float, float] = (0.0, 0.0)  # measured before the cells (the live figures use it)
    idle_after_ms_per_s: tuple[float, float] | None = None  # measured after them; the report's figures use it
    rows: list[AckRow] = field(default_factory=list)


@dataclass
class ProfileRun:
    engine: str
    workers: int
    date: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    bot: profiles.Profile | None = None
    bare: profiles.Profile | None = None
    rows: list[AckRow] = field(default_factory=list)


@dataclass
class WorkersResults:
    mode: str
    cores: int
    cpu: str
    runs: list[WorldRun] = field(default_factory=list)
    profiles: list[ProfileRun] = field(default_factory=list)
    pg_version: str | None = None
    seconds: float = 0.0


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def run(
    *,
    mode: str,
    engines: Sequence[str],
    workers: Sequence[int],
    rounds: dict[int, int],
    cpu: str,
    profile_rounds: int = 0,
    endpoints: Sequence[str] = ack.ENDPOINTS,
    concurrencies: Sequence[int] = ack.CONCURRENCIES,
    latencies_ms: Sequence[int] = ack.LATENCIES_MS,
    progress: Callable[[str], None] = print,
) -> WorkersResults:
    """The ack piece for every engine and worker count; then, if `profile_rounds`, one profiled pass per
    engine (with the Procfile's 2 workers if asked for) of that many rounds at 32 at once, Vobiz 0 ms."""
    check_bare_app_matches_the_bot()
    results = WorkersResults(mode=mode, cores=os.cpu_count() or 0, cpu=cpu)
    started = time.monotonic()
    for engine in engines:
        with _database(engine, results) as new_database_url:
            for count in workers:
                progress(f"{ENGINE_NAMES[engine]}, gunicorn --workers {count} --threads {THREADS} (bot and bare Bolt)")
                world_run = WorldRun(engine=engine, workers=count, date=_now(), load_before=os.getloadavg())
                world_started = time.monotonic()
                with BenchWorld(database_url=new_database_url(), workers=count) as world:
                    _warm_up(world)
                    idle = world.measure_idle_cpu(seconds=IDLE_SECONDS)
                    world_run.idle_cpu_ms_per_s = (idle[0] * 1000, idle[1] * 1000)
                    rows = ack.run(
                        world,
                        rounds=rounds,
                        endpoints=endpoints,
                        concurrencies=concurrencies,
                        latencies_ms=latencies_ms,
                        progress=progress,
                    )
                    # Workers just booted may still be running their first maintenance passes, which the first
                    # idle reading would count as idle; after the cells they are quiet for sure.
                    after = world.measure_idle_cpu(seconds=IDLE_SECONDS)
                    world_run.idle_after_ms_per_s = (after[0] * 1000, after[1] * 1000)
                    world_run.rows = [row.with_idle_rate(*after) for row in rows]
                world_run.seconds = time.monotonic() - world_started
                world_run.load_after = os.getloadavg()
                results.runs.append(world_run)
            if profile_rounds:
                count = PROFILE_WORKERS if PROFILE_WORKERS in workers else min(workers)
                results.profiles.append(_profiled(engine, count, new_database_url(), profile_rounds, endpoints, progress))
    results.seconds = time.monotonic() - started
    return results


def _warm_up(world: BenchWorld) -> None:
    """Open the load generator's connections and send each app a few requests (each worker's first request
    makes Bolt call auth.test), then let the workers' start-up work finish before the idle reading."""
    assert world.loadgen is not None
    world.warm_connections()
    for _ in range(2 * world.workers):
        for text in ("help", "list"):
            signed, _ = world.command(text)
            world.loadgen.burst([world.outgoing(world.bot_url, signed)] * 4, 4)
            world.loadgen.burst([world.outgoing(world.bare_url, signed)] * 4, 4)
    time.sleep(SETTLE_SECONDS)


@contextmanager
def _database(engine: str, results: WorkersResults) -> Iterator[Callable[[], str | None]]:
    """A maker of fresh databases for the bot: None (a new SQLite file in each world) or a new database on
    one throwaway PostgreSQL server."""
    if engine == "sqlite":
        yield lambda: None
        return
    from bench import pg

    print("PostgreSQL: starting a throwaway server (bench.pg) ...")
    with pg.throwaway_server() as server:
        url = server.create_database()
        results.pg_version = server.settings(url).get("server_version")
        first = [url]

        def new() -> str:
            return first.pop() if first else server.create_database()

        yield new


def _profiled(
    engine: str,
    workers: int,
    database_url: str | None,
    rounds: int,
    endpoints: Sequence[str],
    progress: Callable[[str], None],
) -> ProfileRun:
    progress(f"{ENGINE_NAMES[engine]}: profiling pass (cProfile in every thread), --workers {workers}, C={PROFILE_CONCURRENCY}")
    run = ProfileRun(engine=engine, workers=workers, date=_now(), load_before=os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="numbers-bot-bench-profile-") as scratch:
        directory = Path(scratch)
        with BenchWorld(database_url=database_url, workers=workers, profile_dir=directory) as world:
            assert world.bot is not None and world.bare is not None
            bot_server, bare_server = world.bot, world.bare
            bot = profiles.Recorder(directory / "bot", app="bot", pids=lambda: bot_server.worker_pids)
            bare = profiles.Recorder(directory / "bare", app="bare", pids=lambda: bare_server.worker_pids)

            def start() -> None:
                bot.start()
                bare.start()

            def stop() -> None:
                bot.stop()
                bare.stop()

            _warm_up(world)
            world.measure_idle_cpu(seconds=IDLE_SECONDS)
            run.rows = ack.run(
                world,
                rounds={PROFILE_LATENCY_MS: rounds},
                endpoints=endpoints,
                concurrencies=(PROFILE_CONCURRENCY,),
                latencies_ms=(PROFILE_LATENCY_MS,),
                progress=progress,
                around_cell=(start, stop),
            )
        run.bot = bot.profile(requests=sum(r.bot.count for r in run.rows), repo=REPO)
        run.bare = bare.profile(requests=sum(r.bare.count for r in run.rows), repo=REPO)
    run.load_after = os.getloadavg()
    return run


# ------------------------------------------------------------------------------ the report


def _load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def _met(row: AckRow) -> bool:
    return row.bot.p99_ms <= ACK_RATIO * row.bare.p99_ms and row.bot.p99_ms < ACK_P99_MS


def render(results: WorkersResults) -> str:
    lines = [BEGIN, "", f"### Figures by workers ({results.mode} run, {results.runs[0].date if results.runs else _now()})", ""]
    # The bench's own processes keep about as many CPUs busy as there are; more than that is other work.
    peak = max((max(r.load_before[0], r.load_after[0]) for r in results.runs), default=0.0)
    shared = peak > results.cores + 1
    lines += [
        f"- Machine: {results.cores} CPUs ({results.cpu}); the whole run took {results.seconds / 60:.1f} min."
        + (
            f" **A shared machine**: the 1-minute load average reached {peak:.1f} on {results.cores} CPUs (the bench "
            "itself accounts for about one per CPU), so other work ran during this run; see the load averages below."
            if shared
            else ""
        ),
        f"- {results.cores} CPUs carry the load generator, the Slack and Vobiz stand-ins, the PostgreSQL server and "
        f"both apps' workers, so more than {results.cores} workers cannot show scaling beyond {results.cores} "
        "processes' worth of CPU; 4 workers on this machine measure what oversubscription costs, not what 4 cores give.",
    ]
    if results.pg_version:
        lines.append(f"- PostgreSQL {results.pg_version}, a throwaway server on the same machine (fsync and synchronous_commit on).")
    lines += [
        "- Times are milliseconds, *median / p99* (nearest rank). Target at 32 at once: bot p99 ≤ "
        f"{ACK_RATIO}x the bare app's p99 (same workers, same run) and < {ACK_P99_MS:.0f} ms.",
        "",
        "| store | workers | started | took | load average before | after | idle CPU ms/s, bot / bare: before the cells | after them |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results.runs:
        after = "-" if r.idle_after_ms_per_s is None else f"{r.idle_after_ms_per_s[0]:.1f} / {r.idle_after_ms_per_s[1]:.1f}"
        lines.append(
            f"| {ENGINE_NAMES[r.engine]} | {r.workers} | {r.date} | {r.seconds / 60:.1f} min | {_load(r.load_before)} | "
            f"{_load(r.load_after)} | {r.idle_cpu_ms_per_s[0]:.1f} / {r.idle_cpu_ms_per_s[1]:.1f} | {after} |"
        )
    lines += [""]
    lines += _targets(results)
    for engine in dict.fromkeys(r.engine for r in results.runs):
        lines += _table(engine, [r for r in results.runs if r.engine == engine])
    for p in results.profiles:
        lines += _profile(p)
    lines += [END]
    return "\n".join(lines) + "\n"


def _targets(results: WorkersResults) -> list[str]:
    workers = sorted({r.workers for r in results.runs})
    cells: dict[tuple[str, str, int], dict[int, AckRow]] = {}
    for run in results.runs:
        for row in run.rows:
            if row.concurrency == TARGET_CONCURRENCY:
                cells.setdefault((run.engine, row.endpoint, row.latency_ms), {})[run.workers] = row
    if not cells:
        return []
    out = [
        f"#### Targets at {TARGET_CONCURRENCY} at once: bot p99 (x bare p99), met?",
        "",
        "| store | request | Vobiz | " + " | ".join(f"{w} worker{'s' if w > 1 else ''}" for w in workers) + " |",
        "|---|---|---|" + "---|" * len(workers),
    ]
    for (engine, endpoint, latency), by_workers in cells.items():
        parts = []
        for w in workers:
            row = by_workers.get(w)
            parts.append(
                "-" if row is None else f"{row.bot.p99_ms:.0f} ms ({row.p99_ratio:.2f}x) {'met' if _met(row) else '**not met**'}"
            )
        out.append(f"| {ENGINE_NAMES[engine]} | {endpoint} | {latency} ms | " + " | ".join(parts) + " |")
    return out + [""]


def _table(engine: str, runs: list[WorldRun]) -> list[str]:
    others = any(row.bench_cpu_ms is not None for run in runs for row in run.rows)
    out = [
        f"#### {ENGINE_NAMES[engine]}: ack latency by workers (gunicorn --workers N --threads {THREADS}, bot and bare alike)",
        "",
        "| request | Vobiz | C | workers | bot | bare Bolt | bot / bare (median, p99) | CPU ms per request, bot / bare "
        "| busiest worker's CPU share, bot / bare |"
        + (" stand-ins per bot request / load generator per request, CPU ms |" if others else "")
        + " non-200 | lost |",
        "|---|---|---|---|---|---|---|---|---|" + ("---|" if others else "") + "---|---|",
    ]
    keyed = {(run.workers, row.endpoint, row.latency_ms, row.concurrency): row for run in runs for row in run.rows}
    order = dict.fromkeys((row.latency_ms, row.endpoint, row.concurrency) for run in runs for row in run.rows)
    for latency, endpoint, concurrency in order:
        for run in runs:
            row = keyed.get((run.workers, endpoint, latency, concurrency))
            if row is None:
                continue
            cpu = "-" if row.bot.count < CPU_MIN_REQUESTS else f"{row.bot_cpu_ms:.1f} / {row.bare_cpu_ms:.1f}"
            share = "-" if row.workers == 1 or row.bot.count < CPU_MIN_REQUESTS else f"{row.bot_busiest:.0%} / {row.bare_busiest:.0%}"
            other = ""
            if others:
                measured = row.bench_cpu_ms is not None and row.loadgen_cpu_ms is not None
                other = f" {row.bench_cpu_ms:.1f} / {row.loadgen_cpu_ms:.1f} |" if measured and row.bot.count >= CPU_MIN_REQUESTS else " - |"
            out.append(
                f"| {endpoint} | {latency} ms | {concurrency} | {row.workers} | {row.bot.cell()} | {row.bare.cell()} | "
                f"{row.median_ratio:.2f}x, {row.p99_ratio:.2f}x | {cpu} | {share} |{other} {row.failures} | {row.lost} |"
            )
    samples = sorted({(row.latency_ms, row.concurrency, row.bot.count) for run in runs for row in run.rows})
    out += [
        "",
        "Samples per cell and app: " + ", ".join(f"Vobiz {l} ms C={c}: {n}" for l, c, n in samples) + ". CPU per request: "
        "user+system time of all the app's gunicorn workers over the cell (from /proc/PID/stat, less their idle rate "
        "measured after the cells), "
        f"divided by its requests, where a cell has at least {CPU_MIN_REQUESTS} (the clock ticks in 10 ms); the bot's "
        "includes all it does after the ack (Vobiz calls, the reply, the store, the approval message and the notice). "
        "Busiest worker's share: 50% is an even split over 2 workers, 25% over 4.",
        "",
    ]
    return out


def _proc_cpu(rows: list[AckRow], app: str) -> float:
    """CPU ms per request over these cells, from /proc (weighted by requests)."""
    count = sum(r.bot.count if app == "bot" else r.bare.count for r in rows)
    total = sum((r.bot_cpu_ms * r.bot.count) if app == "bot" else (r.bare_cpu_ms * r.bare.count) for r in rows)
    return total / count if count else 0.0


def _profile(run: ProfileRun) -> list[str]:
    if run.bot is None or run.bare is None:
        return [f"Profiling pass on {ENGINE_NAMES[run.engine]}: no profile was written.", ""]
    bot, bare = run.bot, run.bare
    out = [
        f"#### Where the CPU goes: {ENGINE_NAMES[run.engine]}, --workers {run.workers}, {PROFILE_CONCURRENCY} at once, "
        f"Vobiz {PROFILE_LATENCY_MS} ms (cProfile, {run.date})",
        "",
        "cProfile in every thread of every worker, timed by each thread's CPU clock, counted only inside the "
        f"measured cells ({bot.requests} requests per app: "
        f"{', '.join(f'{r.endpoint} {r.bot.count}' for r in run.rows)}; with the bot's work after the ack and the "
        f"outbox deliveries those cells caused); load average before {_load(run.load_before)}, after "
        f"{_load(run.load_after)}. cProfile slows Python calls several times over, so read the split, not the totals: "
        f"profiled CPU per request, bot {bot.ms_per_request(bot.total):.1f} ms, bare {bare.ms_per_request(bare.total):.1f} ms "
        f"(from /proc over the same cells, the profiler's own cost included: bot {_proc_cpu(run.rows, 'bot'):.1f} ms, "
        f"bare {_proc_cpu(run.rows, 'bare'):.1f} ms). C functions (`~` in pstats) are counted in the area they belong "
        "to (sqlite3's `execute` under sqlite); builtins such as isinstance, len and str or dict methods, called from "
        "everywhere, have a row of their own.",
        "",
        "| area | bot: profiled CPU ms per request | share | bare Bolt: profiled CPU ms per request | share |",
        "|---|---|---|---|---|",
    ]
    areas = sorted(set(bot.by_area) | set(bare.by_area), key=lambda a: bot.by_area.get(a, 0.0), reverse=True)
    for name in areas:
        b, r = bot.by_area.get(name, 0.0), bare.by_area.get(name, 0.0)
        if b / bot.total < 0.005 and (bare.total == 0 or r / bare.total < 0.005):
            continue
        out.append(
            f"| {name} | {bot.ms_per_request(b):.2f} | {b / bot.total:.0%} | {bare.ms_per_request(r):.2f} | "
            f"{r / bare.total if bare.total else 0:.0%} |"
        )
    out += [
        "",
        "The bot's functions with the most CPU of their own (profiled ms per request; calls in all):",
        "",
        "| function | ms per request | calls |",
        "|---|---|---|",
    ]
    out += [f"| `{name}` | {bot.ms_per_request(seconds):.2f} | {calls:,} |" for name, seconds, calls in bot.by_function]
    return out + [""]
