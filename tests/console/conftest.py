"""One console world (bot, sandbox Vobiz, Slack stand-in) per test module, and a fresh session per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console.world import ConsoleWorld
from tests.console.console_helpers import Console


@pytest.fixture(scope="module")
def console_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    with ConsoleWorld(Path(tmp_path_factory.mktemp("console")) / "numbers-bot.db") as world:
        yield world


@pytest.fixture
def console(console_world: ConsoleWorld) -> Iterator[Console]:
    opened = Console.open(console_world)
    yield opened
    opened.close()
    console_world.slack.clear_faults()
