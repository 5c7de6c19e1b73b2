"""Small additions to the scenario `World` for reliability tests: a world whose Vobiz client records its
retry sleeps, the app served over real HTTP, and readers of the database and the outbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakes.slack.requests import SignedRequest
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from tests.scenarios.scenario_world import World, build_world


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
    vobiz_sleep: RecordingSleep | None = None,
    **options: Any,
) -> World:
    """`scenario_world.build_world`, with the Vobiz client's sleep recorded instead of skipped."""
    return build_world(slack, sandbox, db_path, vobiz_sleep=vobiz_sleep or RecordingSleep(), **options)


@contextmanager
def served(world: World) -> Iterator[str]:
    """The world's app behind the real WSGI router on 127.0.0.1 (port 0); yields the events URL."""
    with world.served() as url:
        yield url


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
