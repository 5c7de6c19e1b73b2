"""Releases (undoable, and --now), assignment to sub-accounts, and the 15-day cool-off with its force path."""

from __future__ import annotations

import re
from pathlib import Path

from bot.services.records import Kind, Status
from handlers import ids
from fakes.vobiz import SandboxServer
from fakes.slack.webapi import FakeSlack
from tests.scenarios.scenario_world import ADMIN, APPROVER, REQUESTER, World, build_world

SALES = "SA_SALES0001"


def request_id_in(text: str) -> str:
    match = re.search(r"Request \*(R[0-9A-Z]+)\*", text)
    assert match, text
    return match.group(1)


def test_release_then_undo_charges_then_refunds(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    balance = world.sandbox.balance
    world.command(REQUESTER, f"release {e164} Campaign ended")
    request_id = request_id_in(world.reply_to(REQUESTER, "waiting for an approver").text)
    world.drain()
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    request = world.settled(request_id)
    assert request.status is Status.SUCCEEDED and request.cooldown_ends_at is not None
    assert world.sandbox.describe(e164)["status"] == "pending_release"
    assert world.sandbox.balance < balance
    world.drain()

    message = world.approval_message(request_id)
    text = message.as_text()
    assert "pending release" in text and "release fee" in text
    assert [b.action_id for b in message.buttons()] == [ids.UNDO_RELEASE]
    assert any(b.action_id == ids.UNDO_RELEASE for m in world.dms(REQUESTER) for b in m.buttons())

    world.click(REQUESTER, message, "Undo release")
    undone = world.request(request_id)
    assert undone.undone_at is not None and undone.undone_by is not None
    assert world.sandbox.describe(e164)["status"] == "active"
    assert world.sandbox.balance == balance  # the fee came back
    world.drain()
    redrawn = world.approval_message(request_id)
    assert "release undone" in redrawn.as_text() and redrawn.buttons() == []
    assert len(world.sandbox.requests("cancel_release")) == 1


def test_undo_after_the_cooldown_is_refused_and_the_button_is_gone(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[1]
    world.command(REQUESTER, f"release {e164} Campaign ended")
    request_id = request_id_in(world.reply_to(REQUESTER, "waiting for an approver").text)
    world.drain()
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    world.drain()
    stale = world.approval_message(request_id)
    assert [b.action_id for b in stale.buttons()] == [ids.UNDO_RELEASE]
    world.clock.advance(hours=25)
    world.click(REQUESTER, stale, "Undo release")  # a copy of the message from before the window closed
    world.reply_to(REQUESTER, "24")  # the refusal explains the 24-hour window
    assert world.sandbox.requests("cancel_release") == []
    world.bot.workers.maintain()  # what the worker does every minute: re-draw messages whose window closed
    world.drain()
    redrawn = world.approval_message(request_id)
    assert redrawn.buttons() == [], "the Undo button is still on the approval message after the window closed"
    assert "release is final" in redrawn.as_text() and "Undo is possible until" not in redrawn.as_text()


def test_release_now_is_a_force_operation_only_an_admin_may_approve(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[2]
    world.command(REQUESTER, f"release --now {e164} Number leaked publicly")
    request_id = request_id_in(world.reply_to(REQUESTER, "an admin has to approve").text)
    assert world.request(request_id).kind is Kind.RELEASE_NOW
    world.drain()
    message = world.approval_message(request_id)
    assert "only admins may approve" in message.as_text()

    world.click(APPROVER, message, "Approve")
    world.reply_to(APPROVER, "Only an admin")
    assert world.sandbox.requests("release") == []

    world.click(ADMIN, message, "Approve")
    assert world.settled(request_id).status is Status.SUCCEEDED
    [release] = world.sandbox.requests("release")
    assert "immediate=true" in release["path"]
    world.drain()
    assert "cannot be undone" in world.approval_message(request_id).as_text()
    assert world.approval_message(request_id).buttons() == []


def test_release_without_a_reason_asks_in_a_modal(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[3]
    world.command(REQUESTER, f"release {e164}")
    modal = world.modal_of(REQUESTER)
    assert modal.callback_id == ids.RELEASE_REASON_VIEW
    world.submit(REQUESTER, {"reason": "No longer used"})
    world.reply_to(REQUESTER, "waiting for an approver")


def test_assign_to_a_sub_account(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[4]
    world.command(REQUESTER, f"assign {e164} {SALES}")
    world.reply_to(REQUESTER, f"now belongs to sub-account {SALES}")
    assert world.sandbox.describe(e164)["owner"] == SALES
    world.drain()
    assert any("assign" in line and SALES in line for line in world.history_lines())


def test_assign_to_an_unknown_sub_account_lists_the_known_ones_and_writes_nothing(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[5]
    world.command(REQUESTER, f"assign {e164} SA_NOSUCH0001")
    reply = world.reply_to(REQUESTER, "SA_NOSUCH0001")
    assert SALES in reply.as_text()
    assert world.vobiz_writes() == []


def test_unassign_in_cool_off_then_force_request_refused_for_non_admin_executed_for_admin(world: World) -> None:
    e164 = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    world.sandbox.set_admin(True)  # the Vobiz account may force; our ADMINS decide who asks it to
    world.command(REQUESTER, f"unassign {e164}")
    answer = world.reply_to(REQUESTER, "cool-off")
    until = world.sandbox.describe(e164)["last_call_at"]
    assert re.search(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>", answer.text + str(answer.blocks))
    assert "from now" in answer.as_text()
    assert until is not None
    [force] = [b for b in answer.buttons() if b.action_id == ids.REQUEST_FORCE_UNASSIGN]
    assert world.sandbox.describe(e164)["owner"] == SALES

    world.click(REQUESTER, answer, "Request force unassign")
    assert world.modal_of(REQUESTER).callback_id == ids.FORCE_UNASSIGN_REASON_VIEW
    world.submit(REQUESTER, {"reason": "The sales team closed"})
    request_id = request_id_in(world.reply_to(REQUESTER, "waiting for an approver").text)
    request = world.request(request_id)
    assert request.kind is Kind.FORCE_UNASSIGN and request.sub_account_id == SALES
    world.drain()
    message = world.approval_message(request_id)

    world.click(APPROVER, message, "Approve")
    world.reply_to(APPROVER, "Only an admin")
    assert world.sandbox.requests("unassign") == [e for e in world.sandbox.requests("unassign") if "force" not in e["path"]]

    world.click(ADMIN, message, "Approve")
    assert world.settled(request_id).status is Status.SUCCEEDED
    forced = [e for e in world.sandbox.requests("unassign") if "force=true" in e["path"]]
    assert len(forced) == 1
    assert world.sandbox.describe(e164)["owner"] == world.sandbox.auth_id
    world.drain()
    assert "with force" in world.approval_message(request_id).as_text()


def test_unassign_outside_the_cool_off_just_happens(world: World) -> None:
    e164 = world.sandbox.owned_numbers(SALES, recent_call=False)[0]
    world.command(REQUESTER, f"unassign {e164}")
    world.reply_to(REQUESTER, "taken back")
    assert world.sandbox.describe(e164)["owner"] == world.sandbox.auth_id


def test_without_release_approval_a_release_happens_at_once_and_says_so(
    slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path
, database_url: str | None) -> None:
    world = build_world(slack, sandbox, tmp_path / "bot.db", database_url=database_url, release_needs_approval=False)
    try:
        e164 = sandbox.owned_numbers(sandbox.auth_id)[6]
        world.command(REQUESTER, f"release {e164} Done with it")
        reply = world.reply_to(REQUESTER, "pending release")
        assert "Your request" in reply.as_text()
        assert sandbox.describe(e164)["status"] == "pending_release"
        world.drain()
        [request] = world.requests_of(REQUESTER)
        assert request.status is Status.SUCCEEDED
    finally:
        world.bot.stop()
