"""The approval message as data: one function draws every state from the request record."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.services.records import Actor, Kind, Quote, Status
from handlers import ids
from handlers.render.approvals import approval_message, requester_notice, request_created
from records_for_tests import APPROVER, NOW, QUOTE, decided, make_request
from slack_checks import all_text, assert_no_injected_markup, assert_within_limits, buttons

HOSTILE = "<!channel> urgent <https://evil.example|click here> & <@U0EVIL> <!here>"


def action_ids(message: dict) -> list[str]:
    return [b["action_id"] for b in buttons(message)]


def test_pending_purchase_shows_the_request_the_quote_and_approve_deny_carrying_only_the_id() -> None:
    msg = approval_message(make_request(), now=NOW)
    text = all_text(msg)
    assert "Purchase request R7K2QX4" in text
    assert "+91 80123 45678" in text
    assert "riya (`U0REQUEST`)" in text and "<@" not in text  # named, not pinged, in the approvals channel
    assert "100 INR" in text and "300 INR" in text
    assert "A new support line for Bengaluru" in text
    assert f"<!date^{int(make_request().expires_at.timestamp())}^" in text
    assert action_ids(msg) == [ids.APPROVE, ids.DENY]
    assert {b["value"] for b in buttons(msg)} == {"R7K2QX4"}
    assert_within_limits(msg)


def test_pending_force_operation_says_only_admins_may_approve() -> None:
    msg = approval_message(
        make_request(kind=Kind.FORCE_UNASSIGN, quote=None, sub_account_id="SA_SALES0001", cool_off_until=NOW + timedelta(days=3)),
        now=NOW,
    )
    text = all_text(msg)
    assert "only admins may approve" in text
    assert "SA_SALES0001" in text
    assert action_ids(msg) == [ids.APPROVE, ids.DENY]


@pytest.mark.parametrize(
    "status",
    [Status.EXECUTING, Status.SUCCEEDED, Status.FAILED, Status.UNKNOWN, Status.DENIED, Status.CANCELLED, Status.EXPIRED],
)
def test_decided_states_have_no_approve_or_deny_buttons(status: Status) -> None:
    msg = approval_message(decided(status, decision_reason="no budget"), now=NOW)
    assert ids.APPROVE not in action_ids(msg)
    assert ids.DENY not in action_ids(msg)
    assert_within_limits(msg)


def test_succeeded_purchase_is_stamped_with_who_and_when() -> None:
    request = decided(Status.SUCCEEDED)
    text = all_text(approval_message(request, now=NOW))
    assert "Approved* by arjun (`U0APPROVE`)" in text and "<@" not in text
    assert f"<!date^{int(request.decided_at.timestamp())}^" in text
    assert "is ours now" in text


def test_denied_shows_the_denier_and_their_reason() -> None:
    text = all_text(approval_message(decided(Status.DENIED, decision_reason="We have a spare one"), now=NOW))
    assert "Denied* by arjun (`U0APPROVE`)" in text
    assert "We have a spare one" in text


def test_failed_with_a_changed_price_shows_old_and_new_quote() -> None:
    new = Quote(setup_fee=Decimal("150"), monthly_fee=Decimal("450"), currency="INR")
    request = decided(Status.FAILED, new_quote=new, outcome_detail="The fees changed since the request.")
    text = all_text(approval_message(request, now=NOW))
    assert "failed" in text
    assert "The fees changed since the request." in text
    assert "150 INR" in text and "450 INR" in text  # the new quote
    assert "quoted setup 100 INR" in text  # and the old one


def test_failed_when_the_number_is_gone_gives_vobiz_reason() -> None:
    request = decided(Status.FAILED, outcome_detail="+918012345678 is no longer available; nothing was charged.")
    assert "no longer available" in all_text(approval_message(request, now=NOW))


def test_outcome_unknown_says_it_is_being_settled() -> None:
    text = all_text(approval_message(decided(Status.UNKNOWN), now=NOW))
    assert "did not confirm" in text and "settle" in text


def test_expired_and_cancelled_say_so() -> None:
    assert "Expired" in all_text(approval_message(make_request(status=Status.EXPIRED), now=NOW))
    cancelled = make_request(status=Status.CANCELLED, decided_at=NOW)
    assert "Cancelled* by riya (`U0REQUEST`)" in all_text(approval_message(cancelled, now=NOW))


def released(**changes: object) -> object:
    return decided(
        Status.SUCCEEDED,
        kind=Kind.RELEASE,
        quote=None,
        release_fee=Decimal("700"),
        release_currency="INR",
        cooldown_ends_at=NOW + timedelta(hours=20),
        **changes,
    )


def test_release_shows_pending_release_fee_and_cooldown_with_undo_until_it_ends() -> None:
    request = released()
    msg = approval_message(request, now=NOW)
    text = all_text(msg)
    assert "pending release" in text
    assert "700 INR" in text
    assert f"<!date^{int(request.cooldown_ends_at.timestamp())}^" in text
    assert action_ids(msg) == [ids.UNDO_RELEASE]
    assert buttons(msg)[0]["value"] == request.id


def test_undo_button_disappears_once_the_cooldown_ended() -> None:
    request = released()
    msg = approval_message(request, now=request.cooldown_ends_at + timedelta(seconds=1))
    assert action_ids(msg) == []
    assert "release is final" in all_text(msg)


def test_undone_release_says_who_undid_it_and_offers_no_undo() -> None:
    msg = approval_message(released(undone_at=NOW, undone_by=Actor("U0REQUEST", "riya")), now=NOW)
    assert "release undone* by riya (`U0REQUEST`)" in all_text(msg)
    assert action_ids(msg) == []


def test_immediate_release_is_final_and_not_undoable() -> None:
    request = decided(Status.SUCCEEDED, kind=Kind.RELEASE_NOW, quote=None, release_fee=Decimal("700"), release_currency="INR")
    msg = approval_message(request, now=NOW)
    assert "cannot be undone" in all_text(msg)
    assert action_ids(msg) == []


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("kind", list(Kind))
def test_hostile_text_is_escaped_in_every_state_and_kind(status: Status, kind: Kind) -> None:
    request = decided(
        status,
        kind=kind,
        reason=HOSTILE,
        decision_reason=HOSTILE,
        outcome_detail=HOSTILE,
        sub_account_id="SA_<!channel>",
        requester=Actor("not-an-id <!everyone>", "<!channel>"),
        decided_by=Actor("U0APPROVE", "x"),
        new_quote=QUOTE,
        cooldown_ends_at=NOW + timedelta(hours=1),
        release_fee=Decimal("1"),
        release_currency="<b>",
    )
    msg = approval_message(request, now=NOW)
    assert_no_injected_markup(msg)
    assert "&lt;!channel&gt;" in all_text(msg)
    assert_within_limits(msg)
    notice = requester_notice(request, now=NOW)
    assert_no_injected_markup(notice)


def test_a_4000_character_reason_stays_within_slack_limits() -> None:
    request = decided(Status.DENIED, reason="x" * 4000, decision_reason="&" * 4000, outcome_detail="<" * 4000)
    for msg in (approval_message(request, now=NOW), approval_message(make_request(reason="&<>" * 1400), now=NOW)):
        assert_within_limits(msg)
        assert_no_injected_markup(msg)
        assert len(msg["text"]) <= 3000


def test_request_created_tells_the_requester_where_it_went_and_quotes_fees() -> None:
    msg = request_created(make_request(), "C0APPROVALS")
    text = all_text(msg)
    assert "<#C0APPROVALS>" in text
    assert "setup 100 INR, then 300 INR/month" in text
    assert action_ids(msg) == [ids.CANCEL_REQUEST]


def test_requester_notice_reports_decision_and_outcome() -> None:
    request = decided(Status.SUCCEEDED, approval_channel="C0APPROVALS", approval_ts="1.2")
    text = all_text(requester_notice(request, now=NOW))
    assert "Your request *R7K2QX4*" in text
    assert "<@U0APPROVE>" in text and "is ours now" in text  # the requester's own DM: here a mention is right
    assert "<#C0APPROVALS>" in text


def test_requester_notice_of_a_release_offers_undo() -> None:
    msg = requester_notice(released(), now=NOW)
    assert action_ids(msg) == [ids.UNDO_RELEASE]
    assert APPROVER.user_id in all_text(msg)
