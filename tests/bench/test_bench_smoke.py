"""The benchmarks keep working: the smallest piece of `make bench QUICK=1` (one ack round against the
bot and the bare Bolt app, both under gunicorn, with really signed requests) and the report it writes.
Nothing here judges speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import ack
from bench.report import BEGIN, END, Results, render, write
from bench.stats import percentile, summarize
from bench.world import BenchWorld


def test_one_ack_round_reaches_both_apps_and_lands_in_the_report(tmp_path: Path) -> None:
    with BenchWorld(workdir=tmp_path) as world:
        world.warm_connections()
        rows = ack.run(
            world, rounds={0: 1}, endpoints=("help",), concurrencies=(1,), latencies_ms=(0,), progress=lambda _: None
        )

    [row] = rows
    assert (row.failures, row.lost) == (0, 0)  # lost 0: the bot's reply by response_url arrived
    assert (row.bot.count, row.bare.count) == (1, 1)
    assert row.bot.median_ms > 0 and row.bare.median_ms > 0  # each ack was timed

    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nNotes an engineer wrote about the figures.\n")
    figures = render(Results(mode="smoke", date="today", cores=2, cpu="test", ack=rows))
    write(report, figures)
    write(report, figures)  # a second run replaces the figures instead of adding them again
    text = report.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "Notes an engineer wrote about the figures." in text
    assert "| help | 0 ms | 1 |" in text
    assert "ack p99 ≤ 1.25x bare" not in text  # targets are judged at 32 at once, which did not run


def test_p99_is_the_nearest_rank_and_the_median_interpolates() -> None:
    assert percentile([0.001 * i for i in range(1, 101)], 0.99) == 0.099
    assert percentile([0.5], 0.99) == 0.5
    summary = summarize([0.010, 0.020, 0.030, 0.040])
    assert summary.median_ms == pytest.approx(25.0)
    assert (summary.p99_ms, summary.count) == (pytest.approx(40.0), 4)
