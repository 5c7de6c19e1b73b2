"""The ack piece by gunicorn workers (issue 13) keeps working: both apps really run N workers, a cell's
CPU is read from every one of them, the profiling pass's snapshots say where the bot's CPU went, and the
figures land in their own section of the report. Nothing here judges speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import ack, ack_workers, profiles
from bench.__main__ import main
from bench.report import BEGIN, END, write
from bench.servers import REPO
from bench.world import BenchWorld


def test_two_workers_each_app_profiled_and_reported(tmp_path: Path) -> None:
    profile_dir = tmp_path / "profiles"
    with BenchWorld(workdir=tmp_path, workers=2, profile_dir=profile_dir) as world:
        assert world.bot is not None and world.bare is not None
        bot_server, bare_server = world.bot, world.bare
        assert len(bot_server.worker_pids) == 2 and len(bare_server.worker_pids) == 2
        bot = profiles.Recorder(profile_dir / "bot", app="bot", pids=lambda: bot_server.worker_pids)
        bare = profiles.Recorder(profile_dir / "bare", app="bare", pids=lambda: bare_server.worker_pids)

        def start() -> None:
            bot.start()
            bare.start()

        def stop() -> None:
            bot.stop()
            bare.stop()

        world.warm_connections()
        rows = ack.run(
            world,
            rounds={0: 2},
            endpoints=("help",),
            concurrencies=(8,),
            latencies_ms=(0,),
            progress=lambda _: None,
            around_cell=(start, stop),
        )

    [row] = rows
    assert (row.failures, row.lost, row.workers, row.engine) == (0, 0, 2, "sqlite")
    assert (row.bot.count, row.bare.count) == (16, 16)
    assert 0.5 <= row.bot_busiest <= 1.0 and 0.5 <= row.bare_busiest <= 1.0  # a share of two workers' CPU

    bot_profile = bot.profile(requests=row.bot.count, repo=REPO)
    bare_profile = bare.profile(requests=row.bare.count, repo=REPO)
    assert bot_profile.workers == 2 and bare_profile.workers == 2
    # Both apps verified and dispatched Slack requests; only the bot ran its own handlers.
    assert bot_profile.by_area.get(profiles.PACKAGES["slack_bolt"], 0) > 0
    assert bare_profile.by_area.get(profiles.PACKAGES["slack_bolt"], 0) > 0
    assert bot_profile.by_area.get("repository: handlers", 0) > 0
    assert "repository: handlers" not in bare_profile.by_area

    run = ack_workers.WorldRun(engine="sqlite", workers=2, date="today", load_before=(3.0, 2.0, 1.0), rows=rows)
    results = ack_workers.WorkersResults(mode="smoke", cores=2, cpu="test", runs=[run])
    results.profiles = [ack_workers.ProfileRun("sqlite", 2, "today", (3.0, 2.0, 1.0), bot=bot_profile, bare=bare_profile, rows=rows)]
    report = tmp_path / "BENCHMARKS.md"
    report.write_text(f"# Benchmarks\n\n{BEGIN}\nThe single-worker figures\n{END}\n\nNotes.\n")
    figures = ack_workers.render(results)
    write(report, figures, begin=ack_workers.BEGIN, end=ack_workers.END)
    write(report, figures, begin=ack_workers.BEGIN, end=ack_workers.END)  # replaced, not added again
    text = report.read_text()
    assert text.count(ack_workers.BEGIN) == 1 and "The single-worker figures" in text and "Notes." in text
    assert "| help | 0 ms | 8 | 2 |" in text
    assert "3.00 / 2.00 / 1.00" in text  # the load it was measured under
    assert "A shared machine" not in text  # 3 on 2 CPUs is the bench's own load
    assert "Where the CPU goes: SQLite, --workers 2" in text


@pytest.mark.parametrize(
    "argv",
    [["--workers", "two"], ["--workers", "0"], ["--workers", "1,2", "--only", "click"], ["--profile"]],
)
def test_the_workers_switch_refuses_what_it_cannot_run(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2  # argparse's usage error, before anything starts


def test_areas_name_where_a_function_lives() -> None:
    site = "/venv/lib/python3.11/site-packages"
    assert profiles.area(f"{site}/slack_bolt/app/app.py", "dispatch", REPO) == profiles.PACKAGES["slack_bolt"]
    assert profiles.area("~", "<method 'execute' of 'sqlite3.Connection' objects>", REPO).startswith("sqlite")
    assert profiles.area(str(REPO / "bot/store/audit.py"), "append", REPO) == "repository: bot.store"
    assert profiles.area("/usr/lib/python3.11/json/decoder.py", "decode", REPO) == "json"
