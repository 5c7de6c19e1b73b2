"""Quorum progress, the allowance's stamp and the freeze's notices as data (issue 14): what they say, and that
text people typed (a freeze reason, a name) is escaped."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.services.records import Actor, Approval, AuditEntry, FreezeState, Status
from handlers import ids
from handlers.render.approvals import approval_message, request_created
from handlers.render.freeze import freeze_banner, freeze_notice, frozen_ack
from handlers.render.help import help_message
from records_for_tests import NOW, make_request
from slack_checks import all_text, assert_no_injected_markup, assert_within_limits, buttons

HOSTILE = "<!channel> urgent <https://evil.example|click here> & <@U0EVIL> <!here>"
ADMIN = Actor("U0ADMIN", "meera")


def test_a_request_needing_two_shows_who_approved_and_who_may_still() -> None:
    waiting = replace(
        make_request(),
        approvals_required=2,
        approvals=(Approval(Actor("U0APPROVE", "arjun <b>"), NOW),),
        may_still_approve=("S0APPROVERS", "U0ADMIN"),
    )
    msg = approval_message(waiting, now=NOW)
    text = all_text(msg)
    assert "*1 of 2 approvals*: arjun &lt;b&gt; (`U0APPROVE`)." in text
    assert "May still approve: members of `S0APPROVERS`, `U0ADMIN`." in text
    assert [b["action_id"] for b in buttons(msg)] == [ids.APPROVE, ids.DENY]
    assert_no_injected_markup(msg)
    assert_within_limits(msg)


def test_a_request_needing_one_looks_as_before() -> None:
    assert "approvals" not in all_text(approval_message(make_request(), now=NOW))


def test_the_allowance_stamp_and_receipt() -> None:
    rule = "allowance: a monthly fee of at most 300 INR and up to 3 purchases a person each calendar month (UTC)"
    done = replace(
        make_request(),
        status=Status.SUCCEEDED,
        decided_by=Actor("numbers-bot", "numbers-bot"),
        decided_at=NOW,
        decision_reason=rule,
        allowance_left=2,
    )
    assert f"Approved* by the allowance ({rule})" in all_text(approval_message(done, now=NOW))
    assert buttons(approval_message(done, now=NOW)) == []
    assert "You have 2 auto-approved purchases left this month (UTC)." in all_text(request_created(done, "C0APPROVALS"))


def test_freeze_texts_escape_the_reason() -> None:
    state = FreezeState(by=ADMIN, since=NOW - timedelta(hours=1), reason=HOSTILE)
    entry = AuditEntry(id=7, at=NOW, actor=ADMIN, event="froze", action="freeze", outcome="frozen", reason=HOSTILE)
    for msg in (frozen_ack(state), freeze_notice(entry), help_message(frozen=state), {"blocks": [freeze_banner(state)]}):
        text = all_text(msg)
        assert "frozen" in text.lower() and "meera" in text
        assert_no_injected_markup(msg)
    shown = help_message(frozen=state)
    assert "The bot is frozen" in shown["blocks"][1]["text"]["text"]  # right under the title
    assert shown["text"].startswith("The bot is frozen")
    assert "The bot is frozen" not in all_text(help_message())
    unfrozen = AuditEntry(id=8, at=NOW, actor=ADMIN, event="unfroze", action="freeze", outcome="unfrozen")
    assert "*Unfrozen* by meera (`U0ADMIN`)" in all_text(freeze_notice(unfrozen))
    waiting = request_created(make_request(), "C0APPROVALS", frozen=state)
    assert "The bot is frozen" in all_text(waiting) and "It waits until then." in all_text(waiting)
