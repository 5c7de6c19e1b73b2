"""Fixtures for the Slack stand-in's tests: a started FakeSlack with a small directory, a WebClient
pointed at it, and a hand-driven clock (so trigger expiry and ts ordering need no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from fakes.slack import FakeSlack, SlackRequests

TOKEN = "xoxb-standin-test-token"
SECRET = "standin-signing-secret"
USERS = {"U0REQUEST": "rita", "U0BOSS": "bob", "U0OTHER": "olga"}
USERGROUPS = {"S0APPROVE": ["U0BOSS", "U0OTHER"]}
CHANNELS = {"C0APPROVAL": "approvals", "C0HISTORY": "numbers-history"}


class ManualClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[FakeSlack]:
    with FakeSlack(TOKEN, users=USERS, usergroups=USERGROUPS, channels=CHANNELS, clock=clock) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.api_url)


@pytest.fixture
def requests(slack: FakeSlack) -> SlackRequests:
    return SlackRequests(SECRET, slack)
