"""One audit row as the history channel shows it: one escaped line, people named and never pinged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.services.records import Actor, AuditEntry
from handlers.render.history import history_line
from records_for_tests import NOW, QUOTE
from slack_checks import assert_no_injected_markup


def entry(**changes: object) -> AuditEntry:
    base = AuditEntry(
        id=1, at=NOW, actor=Actor("U0APPROVE", "arjun"), event="approved", action="purchase",
        outcome="succeeded", e164="+918012345678", request_id="R7K2QX4", reason="line\nfor <!channel>",
        quote=QUOTE,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("actor", "shown"),
    [
        (Actor("U0APPROVE", "arjun"), "arjun (`U0APPROVE`)"),
        (Actor("U0APPROVE", ""), "`U0APPROVE`"),
        (Actor("U0APPROVE", "<!channel> `x`"), "&lt;!channel&gt; `x` (`U0APPROVE`)"),
        (Actor("numbers-bot", "numbers-bot"), "numbers-bot"),
        (Actor("<@U0ADMIN>", ""), "&lt;@U0ADMIN&gt;"),
    ],
)
def test_history_lines_name_people_without_pinging_them(actor: Actor, shown: str) -> None:
    """The history channel gets a line per audit event: a mention would notify the person on every one."""
    line = history_line(entry(actor=actor))
    assert f"UTC> {shown} *approved* purchase" in line  # right after the date
    assert "<@" not in line
    assert_no_injected_markup({"text": line})


def test_history_line_is_one_readable_escaped_line() -> None:
    line = history_line(entry())
    assert "\n" not in line
    assert "arjun (`U0APPROVE`) *approved* purchase of *+91 80123 45678*" in line and "<@" not in line  # named, never pinged
    assert "[R7K2QX4]" in line and "→ succeeded" in line
    assert "&lt;!channel&gt;" in line
    assert_no_injected_markup({"text": line})
