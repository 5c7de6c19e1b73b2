"""Block Kit as console lines, with numbered buttons, as data."""

from __future__ import annotations

from typing import Any

from bot.console.buttons import ButtonBoard, Place, Source
from bot.console.mrkdwn import render
from bot.console.render import RULE, render_blocks
from fakes.slack import Button
from fakes.slack.blockkit import text_of

APPROVAL: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Purchase request R1"}},
    {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*Number*\n*+91 11 2154 6828*"},
            {"type": "mrkdwn", "text": "*Requested by*\n<@U0ASHA>"},
        ],
    },
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Reason*\n> A new line &amp; more"}},
    {"type": "divider"},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Requested today"}, {"type": "mrkdwn", "text": "expires soon"}]},
    {
        "type": "actions",
        "block_id": "decide.R1",
        "elements": [
            {"type": "button", "action_id": "approval.approve", "value": "R1", "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": "approval.deny", "value": "R1", "text": {"type": "plain_text", "text": "Deny"}},
            {"type": "button", "action_id": "docs", "url": "https://example.com/help", "text": {"type": "plain_text", "text": "Help"}},
        ],
    },
]


def text(obj: Any) -> str:
    return render(text_of(obj), names=None) if obj.get("type") == "mrkdwn" else text_of(obj)


def test_an_approval_message_reads_line_by_line_with_numbered_buttons() -> None:
    board = ButtonBoard()
    source = Source(Place.MESSAGE, ("C0APPROVALS", "1.000100"))

    def number(button: Button, position: int) -> int:
        return board.number(source, button, shown=0, position=position, step=1)

    lines = render_blocks(APPROVAL, fallback="unused", text=text, number=number)
    assert lines == [
        "Purchase request R1",
        "Number: +91 11 2154 6828",
        "Requested by: @U0ASHA",
        "Reason",
        "> A new line & more",
        RULE,
        "Requested today · expires soon",
        "[1: Approve] [2: Deny] [Help ↗ https://example.com/help]",
    ]
    assert [(e.number, e.label, e.button.value) for e in board.all()] == [(1, "Approve", "R1"), (2, "Deny", "R1")]


def test_a_button_shown_again_keeps_its_number_and_a_new_command_starts_over() -> None:
    board = ButtonBoard()
    source = Source(Place.MESSAGE, ("C0APPROVALS", "1.000100"))
    approve = Button(action_id="approval.approve", block_id="decide.R1", text="Approve", value="R1")
    other = Button(action_id="approval.approve", block_id="decide.R2", text="Approve", value="R2")
    assert board.number(source, approve, shown=0, position=0, step=1) == 1
    assert board.number(source, other, shown=0, position=1, step=1) == 2
    assert board.number(source, approve, shown=5, position=0, step=2) == 1  # the message was re-drawn
    assert board.find_label("approve", step=2) == board.get(1)  # the latest output first
    board.reset()
    assert board.get(1) is None and board.find_label("Approve", step=2) is None


def test_a_modal_shows_its_inputs_and_their_errors() -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Denying *R1*."}},
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Why not?"},
            "element": {"type": "plain_text_input", "action_id": "reason_input"},
        },
    ]
    lines = render_blocks(
        blocks, fallback="", text=text, number=lambda b, p: 0, errors={"reason": "Please give a reason."}
    )
    assert lines == ["Denying R1.", "Why not?: ____", "  ! Please give a reason."]


def test_a_message_without_blocks_shows_its_text() -> None:
    lines = render_blocks([], fallback="*Hello* &lt;there&gt;\nsecond", text=text, number=lambda b, p: 0)
    assert lines == ["Hello <there>", "second"]
