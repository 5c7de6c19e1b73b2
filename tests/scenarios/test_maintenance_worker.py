"""The app's background worker on its own: the drift check runs periodically (and survives Vobiz being
down), and release messages lose their Undo button once the undo window has closed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from slack_sdk import WebClient

from api.client import VobizClient
from handlers import ids
from handlers.outbound.delivery import Delivery
from bot.runtime import Workers
from tests.scenarios.scenario_world import APPROVALS, APPROVER, BOT_TOKEN, HISTORY, REQUESTER, World


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
    with caplog.at_level(logging.ERROR, logger="bot.runtime"):
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


def test_the_undo_button_goes_once_the_undo_window_has_closed(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[1]
    world.command(REQUESTER, f"release {e164} Campaign ended")
    world.drain()
    [request] = world.requests_of(REQUESTER)
    world.click(APPROVER, world.approval_message(request.id), "Approve")
    world.drain()
    assert [b.action_id for b in world.approval_message(request.id).buttons()] == [ids.UNDO_RELEASE]

    world.bot.workers.maintain()  # the window is still open: the button stays
    world.drain()
    assert [b.action_id for b in world.approval_message(request.id).buttons()] == [ids.UNDO_RELEASE]
    world.clock.advance(hours=25)
    world.bot.workers.maintain()
    world.drain()
    message = world.approval_message(request.id)
    assert message.buttons() == [] and "Undo is possible until" not in message.as_text()
    assert "the release is final" in message.as_text()
