"""The fixtures of a whole bot (`world`) over the sandbox and FakeSlack (`slack`), shared by the scenario
and the reliability tests: each of their conftests imports them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from tests.scenarios.scenario_world import World, build_world, fake_slack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


@pytest.fixture
def world(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    """The whole bot, once on each engine (`database_url`: SQLite beside the test, or PostgreSQL)."""
    built = build_world(slack, sandbox, tmp_path / "numbers-bot.db", database_url=database_url)
    yield built
    built.stop()
