"""Scenario fixtures: a whole bot (`world`) over the sandbox and FakeSlack, and the payload checks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The Block Kit / escaping checks live beside the builder tests; scenarios apply them to what Slack got.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "handlers"))

from fakes.vobiz import SandboxServer  # noqa: E402
from fakes.slack.webapi import FakeSlack  # noqa: E402
from scenario_world import World, build_world, fake_slack  # noqa: E402


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


@pytest.fixture
def world(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "numbers-bot.db")
    yield built
    built.bot.stop()
