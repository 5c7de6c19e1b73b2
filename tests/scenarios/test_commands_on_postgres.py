"""Every command of the CLI honours DATABASE_URL (issue 12): `numbers-bot reconcile`, `audit verify`,
`audit export` and `audit checkpoint` read and write the PostgreSQL store the bot uses, never a SQLite file,
and never print the URL's password."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.reconcile_cli import EXIT_AGREE
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from tests.reliability.bot_process import bot_environment
from tests.scenarios.scenario_world import APPROVER, World, build_world

NUMBERS_BOT = [sys.executable, "-m", "bot"]


@pytest.fixture
def on_postgres(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, postgres_url: str) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "unused.db", database_url=postgres_url)
    yield built
    built.stop()


def run(world: World, postgres_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = bot_environment(world.slack, world.sandbox, world.db_path, DATABASE_URL=postgres_url)
    return subprocess.run([*NUMBERS_BOT, *args], env=env, capture_output=True, text=True, timeout=120)


def test_the_commands_use_the_postgresql_store(on_postgres: World, postgres_url: str, tmp_path: Path) -> None:
    world = on_postgres
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    world.idle()
    audit_rows = len(world.rows("SELECT id FROM audit"))
    password = postgres_url.split(":")[2].split("@")[0]

    reconciled = run(world, postgres_url, "reconcile")
    assert reconciled.returncode == EXIT_AGREE, reconciled.stderr
    assert world.rows("SELECT count(*) AS n FROM audit WHERE event = 'baseline'")[0]["n"] >= 1

    checkpoint = run(world, postgres_url, "audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    assert len(world.rows("SELECT id FROM checkpoints")) == 1

    verified = run(world, postgres_url, "audit", "verify", "--no-slack")
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert "intact" in verified.stdout

    exported = tmp_path / "audit.jsonl"
    export = run(world, postgres_url, "audit", "export", "--out", str(exported), "--format", "jsonl")
    assert export.returncode == 0, export.stderr
    assert len(exported.read_text().splitlines()) == len(world.rows("SELECT id FROM audit")) > audit_rows

    assert not world.db_path.exists(), "a command wrote a SQLite file although DATABASE_URL was set"
    for done in (reconciled, checkpoint, verified, export):
        assert password not in done.stdout + done.stderr


def test_the_bot_logs_which_store_it_uses_without_the_password(
    slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="bot.app")
    password = postgres_url.split(":")[2].split("@")[0]
    on_postgres = build_world(slack, sandbox, tmp_path / "unused.db", database_url=postgres_url)
    on_sqlite = build_world(slack, sandbox, tmp_path / "bot.db")
    on_postgres.stop()
    on_sqlite.stop()

    said = [r.getMessage() for r in caplog.records if r.name == "bot.app" and r.getMessage().startswith("store: ")]
    assert said[0].startswith("store: PostgreSQL postgresql://") and ":***@" in said[0]
    assert said[1] == f"store: SQLite file {tmp_path / 'bot.db'}"
    assert password not in caplog.text
