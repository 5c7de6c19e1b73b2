"""The figures as Markdown, with each target stated as met or not, written into BENCHMARKS.md between
two markers; whatever the file holds outside the markers (the notes on why a target is missed and
what would fix it) is kept."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench.ack import AckRow
from bench.big_account import BigAccountRow
from bench.click import ClickRow
from bench.history import FILL_BATCH, CommandRun, FillResult, QueryRow

BEGIN = "<!-- bench:figures:begin (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:figures:end -->"

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


def write(path: Path, figures: str) -> None:
    """Replace the figures between the markers; keep everything else (a new file gets a title)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        before = text[: text.index(BEGIN)]
        after = text[text.index(END) + len(END) :].lstrip("\n")
        text = before + figures + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + figures
    path.write_text(text)
