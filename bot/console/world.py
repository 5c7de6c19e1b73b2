"""The console's world: the shared world (`fakes.world`) with the demo cast, served over HTTP.

`ConsoleWorld(db_path, latency_ms=0)` starts, on 127.0.0.1 and free ports, the sandbox Vobiz with its
seeded account, `FakeSlack` with the demo people and channels, and the real app from
`bot.app.build_bot(...)` (settings built here, never read from the environment) behind its production
WSGI router, so every request crosses a socket and Bolt checks its signature. History-line pacing costs
the demo nothing (`SkippingTime`).

`send(signed)` posts one request; `settle()` waits until the bot has finished the work it does after
the ack and has delivered its outbox, so the console can show the outcome before the next prompt.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from pathlib import Path

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.app import Bot
from bot.config import Settings
from bot.console.people import ADMINS, APPROVAL_CHANNEL, APPROVERS, CHANNELS, HISTORY_CHANNEL, PEOPLE
from fakes.slack import FakeSlack, SignedRequest, SlackRequests
from fakes.vobiz import SandboxServer
from fakes.world import Cast, SkippingTime, World

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


def demo_cast(signing_secret: str) -> Cast:
    return Cast(
        bot_token=BOT_TOKEN,
        signing_secret=signing_secret,
        approvers=APPROVERS,
        admins=ADMINS,
        approval_channel=APPROVAL_CHANNEL,
        history_channel=HISTORY_CHANNEL,
        users={p.user_id: p.name for p in PEOPLE},
        channels=CHANNELS,
    )


# Issue 14's decisions, shown without changing how the rest of the story goes: a release needs two approvers,
# and a purchase of a number at most 2 GBP a month is approved by the allowance (one a person a month).
DEMO_DECISIONS: dict[str, object] = {
    "approvals_required": "release:2",
    "auto_approve_monthly_fee": "2 GBP",
    "auto_approve_per_person": 1,
}


class ConsoleWorld:
    def __init__(self, db_path: Path, *, latency_ms: int = 0) -> None:
        self.db_path = db_path
        self._cast = demo_cast(secrets.token_hex(16))
        self.sandbox = SandboxServer(latency_ms=latency_ms)
        self.slack: FakeSlack = self._cast.fake_slack()
        self._world: World | None = None

    def __repr__(self) -> str:  # never shows the signing secret
        return f"<ConsoleWorld db={self.db_path}>"

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> ConsoleWorld:
        try:
            self.sandbox.start()
            self.slack.start()
            self._world = World.build(
                self._cast,
                self.slack,
                self.sandbox,
                self.db_path,
                settings_class=DemoSettings,
                time=SkippingTime(),
                start_workers=True,
                serve=True,
                listener_thread_prefix="console-listener",
                **DEMO_DECISIONS,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._world is not None:
            self._world.stop()
            self._world = None
        self.slack.stop()
        self.sandbox.stop()

    def __enter__(self) -> ConsoleWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def settings(self) -> Settings:
        return self.world.settings

    # ------------------------------------------------------------------------------------ parts

    @property
    def world(self) -> World:
        if self._world is None:
            raise RuntimeError("the console world is not started")
        return self._world

    @property
    def bot(self) -> Bot:
        return self.world.bot

    @property
    def requests(self) -> SlackRequests:
        return self.world.requests

    @property
    def events_url(self) -> str:
        return self.world.events_url

    def dm_owner(self, channel: str) -> str | None:
        """The demo person whose DM with the bot `channel` is (None for other channels)."""
        return next((p.user_id for p in PEOPLE if self.slack.dm_id(p.user_id) == channel), None)

    def now(self) -> datetime:
        return self.world.clock()

    # ------------------------------------------------------------------------------------ acting

    def send(self, signed: SignedRequest) -> tuple[int, str]:
        """POST a signed request to the bot as Slack does; (HTTP status, body) of the answer.
        `httpx.HTTPError` when the bot could not be reached or did not answer in time."""
        return self.world.post(signed)

    def settle(self, timeout: float = SETTLE_TIMEOUT_S) -> bool:
        """Wait for the listeners to finish and the outbox to be delivered; False on a timeout."""
        deadline = time.monotonic() + timeout
        if not self.world.wait_idle(timeout):
            return False
        self.world.drain()
        return self.world.wait_idle(max(0.0, deadline - time.monotonic()))

    def advance(self, seconds: float) -> None:
        """Move Vobiz's and the bot's clocks forward, then let the bot's maintenance see it (requests
        expire, unknown outcomes settle) and deliver what that changed."""
        self.world.advance(seconds)
        self.bot.workers.maintain()


__all__ = ["ConsoleWorld", "DemoSettings"]
