"""Labels and locks through the real app, on both engines: `label`/`unlabel` (anyone), shown in `list`, `show`
and `trail`, `list team:<name>`; the purchase modal's team labelling the bought number; `lock`/`unlock`
(admins), refusing release and unassign before any approval and again when a request filed earlier is
carried out."""

from __future__ import annotations

import json
import re

from bot.services.records import Status
from handlers import ids
from tests.handlers.slack_checks import assert_no_injected_markup
from tests.scenarios.scenario_world import ADMIN, APPROVER, OTHER, REQUESTER, World

SALES = "SA_SALES0001"


def ask(world: World, user: str, command: str, needle: str) -> str:
    before = len(world.replies(user, needle))
    world.command(user, command)
    return world.reply_to(user, needle, after=before).as_text()


def request_id_in(text: str) -> str:
    match = re.search(r"Request \*?(R[0-9A-Z]+)\*?", text)
    assert match, text
    return match.group(1)


def audit_rows(world: World, action: str) -> list[dict[str, object]]:
    return world.rows("SELECT * FROM audit WHERE action = ? ORDER BY id", (action,))


# ------------------------------------------------------------------------------------------- labels


def test_a_label_shows_in_list_show_and_trail_and_list_filters_by_team(world: World) -> None:
    first, second, third = world.sandbox.owned_numbers(world.sandbox.auth_id)[:3]
    reply = ask(world, OTHER, f'label {first} team:Support purpose:"Bengaluru <!channel> helpline"', "labelled")
    assert "team:support" in reply  # stored in lower case
    ask(world, OTHER, f"label {second} team:support", "labelled")
    ask(world, REQUESTER, f"label {third} team:sales", "labelled")

    [row] = world.rows("SELECT * FROM number_labels WHERE e164 = ?", (first,))
    assert (row["team"], row["purpose"], row["labelled_by_id"]) == ("support", "Bengaluru <!channel> helpline", OTHER)
    assert [r["e164"] for r in audit_rows(world, "label")] == [first, second, third]

    listed = ask(world, REQUESTER, "list team:support", "Our numbers of team:support")
    shown = {n for n in (first, second, third) if _digits(n) in _digits(listed)}
    assert shown == {first, second}, listed  # only the team's numbers
    assert "Bengaluru" in listed

    detail = world.replies(REQUESTER, "Our numbers of team:support")[-1]
    assert_no_injected_markup({"blocks": detail.blocks})  # the purpose is escaped

    shown_one = ask(world, REQUESTER, f"show {first}", "Team")
    assert "team:support" in shown_one and "not locked" in shown_one
    everything = ask(world, REQUESTER, "list", "Our numbers")
    assert "team:sales" in everything and "team:support" in everything

    trail = ask(world, REQUESTER, f"trail {first}", "Trail of")
    assert "Now: :label: team:support" in trail and "label" in trail

    world.drain()
    assert sum("label of" in line and "team:support" in line for line in world.history_lines()) == 2

    ask(world, REQUESTER, f"label {first} team:billing", "It was team:support")
    ask(world, REQUESTER, f"unlabel {second}", "Took the label team:support off")
    empty = ask(world, REQUESTER, "list team:support", "Our numbers of team:support")
    assert "No number of ours is labelled team:support" in empty
    assert [r["detail"] for r in audit_rows(world, "unlabel")] == ["was team:support"]
    assert world.rows("SELECT team FROM number_labels WHERE e164 = ?", (first,)) == [{"team": "billing"}]
    ask(world, REQUESTER, f"unlabel {second}", "has no label")
    assert len(audit_rows(world, "unlabel")) == 1


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_a_bad_team_name_or_a_number_we_do_not_own_changes_nothing(world: World) -> None:
    owned = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    for_sale = world.sandbox.inventory_numbers("IN")[0]
    audit_before = len(world.rows("SELECT id FROM audit"))

    assert "A team name is 1 to 40 characters" in ask(world, REQUESTER, f"label {owned} team:=cmd|x", "team name")
    assert "A team name is" in ask(world, REQUESTER, f"label {owned} team:{'x' * 41}", "team name")
    assert "is not one of the account's numbers" in ask(world, REQUESTER, f"label {for_sale} team:support", "not one of")
    assert "Usage: `/numbers label" in ask(world, REQUESTER, f"label {owned}", "Which team")

    assert world.rows("SELECT * FROM number_labels") == []
    assert len(world.rows("SELECT id FROM audit")) == audit_before


def test_the_purchase_modal_asks_for_a_team_and_the_bought_number_carries_it(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[3]
    world.command(REQUESTER, f"buy {e164}")
    modal = world.modal_of(REQUESTER)
    assert modal.callback_id == ids.PURCHASE_REASON_VIEW
    refused = world.submit(REQUESTER, {"reason": "Support line", "team": "no spaces allowed"})
    assert "A team name is" in json.loads(refused.body)["errors"][ids.TEAM_BLOCK]
    assert world.rows("SELECT id FROM requests") == []

    world.submit(REQUESTER, {"reason": "Support line", "team": "Support-BLR"})
    request_id = request_id_in(world.reply_to(REQUESTER, "waiting for an approver").text)
    world.drain()
    assert world.rows("SELECT * FROM number_labels") == []  # not before it is bought

    world.click(APPROVER, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.SUCCEEDED
    [label] = world.rows("SELECT * FROM number_labels")
    assert (label["e164"], label["team"], label["request_id"], label["labelled_by_id"]) == (e164, "support-blr", request_id, REQUESTER)
    [audited] = audit_rows(world, "label")
    assert audited["request_id"] == request_id and audited["e164"] == e164
    world.drain()
    world.drain()
    assert sum("label of" in line and "support-blr" in line for line in world.history_lines()) == 1  # exactly once
    assert "team:support-blr" in ask(world, REQUESTER, f"show {e164}", "Team")


def test_a_purchase_that_fails_labels_nothing(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[4]
    world.command(REQUESTER, f"buy {e164}")
    world.modal_of(REQUESTER)
    world.submit(REQUESTER, {"reason": "Support line", "team": "support"})
    request_id = request_id_in(world.reply_to(REQUESTER, "waiting for an approver").text)
    world.drain()
    world.sandbox.sell_elsewhere(e164)  # gone before the approver clicks

    world.click(APPROVER, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.FAILED
    assert world.rows("SELECT * FROM number_labels") == []
    assert audit_rows(world, "label") == []


# -------------------------------------------------------------------------------------------- locks


def test_a_lock_refuses_release_and_unassign_before_any_approval_is_asked_for(world: World) -> None:
    e164 = world.sandbox.owned_numbers(SALES)[0]
    refused = ask(world, APPROVER, f"lock {e164} Printed on every invoice", "Only an admin")
    assert "ADMINS" in refused
    assert world.rows("SELECT * FROM number_locks") == []
    [attempt] = audit_rows(world, "lock")
    assert (attempt["event"], attempt["outcome"], attempt["actor_id"]) == ("refused", "refused", APPROVER)

    ask(world, ADMIN, f"lock {e164} Printed on every invoice", "is locked")
    [lock] = world.rows("SELECT * FROM number_locks")
    assert (lock["e164"], lock["reason"], lock["locked_by_id"]) == (e164, "Printed on every invoice", ADMIN)
    assert "already locked" in ask(world, ADMIN, f"lock {e164} again", "already locked")

    for command in (f"release {e164} Not needed", f"release --now {e164} Leaked", f"unassign {e164}"):
        text = ask(world, REQUESTER, command, "is locked by")
        assert "Printed on every invoice" in text and "meera" in text and "since" in text, text
    assert world.rows("SELECT id FROM requests") == []  # nothing waits for an approver
    assert world.vobiz_writes() == []
    assert world.slack.messages("C0APPROVALS") == []

    assert ":lock: locked by" in ask(world, REQUESTER, f"show {e164}", "Lock")
    assert ":lock: locked by" in ask(world, REQUESTER, f"list {e164}", "Our numbers")
    assert "Only an admin" in ask(world, REQUESTER, f"unlock {e164}", "Only an admin")
    ask(world, ADMIN, f"unlock {e164}", "is unlocked")
    assert world.rows("SELECT * FROM number_locks") == []
    assert [(r["event"], r["actor_id"]) for r in audit_rows(world, "unlock")] == [("refused", REQUESTER), ("done", ADMIN)]

    ask(world, REQUESTER, f"release {e164} Not needed", "waiting for an approver")
    world.drain()
    lines = world.history_lines()
    assert sum(" lock of" in line for line in lines) == 2  # the refused attempt and the lock, once each
    assert sum("unlock of" in line for line in lines) == 2


def test_a_release_asked_for_before_the_lock_is_refused_when_approved_and_the_requester_told(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[5]
    request_id = request_id_in(ask(world, REQUESTER, f"release {e164} Campaign ended", "waiting for an approver"))
    world.drain()
    ask(world, ADMIN, f"lock {e164} Legal hold", "is locked")

    world.click(APPROVER, world.approval_message(request_id), "Approve")
    request = world.settled(request_id)
    assert request.status is Status.FAILED
    assert "Legal hold" in (request.outcome_detail or "") and "Nothing was done at Vobiz" in (request.outcome_detail or "")
    assert world.sandbox.requests("release") == []
    assert world.sandbox.describe(e164)["status"] == "active"
    world.drain()
    assert any(request_id in m.text and "Legal hold" in m.as_text() for m in world.dms(REQUESTER))
    assert "Legal hold" in world.approval_message(request_id).as_text()


def test_a_force_unassign_asked_for_before_the_lock_is_refused_when_approved(world: World) -> None:
    e164 = world.sandbox.owned_numbers(SALES, recent_call=True)[0]
    ask(world, REQUESTER, f"unassign {e164}", "cool-off")
    world.click(REQUESTER, world.replies(REQUESTER, "cool-off")[-1], "Request force unassign")
    world.modal_of(REQUESTER)
    world.submit(REQUESTER, {"reason": "Sub-account closed"})
    request_id = request_id_in(world.reply_to(REQUESTER, "admin").text)
    world.drain()
    ask(world, ADMIN, f"lock {e164} Sales keeps it", "is locked")

    world.click(ADMIN, world.approval_message(request_id), "Approve")
    request = world.settled(request_id)
    assert request.status is Status.FAILED and "Sales keeps it" in (request.outcome_detail or "")
    assert world.sandbox.requests("unassign") == [] or all("force" not in e["path"] for e in world.sandbox.requests("unassign"))
    assert world.sandbox.describe(e164)["owner"] == SALES


def test_list_team_pages_with_the_team_kept_on_the_buttons(world: World) -> None:
    numbers = world.sandbox.owned_numbers()[:12]
    for n, e164 in enumerate(numbers):
        if n and n % 8 == 0:
            world.clock.advance(minutes=1)  # the rate limit: ten counted commands a minute per person
        ask(world, OTHER, f"label {e164} team:ops", "labelled")
    world.clock.advance(minutes=1)
    world.command(REQUESTER, "list team:ops")
    first = world.reply_to(REQUESTER, "Our numbers of team:ops")
    assert "Numbers 1–10 of 12" in first.as_text()
    world.click(REQUESTER, first, "Next ▶")
    second = world.reply_to(REQUESTER, "Numbers 11–12 of 12")
    assert "Our numbers of team:ops" in second.as_text()
    assert {n for n in numbers if _digits(n) in _digits(second.as_text())} == set(sorted(numbers)[10:])
