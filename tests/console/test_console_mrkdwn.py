"""Slack mrkdwn as the console shows it, as data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.console.mrkdwn import PLAIN, Names, Style, render

NAMES = Names(users={"U0BEN": "ben"}, channels={"C0APPROVALS": "approvals"}, groups={"S0OPS": "ops"})
NOON = datetime(2026, 9, 1, 12, 0, tzinfo=timezone.utc)
STAMP = int(datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc).timestamp())  # 1788253200
INDIA = timezone(timedelta(hours=5, minutes=30))


def shown(text: str, *, style: Style = PLAIN, tz: timezone = timezone.utc, now: datetime = NOON) -> str:
    return render(text, style, NAMES, lambda: now, tz)


@pytest.mark.parametrize(
    ("mrkdwn", "expected"),
    [
        ("*Approved* by someone", "Approved by someone"),
        ("_italic_ and ~struck~ and `code *not bold*`", "italic and struck and code *not bold*"),
        ("2*3*4 and SA_SALES0001_X keep their marks", "2*3*4 and SA_SALES0001_X keep their marks"),
        ("see <https://example.com/a_b*c|the docs>", "see the docs (https://example.com/a_b*c)"),
        ("<https://example.com>", "https://example.com"),
        ("<mailto:ops@example.com|ops@example.com>", "ops@example.com"),
        ("by <@U0BEN>", "by @ben"),
        ("by <@U0NOBODY>", "by @U0NOBODY"),
        ("by <@U0BEN|benjamin>", "by @benjamin"),
        ("in <#C0APPROVALS>", "in #approvals"),
        ("in <#C0OTHER|random>", "in #random"),
        ("<!here> <!channel> <!subteam^S0OPS> <!subteam^S0X|@team>", "@here @channel @ops @team"),
        ("a reason &lt;!channel&gt; &amp; &lt;https://evil|click&gt;", "a reason <!channel> & <https://evil|click>"),
        (":white_check_mark: done :no_entry_sign: :not_an_emoji:", "✅ done 🚫 :not_an_emoji:"),
        ("```\n*raw* <@U0BEN>\n``` then *bold*", "\n*raw* <@U0BEN>\n then bold"),
    ],
)
def test_mrkdwn_reads_as_plain_text(mrkdwn: str, expected: str) -> None:
    assert shown(mrkdwn) == expected


def test_bold_and_italic_use_ansi_on_a_terminal_only() -> None:
    assert shown("*Denied* by _ben_", style=Style(ansi=True)) == "\x1b[1mDenied\x1b[22m by \x1b[3mben\x1b[23m"
    assert "\x1b" not in shown("*Denied* by _ben_")


def test_a_link_inside_bold_keeps_its_text_and_url() -> None:
    assert shown("*<https://x.example/a|A>*", style=Style(ansi=True)) == "\x1b[1mA (https://x.example/a)\x1b[22m"


@pytest.mark.parametrize(
    ("token", "now", "expected"),
    [
        ("{date_short_pretty} {time}", NOON, "today 09:00"),
        ("{date_short_pretty} {time}", NOON - timedelta(days=1), "tomorrow 09:00"),
        ("{date_short_pretty} {time}", NOON + timedelta(days=1), "yesterday 09:00"),
        ("{date_short_pretty} {time}", NOON + timedelta(days=5), "Sep 1, 2026 09:00"),
        ("{date_num} {time_secs}", NOON, "2026-09-01 09:00:00"),
        ("{date}", NOON, "September 1st, 2026"),
        ("{date_long}", NOON + timedelta(days=9), "Tuesday, September 1st, 2026"),
        ("{date_long_pretty}", NOON, "Today"),
        ("until {ago}", NOON, "until 3 hours ago"),
        ("until {ago}", NOON - timedelta(days=2), "until in 1 day"),
    ],
)
def test_slack_date_tokens_show_the_time_by_their_format(token: str, now: datetime, expected: str) -> None:
    assert shown(f"<!date^{STAMP}^{token}|2026-09-01 09:00 UTC>", now=now) == expected


def test_date_tokens_are_shown_in_the_readers_time_zone() -> None:
    text = f"expires <!date^{STAMP}^{{date_short_pretty}} {{time}}|2026-09-01 09:00 UTC>"
    assert shown(text, tz=INDIA) == "expires today 14:30"


def test_a_date_token_that_cannot_be_read_shows_its_fallback() -> None:
    assert shown("at <!date^soon^{time}|2026-09-01 09:00 UTC>") == "at 2026-09-01 09:00 UTC"
