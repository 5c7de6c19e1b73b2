"""Small additions to the scenario `World` for reliability tests: a world whose Vobiz client records its
retry sleeps, the app served over real HTTP, and readers of the database and the outbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from api.client import VobizClient
from fakes.vobiz import SandboxServer
from bot.app import build_bot
from bot.server import LocalServer, make_wsgi_app
from fakes.slack.requests import SignedRequest, SlackRequests
from fakes.slack.webapi import FakeSlack
from scenario_world import BOT_TOKEN, SIGNING_SECRET, FakeTime, ScenarioClock, TrackingExecutor, World, make_settings


@dataclass
class RecordingSleep:
    """The Vobiz client's sleep: records what it was asked to wait, waits nothing."""

    slept: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def build_world_with(
    slack: FakeSlack,
    sandbox: SandboxServer,
    db_path: Path,
    *,
    vobiz_timeout: float = 5.0,
    vobiz_sleep: RecordingSleep | None = None,
    slack_timeout: float = 5.0,
    **settings_changes: Any,
) -> World:
    """`scenario_world.build_world`, with the Vobiz client's sleep recorded instead of skipped."""
    settings = make_settings(slack, sandbox, db_path, **settings_changes)
    clock = ScenarioClock(sandbox)
    fake_time = FakeTime()
    listeners = TrackingExecutor()
    vobiz = VobizClient(
        sandbox.auth_id,
        sandbox.auth_token,
        base_url=sandbox.base_url,
        timeout=vobiz_timeout,
        sleep=vobiz_sleep or RecordingSleep(),
    )
    bot = build_bot(
        settings,
        slack_client=WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=slack_timeout),
        vobiz=vobiz,
        start_workers=False,
        clock=clock,
        sleep=fake_time.sleep,
        monotonic=fake_time.monotonic,
        listener_executor=listeners,
    )
    return World(bot, slack, sandbox, SlackRequests(SIGNING_SECRET, slack), clock, fake_time, settings, db_path, listeners)


@contextmanager
def served(world: World) -> Iterator[str]:
    """The world's app behind the real WSGI router on 127.0.0.1 (port 0); yields the events URL."""
    with LocalServer(make_wsgi_app(world.app, world.bot.healthy)) as server:
        yield f"{server.url}/slack/events"


def timed_send(world: World, url: str, signed: SignedRequest, retry_num: int | None = None) -> tuple[int, float]:
    """POST a signed request over HTTP; returns (status, seconds until the answer)."""
    started = time.monotonic()
    status, _, _ = world.requests.send_http(url, signed, retry_num)
    return status, time.monotonic() - started


def rows(world: World, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with world.bot.services.store.read() as db:
        return list(db.query(sql, list(params)))


def audit_events(world: World, request_id: str) -> list[tuple[str, str]]:
    return [(r["event"], r["outcome"]) for r in rows(world, "SELECT * FROM audit WHERE request_id = ? ORDER BY id", [request_id])]
