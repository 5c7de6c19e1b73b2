"""The markup check itself: it must catch an injected mention, not only links and broadcasts, while the
mentions and dates the bot builds pass."""

from __future__ import annotations

import pytest

from bot.services.records import Actor, RequestList, Status
from handlers.render.approvals import (
    approval_channel_unreachable,
    approval_message,
    request_created,
    requester_notice,
)
from handlers.render.requests import request_list
from handlers.render.text import escape
from records_for_tests import NOW, decided, make_request
from slack_checks import injected_markup

MENTION = "<@U0ADMIN>"  # a real person's id, exactly as the bot itself would write a mention


def test_what_the_bot_builds_passes() -> None:
    request = decided(Status.DENIED, decision_reason="no", approval_channel="C0APPROVALS", approval_ts="1.2")
    built = [
        requester_notice(request, now=NOW),  # "*Denied* by <@U0APPROVE>", "(see <#C0APPROVALS>)"
        request_created(make_request(), "C0APPROVALS"),  # "waiting for an approver in <#C0APPROVALS>."
        request_list(RequestList(mine=[], awaiting_me=[make_request(requester=Actor("U0OTHER", "sam"))])),
        approval_message(request, now=NOW),
        approval_channel_unreachable(make_request(), "C0APPROVALS", "<!channel>"),  # "could not post it in <#C…>:"
    ]
    for msg in built:
        assert injected_markup(msg) == [], msg["text"]


@pytest.mark.parametrize(
    "text",
    [
        f"reason: “{MENTION}”",
        f"> please {MENTION} approve",
        "by <@U0ADMIN> who asked",  # bot-like words, but not where the bot writes them
        "in <#C0HISTORY>",
        "<!date^1^{date}|whenever>",  # a date whose fallback the bot did not write
        "<!channel>",
        "<https://evil.example|click>",
    ],
)
def test_an_injected_token_is_caught_even_when_it_names_a_real_person(text: str) -> None:
    assert injected_markup({"type": "mrkdwn", "text": text}) != []
    assert injected_markup({"type": "mrkdwn", "text": escape(text)}) == []  # and escaped, it is harmless
