"""What can happen between Approve and Vobiz, told honestly: races, expiry, gone, repriced, 5xx,
timeouts, restarts."""

from __future__ import annotations

import threading

from decimal import Decimal
from pathlib import Path

from bot.services.records import Status
from fakes.slack.webapi import FakeSlack
from handlers import ids
from tests.handlers.slack_checks import assert_no_injected_markup, assert_no_traceback
from tests.scenarios.scenario_world import ADMIN, APPROVER, GROUPIE, REQUESTER, World, build_world


def test_twenty_concurrent_approvals_and_slack_retries_buy_exactly_once(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[0]
    request_id = world.ask_to_buy(e164)
    message = world.approval_message(request_id)
    deciders = [APPROVER, ADMIN, GROUPIE]
    signed = [world.requests.click(deciders[i % 3], message, "Approve") for i in range(20)]
    start = threading.Barrier(len(signed) + 5)
    statuses: list[int] = []

    def send(index: int, retry: bool) -> None:
        start.wait()
        response = world.send(signed[index], retry_num=1 if retry else None, wait=False)
        statuses.append(response.status)

    threads = [threading.Thread(target=send, args=(i, False)) for i in range(20)]
    threads += [threading.Thread(target=send, args=(i, True)) for i in range(5)]  # Slack redelivering
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert statuses == [200] * 25
    assert world.settled(request_id).status is Status.SUCCEEDED
    assert sum(len(world.replies(u, "already approved")) for u in deciders) == 24
    assert len(world.sandbox.requests("purchase")) == 1
    world.drain()
    assert "is ours now" in world.approval_message(request_id).as_text()


def test_an_expired_request_does_nothing_when_clicked(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[1])
    stale_message = world.approval_message(request_id)
    world.clock.advance(hours=25)
    world.bot.workers.maintain()  # what the maintenance loop does every minute
    assert world.request(request_id).status is Status.EXPIRED
    world.drain()
    current = world.approval_message(request_id)
    assert "Expired" in current.as_text() and current.buttons() == []

    world.click(APPROVER, stale_message, "Approve")  # an old copy of the message, buttons still there
    world.reply_to(APPROVER, "expired")
    assert world.sandbox.requests("purchase") == []


def test_a_number_sold_elsewhere_fails_without_any_purchase_call(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[2]
    request_id = world.ask_to_buy(e164)
    world.sandbox.sell_elsewhere(e164)
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    request = world.settled(request_id)
    assert request.status is Status.FAILED
    assert world.sandbox.requests("purchase") == []
    world.drain()
    text = world.approval_message(request_id).as_text()
    assert "failed" in text and "no longer" in text


def test_a_changed_price_fails_and_quotes_the_new_fees(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[3]
    request_id = world.ask_to_buy(e164)
    world.sandbox.set_fees(e164, 999, 4999)
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    request = world.settled(request_id)
    assert request.status is Status.FAILED
    assert request.new_quote is not None and request.new_quote.monthly_fee == Decimal("4999")
    assert world.sandbox.requests("purchase") == []
    world.drain()
    text = world.approval_message(request_id).as_text()
    assert "4,999" in text and "The price changed" in text
    assert any("4,999" in m.as_text() for m in world.dms(REQUESTER))


def test_insufficient_balance_fails_with_vobiz_reason_and_nothing_charged(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[4]
    request_id = world.ask_to_buy(e164)
    world.sandbox.set_balance(0)
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.FAILED
    assert world.sandbox.describe(e164)["owner"] in (None, "")
    world.drain()
    assert "debit failed" in world.approval_message(request_id).as_text()


def test_vobiz_500_on_purchase_is_settled_by_reading_the_account_never_by_buying_again(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[5]
    request_id = world.ask_to_buy(e164)
    world.sandbox.inject("purchase", "server_error")
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    request = world.settled(request_id)
    assert request.status is Status.FAILED  # Vobiz answered; the re-read shows nothing was bought
    assert len(world.sandbox.requests("purchase")) == 1
    assert world.sandbox.requests("list_numbers")  # the settling read
    world.drain()
    assert "failed" in world.approval_message(request_id).as_text()


def test_a_purchase_timeout_is_outcome_unknown_then_settled_as_bought(slack: FakeSlack, sandbox, tmp_path: Path, database_url: str | None) -> None:
    world = build_world(slack, sandbox, tmp_path / "bot.db", database_url=database_url, vobiz_timeout=0.3)
    try:
        e164 = sandbox.inventory_numbers("IN")[6]
        request_id = world.ask_to_buy(e164)
        sandbox.inject("purchase", "hang", seconds=0.8)  # Vobiz buys it, but answers too late
        world.click(APPROVER, world.approval_message(request_id), "Approve")
        request = world.settled(request_id)
        assert request.status is Status.UNKNOWN
        world.drain()
        unknown_text = world.approval_message(request_id).as_text()
        assert "did not confirm" in unknown_text and world.approval_message(request_id).buttons() == []

        slack.wait_for(lambda: sandbox.describe(e164)["owner"] == sandbox.auth_id, timeout=3)
        world.clock.advance(minutes=2)
        world.bot.workers.maintain()  # settle_unknown re-reads the account
        assert world.request(request_id).status is Status.SUCCEEDED
        assert len(sandbox.requests("purchase")) == 1
        world.drain()
        assert "is ours now" in world.approval_message(request_id).as_text()
        assert any("is ours now" in m.as_text() for m in world.dms(REQUESTER))
    finally:
        world.bot.stop()


def test_restart_keeps_pending_requests_and_the_old_message_still_works(slack: FakeSlack, sandbox, tmp_path: Path, database_url: str | None) -> None:
    db = tmp_path / "bot.db"
    first = build_world(slack, sandbox, db, database_url=database_url)
    request_id = first.ask_to_buy(sandbox.inventory_numbers("US")[0])
    message = first.approval_message(request_id)
    first.bot.stop()

    second = build_world(slack, sandbox, db, database_url=database_url)  # a new process over the same database file
    try:
        second.click(APPROVER, message, "Approve")
        assert second.settled(request_id).status is Status.SUCCEEDED
        second.drain()
        redrawn = slack.message(message.channel, message.ts)
        assert "is ours now" in redrawn.as_text()
        assert len([m for m in slack.messages("C0APPROVALS") if request_id in m.text]) == 1  # updated in place
    finally:
        second.bot.stop()


def test_workers_started_by_the_app_deliver_and_maintain_on_their_own(slack: FakeSlack, sandbox, tmp_path: Path, database_url: str | None) -> None:
    world = build_world(slack, sandbox, tmp_path / "bot.db", database_url=database_url, start_workers=True)
    try:
        assert world.bot.workers.running
        world.command(REQUESTER, f"buy {sandbox.inventory_numbers('IN')[7]} workers test")
        slack.wait_for(lambda: [m for m in slack.messages("C0APPROVALS") if m.buttons()], timeout=5)
    finally:
        world.bot.stop()
    assert not world.bot.workers.running


def test_nothing_slack_bound_carries_a_traceback_or_markup_after_failures(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[8]
    request_id = world.ask_to_buy(e164, reason="<!channel> <https://evil.example|click> & more")
    world.sandbox.inject("purchase", "server_error")
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    world.settled(request_id)
    world.drain()
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)
        assert_no_traceback(payload)
    assert ids.APPROVE not in [b.action_id for b in world.approval_message(request_id).buttons()]
