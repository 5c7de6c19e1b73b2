"""Denying: who may is checked on the Deny click (refused and audited there), the reason is checked on the
modal, and the denial itself happens after the ack, so a slow Slack directory or database never makes Slack
give up on the submission."""

from __future__ import annotations

import time

from bot.services.records import Status
from handlers import ids
from tests.scenarios.scenario_world import APPROVER, GROUPIE, OTHER, REQUESTER, SLACK_ACK_LIMIT_S, World


def audit_events(world: World, request_id: str) -> list[tuple[str, str]]:
    with world.bot.services.store.read() as db:
        rows = db.query("SELECT event, outcome FROM audit WHERE request_id = ? ORDER BY id", [request_id])
        return [(r["event"], r["outcome"]) for r in rows]


def test_a_deny_click_by_someone_who_may_not_decide_is_refused_and_audited_at_once(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    message = world.approval_message(request_id)

    world.click(OTHER, message, "Deny")
    world.reply_to(OTHER, "Only approvers (or admins) can decide")
    world.click(REQUESTER, message, "Deny")
    world.reply_to(REQUESTER, "someone else has to decide")

    assert world.slack.views(OTHER) == [] and world.slack.views(REQUESTER) == []  # nobody asked for a reason
    assert audit_events(world, request_id) == [("requested", "pending"), ("refused", "refused"), ("refused", "refused")]
    assert world.request(request_id).status is Status.PENDING


def test_a_denial_is_acked_at_once_while_slacks_user_group_directory_hangs(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[1])
    world.click(GROUPIE, world.approval_message(request_id), "Deny")  # an approver through a user group
    assert world.modal_of(GROUPIE).callback_id == ids.DENY_REASON_VIEW
    world.clock.advance(minutes=5)  # the cached group membership is stale: the denial asks Slack again ...
    world.slack.fail_next("usergroups.users.list", "hang", seconds=4)  # ... which takes longer than Slack waits

    started = time.monotonic()
    response = world.requests.send_app(world.app, world.requests.view_submission(GROUPIE, None, {"reason": "Over budget"}))
    acked_in = time.monotonic() - started
    assert response.status == 200 and "errors" not in (response.body or "")
    assert acked_in < SLACK_ACK_LIMIT_S - 1.0, f"the submission was acknowledged after {acked_in:.2f} s"

    world.reply_to(GROUPIE, "Denied", timeout=8)  # once the directory answered, by response_url
    assert world.request(request_id).status is Status.DENIED
    assert [c.fault for c in world.slack.calls("usergroups.users.list")][-1] == "hang"
    world.drain()
    assert "Over budget" in world.approval_message(request_id).as_text()


def test_an_empty_reason_stays_on_the_modal_and_decides_nothing(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[2])
    world.click(APPROVER, world.approval_message(request_id), "Deny")
    world.modal_of(APPROVER)
    answer = world.requests.send_app(world.app, world.requests.view_submission(APPROVER, None, {"reason": "  \n "}))
    assert '"response_action": "errors"' in answer.body and "reason" in answer.body
    world.idle()
    assert world.request(request_id).status is Status.PENDING
    assert world.modal_of(APPROVER).callback_id == ids.DENY_REASON_VIEW
