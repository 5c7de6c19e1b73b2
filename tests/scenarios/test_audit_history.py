"""`/numbers history [filters]` and `/numbers trail +E164` through the real Bolt app with signed requests:
filters that combine, paging with Older / Newest, bad filters answered with the syntax (injection attempts
included), and people who are not auditors, approvers or admins seeing only their own rows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fakes.vobiz import SandboxServer
from bot.services.records import Actor
from fakes.slack.records import Ephemeral
from fakes.slack.webapi import FakeSlack
from handlers import ids
from handlers.render.history import HISTORY_PAGE_SIZE
from tests.scenarios.scenario_world import ADMIN, APPROVER, OTHER, REQUESTER, USERS, World, build_world
from tests.handlers.slack_checks import assert_no_injected_markup, assert_within_limits

AUDITOR = OTHER  # an auditor who is neither approver nor admin (AUDITORS in this world)
SALES = "SA_SALES0001"


@pytest.fixture
def audited(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "numbers-bot.db", database_url=database_url, auditors=(AUDITOR,))
    yield built
    built.bot.stop()


def rows(world: World, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return world.rows(sql, params)


def named(user_id: str) -> str:
    """How a history line names a person: their name and id, never a mention that pings them."""
    return f"{USERS[user_id]} (`{user_id}`)"


def ask(world: World, command: str, user: str, needle: str) -> Ephemeral:
    before = len(world.replies(user, needle))
    world.command(user, command)
    return world.reply_to(user, needle, after=before)


def ids_shown(reply: Ephemeral) -> list[str]:
    """The request ids on the history lines of a reply, in order."""
    return re.findall(r"\[(R[0-9A-Z]{6})\]", reply.as_text())


def lines_shown(reply: Ephemeral) -> list[str]:
    return [line for line in reply.as_text().splitlines() if "→" in line]


def bought_and_denied(world: World) -> tuple[str, str, str, str]:
    """REQUESTER's purchase approved by APPROVER, and ADMIN's purchase denied by APPROVER."""
    first, second = world.sandbox.inventory_numbers("IN")[:2]
    bought = world.ask_to_buy(first)
    world.click(APPROVER, world.approval_message(bought), "Approve")
    denied = world.ask_to_buy(second, user=ADMIN)
    world.click(APPROVER, world.approval_message(denied), "Deny")
    world.modal_of(APPROVER)
    world.submit(APPROVER, {"reason": "we have enough numbers"})
    world.drain()
    return bought, first, denied, second


def test_filters_combine_and_each_line_matches_them_all(audited: World) -> None:
    world = audited
    bought, first, denied, _ = bought_and_denied(world)

    reply = ask(world, "history <@U0REQUEST> action:purchase outcome:succeeded", AUDITOR, "History")
    shown = lines_shown(reply)
    assert shown and all("→ succeeded" in line and f"[{bought}]" in line for line in shown)
    expected = rows(world, "SELECT id FROM audit WHERE request_id = ? AND outcome = 'succeeded'", (bought,))
    assert len(shown) == len(expected)
    assert "Filters: `@U0REQUEST action:purchase outcome:succeeded`" in reply.as_text()

    decided_by_approver = ask(world, f"history approver:<@{APPROVER}|arjun> since:1h", AUDITOR, "History")
    assert set(ids_shown(decided_by_approver)) == {bought, denied}
    assert re.search(r"since:\d{4}-\d\d-\d\dT", decided_by_approver.as_text())  # an absolute instant now

    one_number = ask(world, f"history <tel:{first}|{first}> outcome:pending", AUDITOR, "History of")
    assert ids_shown(one_number) == [bought] and "*requested*" in one_number.as_text()

    by_request = ask(world, f"history request:{denied.lower()} until:1d", AUDITOR, "History")
    assert "Nothing matches." in by_request.as_text()  # until a day ago: before any of it happened
    assert_no_injected_markup({"blocks": reply.blocks})
    assert_within_limits({"blocks": reply.blocks})


def test_older_and_newest_buttons_page_through_the_same_question(audited: World) -> None:
    world = audited
    numbers = world.sandbox.inventory_numbers("IN")[: HISTORY_PAGE_SIZE + 5]
    made = [world.bot.services.approvals.request_purchase(Actor(REQUESTER), n, f"line {i}") for i, n in enumerate(numbers)]
    world.bot.services.approvals.request_release(Actor(ADMIN), world.sandbox.owned_numbers(world.sandbox.auth_id)[0], "not ours to page")

    first = ask(world, "history action:purchase since:1h", AUDITOR, "History")
    assert ids_shown(first) == [r.id for r in reversed(made)][:HISTORY_PAGE_SIZE]  # newest first
    assert [b.text for b in first.buttons()] == ["Older ▶"]
    assert len(first.buttons()[0].value) < 300

    world.clock.advance(hours=3)  # `since:1h` meant an hour before the command, not before the click
    world.click(AUDITOR, first, "Older ▶")
    second = world.reply_to(AUDITOR, "History", after=0)
    assert second.ts == first.ts and second.replaced == 1  # the same message, re-drawn
    assert ids_shown(second) == [r.id for r in reversed(made)][HISTORY_PAGE_SIZE:]
    assert [b.text for b in second.buttons()] == ["⏮ Newest"]

    world.click(AUDITOR, second, "⏮ Newest")
    again = world.reply_to(AUDITOR, "History")
    assert again.replaced == 2 and ids_shown(again) == ids_shown(first)


def test_a_page_button_is_re_authorised_for_whoever_sends_it(audited: World) -> None:
    world = audited
    bought, _, denied, _ = bought_and_denied(world)
    first = ask(world, "history", REQUESTER, "History")
    assert denied not in first.as_text()
    # A hand-made click carrying an auditor's question about ADMIN's request: REQUESTER still sees only theirs.
    forged = json.dumps({"q": f"request:{denied}"})
    world.send(world.requests.block_action(REQUESTER, ids.HISTORY_OLDER, forged, message=first))
    answer = world.reply_to(REQUESTER, "History")
    assert "Nothing matches. (Only your own rows were searched.)" in answer.as_text()
    assert denied not in answer.as_text().replace(f"request:{denied}", "")


def test_someone_who_is_not_an_auditor_sees_only_their_own_rows_and_is_told_so(audited: World) -> None:
    world = audited
    bought, _, denied, second = bought_and_denied(world)

    mine = ask(world, "history", REQUESTER, "History")
    assert set(ids_shown(mine)) == {bought}
    assert "You see only your own rows" in mine.as_text()

    theirs = ask(world, f"history <@{ADMIN}>", REQUESTER, "History")
    assert ids_shown(theirs) == [] and "Only your own rows were searched" in theirs.as_text()

    everyone = ask(world, "history", AUDITOR, "History")
    assert {bought, denied} <= set(ids_shown(everyone)) and "You see only your own rows" not in everyone.as_text()
    approver_view = ask(world, f"history {second}", APPROVER, "History of")
    assert ids_shown(approver_view) and set(ids_shown(approver_view)) == {denied}


BAD_FILTERS = [
    ("action:purchase' OR 1=1 --", "There is no action"),
    ("action:purchase' OR '1'='1", "There is no action"),
    ("' OR 1=1 --", "I do not understand"),
    ("+918012345678' OR '1'='1", "is not a valid phone number"),
    ("outcome:sucess", "There is no outcome"),
    ("since:yesterday", "cannot read 'yesterday' as a time"),
    ("color:red", "There is no filter 'color:'"),
    ("@riya", "cannot look people up by name"),
    ("request:R1; DROP TABLE audit", "A request id looks like"),
    ("since:2026-11-02 until:2026-11-01", "must be earlier"),
]


@pytest.mark.parametrize(("typed", "said"), BAD_FILTERS)
def test_bad_filters_get_the_syntax_and_leak_no_rows(audited: World, typed: str, said: str) -> None:
    world = audited
    bought_and_denied(world)
    audit_before = rows(world, "SELECT * FROM audit ORDER BY id")

    reply = ask(world, f"history {typed}", AUDITOR, "/numbers history")
    text = reply.as_text()
    assert said in text
    assert "Usage: `/numbers history [filters]`" in text and "/numbers help history" in text
    assert not lines_shown(reply) and not ids_shown(reply)  # no rows shown
    assert rows(world, "SELECT * FROM audit ORDER BY id") == audit_before
    assert_no_injected_markup({"blocks": reply.blocks})


def test_history_with_an_export_format_points_at_export(audited: World) -> None:
    reply = ask(audited, "history jsonl", AUDITOR, "/numbers export")
    assert "`history` shows the rows here" in reply.as_text()


# ------------------------------------------------------------------------------------------ trail


def test_the_trail_tells_the_whole_life_of_a_number_oldest_first(audited: World) -> None:
    world = audited
    number = world.sandbox.inventory_numbers("IN")[0]
    bought = world.ask_to_buy(number, reason="Bengaluru support line")
    world.click(APPROVER, world.approval_message(bought), "Approve")
    world.command(REQUESTER, f"assign {number} {SALES}")
    world.reply_to(REQUESTER, "now belongs to sub-account")
    world.sandbox.set_last_call(number, world.sandbox.now() - timedelta(days=3))
    world.command(REQUESTER, f"unassign {number}")
    cool = world.reply_to(REQUESTER, "cool-off")
    world.click(REQUESTER, cool, "Request force unassign")
    world.modal_of(REQUESTER)
    world.submit(REQUESTER, {"reason": "sales team closed"})
    world.drain()
    forced = world.requests_of(REQUESTER)[0].id
    world.click(ADMIN, world.approval_message(forced), "Approve")
    world.command(REQUESTER, f"release {number} campaign over")
    world.drain()
    released = world.requests_of(REQUESTER)[0].id
    world.click(APPROVER, world.approval_message(released), "Approve")
    world.drain()
    world.click(REQUESTER, world.approval_message(released), "Undo release")
    world.drain()

    trail = ask(world, f"trail {number}", REQUESTER, "Trail of")
    text = trail.as_text()
    story = [
        f"{named(REQUESTER)} *requested* purchase [{bought}]",
        f"{named(APPROVER)} *approved* purchase [{bought}]",
        f"*executed* purchase [{bought}] → succeeded · setup ",  # bought, at the fee quoted to the approver
        f"*done* assignment (sub-account {SALES})",
        "*attempted* unassignment (sub-account SA_SALES0001) → cool_off · cool-off until <!date^",
        f"*requested* force unassign (sub-account {SALES}) [{forced}]",
        f"{named(ADMIN)} *approved* force unassign",
        f"*requested* release [{released}]",
        f"{named(APPROVER)} *approved* release [{released}]",
        f"{named(REQUESTER)} *undone* undo of the release [{released}]",
    ]
    positions = [text.index(part) for part in story]
    assert "<@" not in text  # people are named, never pinged, on history lines
    assert positions == sorted(positions), text
    shown = len(lines_shown(trail))
    assert shown == len(rows(world, "SELECT id FROM audit WHERE e164 = ?", (number,)))
    assert f"{shown} entries" in text and "You see only your own rows" in text  # REQUESTER is no auditor
    assert_no_injected_markup({"blocks": trail.blocks})


def test_a_trail_needs_a_number(audited: World) -> None:
    reply = ask(audited, "trail 12", AUDITOR, "/numbers trail")
    assert "is too short to be a phone number" in reply.as_text()
    assert "Usage: `/numbers trail +E164`" in reply.as_text()
