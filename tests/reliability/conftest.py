"""Reliability fixtures: the scenarios' whole bot (`world`) over the sandbox and FakeSlack, reused, not
copied (see tests/scenarios/fixtures.py)."""

from tests.scenarios.fixtures import slack, world

__all__ = ["slack", "world"]
