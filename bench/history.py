"""3. History at scale: fill the audit log to a million rows through the store's own append path (the
one that extends the hash chain), then time the history queries people type and the export of every
row (the `numbers-bot audit export` command, as a subprocess whose peak memory is measured).

The queries run through the service `/numbers history` calls (`AuditQueries.search` with what it
parses; "by number" is `/numbers history +number`), each call opening its own database connection as
the bot does. The file is warm in the page cache: these are not cold-disk figures.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bench.population import Population
from bench.servers import REPO
from bench.stats import Summary, summarize
from bot.services.audit_query import DEFAULT_PAGE, AuditQueries, Visibility
from bot.store import Store, audit, chain
from bot.store import requests as request_rows
from bot.store.timestamps import to_db

if TYPE_CHECKING:
    from bot.store.postgres import PostgresStore

AUDITOR = "U0AUDITOR1"
FILL_BATCH = 5_000  # audit rows per transaction while filling
SINGLE_ROW_SAMPLE = 2_000  # appends timed one transaction each, as the bot writes them


@dataclass(frozen=True)
class FillResult:
    rows: int
    requests: int
    seconds: float
    single_row: Summary  # one append per transaction (the bot's way: commit and fsync each)
    hash_share: float  # of the batched append time, the part spent computing row hashes

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


@dataclass(frozen=True)
class QueryRow:
    name: str
    example: str
    matched: int  # rows on the page returned (median)
    timing: Summary
    slowest: str = ""  # the text of the slowest round
    slow_log: str = ""  # PostgreSQL: what auto_explain logged while this query ran (plans of slow statements)


@dataclass(frozen=True)
class CommandRun:
    """A `numbers-bot audit ...` subprocess: wall time and peak resident memory."""

    command: str
    seconds: float
    peak_rss_mib: float
    rows: int | None
    output_mib: float | None
    exit_code: int


def fill(
    store: Store, population: Population, rows: int, progress: Callable[[str], None] = print, *, appends: int = SINGLE_ROW_SAMPLE
) -> FillResult:
    started = time.monotonic()
    made = requests = 0
    stories = population.stories(rows)
    next_report = rows // 10
    while made < rows:
        with store.unit() as db:
            in_batch = 0
            for request, story in stories:
                if request is not None:
                    request_rows.insert(db, request)
                    requests += 1
                for row in story:
                    audit.append(db, row)
                in_batch += len(story)
                if in_batch >= FILL_BATCH:
                    break
            made += in_batch
        if made >= next_report:
            rate = made / (time.monotonic() - started)
            progress(f"  {made:>9,} audit rows  ({rate:,.0f} rows/s)")
            next_report += rows // 10
        if in_batch == 0:
            break
    seconds = time.monotonic() - started
    return FillResult(made, requests, seconds, single_row_appends(store, population, appends), _hash_seconds(store, made) / seconds)


def _hash_seconds(store: Store, rows: int, sample: int = 20_000) -> float:
    """Time to compute `rows` row hashes, from a sample of the stored rows."""
    with store.read() as db:
        taken = list(itertools.islice(chain.walk(db), sample))
    started = time.monotonic()
    for row in taken:
        chain.row_hash(row)
    return (time.monotonic() - started) / max(1, len(taken)) * rows


def single_row_appends(store: Store | PostgresStore, population: Population, count: int = SINGLE_ROW_SAMPLE) -> Summary:
    """Appends one transaction each, as the bot writes an event (SQLite: open, BEGIN IMMEDIATE, append,
    commit; PostgreSQL: a pooled connection, BEGIN, the write lock, append, commit)."""
    if getattr(store, "engine", "sqlite") != "postgresql":
        with store.read() as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the fill's big WAL is not the bot's steady state
    row = {"at": to_db(population.end), "actor_id": population.requesters[0], "event": "done",
           "action": "assign", "outcome": "succeeded", "e164": population.numbers[0], "sub_account_id": "SA_SALES0001"}
    times = []
    for _ in range(count):
        started = time.monotonic()
        with store.unit() as db:
            audit.append(db, row)
        times.append(time.monotonic() - started)
    return summarize(times)


def queries(
    store: Store | PostgresStore,
    population: Population,
    rounds: int,
    progress: Callable[[str], None] = print,
    *,
    watch: Callable[[], AbstractContextManager[Callable[[], str]]] | None = None,
) -> list[QueryRow]:
    """Each case `rounds` times; `watch`, if given, wraps each case's timed rounds and returns what was
    logged meanwhile (see `bench.pg.explain_slow`)."""
    rng = random.Random(7)
    visibility = Visibility(policy=None, auditors=(AUDITOR,))
    search = AuditQueries(store=store, visibility=visibility, clock=lambda: population.end)

    def month() -> str:
        first = population.start + timedelta(days=rng.randrange(0, 700))
        last = first + timedelta(days=30)
        return f"since:{first.date().isoformat()} until:{last.date().isoformat()}"

    cases: list[tuple[str, Callable[[], str], Callable[[str], int]]] = [
        ("by number (/numbers history +number)", lambda: rng.choice(population.numbers), lambda text: _page(search, text, AUDITOR)),
        ("by user", lambda: "@" + rng.choice(population.requesters), lambda text: _page(search, text, AUDITOR)),
        ("by action, one month", lambda: "action:release " + month(), lambda text: _page(search, text, AUDITOR)),
        ("by approver", lambda: "approver:@" + rng.choice(population.approvers), lambda text: _page(search, text, AUDITOR)),
        ("by user, action and month", lambda: f"@{rng.choice(population.requesters)} action:purchase {month()}", lambda text: _page(search, text, AUDITOR)),
        ("own rows, not an auditor", lambda: "", lambda text: _page(search, text, rng.choice(population.requesters))),
    ]
    found: list[QueryRow] = []
    for name, make_text, ask in cases:
        example = make_text()
        ask(example)  # warm
        times: list[float] = []
        matched: list[int] = []
        texts: list[str] = []
        with watch() if watch is not None else nullcontext(lambda: "") as logged:
            for _ in range(rounds):
                text = make_text()
                started = time.monotonic()
                matched.append(ask(text))
                times.append(time.monotonic() - started)
                texts.append(text)
            slow_log = logged()
        slowest = texts[max(range(len(times)), key=times.__getitem__)]
        row = QueryRow(name, example or "(no filter)", sorted(matched)[len(matched) // 2], summarize(times), slowest, slow_log)
        found.append(row)
        progress(f"  {name:42s} {row.timing.cell()} ms (median / p99), {row.matched} rows a page  e.g. {row.example!r}")
    return found


def _page(search: AuditQueries, text: str, viewer: str) -> int:
    query = search.parse(text)
    return len(search.search(query.filter, viewer=viewer, limit=DEFAULT_PAGE).entries)


def audit_command(db: Path | None, *args: str) -> list[str]:
    """`numbers-bot audit ...` as argv; through `python -m bot.audit_cli` until bot/cli.py has `audit`.
    Without `db` the command opens $DATABASE_URL (give it in the environment)."""
    from bot import cli

    parser = cli.build_parser()
    commands = next(a for a in parser._subparsers._group_actions if a.dest == "command")  # type: ignore[union-attr]
    where = [] if db is None else ["--db", str(db)]
    if "audit" in commands.choices:
        return [sys.executable, "-m", "bot", "audit", args[0], *where, *args[1:]]
    return [sys.executable, "-m", "bot.audit_cli", args[0], *where, *args[1:]]


def run_command(label: str, argv: list[str], *, out: Path | None = None, env: dict[str, str] | None = None) -> CommandRun:
    """Run a command to its end under `bench.peak`, which reports its exit code and peak memory."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "bench.peak", *argv], cwd=REPO, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - started
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"bench.peak failed on {label}: {done.stderr[-500:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    counted = re.search(r"Exported (\d+) rows", done.stderr)
    return CommandRun(
        command=label,
        seconds=seconds,
        peak_rss_mib=measured["max_rss_kib"] / 1024,
        rows=int(counted.group(1)) if counted else None,
        output_mib=out.stat().st_size / 2**20 if out is not None and out.exists() else None,
        exit_code=int(measured["exit"]),
    )


def export_all(
    db: Path | None, workdir: Path, fmt: str, progress: Callable[[str], None] = print, *, env: dict[str, str] | None = None
) -> CommandRun:
    """`audit export` of every row; `db` None: the database of DATABASE_URL in `env`."""
    out = workdir / f"audit.{fmt}"
    run = run_command(
        f"audit export --format {fmt}", audit_command(db, "export", "--format", fmt, "--out", str(out)), out=out, env=env
    )
    out.unlink(missing_ok=True)
    progress(f"  export {fmt}: {run.rows} rows in {run.seconds:.1f} s, peak {run.peak_rss_mib:.0f} MiB, exit {run.exit_code}")
    return run


def verify(db: Path | None, progress: Callable[[str], None] = print, *, env: dict[str, str] | None = None) -> CommandRun:
    run = run_command("audit verify", audit_command(db, "verify"), env=env)
    progress(f"  verify: {run.seconds:.1f} s, peak {run.peak_rss_mib:.0f} MiB, exit {run.exit_code}")
    return run
