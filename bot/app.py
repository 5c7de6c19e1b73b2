"""The composition root: the one place in `bot/` that imports `handlers`.

`build_app(settings, ...)` wires the Vobiz client, the store, the services, the Slack surface and the
background workers into a `slack_bolt.App`. Tests pass fakes for any part. `build_bot(...)` does the
same and also hands back the parts an entry point or a test needs to hold: the services, the outbox
`delivery` (whose `drain()` tests call instead of sleeping) and the `workers`.

Building starts no thread: the background workers start on `Bot.start()` (or `start_workers=True`), in
the process that will run them. gunicorn imports the app in one process and may serve it from forked
ones, and a thread never survives a fork (see `bot.server.WebApplication`).
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_bolt import App
from slack_sdk import WebClient

import handlers
from api.client import VobizClient
from bot.config import Settings
from bot.services import Services, build_services
from bot.services.clock import utc_now
from bot.services.crashpoints import CrashPoints
from bot.services.jobs import maintenance_interval
from bot.store import Store, describe
from handlers.outbound.delivery import Delivery
from handlers.outbound.directory import SlackDirectory
from bot.runtime import RECONCILE_INTERVAL_S, Workers

SLACK_TIMEOUT_S = 10
# Listeners ack on these threads and then make their Vobiz calls on them too; Bolt's default (5) lets a
# handful of slow Vobiz calls starve new requests of a thread to ack on.
LISTENER_THREADS = 32

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """A built app and the parts beside it."""

    app: App
    settings: Settings
    services: Services
    delivery: Delivery
    workers: Workers

    def healthy(self) -> bool:
        """True when the database accepts writes (what `/healthz` reports)."""
        return self.services.store.writable()

    def start(self) -> None:
        """Start the background workers (outbox delivery, maintenance) in this process; idempotent."""
        self.workers.start()

    def stop(self) -> None:
        self.workers.stop()


_BOTS: weakref.WeakKeyDictionary[App, Bot] = weakref.WeakKeyDictionary()


def build_bot(
    settings: Settings,
    *,
    slack_client: WebClient | None = None,
    vobiz: VobizClient | None = None,
    store: Store | None = None,
    services: Services | None = None,
    start_workers: bool = False,
    crash: CrashPoints | None = None,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    listener_executor: Executor | None = None,
    reconcile_interval_s: float = RECONCILE_INTERVAL_S,
) -> Bot:
    """`reconcile_interval_s`: how often the worker runs the drift check (Vobiz against the audit log).
    `crash`: test-only points where executing an approved request kills the process (default: none)."""
    client = slack_client or WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_S,
    )
    if services is None:
        services = build_services(
            settings,
            vobiz=vobiz or _vobiz_client(settings),
            directory=SlackDirectory(client),
            store=store,  # None: build_services opens the one the settings name
            clock=clock,
            auditors=settings.auditors,
            crash=crash,
        )
    log.info("store: %s", describe(services.store))
    # The client carries the token, so `token=` is not passed as well (Bolt would warn that it is unused).
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,
        token_verification_enabled=False,
        process_before_response=False,
        name="numbers-bot",
        listener_executor=listener_executor
        or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="numbers-bot-listener"),
    )
    handlers.register(app, services, approval_channel=settings.approval_channel, clock=clock)
    delivery = Delivery(
        services,
        client,
        approval_channel=settings.approval_channel,
        history_channel=settings.history_channel,
        now=clock,
        sleep=sleep,
        monotonic=monotonic,
    )
    interval = maintenance_interval(
        timedelta(seconds=settings.maintenance_interval_seconds), timedelta(seconds=settings.settle_grace_seconds)
    )
    workers = Workers(
        services,
        delivery,
        now=clock,
        maintenance_interval_s=interval.total_seconds(),
        reconcile_interval_s=reconcile_interval_s,
    )
    bot = Bot(app=app, settings=settings, services=services, delivery=delivery, workers=workers)
    _BOTS[app] = bot
    if start_workers:
        workers.start()
    return bot


def build_app(
    settings: Settings,
    *,
    slack_client: WebClient | None = None,
    vobiz: VobizClient | None = None,
    store: Store | None = None,
    services: Services | None = None,
    start_workers: bool = False,
) -> App:
    return build_bot(
        settings,
        slack_client=slack_client,
        vobiz=vobiz,
        store=store,
        services=services,
        start_workers=start_workers,
    ).app


def bot_of(app: App) -> Bot:
    """The `Bot` an app was built with (its services, delivery and workers)."""
    return _BOTS[app]


def _vobiz_client(settings: Settings) -> VobizClient:
    return VobizClient(
        settings.vobiz_auth_id,
        settings.vobiz_auth_token.get_secret_value(),
        base_url=settings.vobiz_base_url,
    )
