"""The figures as Markdown, with each target stated as met or not, written into BENCHMARKS.md between
two markers; whatever the file holds outside the markers (the notes on why a target is missed and
what would fix it) is kept."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.ack import AckRow
from bench.big_account import BigAccountRow
from bench.click import ClickRow
from bench.history import FILL_BATCH, CommandRun, FillResult, QueryRow
from bench.stats import Summary

if TYPE_CHECKING:
    from bench.pg import PgFill

BEGIN = "<!-- bench:figures:begin (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:figures:end -->"
ENGINES_BEGIN = "<!-- bench:engines:begin (written by `python -m bench --engine both`; edit outside these markers) -->"
ENGINES_END = "<!-- bench:engines:end -->"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PLAN_LINES = 45  # of a slow statement's logged plan, in the report

ACK_P99_MS = 50.0
ACK_RATIO = 1.25
CLICK_BEYOND_VOBIZ_MS = 50.0
HISTORY_P99_MS = 20.0
EXPORT_SECONDS = 15.0
EXPORT_PEAK_MB = 150.0
IDLE_RSS_MB = 120.0
LIST_BEYOND_ROUND_TRIP_MS = 50.0
CPU_MIN_REQUESTS = 50
MIB = 2**20
MB = 10**6


@dataclass
class Memory:
    """Resident memory of the gunicorn worker processes, in MiB."""

    bot_booted: float | None = None  # the worker up, no request served yet
    bot_idle: float | None = None  # after a few requests (what a quiet bot holds)
    bot_after_load: float | None = None
    bot_peak: float | None = None  # VmHWM at the end
    bare_idle: float | None = None
    bare_after_load: float | None = None


@dataclass
class Results:
    mode: str
    date: str
    cores: int
    cpu: str
    python: str = platform.python_version()
    seconds: float = 0.0
    load_before: tuple[float, float, float] | None = None
    load_after: tuple[float, float, float] | None = None
    ack: list[AckRow] = field(default_factory=list)
    click: list[ClickRow] = field(default_factory=list)
    big_account: list[BigAccountRow] = field(default_factory=list)
    fill: FillResult | None = None
    queries: list[QueryRow] = field(default_factory=list)
    exports: list[CommandRun] = field(default_factory=list)
    verify: CommandRun | None = None
    memory: Memory = field(default_factory=Memory)
    engine: str = "sqlite"
    appends: Summary | None = None  # one audit append per write transaction, after the fill
    pg_fill: PgFill | None = None
    pg_settings: dict[str, str] = field(default_factory=dict)
    data_mb: float | None = None  # the history database's size after the fill


def _mb(mib: float) -> float:
    return mib * MIB / MB


def _yes(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _load(load: tuple[float, float, float] | None) -> str:
    return "n/a" if load is None else " / ".join(f"{x:.2f}" for x in load)


def render(results: Results) -> str:
    lines = [BEGIN, "", f"## Figures ({results.mode} run, {results.date})", ""]
    lines += [
        f"- Machine: {results.cores} cores ({results.cpu}), Python {results.python}; the whole run took "
        f"{results.seconds / 60:.1f} min.",
        f"- Load average (1/5/15 min) before: {_load(results.load_before)}, after: {_load(results.load_after)}. The "
        "load generator, the Slack and Vobiz stand-ins and both servers share these cores; other work on the "
        "machine shows up in the p99s.",
        "- Times are milliseconds, *median / p99* (p99 by nearest rank: with fewer than 100 samples it is the "
        "largest). Memory is in MB (10^6 bytes).",
        "",
    ]
    lines += _targets(results)
    lines += _ack(results.ack)
    lines += _click(results.click)
    lines += _history(results)
    lines += _big_account(results.big_account)
    lines += _memory(results.memory)
    lines += [END]
    return "\n".join(lines) + "\n"


def _targets(results: Results) -> list[str]:
    rows: list[tuple[str, str, str]] = []
    for row in results.ack:
        if row.concurrency != 32:
            continue
        ok = row.bot.p99_ms <= ACK_RATIO * row.bare.p99_ms and row.bot.p99_ms < ACK_P99_MS
        rows.append(
            (
                f"ack p99 ≤ {ACK_RATIO}x bare and < {ACK_P99_MS:.0f} ms at 32: {row.endpoint}, Vobiz {row.latency_ms} ms",
                f"{row.bot.p99_ms:.1f} ms = {row.p99_ratio:.2f}x bare ({row.bare.p99_ms:.1f} ms)",
                _yes(ok),
            )
        )
    for row in results.click:
        ok = row.beyond_vobiz.p99_ms < CLICK_BEYOND_VOBIZ_MS
        rows.append(
            (
                f"click to Vobiz < {CLICK_BEYOND_VOBIZ_MS:.0f} ms + the Vobiz round trip (Vobiz {row.latency_ms} ms)",
                f"{row.to_purchase.p99_ms:.1f} ms p99, {row.beyond_vobiz.p99_ms:.1f} ms beyond Vobiz",
                _yes(ok),
            )
        )
    rows_label = f"{results.fill.rows:,} rows" if results.fill else "?"
    for query in results.queries:
        rows.append(
            (
                f"history query p99 < {HISTORY_P99_MS:.0f} ms at {rows_label}: {query.name}",
                f"{query.timing.p99_ms:.1f} ms",
                _yes(query.timing.p99_ms < HISTORY_P99_MS),
            )
        )
    for run in results.exports:
        ok = run.seconds < EXPORT_SECONDS and _mb(run.peak_rss_mib) < EXPORT_PEAK_MB and run.exit_code == 0
        rows.append(
            (
                f"export of {rows_label} < {EXPORT_SECONDS:.0f} s, peak < {EXPORT_PEAK_MB:.0f} MB: `{run.command}`",
                f"{run.seconds:.1f} s, {_mb(run.peak_rss_mib):.0f} MB",
                _yes(ok),
            )
        )
    for row in results.big_account:
        beyond = row.beyond_round_trip_ms
        ok = row.vobiz_requests_per_list == (1,) and beyond < LIST_BEYOND_ROUND_TRIP_MS
        rows.append(
            (
                f"`/numbers list` with {row.owned:,} numbers: one Vobiz request, about one round trip (Vobiz {row.latency_ms} ms)",
                f"{'/'.join(map(str, row.vobiz_requests_per_list))} request(s), answer {beyond:+.1f} ms vs the round trip",
                _yes(ok),
            )
        )
    if results.memory.bot_idle is not None:
        idle = _mb(results.memory.bot_idle)
        rows.append((f"idle resident memory < {IDLE_RSS_MB:.0f} MB", f"{idle:.0f} MB", _yes(idle < IDLE_RSS_MB)))
    if not rows:
        return []
    out = ["### Targets", "", "| target | figure | |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return out + [""]


def _ack(rows: Iterable[AckRow]) -> list[str]:
    rows = list(rows)
    if not rows:
        return []
    out = [
        "### 1. Ack latency (gunicorn --workers 1 --threads 8, signed requests, bursts of C at once)",
        "",
        "| request | Vobiz | C | bot | bare Bolt | bot / bare (median, p99) | CPU ms per request, bot / bare | non-200 | answers lost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.endpoint} | {r.latency_ms} ms | {r.concurrency} | {r.bot.cell()} | {r.bare.cell()} | "
            f"{r.median_ratio:.2f}x, {r.p99_ratio:.2f}x | {_cpu(r)} | {r.failures} | {r.lost} |"
        )
    samples = "; ".join(
        f"Vobiz {latency} ms: " + ", ".join(f"{r.bot.count} at C={r.concurrency}" for r in rows if r.latency_ms == latency and r.endpoint == rows[0].endpoint)
        for latency in sorted({r.latency_ms for r in rows})
    )
    failures = [f"{r.endpoint} {r.latency_ms} ms C={r.concurrency}: {r.failure_example}" for r in rows if r.failure_example]
    out += [
        "",
        f"Samples per cell and app: {samples}. CPU per request is the worker process's CPU time over the cell "
        "(less its idle rate), shown where a cell has at least "
        f"{CPU_MIN_REQUESTS} requests (the clock ticks in 10 ms); the bot's includes all it does after the ack "
        "(Vobiz calls, the reply, the database, the approval message and the requester's notice; not history lines).",
    ]
    if failures:
        out.append("Failed requests, first of each cell: " + "; ".join(failures) + ".")
    return out + [""]


def _cpu(row: AckRow) -> str:
    if row.bot.count < CPU_MIN_REQUESTS:
        return "-"
    return f"{row.bot_cpu_ms:.1f} / {row.bare_cpu_ms:.1f}"


def _click(rows: Iterable[ClickRow]) -> list[str]:
    rows = list(rows)
    if not rows:
        return []
    out = [
        "### 2. Click to Vobiz (one Approve click at a time)",
        "",
        "| Vobiz latency | ack | click -> price re-check arrives | click -> purchase arrives | beyond the Vobiz round trip | clicks |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.latency_ms} ms | {r.ack.cell()} | {r.to_recheck.cell()} | {r.to_purchase.cell()} | "
            f"{r.beyond_vobiz.cell()} | {r.ack.count} |"
        )
    return out + [""]


def _history(results: Results) -> list[str]:
    out: list[str] = []
    fill = results.fill
    if fill is not None:
        out += [
            f"### 3. History at {fill.rows:,} audit rows",
            "",
            f"- Filled through `bot.store.audit.append` (the hash chain's own path), {fill.requests:,} requests and "
            f"{fill.rows:,} audit rows in {fill.seconds:.0f} s: **{fill.rows_per_s:,.0f} rows/s** in transactions of "
            f"{FILL_BATCH:,} rows; computing the row hashes is {fill.hash_share:.0%} of that time.",
            f"- One append per transaction, as the bot writes an event (connect, BEGIN IMMEDIATE, append, commit "
            f"with fsync): {fill.single_row.cell()} ms each ({fill.single_row.count} appends after the fill).",
            "",
        ]
    if results.queries:
        out += ["| query (as typed after `/numbers history`) | time | rows a page | example |", "|---|---|---|---|"]
        for q in results.queries:
            out.append(f"| {q.name} | {q.timing.cell()} | {q.matched} | `{q.example}` |")
        out += ["", f"Each query {results.queries[0].timing.count} times with varied parameters, warm page cache.", ""]
    runs = [*results.exports, *([results.verify] if results.verify else [])]
    if runs:
        out += ["| command (a subprocess) | rows | time | peak memory (max RSS) | output | exit |", "|---|---|---|---|---|---|"]
        for run in runs:
            size = f"{run.output_mib * MIB / MB:.0f} MB" if run.output_mib is not None else "-"
            rows = f"{run.rows:,}" if run.rows is not None else "-"
            out.append(
                f"| `{run.command}` | {rows} | {run.seconds:.1f} s | {_mb(run.peak_rss_mib):.0f} MB | {size} | {run.exit_code} |"
            )
        out.append("")
    return out


def _big_account(rows: Iterable[BigAccountRow]) -> list[str]:
    rows = list(rows)
    if not rows:
        return []
    out = [
        "### 4. A big account: `/numbers list`",
        "",
        "| owned numbers | Vobiz latency | ack | answer (reply by response_url) | one Vobiz round trip | Vobiz requests per list |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.owned:,} | {r.latency_ms} ms | {r.ack.cell()} | {r.answer.cell()} | {r.round_trip.cell()} | "
            f"{', '.join(map(str, r.vobiz_requests_per_list))} |"
        )
    return out + [""]


def _memory(memory: Memory) -> list[str]:
    if memory.bot_idle is None:
        return []

    def cell(mib: float | None) -> str:
        return "-" if mib is None else f"{_mb(mib):.0f} MB"

    return [
        "### 5. Resident memory of the gunicorn worker (VmRSS)",
        "",
        "| | booted | idle (after a few requests) | after the load above | peak (VmHWM) |",
        "|---|---|---|---|---|",
        f"| bot | {cell(memory.bot_booted)} | {cell(memory.bot_idle)} | {cell(memory.bot_after_load)} | {cell(memory.bot_peak)} |",
        f"| bare Bolt | - | {cell(memory.bare_idle)} | {cell(memory.bare_after_load)} | - |",
        "",
    ]


def write(path: Path, figures: str, *, begin: str = BEGIN, end: str = END) -> None:
    """Replace the figures between the markers; keep everything else (a new file gets a title)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if begin in text and end in text:
        before = text[: text.index(begin)]
        after = text[text.index(end) + len(end) :].lstrip("\n")
        text = before + figures + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + figures
    path.write_text(text)


# ----------------------------------------------------------------------------- the engines side by side


def render_engines(by_engine: dict[str, Results]) -> str:
    """SQLite and PostgreSQL side by side: history at scale, one write transaction, export, click to
    Vobiz; each figure with its target met or not, and the plans PostgreSQL logged for slow queries."""
    engines = list(by_engine)
    first = next(iter(by_engine.values()))
    names = [ENGINE_NAMES.get(e, e) for e in engines]
    lines = [ENGINES_BEGIN, "", f"### Figures, both engines ({first.mode} run, {first.date})", ""]
    lines.append(f"- Machine: {first.cores} cores ({first.cpu}), Python {first.python}.")
    for engine, results in by_engine.items():
        lines.append(
            f"- {ENGINE_NAMES.get(engine, engine)}: took {results.seconds / 60:.1f} min; load average (1/5/15 min) "
            f"before {_load(results.load_before)}, after {_load(results.load_after)}."
        )
    pg = by_engine.get("postgresql")
    if pg is not None and pg.pg_settings:
        s = pg.pg_settings
        lines.append(
            f"- PostgreSQL {s.get('server_version', '?')} on the same machine (127.0.0.1, TCP), fsync {s.get('fsync')}, "
            f"synchronous_commit {s.get('synchronous_commit')}, full_page_writes {s.get('full_page_writes')}, "
            f"shared_buffers {s.get('shared_buffers')}; otherwise the defaults."
        )
    lines += ["- Times are milliseconds, *median / p99* unless marked; (met) / (**not met**) against the target.", ""]
    header = "| | " + " | ".join(names) + " |"
    rule = "|---|" + "---|" * len(names)
    rows: list[tuple[str, list[str]]] = []

    def each(get: object) -> list[str]:
        out = []
        for results in by_engine.values():
            try:
                out.append(get(results))  # type: ignore[operator]
            except (AssertionError, AttributeError, IndexError, TypeError, StopIteration):  # a piece that did not run
                out.append("-")
        return out

    def audit_rows(r: Results) -> int:
        if r.pg_fill is not None:
            return r.pg_fill.rows
        assert r.fill is not None
        return r.fill.rows

    rows.append(("audit rows (requests)", each(lambda r: f"{audit_rows(r):,} ({(r.pg_fill or r.fill).requests:,})")))
    rows.append(("database size after the fill", each(lambda r: f"{r.data_mb:,.0f} MB")))
    rows.append(("fill rate", each(_fill_cell)))
    names_of_queries = [q.name for q in first.queries] or [q.name for r in by_engine.values() for q in r.queries]
    for name in dict.fromkeys(names_of_queries):
        rows.append(
            (
                f"history p99 < {HISTORY_P99_MS:.0f} ms: {name}",
                each(lambda r, n=name: _query_cell(next(q for q in r.queries if q.name == n))),
            )
        )
    rows.append(("write transaction: one audit append with its chain hash", each(lambda r: f"{r.appends.cell()} ({r.appends.count:,})")))
    for fmt in ("csv", "jsonl"):
        rows.append(
            (
                f"export of every row < {EXPORT_SECONDS:.0f} s, < {EXPORT_PEAK_MB:.0f} MB: `--format {fmt}`",
                each(lambda r, f=fmt: _export_cell(next(x for x in r.exports if x.command.endswith(f)))),
            )
        )
    rows.append(("`audit verify` (no target)", each(lambda r: f"{r.verify.seconds:.1f} s, {_mb(r.verify.peak_rss_mib):.0f} MB, exit {r.verify.exit_code}")))
    for latency in sorted({c.latency_ms for r in by_engine.values() for c in r.click}):
        rows.append(
            (
                f"click to Vobiz, beyond the round trip, < {CLICK_BEYOND_VOBIZ_MS:.0f} ms p99 (Vobiz {latency} ms)",
                each(lambda r, l=latency: _click_cell(next(c for c in r.click if c.latency_ms == l))),
            )
        )
    lines += [header, rule] + [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    lines += [
        "",
        "History: each query as typed after `/numbers history`, through `AuditQueries.search`, "
        f"{first.queries[0].timing.count if first.queries else 0} rounds with varied parameters, warm cache. "
        "Write transaction: `Store.unit()` + `audit.append`, one a transaction, on the full log. Export and verify: "
        "the `numbers-bot audit` command as a subprocess, peak RSS from wait4 (`bench/peak.py`). Click: one Approve "
        "click at a time, from the click to the purchase reaching the sandbox, less the sandbox's latency.",
        "",
    ]
    lines += _slow_plans(by_engine)
    lines += [ENGINES_END]
    return "\n".join(lines) + "\n"


def _fill_cell(r: Results) -> str:
    if r.pg_fill is not None:
        f = r.pg_fill
        return (
            f"{f.rows / f.seconds:,.0f} rows/s (COPY of pre-hashed rows, triggers on; hashing "
            f"{f.hash_seconds / f.seconds:.0%}; then VACUUM ANALYZE {f.analyze_seconds:.0f} s)"
        )
    assert r.fill is not None
    return f"{r.fill.rows_per_s:,.0f} rows/s (`audit.append`, {FILL_BATCH:,} a transaction; hashing {r.fill.hash_share:.0%})"


def _query_cell(q: QueryRow) -> str:
    return f"{q.timing.cell()} ({'met' if q.timing.p99_ms < HISTORY_P99_MS else '**not met**'})"


def _export_cell(run: CommandRun) -> str:
    ok = run.seconds < EXPORT_SECONDS and _mb(run.peak_rss_mib) < EXPORT_PEAK_MB and run.exit_code == 0
    rows = f"{run.rows:,} rows, " if run.rows is not None else ""
    return f"{rows}{run.seconds:.1f} s, {_mb(run.peak_rss_mib):.0f} MB ({'met' if ok else '**not met**'})"


def _click_cell(c: ClickRow) -> str:
    ok = c.beyond_vobiz.p99_ms < CLICK_BEYOND_VOBIZ_MS
    return f"{c.beyond_vobiz.cell()} ({'met' if ok else '**not met**'}; {c.ack.count} clicks)"


def _slow_plans(by_engine: dict[str, Results]) -> list[str]:
    """What auto_explain logged for history queries that missed the target on PostgreSQL (first plan)."""
    pg = by_engine.get("postgresql")
    if pg is None:
        return []
    out: list[str] = []
    for q in pg.queries:
        if q.timing.p99_ms < HISTORY_P99_MS:
            continue
        logged = [chunk for chunk in q.slow_log.split("WARNING:") if "duration:" in chunk]
        out += [f"PostgreSQL, {q.name}: p99 {q.timing.p99_ms:.1f} ms (slowest round `{q.slowest}`); "
                f"{len(logged)} of {q.timing.count} rounds logged a statement over the auto_explain threshold."]
        if logged:
            plan = logged[max(range(len(logged)), key=lambda i: _duration(logged[i]))].strip().splitlines()
            out += ["", "```", *plan[:PLAN_LINES], *(["..."] if len(plan) > PLAN_LINES else []), "```"]
        out.append("")
    return out


def _duration(chunk: str) -> float:
    import re

    found = re.search(r"duration: ([0-9.]+) ms", chunk)
    return float(found.group(1)) if found else 0.0
