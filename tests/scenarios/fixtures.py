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
def world(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "numbers-bot.db")
    yield built
    built.stop()
