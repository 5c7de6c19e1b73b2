"""`python -m bench [--quick] [--out FILE] [--only PIECES] [--engine sqlite|postgresql|both]`: run the
benchmarks, print the figures and write them into BENCHMARKS.md (a full run) or FILE.

Pieces, in the order they run: ack (1), click (2), big (4), memory (5; measured around the others),
history (3). The full run fills the audit log to 1,000,000 rows; `--quick` uses 100,000 rows and
few rounds, and writes nothing unless `--out` is given.

`--engine postgresql` (or `both`: SQLite, then PostgreSQL) runs click and history (with the write
transaction and the exports) on a throwaway PostgreSQL server (`bench.pg`), the bot started with
DATABASE_URL, and writes the engines side by side into BENCHMARKS.md's engines section.

`--only ack --workers 1,2,4 [--engine both] [--profile]` (issue 13) runs only the ack piece, once for each
worker count, the bot and the bare Bolt app both under `gunicorn --workers N --threads 8`, on each engine
asked for; `--profile` adds a cProfile pass per engine. It writes its own section of BENCHMARKS.md
(`bench.ack_workers`), leaving the others as they are.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bench import ack, big_account, click, history
from bench.proc import peak_rss_mib, rss_mib
from bench.population import Population
from bench.report import BEGIN, END, ENGINES_BEGIN, ENGINES_END, Results, render, render_engines, write
from bench.servers import REPO
from bench.world import BenchWorld, check_bare_app_matches_the_bot

PIECES = ("ack", "click", "big", "memory", "history")
ENGINE_PIECES = ("click", "history")  # what --engine postgresql|both runs


@dataclass(frozen=True)
class Plan:
    mode: str
    ack_rounds: dict[int, int]  # by Vobiz latency (ms)
    click_rounds: dict[int, int]
    big_rounds: dict[int, int]
    history_rows: int
    query_rounds: int
    appends: int  # write transactions timed after the fill


FULL = Plan("full", {0: 20, 2000: 8}, {0: 20, 2000: 5}, {0: 20, 2000: 3}, 1_000_000, 200, 2_000)
QUICK = Plan("quick", {0: 3, 2000: 2}, {0: 3, 2000: 1}, {0: 3, 2000: 1}, 100_000, 30, 100)
# --workers: rounds by Vobiz latency for each (engine, workers) world, and the profiling pass's rounds. Fewer
# rounds than the single-worker piece: six worlds have to fit in about 20 minutes.
WORKERS_ROUNDS = {"full": ({0: 10, 2000: 5}, 3), "quick": ({0: 1, 2000: 1}, 1)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few rounds and 100,000 audit rows: a smoke check")
    parser.add_argument("--out", type=Path, default=None, help="where to write the figures (full run: BENCHMARKS.md)")
    parser.add_argument(
        "--only", default=None, help=f"comma-separated pieces of: {', '.join(PIECES)} (default: all; with --engine other than sqlite: {', '.join(ENGINE_PIECES)})"
    )
    parser.add_argument("--rows", type=int, default=None, help="audit rows for the history piece")
    parser.add_argument(
        "--keep-db", type=Path, default=None, metavar="DIR", help="fill the history database in DIR and keep it (to study query plans)"
    )
    parser.add_argument(
        "--engine",
        choices=("sqlite", "postgresql", "both"),
        default="sqlite",
        help="the bot's database; postgresql or both run the pieces click and history on a throwaway PostgreSQL server",
    )
    parser.add_argument(
        "--workers",
        default=None,
        metavar="N,N,...",
        help="with --only ack: run the ack piece once per gunicorn worker count (bot and bare alike), on --engine's stores",
    )
    parser.add_argument("--profile", action="store_true", help="with --workers: add a cProfile pass per engine")
    parser.add_argument("--render-from", type=Path, default=None, help=argparse.SUPPRESS)  # a saved --workers run
    args = parser.parse_args(argv)
    if args.workers is not None or args.profile or args.render_from is not None:
        return _by_workers(parser, args)
    only = args.only if args.only is not None else ",".join(PIECES if args.engine == "sqlite" else ENGINE_PIECES)
    pieces = {p.strip() for p in only.split(",") if p.strip()}
    unknown = pieces - set(PIECES)
    if unknown:
        parser.error(f"unknown piece(s): {', '.join(sorted(unknown))}; choose from {', '.join(PIECES)}")
    if args.engine != "sqlite" and pieces - set(ENGINE_PIECES):
        parser.error(f"--engine {args.engine} runs only {', '.join(ENGINE_PIECES)}")
    if args.engine != "sqlite" and args.keep_db is not None:
        parser.error("--keep-db is for SQLite (the PostgreSQL server is thrown away; slow plans are in the report)")
    plan = QUICK if args.quick else FULL
    out = args.out if args.out is not None else (None if args.quick else REPO / "BENCHMARKS.md")
    rows = args.rows or plan.history_rows

    if args.engine == "sqlite":
        results = run(plan, pieces, rows=rows, keep_db=args.keep_db)
        figures = render(results)
        begin, end = BEGIN, END
    else:
        engines = ("sqlite", "postgresql") if args.engine == "both" else ("postgresql",)
        by_engine = {engine: run(plan, pieces, rows=rows, engine=engine) for engine in engines}
        figures = render_engines(by_engine)
        begin, end = ENGINES_BEGIN, ENGINES_END
    print()
    print(figures)
    if out is not None:
        write(out, figures, begin=begin, end=end)
        print(f"wrote the figures to {out}")
    return 0


def _by_workers(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from bench import ack_workers

    if args.render_from is not None:  # render a saved run again (after a change to the report's layout)
        return _write_workers(pickle.loads(args.render_from.read_bytes()), args)
    if args.workers is None:
        parser.error("--profile goes with --workers")
    if args.only is not None and {p.strip() for p in args.only.split(",") if p.strip()} != {"ack"}:
        parser.error("--workers runs only the ack piece (--only ack)")
    try:
        workers = [int(w) for w in args.workers.split(",") if w.strip()]
    except ValueError:
        parser.error(f"--workers wants whole numbers separated by commas, not {args.workers!r}")
    if not workers or min(workers) < 1:
        parser.error("--workers wants at least one worker count, each 1 or more")
    mode = "quick" if args.quick else "full"
    rounds, profile_rounds = WORKERS_ROUNDS[mode]
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    results = ack_workers.run(
        mode=mode,
        engines=engines,
        workers=workers,
        rounds=rounds,
        cpu=_cpu_model(),
        profile_rounds=profile_rounds if args.profile else 0,
    )
    saved = Path(tempfile.gettempdir()) / f"numbers-bot-bench-ack-workers-{mode}.pickle"
    saved.write_bytes(pickle.dumps(results))
    print(f"saved the raw results to {saved}")
    return _write_workers(results, args)


def _write_workers(results: object, args: argparse.Namespace) -> int:
    from bench import ack_workers

    assert isinstance(results, ack_workers.WorkersResults)
    figures = ack_workers.render(results)
    print()
    print(figures)
    out = args.out if args.out is not None else (None if results.mode == "quick" else REPO / "BENCHMARKS.md")
    if out is not None:
        write(out, figures, begin=ack_workers.BEGIN, end=ack_workers.END)
        print(f"wrote the figures to {out}")
    return 0


def run(plan: Plan, pieces: set[str], *, rows: int, keep_db: Path | None = None, engine: str = "sqlite") -> Results:
    results = Results(
        mode=plan.mode,
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        cores=os.cpu_count() or 0,
        cpu=_cpu_model(),
        load_before=os.getloadavg(),
        engine=engine,
    )
    started = time.monotonic()
    if engine == "postgresql":
        _on_postgres(plan, pieces, rows, results)
    else:
        if pieces & {"ack", "click", "big", "memory"}:
            check_bare_app_matches_the_bot()
            print("starting the sandbox, FakeSlack, the bot and the bare Bolt app (gunicorn) and the load generator ...")
            with BenchWorld() as world:
                _served(world, plan, pieces, results)
        if "history" in pieces:
            _history(plan, rows, results, keep_db)
    results.seconds = time.monotonic() - started
    results.load_after = os.getloadavg()
    return results


def _on_postgres(plan: Plan, pieces: set[str], rows: int, results: Results) -> None:
    from bench import pg

    print("PostgreSQL: starting a throwaway server (bench.pg) ...")
    with pg.throwaway_server() as server:
        if pieces & {"click"}:
            check_bare_app_matches_the_bot()
            url = server.create_database()
            results.pg_settings = server.settings(url)
            print(f"  server: {results.pg_settings}")
            print("starting the sandbox, FakeSlack, the bot (DATABASE_URL) and the bare Bolt app (gunicorn) and the load generator ...")
            with BenchWorld(database_url=url) as world:
                _served(world, plan, pieces, results)
        if "history" in pieces:
            _history_postgres(plan, rows, results, server)


def _history_postgres(plan: Plan, rows: int, results: Results, server: object) -> None:
    from bench import pg
    from bot.store.postgres import PostgresStore

    assert isinstance(server, pg.BenchPostgresServer)
    print(f"3. history at {rows:,} audit rows (PostgreSQL)")
    population = Population()
    url = server.create_database()
    results.pg_settings = server.settings(url)
    store = PostgresStore(url)
    try:
        results.pg_fill = pg.fill(store, url, population, rows)
        fill = results.pg_fill
        print(
            f"  filled: {fill.rows / fill.seconds:,.0f} rows/s (COPY, {pg.PG_FILL_BATCH:,} rows a transaction); "
            f"VACUUM ANALYZE {fill.analyze_seconds:.0f} s; {pg.data_size_mb(url):,.0f} MB"
        )
        results.data_mb = pg.data_size_mb(url)
        results.appends = history.single_row_appends(store, population, plan.appends)
        print(f"  one append per transaction: {results.appends.cell()} ms")
        results.queries = history.queries(store, population, plan.query_rounds, watch=lambda: pg.explain_slow(server, url))
        env = pg.child_environment(url)
        with tempfile.TemporaryDirectory(prefix="numbers-bot-bench-history-") as scratch:
            results.exports = [history.export_all(None, Path(scratch), fmt, env=env) for fmt in ("csv", "jsonl")]
        results.verify = history.verify(None, env=env)
    finally:
        store.close()


def _served(world: BenchWorld, plan: Plan, pieces: set[str], results: Results) -> None:
    assert world.bot is not None and world.bare is not None
    bot_pid, bare_pid = world.bot.worker_pid, world.bare.worker_pid
    assert bot_pid is not None and bare_pid is not None
    memory = results.memory
    memory.bot_booted = rss_mib(bot_pid)
    world.warm_connections()
    for _ in range(3):
        for text in ("help", "list"):
            signed, _ = world.command(text)
            world.loadgen.burst([world.outgoing(world.bot_url, signed)], 1)  # type: ignore[union-attr]
            world.loadgen.burst([world.outgoing(world.bare_url, signed)], 1)  # type: ignore[union-attr]
    idle_cpu = world.measure_idle_cpu()
    memory.bot_idle, memory.bare_idle = rss_mib(bot_pid), rss_mib(bare_pid)
    print(
        f"idle: resident memory bot {memory.bot_idle:.0f} MiB, bare Bolt {memory.bare_idle:.0f} MiB; "
        f"CPU {idle_cpu[0] * 1000:.1f} and {idle_cpu[1] * 1000:.1f} ms a second"
    )
    if "ack" in pieces:
        print("1. ack latency")
        results.ack = ack.run(world, rounds=plan.ack_rounds)
    if "click" in pieces:
        print("2. click to Vobiz")
        results.click = click.run(world, rounds=plan.click_rounds)
    if "big" in pieces:
        print("4. a big account")
        results.big_account = big_account.run(world, rounds=plan.big_rounds)
    memory.bot_after_load, memory.bare_after_load = rss_mib(bot_pid), rss_mib(bare_pid)
    memory.bot_peak = peak_rss_mib(bot_pid)
    print(f"after the load: bot {memory.bot_after_load:.0f} MiB (peak {memory.bot_peak:.0f}), bare Bolt {memory.bare_after_load:.0f} MiB")


def _history(plan: Plan, rows: int, results: Results, keep_db: Path | None) -> None:
    from bot.store import Store

    print(f"3. history at {rows:,} audit rows")
    population = Population()
    with tempfile.TemporaryDirectory(prefix="numbers-bot-bench-history-") as scratch:
        workdir = Path(scratch)
        if keep_db is not None:
            keep_db.mkdir(parents=True, exist_ok=True)
            workdir = keep_db
        db = workdir / "audit.db"
        if db.exists():
            raise SystemExit(f"{db} exists already; the bench fills a new database")
        store = Store(db)
        results.fill = history.fill(store, population, rows, appends=plan.appends)
        results.appends = results.fill.single_row
        results.data_mb = sum(p.stat().st_size for p in workdir.glob(db.name + "*")) / 1e6
        print(f"  filled: {results.fill.rows_per_s:,.0f} rows/s; one row per transaction: {results.fill.single_row.cell()} ms")
        results.queries = history.queries(store, population, plan.query_rounds)
        results.exports = [history.export_all(db, workdir, fmt) for fmt in ("csv", "jsonl")]
        results.verify = history.verify(db)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
