"""The reminder and escalation replies, the approval message's away note, the away answers and the
ask-again line, as data: who is pinged and how, nothing a person typed turned into markup, within limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from bot.services.away import AwayPeriod
from bot.services.records import Kind, Status
from bot.services.reminders import ESCALATION, Nudge
from handlers.parsing import Away, Back, UsageError, parse_command
from handlers.render.approvals import approval_message, requester_notice
from handlers.render.nudges import away_back, away_set, nudge_message
from records_for_tests import NOW, REQUESTER, make_request
from slack_checks import all_text, assert_no_injected_markup, assert_within_limits

import pytest

ARJUN = AwayPeriod("U0APPROVE", "arjun", date(2026, 8, 3), datetime(2026, 8, 4, tzinfo=timezone.utc), NOW)
MEERA = AwayPeriod("U0ADMIN", "meera <!channel>", date(2026, 8, 2), datetime(2026, 8, 3, tzinfo=timezone.utc), NOW)


def nudge(name: str = "reminder-2", mentions: tuple[str, ...] = ("U0APPROVE", "S0APPROVERS"), **changes: object) -> Nudge:
    request = make_request(reason="Needed <!channel> now `rm -rf`", **changes)
    return Nudge(request=request, name=name, at=request.created_at + timedelta(hours=2), mentions=mentions)


def test_a_reminder_pings_users_and_groups_and_nobody_else() -> None:
    msg = nudge_message(nudge())
    text = all_text(msg)
    assert "Reminder 2 of 3" in text and "2 hours" in text
    assert "<@U0APPROVE> <!subteam^S0APPROVERS>: please approve or deny it above." in text
    assert "<@U0REQUEST>" not in text and "`U0REQUEST`" in text  # the requester is named, not pinged
    assert_no_injected_markup(msg)
    assert_within_limits(msg)


def test_the_escalation_and_a_reminder_nobody_could_be_pinged_by() -> None:
    escalation = all_text(nudge_message(nudge(ESCALATION, ("U0ADMIN",))))
    assert "Escalated to the admins" in escalation and "<@U0ADMIN>" in escalation
    lonely = replace(nudge(mentions=()), away=(ARJUN, MEERA))
    text = all_text(nudge_message(lonely))
    assert "Everyone who may decide it is away" in text and "until 2026-08-03" in text and "<@" not in text
    assert_no_injected_markup(nudge_message(lonely))


def test_the_approval_message_says_who_is_away_only_while_pending() -> None:
    pending = approval_message(make_request(), now=NOW, away=(ARJUN, MEERA))
    text = all_text(pending)
    assert "Everyone who may decide this is away: arjun (`U0APPROVE`) until 2026-08-03" in text
    assert "meera &lt;!channel&gt;" in text
    assert_no_injected_markup(pending)
    force = all_text(approval_message(make_request(kind=Kind.RELEASE_NOW, quote=None), now=NOW, away=(MEERA,)))
    assert "Every admin (only admins decide a force operation) is away" in force
    assert "is away" not in all_text(approval_message(make_request(), now=NOW))


@pytest.mark.parametrize(
    ("kind", "command"),
    [
        (Kind.PURCHASE, "`/numbers buy +918012345678 Needed &lt;!channel&gt; now 'rm -rf'`"),
        (Kind.RELEASE, "`/numbers release +918012345678 Needed &lt;!channel&gt; now 'rm -rf'`"),
        (Kind.RELEASE_NOW, "`/numbers release +918012345678 Needed &lt;!channel&gt; now 'rm -rf' --now`"),
        (Kind.FORCE_UNASSIGN, "`/numbers unassign +918012345678`"),
    ],
)
def test_an_expired_request_tells_its_requester_how_to_ask_again(kind: Kind, command: str) -> None:
    expired = make_request(kind=kind, status=Status.EXPIRED, reason="Needed <!channel> now `rm -rf`", finished_at=NOW)
    msg = requester_notice(expired, now=NOW)
    text = all_text(msg)
    assert "Nobody answered it in time" in text and command in text
    assert_no_injected_markup(msg)
    assert "ask again" not in all_text(requester_notice(make_request(status=Status.DENIED), now=NOW)).lower()


def test_the_away_answers() -> None:
    assert "You are away through 2026-08-03" in all_text(away_set(ARJUN))
    assert "Welcome back" in all_text(away_back(ARJUN))
    assert "not marked away" in all_text(away_back(None))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("away until 2026-12-24", Away("2026-12-24")),
        ("AWAY until 2026-1-5", Away("2026-01-05")),
        ("away 2026-12-24", Away("2026-12-24")),
        ("back", Back()),
    ],
)
def test_away_and_back_parse(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["away", "away until", "away until tomorrow", "away until 24/12/2026", "away until 2026-12-24 2026-12-25", "back now"])
def test_away_and_back_mistakes_say_how_to_write_them(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    assert caught.value.subcommand in ("away", "back")
    assert REQUESTER.user_id not in caught.value.message
