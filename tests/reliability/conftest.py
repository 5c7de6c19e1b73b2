"""Reliability fixtures. The scenario helpers (`scenario_world`, and `slack_checks` beside the builder
tests) are reused, not copied: their directories go on sys.path as tests/scenarios/conftest.py does."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
for helper_dir in (TESTS / "scenarios", TESTS / "handlers"):
    if str(helper_dir) not in sys.path:
        sys.path.insert(0, str(helper_dir))

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
