"""Fixtures for the services tests: a `world` (see tests/services/world.py) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.vobiz import SandboxServer
from tests.services.fakes import FakeClock, FakeDirectory
from tests.services.world import APPROVER_GROUP, GROUP_MEMBER, World, make_settings


@pytest.fixture
def world(tmp_path: Path, sandbox: SandboxServer, database_url: str | None) -> Iterator[World]:
    directory = FakeDirectory({APPROVER_GROUP: {GROUP_MEMBER.user_id}})
    db_path = tmp_path / "numbers-bot.db"
    built = World(
        sandbox=sandbox,
        db_path=db_path,
        clock=FakeClock(sandbox.now()),
        directory=directory,
        settings=make_settings(db_path, sandbox),
        database_url=database_url,
    )
    yield built
    built.close()


@pytest.fixture
def in_number(sandbox: SandboxServer) -> str:
    """An Indian number in inventory (priced in INR, like the master account's balance)."""
    return sandbox.inventory_numbers("IN")[0]
