"""Reliability fixtures: the scenarios' whole bot (`world`) over the sandbox and FakeSlack, reused, not
copied (see tests/scenarios/fixtures.py)."""

import pytest

from tests.scenarios.fixtures import slack, world


@pytest.fixture
def database_url() -> None:
    """The reliability tests run on SQLite: their processes, crashes and files are the SQLite store's."""
    return None


__all__ = ["database_url", "slack", "world"]
