"""One world: the sandbox Vobiz, the Slack stand-in and the real bot wired to them.

The console, the scenario and reliability tests and the bench all stand the bot up the same way:

* a `Cast` names the people, channels and secrets: what goes into FakeSlack and into the bot's settings
  (or, for a bot in another process, its environment);
* `World.build(cast, slack, sandbox, db_path, ...)` builds the real app with `bot.app.build_bot`, its Vobiz
  client pointed at the sandbox and its Slack client at FakeSlack, on a clock that follows the sandbox's;
  `dispatch()` hands a signed request to the app in this process, `post()` sends it over HTTP to the
  production WSGI router on 127.0.0.1 (`serve=True`, or `serve()` later);
* `idle()` waits for the listeners Bolt runs after the ack, `drain()` delivers the outbox.

The caller owns `slack` and `sandbox` (started before, stopped after); `World.stop()` stops what it built.
This is the one module in `fakes/` that knows the bot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
from slack_bolt import App
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from api.client import VobizClient
from bot.app import Bot, build_bot
from bot.config import Settings
from bot.server import EVENTS_PATH, LocalServer, make_wsgi_app
from fakes.slack.requests import SignedRequest, SlackRequests
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from handlers.outbound.delivery import DeliveryReport

LISTENER_THREADS = 32  # as bot.app.LISTENER_THREADS


@dataclass(frozen=True)
class Cast:
    """Who and where: the bot's token and signing secret, the workspace's people, groups and channels,
    and which of them the bot's settings name as approvers, admins and its two channels."""

    bot_token: str
    signing_secret: str
    approvers: tuple[str, ...]
    admins: tuple[str, ...]
    approval_channel: str
    history_channel: str
    # None: FakeSlack knows any user or channel it is asked about (see fakes.slack.workspace)
    users: Mapping[str, str] | None = None
    channels: Mapping[str, str] | None = None
    usergroups: Mapping[str, list[str]] | None = None

    def fake_slack(self, **options: Any) -> FakeSlack:
        """A FakeSlack (not started) holding this cast; `options` go to FakeSlack."""
        return FakeSlack(self.bot_token, users=self.users, usergroups=self.usergroups, channels=self.channels, **options)

    def settings_values(self, slack: FakeSlack, sandbox: SandboxServer, db_path: Path) -> dict[str, Any]:
        """The bot's settings (by field name) for this cast over these stand-ins."""
        return {
            "slack_bot_token": self.bot_token,
            "slack_signing_secret": self.signing_secret,
            "slack_api_url": slack.api_url,
            "vobiz_auth_id": sandbox.auth_id,
            "vobiz_auth_token": sandbox.auth_token,
            "vobiz_base_url": sandbox.base_url,
            "numbers_bot_db": db_path,
            "approvers": self.approvers,
            "admins": self.admins,
            "approval_channel": self.approval_channel,
            "history_channel": self.history_channel,
        }

    def environment(self, slack: FakeSlack, sandbox: SandboxServer, db_path: Path, **extra: str) -> dict[str, str]:
        """The same settings as an operator gives them to a bot in another process (`extra` added)."""
        env = {
            name.upper(): ",".join(value) if isinstance(value, tuple) else str(value)
            for name, value in self.settings_values(slack, sandbox, db_path).items()
        }
        env.update(extra)
        return env


class SandboxClock:
    """The bot's clock follows the sandbox's (Vobiz's) clock plus the real time elapsed, so request
    expiry, cool-offs and undo windows agree on both sides; `advance` moves both."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self._sandbox = sandbox
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self._sandbox.now() + timedelta(seconds=time.monotonic() - self._started)

    def advance(self, by: float = 0.0, /, **delta: float) -> None:
        """`advance(90)` or `advance(hours=25)`: seconds, or timedelta's keywords."""
        self._sandbox.advance(by + timedelta(**delta).total_seconds())


class BotTime(Protocol):
    """The monotonic clock and sleep the bot's outbox delivery paces history lines with."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


@dataclass
class FakeTime:
    """A monotonic clock that only the injected sleep moves: history pacing without waiting, and
    `slept` says what was asked for."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class SkippingTime:
    """Real monotonic time, except that `sleep` returns at once and moves the clock instead."""

    def __init__(self) -> None:
        self._skipped = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._skipped

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._skipped += max(0.0, seconds)


class ListenerPool(ThreadPoolExecutor):
    """Bolt's listener pool, counting what still runs so a caller can wait for the bot to be idle."""

    def __init__(self, thread_name_prefix: str = "world-listener") -> None:
        super().__init__(max_workers=LISTENER_THREADS, thread_name_prefix=thread_name_prefix)
        self._running = 0
        self._changed = threading.Condition()

    @property
    def running(self) -> int:
        with self._changed:
            return self._running

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._changed:
            self._running += 1

        def tracked() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._changed:
                    self._running -= 1
                    self._changed.notify_all()

        return super().submit(tracked)

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing runs; False if something still does after `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._running == 0, timeout)


W = TypeVar("W", bound="World")


@dataclass
class World:
    """A built bot over the stand-ins. Subclasses add what their users do and see."""

    cast: Cast
    bot: Bot
    slack: FakeSlack
    sandbox: SandboxServer
    requests: SlackRequests
    clock: SandboxClock
    time: BotTime
    settings: Settings
    db_path: Path
    listeners: ListenerPool
    server: LocalServer | None = None

    @classmethod
    def build(
        cls: type[W],
        cast: Cast,
        slack: FakeSlack,
        sandbox: SandboxServer,
        db_path: Path,
        *,
        settings_class: type[Settings] = Settings,
        time: BotTime | None = None,
        start_workers: bool = False,
        serve: bool = False,
        vobiz_timeout: float | None = None,
        vobiz_sleep: Callable[[float], None] | None = None,
        vobiz_transport: httpx.BaseTransport | None = None,
        slack_timeout: float | None = None,
        listener_thread_prefix: str = "world-listener",
        **settings_changes: Any,
    ) -> W:
        """`settings_class`: e.g. one that reads only its arguments, never the environment. `time`: the
        delivery's monotonic clock and sleep (default `FakeTime`). The Vobiz client is the bot's own
        unless one of `vobiz_timeout` (seconds), `vobiz_sleep` (its retry waits), `vobiz_transport` (what
        carries its calls) is given; the Slack client likewise unless `slack_timeout` is.
        `settings_changes` override the cast's settings by field name."""
        values = cast.settings_values(slack, sandbox, db_path)
        values.update(settings_changes)
        settings = settings_class(**values)
        clock = SandboxClock(sandbox)
        bot_time: BotTime = time if time is not None else FakeTime()
        listeners = ListenerPool(listener_thread_prefix)
        vobiz = None
        if vobiz_timeout is not None or vobiz_sleep is not None or vobiz_transport is not None:
            vobiz = VobizClient(
                sandbox.auth_id,
                sandbox.auth_token,
                base_url=sandbox.base_url,
                timeout=vobiz_timeout if vobiz_timeout is not None else 5.0,
                sleep=vobiz_sleep or (lambda seconds: None),
                transport=vobiz_transport,
            )
        slack_client = None
        if slack_timeout is not None:
            slack_client = WebClient(token=cast.bot_token, base_url=slack.api_url, timeout=slack_timeout)
        bot = build_bot(
            settings,
            slack_client=slack_client,
            vobiz=vobiz,
            start_workers=start_workers,
            clock=clock,
            sleep=bot_time.sleep,
            monotonic=bot_time.monotonic,
            listener_executor=listeners,
        )
        requests = SlackRequests(cast.signing_secret, slack)
        world = cls(cast, bot, slack, sandbox, requests, clock, bot_time, settings, db_path, listeners)
        if serve:
            try:
                world.serve()
            except BaseException:
                world.stop()
                raise
        return world

    def __repr__(self) -> str:  # the settings hold secrets; never show them
        return f"<{type(self).__name__} db={self.db_path}>"

    # ------------------------------------------------------------------------------------ lifecycle

    @property
    def app(self) -> App:
        return self.bot.app

    def serve(self) -> str:
        """Serve the app through its production WSGI router on 127.0.0.1 (a free port), once; the events URL."""
        if self.server is None:
            self.server = LocalServer(make_wsgi_app(self.bot.app, self.bot.healthy)).start()
        return self.events_url

    @property
    def events_url(self) -> str:
        if self.server is None:
            raise RuntimeError("the world's app is not served over HTTP (build it with serve=True)")
        return self.server.url + EVENTS_PATH

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """What the bot's own store holds (either engine): `sql` with `?` placeholders."""
        with self.bot.services.store.read() as db:
            return list(db.query(sql, params))

    def stop(self) -> None:
        """Stop what the world built (HTTP server, workers, listener pool); not the stand-ins."""
        self.requests.close()
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.bot.stop()
        self.listeners.shutdown(wait=False, cancel_futures=True)
        self.bot.services.store.close()

    # ------------------------------------------------------------------------------------ acting

    def dispatch(self, signed: SignedRequest, retry_num: int | None = None) -> BoltResponse:
        """Hand a signed request to the app in this process, as its HTTP adapter would; the ack."""
        return self.requests.send_app(self.app, signed, retry_num)

    def post(self, signed: SignedRequest, retry_num: int | None = None) -> tuple[int, str]:
        """POST a signed request to the served app as Slack does; (HTTP status, body) of the answer.
        `httpx.HTTPError` when the bot could not be reached or did not answer in time."""
        status, body, _ = self.requests.send_http(self.events_url, signed, retry_num)
        return status, body

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every listener has finished (they go on after the ack); False on a timeout."""
        return self.listeners.wait_idle(timeout)

    def drain(self) -> DeliveryReport:
        """Deliver what the outbox holds now."""
        return self.bot.delivery.drain()

    def advance(self, by: float = 0.0, /, **delta: float) -> None:
        """Move Vobiz's and the bot's clocks forward (seconds, or timedelta's keywords)."""
        self.clock.advance(by, **delta)

    @contextmanager
    def served(self) -> Iterator[str]:
        """The app served over HTTP for the block's length; yields the events URL."""
        with LocalServer(make_wsgi_app(self.bot.app, self.bot.healthy)) as server:
            yield server.url + EVENTS_PATH


__all__ = ["BotTime", "Cast", "FakeTime", "ListenerPool", "SandboxClock", "SkippingTime", "World"]
