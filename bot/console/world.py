"""The console's world: the real bot served over HTTP, the sandbox Vobiz and the Slack stand-in.

`ConsoleWorld(db_path, latency_ms=0)` starts, on 127.0.0.1 and free ports:

* the sandbox Vobiz (`fakes.vobiz.SandboxServer`) with its seeded account;
* `FakeSlack`, the stand-in for Slack's Web API, with the demo people and channels;
* the real app from `bot.app.build_bot(...)` (settings built here, never read from the environment),
  served by its production WSGI router (`bot.server.make_wsgi_app`) on a local HTTP server, so every
  request crosses a socket and Bolt checks its signature;
* `SlackRequests`, which shapes and signs what Slack sends and plays Slack's part with the answers.

`send(signed)` posts one request; `settle()` waits until the bot has finished the work it does after
the ack and has delivered its outbox, so the console can show the outcome before the next prompt.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from fakes.vobiz import SandboxServer
from bot.app import Bot, build_bot
from bot.config import Settings
from bot.console.people import ADMINS, APPROVAL_CHANNEL, APPROVERS, CHANNELS, HISTORY_CHANNEL, PEOPLE
from bot.server import EVENTS_PATH, LocalServer, make_wsgi_app
from fakes.slack import FakeSlack, SignedRequest, SlackRequests

BOT_TOKEN = "xoxb-demo"
SETTLE_TIMEOUT_S = 30.0


class DemoSettings(Settings):
    """Settings from the arguments only: the demo never reads the environment (or a .env file)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class DemoClock:
    """The bot's clock follows the sandbox's (Vobiz's) clock plus the real time elapsed, so request
    expiry, cool-offs and undo windows agree on both sides; `advance` moves both."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self._sandbox = sandbox
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self._sandbox.now() + timedelta(seconds=time.monotonic() - self._started)

    def advance(self, seconds: float) -> None:
        self._sandbox.advance(seconds)


class SkippingTime:
    """Real monotonic time, except that `sleep` returns at once and moves the clock instead: the
    history channel's pacing (a line a second, for Slack's rate limits) costs the demo nothing."""

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
    """Bolt's listener pool, counting what still runs so the console can wait for the bot to finish."""

    def __init__(self) -> None:
        super().__init__(max_workers=32, thread_name_prefix="console-listener")
        self._running = 0
        self._changed = threading.Condition()

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
        with self._changed:
            return self._changed.wait_for(lambda: self._running == 0, timeout)


class ConsoleWorld:
    def __init__(self, db_path: Path, *, latency_ms: int = 0) -> None:
        self.db_path = db_path
        self.sandbox = SandboxServer(latency_ms=latency_ms)
        self.slack = FakeSlack(
            BOT_TOKEN,
            users={p.user_id: p.name for p in PEOPLE},
            channels=CHANNELS,
        )
        self._signing_secret = secrets.token_hex(16)
        self.listeners = ListenerPool()
        self._time = SkippingTime()
        self._bot: Bot | None = None
        self._server: LocalServer | None = None
        self._requests: SlackRequests | None = None
        self.clock: DemoClock | None = None

    def __repr__(self) -> str:  # never shows the signing secret
        return f"<ConsoleWorld db={self.db_path}>"

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> ConsoleWorld:
        try:
            self.sandbox.start()
            self.slack.start()
            self.clock = DemoClock(self.sandbox)
            self._bot = build_bot(
                self.settings(),
                clock=self.clock,
                sleep=self._time.sleep,
                monotonic=self._time.monotonic,
                listener_executor=self.listeners,
                start_workers=True,
            )
            self._server = LocalServer(make_wsgi_app(self._bot.app, self._bot.healthy)).start()
            self._requests = SlackRequests(self._signing_secret, self.slack)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._requests is not None:
            self._requests.close()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._bot is not None:
            self._bot.stop()
            self._bot = None
        self.listeners.shutdown(wait=False, cancel_futures=True)
        self.slack.stop()
        self.sandbox.stop()

    def __enter__(self) -> ConsoleWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def settings(self) -> Settings:
        return DemoSettings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=self._signing_secret,
            slack_api_url=self.slack.api_url,
            vobiz_auth_id=self.sandbox.auth_id,
            vobiz_auth_token=self.sandbox.auth_token,
            vobiz_base_url=self.sandbox.base_url,
            numbers_bot_db=self.db_path,
            approvers=APPROVERS,
            admins=ADMINS,
            approval_channel=APPROVAL_CHANNEL,
            history_channel=HISTORY_CHANNEL,
        )

    # ------------------------------------------------------------------------------------ parts

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise RuntimeError("the console world is not started")
        return self._bot

    @property
    def requests(self) -> SlackRequests:
        if self._requests is None:
            raise RuntimeError("the console world is not started")
        return self._requests

    @property
    def events_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the console world is not started")
        return self._server.url + EVENTS_PATH

    def dm_owner(self, channel: str) -> str | None:
        """The demo person whose DM with the bot `channel` is (None for other channels)."""
        return next((p.user_id for p in PEOPLE if self.slack.dm_id(p.user_id) == channel), None)

    def now(self) -> datetime:
        if self.clock is None:
            raise RuntimeError("the console world is not started")
        return self.clock()

    # ------------------------------------------------------------------------------------ acting

    def send(self, signed: SignedRequest) -> tuple[int, str]:
        """POST a signed request to the bot as Slack does; (HTTP status, body) of the answer.
        `httpx.HTTPError` when the bot could not be reached or did not answer in time."""
        status, body, _ = self.requests.send_http(self.events_url, signed)
        return status, body

    def settle(self, timeout: float = SETTLE_TIMEOUT_S) -> bool:
        """Wait for the listeners to finish and the outbox to be delivered; False on a timeout."""
        deadline = time.monotonic() + timeout
        if not self.listeners.wait_idle(timeout):
            return False
        self.bot.delivery.drain()
        return self.listeners.wait_idle(max(0.0, deadline - time.monotonic()))

    def advance(self, seconds: float) -> None:
        """Move Vobiz's and the bot's clocks forward, then let the bot's maintenance see it (requests
        expire, unknown outcomes settle) and deliver what that changed."""
        if self.clock is None:
            raise RuntimeError("the console world is not started")
        self.clock.advance(seconds)
        self.bot.workers.maintain()


__all__ = ["ConsoleWorld", "DemoSettings"]
