"""The app's background worker on its own: the drift check runs periodically (and survives Vobiz being
down)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from slack_sdk import WebClient

from api.client import VobizClient
from handlers.delivery import Delivery
from handlers.workers import Workers
from scenario_world import APPROVALS, BOT_TOKEN, HISTORY, World


@pytest.fixture
def running(world: World) -> Iterator[Workers]:
    """The worker threads as the app runs them, on short intervals and real time (the world's own delivery
    paces on a clock only its drain() moves)."""
    delivery = Delivery(
        world.bot.services,
        WebClient(token=BOT_TOKEN, base_url=world.slack.api_url),
        approval_channel=APPROVALS,
        history_channel=HISTORY,
        now=world.clock,
        history_interval_s=0.01,
    )
    workers = Workers(
        world.bot.services,
        delivery,
        delivery_interval_s=0.05,
        maintenance_interval_s=0.05,
        reconcile_interval_s=0.2,
        reconcile_delay_s=0,
        now=world.clock,
    )
    yield workers
    workers.stop()


def test_the_worker_runs_the_drift_check_periodically_and_outlives_vobiz_errors(
    world: World, running: Workers, vobiz_for: Callable[..., VobizClient], caplog: pytest.LogCaptureFixture
) -> None:
    world.sandbox.inject("list_numbers", "server_error", count=3)  # the first check cannot read Vobiz at all
    with caplog.at_level(logging.ERROR, logger="handlers.workers"):
        running.start()
        world.slack.wait_for(lambda: any("drift check" in r.getMessage() for r in caplog.records), timeout=5)
        world.slack.wait_for(lambda: any("First reconcile" in line for line in world.history_lines()), timeout=5)

    e164 = world.sandbox.inventory_numbers("IN")[0]
    vobiz_for(world.sandbox).numbers.purchase(e164)  # someone buys a number without the bot
    line = world.slack.wait_for(
        lambda: next((line for line in world.history_lines() if "bought_outside_bot" in line), None), timeout=5
    )
    assert "*Drift*" in line and world.sandbox.auth_token not in line
    assert running.running  # a failed check never stopped the worker
    assert sum("bought_outside_bot" in line for line in world.history_lines()) == 1  # reported once, not hourly
