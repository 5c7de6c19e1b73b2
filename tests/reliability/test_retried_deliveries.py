"""Slack redelivers a request (X-Slack-Retry-Num) when it did not see the answer in time. A redelivery of
work already done is recognised from the state it left and answered without doing it again: no second
request, no second approval message, no second Vobiz call, no second audit decision."""

from __future__ import annotations

from bot.services.records import Status
from tests.scenarios.scenario_world import ADMIN, APPROVALS, APPROVER, REQUESTER, World
from tests.reliability.worlds import audit_events, rows


def test_a_redelivered_buy_command_creates_no_second_request(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[0]
    command = world.requests.slash_command(REQUESTER, f"buy {e164} for the Chennai desk")
    world.send(command)
    first = world.reply_to(REQUESTER, "waiting for an approver")
    world.send(command, retry_num=1)
    world.send(command, retry_num=2)
    again = world.reply_to(REQUESTER, "already an open purchase request", after=1)
    [request] = world.requests_of(REQUESTER)
    assert request.id in first.text and request.id in again.text  # the answer names the request
    world.drain()
    assert len([m for m in world.slack.messages(APPROVALS) if request.id in m.text]) == 1
    assert [e for e, _ in audit_events(world, request.id)] == ["requested"]
    assert world.vobiz_writes() == []


def test_a_redelivered_approve_click_acts_once(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[1])
    click = world.requests.click(APPROVER, world.approval_message(request_id), "Approve")
    world.send(click)
    world.send(click, retry_num=1)
    assert world.settled(request_id).status is Status.SUCCEEDED
    assert len(world.sandbox.requests("purchase")) == 1
    world.reply_to(APPROVER, "already approved")
    assert [e for e, _ in audit_events(world, request_id)] == ["requested", "approved", "executed"]


def test_a_redelivered_denial_denies_once_and_buys_nothing(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[2])
    world.click(ADMIN, world.approval_message(request_id), "Deny")
    world.modal_of(ADMIN)
    submission = world.requests.view_submission(ADMIN, None, {"reason": "Budget is frozen"})
    world.send(submission)
    world.send(submission, retry_num=1)
    assert world.request(request_id).status is Status.DENIED
    assert [e for e, _ in audit_events(world, request_id)] == ["requested", "denied"]
    assert world.sandbox.requests("purchase") == []


def test_a_redelivered_assign_changes_vobiz_once(world: World) -> None:
    sandbox = world.sandbox
    e164 = sandbox.owned_numbers(sandbox.auth_id)[0]
    sub = sandbox.sub_account_ids[0]
    command = world.requests.slash_command(REQUESTER, f"assign {e164} {sub}")
    world.send(command)
    world.send(command, retry_num=1)
    world.reply_to(REQUESTER, "already assigned")
    assert len(sandbox.requests("assign")) == 1
    assert sandbox.describe(e164)["owner"] == sub
    done = rows(world, "SELECT outcome FROM audit WHERE action = 'assign' AND e164 = ?", [e164])
    assert [r["outcome"] for r in done] == ["succeeded"]


def test_a_redelivered_cancel_click_cancels_once(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[3])
    world.command(REQUESTER, "requests")
    listing = world.reply_to(REQUESTER, request_id)
    click = world.requests.click(REQUESTER, listing, "Cancel")
    world.send(click)
    world.send(click, retry_num=1)
    assert world.request(request_id).status is Status.CANCELLED
    assert [e for e, _ in audit_events(world, request_id)] == ["requested", "cancelled"]
