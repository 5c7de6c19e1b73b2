"""Scenario fixtures: a whole bot (`world`) over the sandbox and FakeSlack (see fixtures.py)."""

from tests.scenarios.fixtures import slack, world

__all__ = ["slack", "world"]
