"""Plain fakes for the services' ports: a clock tests move, and a Slack user-group directory."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeDirectory:
    """User groups held in a dict; counts lookups and can be switched to fail like Slack would."""

    def __init__(self, groups: dict[str, set[str]]) -> None:
        self.groups = groups
        self.lookups: list[str] = []
        self.failing = False

    def members_of(self, group_id: str) -> frozenset[str]:
        self.lookups.append(group_id)
        if self.failing:
            raise ConnectionError("usergroups.users.list failed")
        return frozenset(self.groups.get(group_id, set()))
