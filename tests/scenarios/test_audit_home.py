"""The App Home tab through the real Bolt app: what waits for my decision (with Approve/Deny), my open
requests, numbers on hold with their end times, the latest history I may see; and the tabs of the people
concerned re-published after a decision or a cancel made from it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from fakes.vobiz import SandboxServer
from fakes.slack.records import View
from fakes.slack.webapi import FakeSlack
from handlers import ids
from tests.scenarios.scenario_world import ADMIN, APPROVER, OTHER, REQUESTER, USERS, World, build_world
from tests.handlers.slack_checks import assert_no_injected_markup, assert_within_limits


AUDITOR = OTHER  # an auditor who is neither approver nor admin (AUDITORS in the `audited` world)
SALES = "SA_SALES0001"


@pytest.fixture
def audited(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "numbers-bot.db", database_url=database_url, auditors=(AUDITOR,))
    yield built
    built.bot.stop()


def open_home(world: World, user: str) -> View:
    before = len(world.slack.calls("views.publish"))
    world.send(world.requests.app_home_opened(user))
    world.slack.wait_for(lambda: len(world.slack.calls("views.publish")) > before)
    home = world.slack.home(user)
    assert home is not None
    return home


def home_text(world: World, user: str) -> str:
    home = world.slack.home(user)
    return home.as_text() if home else ""


def flat(text: str) -> str:
    """Numbers are shown grouped (+91 80123 45678): without the spaces, each reads as its E.164."""
    return text.replace(" ", "")


def section_of(text: str, title: str, next_title: str) -> str:
    return text.split(title, 1)[1].split(next_title, 1)[0]


def test_the_home_tab_shows_decisions_open_requests_holds_and_history(world: World) -> None:
    owned = next(n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91"))
    world.command(REQUESTER, f"release {owned} campaign over")
    world.drain()
    [release] = world.requests_of(REQUESTER)
    world.click(APPROVER, world.approval_message(release.id), "Approve")
    waiting = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])

    approver_home = open_home(world, APPROVER)
    text = approver_home.as_text()
    assert waiting in section_of(text, "Waiting for your decision", "Your open requests")
    assert [b.value for b in approver_home.buttons() if b.action_id in (ids.APPROVE, ids.DENY)] == [waiting, waiting]
    on_hold = section_of(text, "Numbers on hold", "Latest history")
    assert "pending release" in on_hold and release.id in on_hold and "from now" in on_hold
    assert "*requested* purchase" in section_of(text, "Latest history", "Updated")
    assert_within_limits({"blocks": approver_home.blocks}, max_blocks=100)
    assert_no_injected_markup({"blocks": approver_home.blocks})

    requester_home = open_home(world, REQUESTER)
    mine = section_of(requester_home.as_text(), "Your open requests", "Numbers on hold")
    assert waiting in mine and release.id not in mine  # the release is done: no longer open
    assert [b.value for b in requester_home.buttons() if b.action_id == ids.CANCEL_REQUEST] == [waiting]
    assert "Nothing is waiting for you." in requester_home.as_text()

    outsider = open_home(world, OTHER).as_text()
    assert "Nothing recorded yet." in outsider and "You see only your own rows" in outsider


def test_approving_in_the_home_tab_refreshes_the_approvers_and_the_requesters_tabs(world: World) -> None:
    waiting = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    open_home(world, REQUESTER)
    home = open_home(world, APPROVER)

    world.click(APPROVER, home, "Approve")

    assert world.request(waiting).status.value == "succeeded"
    approver_now = home_text(world, APPROVER)
    assert "Nothing is waiting for you." in approver_now
    assert "*executed* purchase" in approver_now  # the latest history already shows it
    assert waiting not in section_of(home_text(world, REQUESTER), "Your open requests", "Numbers on hold")


def test_denying_in_the_home_tab_refreshes_it_once_the_reason_is_submitted(world: World) -> None:
    waiting = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    home = open_home(world, ADMIN)

    world.click(ADMIN, home, "Deny")
    world.modal_of(ADMIN)
    world.submit(ADMIN, {"reason": "not this quarter"})

    assert world.request(waiting).status.value == "denied"
    assert "Nothing is waiting for you." in home_text(world, ADMIN)
    assert "*denied* purchase" in home_text(world, ADMIN)


def test_cancelling_in_the_home_tab_refreshes_it(world: World) -> None:
    waiting = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    home = open_home(world, REQUESTER)

    world.click(REQUESTER, home, "Cancel")

    assert world.request(waiting).status.value == "cancelled"
    assert "You have no open requests." in home_text(world, REQUESTER)
    assert not [b for b in world.slack.home(REQUESTER).buttons() if b.action_id == ids.CANCEL_REQUEST]  # type: ignore[union-attr]


def test_a_stale_button_in_the_home_tab_is_refused_and_the_tab_redrawn(world: World) -> None:
    waiting = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    stale = open_home(world, APPROVER)
    world.click(ADMIN, world.approval_message(waiting), "Approve")  # decided elsewhere meanwhile

    world.click(APPROVER, stale, "Approve")

    assert "Nothing is waiting for you." in home_text(world, APPROVER)
    told = world.dms(APPROVER)[-1].as_text()  # a click in the Home tab has no response_url: a DM
    assert ":no_entry_sign:" in told and "already approved this" in told, told
    assert len(world.vobiz_writes()) == 1  # bought once


def released(world: World, user: str, e164: str) -> str:
    """`user` asks to release `e164`, an approver approves: the number is pending release. Its request id."""
    before = {r.id for r in world.requests_of(user)}
    world.command(user, f"release {e164} no longer needed")
    world.drain()
    [request] = [r for r in world.requests_of(user) if r.id not in before]
    world.click(APPROVER, world.approval_message(request.id), "Approve")
    return request.id


def test_a_requester_sees_only_their_own_numbers_on_hold_and_an_auditor_sees_everyones(audited: World) -> None:
    world = audited
    theirs_number, mine_number = [n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91")][:2]
    theirs = released(world, ADMIN, theirs_number)  # someone else's release, pending for 24 hours
    mine = released(world, REQUESTER, mine_number)
    cooling = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    world.sandbox.set_last_call(cooling, world.sandbox.now() - timedelta(days=3))
    world.command(ADMIN, f"unassign {cooling}")  # someone else's cool-off
    world.reply_to(ADMIN, "cool-off")

    requester_text = open_home(world, REQUESTER).as_text()
    on_hold = section_of(requester_text, "Numbers on hold", "Latest history")
    assert mine in on_hold and mine_number in flat(on_hold)
    assert theirs not in requester_text and theirs_number not in flat(requester_text)
    assert cooling not in flat(requester_text)
    assert USERS[ADMIN] not in requester_text and ADMIN not in requester_text

    auditor_hold = section_of(open_home(world, AUDITOR).as_text(), "Numbers on hold", "Latest history")
    assert theirs in auditor_hold and mine in auditor_hold and cooling in flat(auditor_hold)
    approver_hold = section_of(open_home(world, APPROVER).as_text(), "Numbers on hold", "Latest history")
    assert theirs in approver_hold and mine in approver_hold and cooling in flat(approver_hold)
