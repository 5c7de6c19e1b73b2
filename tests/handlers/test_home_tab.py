"""The App Home tab as data: decisions waiting (with Approve/Deny), open requests (with Cancel), numbers on
hold with their end times, the latest history; inside the 100-block limit with many long entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.services.holds import Hold
from bot.services.records import Actor, AuditEntry, Kind, RequestList, Status
from handlers import ids
from handlers.render.history import OWN_ROWS_NOTE
from handlers.render.home import AWAITING_SHOWN, HomeState, home_view
from records_for_tests import NOW, decided, make_request
from slack_checks import all_text, assert_no_injected_markup, assert_within_limits, buttons

HOSTILE = "<!channel> <https://evil.example|approve me> <@U0ADMIN>"


def audit_entry(i: int) -> AuditEntry:
    return AuditEntry(
        id=i, at=NOW - timedelta(minutes=i), actor=Actor("U0APPROVE", "arjun"), event="approved",
        action="purchase", outcome="succeeded", e164="+918012345678", request_id="R7K2QX", reason=HOSTILE * 10,
    )


def test_the_tab_shows_each_part_with_its_buttons() -> None:
    waiting = make_request(id="R0WAIT1", requester=Actor("U0OTHER", "sam"))
    mine = make_request(id="R0MINE1")
    finished = decided(Status.SUCCEEDED, id="R0DONE1")
    holds = [
        Hold("+918012345670", "pending_release", NOW + timedelta(hours=20), request_id="R0REL01"),
        Hold("+918012345671", "cool_off", NOW + timedelta(days=12), sub_account_id="SA_SALES0001"),
    ]
    state = HomeState(RequestList(mine=[mine, finished], awaiting_me=[waiting]), holds, [audit_entry(1)], sees_all=True)
    view = home_view(state, now=NOW)
    text = all_text(view)

    assert text.index("Waiting for your decision") < text.index("Your open requests") < text.index("Numbers on hold") < text.index("Latest history")
    decide = [(b["action_id"], b["value"]) for b in buttons(view) if b["action_id"] in (ids.APPROVE, ids.DENY)]
    assert decide == [(ids.APPROVE, "R0WAIT1"), (ids.DENY, "R0WAIT1")]
    assert [(b["action_id"], b["value"]) for b in buttons(view) if b["action_id"] == ids.CANCEL_REQUEST] == [(ids.CANCEL_REQUEST, "R0MINE1")]
    assert "R0DONE1" not in text  # finished requests are not open
    assert "*+91 80123 45670* is *pending release* until <!date^" in text and "20 hours from now (request *R0REL01*)" in text
    assert "*+91 80123 45671* is in its *cool-off* with SA_SALES0001 until <!date^" in text and "12 days from now" in text
    assert "arjun (`U0APPROVE`) *approved* purchase of *+91 80123 45678*" in text
    assert OWN_ROWS_NOTE not in text
    assert_no_injected_markup(view)


def test_an_empty_tab_says_so_in_each_part_and_a_restricted_viewer_is_told_whose_rows_they_see() -> None:
    text = all_text(home_view(HomeState(RequestList()), now=NOW))
    for said in ("Nothing is waiting for you.", "You have no open requests.", "None of your numbers is on hold", "Nothing recorded yet."):
        assert said in text
    assert OWN_ROWS_NOTE in text
    assert "No number is in a cool-off" not in text  # they cannot know that: they see only their own


def test_a_restricted_viewer_is_told_the_holds_shown_are_their_own_and_a_full_viewer_is_not() -> None:
    holds = [Hold("+918012345670", "pending_release", NOW + timedelta(hours=20), request_id="R0REL01")]
    own = all_text(home_view(HomeState(RequestList(), holds), now=NOW))
    assert "R0REL01" in own and "Only the holds of your own requests are shown" in own
    everyone = all_text(home_view(HomeState(RequestList(), holds, sees_all=True), now=NOW))
    assert "R0REL01" in everyone and "Only the holds of your own requests" not in everyone
    assert "No number is in a cool-off or a pending release." in all_text(home_view(HomeState(RequestList(), sees_all=True), now=NOW))


def test_many_long_entries_stay_within_the_home_tab_limits() -> None:
    many = [make_request(id=f"R{i:06d}", kind=Kind.RELEASE, quote=None, reason=HOSTILE * 20) for i in range(80)]
    holds = [Hold(f"+9180123456{i:02d}", "cool_off", NOW + timedelta(days=1, minutes=i), sub_account_id="SA_" + "X" * 40) for i in range(60)]
    entries = [audit_entry(i) for i in range(60)]
    view = home_view(HomeState(RequestList(mine=many, awaiting_me=many), holds, entries, holds_more=True), now=NOW)
    assert view["type"] == "home"
    assert_within_limits(view, max_blocks=100)
    assert_no_injected_markup(view)
    text = all_text(view)
    assert f"{80 - AWAITING_SHOWN} more waiting" in text
    assert "More numbers are on hold than fit here" in text
    assert "more blocks not shown" not in text  # every part fits; nothing was cut at the end


def test_a_request_being_carried_out_is_open_but_cannot_be_cancelled() -> None:
    executing = replace(make_request(id="R0EXEC1"), status=Status.EXECUTING)
    view = home_view(HomeState(RequestList(mine=[executing])), now=NOW)
    assert "R0EXEC1" in all_text(view) and "approved, being carried out" in all_text(view)
    assert not [b for b in buttons(view) if b["action_id"] == ids.CANCEL_REQUEST]
