"""Tiny Block Kit element helpers that enforce Slack's size limits, so builders cannot exceed them.

Limits (https://api.slack.com/reference/block-kit): 50 blocks in a message, 100 in a modal or the
Home tab; 3000 characters of section text; 2000 per section field (10 fields at most); 150 in a
header; 75 in a button label; 2000 in a button value; 24 in a modal title or its submit/close
labels; 3000 in private_metadata and in a plain_text_input's initial value.
"""

from __future__ import annotations

from typing import Any, TypedDict

from handlers.render.text import ELLIPSIS, clip

Block = dict[str, Any]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
CONTEXT_TEXT = 2000
CONTEXT_ELEMENTS = 10
MODAL_TITLE = 24
MODAL_BUTTON = 24
PRIVATE_METADATA = 3000
MESSAGE_TEXT = 3000  # the notification fallback; Slack allows more, people read less


class Message(TypedDict):
    """What `chat.postMessage`, `chat.update` and `respond()` take: fallback text and blocks."""

    text: str
    blocks: list[Block]


def clip_markup(text: str, limit: int) -> str:
    """Clip mrkdwn without leaving half an entity (`&am`) or half a token (`<@U12`) behind."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def plain(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def md(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip_markup(text, limit) or " "}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": md(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def fields(*pairs: tuple[str, str]) -> Block:
    """A section of up to ten `*label*\\nvalue` fields (values must already be escaped)."""
    items = [md(f"*{label}*\n{value}", FIELD_TEXT) for label, value in pairs[:MAX_FIELDS]]
    return {"type": "section", "fields": items}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [md(text, CONTEXT_TEXT) for text in texts[:CONTEXT_ELEMENTS]]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> Block:
    if len(value) > BUTTON_VALUE:
        raise ValueError("a button value is at most 2000 characters; carry an id, not state")
    element: Block = {"type": "button", "text": plain(text, BUTTON_TEXT), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, ok: str, back: str = "Not now") -> dict[str, Any]:
    return {
        "title": plain(title, 100),
        "text": md(text, 300),
        "confirm": plain(ok, 30),
        "deny": plain(back, 30),
    }


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id:
        block["block_id"] = block_id
    return block


def message(text: str, blocks: list[Block]) -> Message:
    return {"text": clip_markup(text, MESSAGE_TEXT) or " ", "blocks": fit(blocks, MESSAGE_BLOCKS)}


def text_message(text: str) -> Message:
    """A message that is its text, shown as one section (the fallback text and the block say the same)."""
    return message(text, [section(text)])


def fit(blocks: list[Block], limit: int) -> list[Block]:
    """At most `limit` blocks; when cut, the last one says so."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    return [*kept, context(f"{len(blocks) - len(kept)} more blocks not shown (Slack's limit).")]


def text_sections(lines: list[str], *, limit: int = SECTION_TEXT) -> list[Block]:
    """Lines packed into as few sections as fit under the section text limit."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = clip_markup(line, limit)
        if current and size + len(line) + 1 > limit:
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        blocks.append(section("\n".join(current)))
    return blocks
