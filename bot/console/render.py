"""Block Kit as terminal lines, with every clickable button numbered.

`render_blocks(blocks, fallback, text, number)` is pure: `text(obj)` renders a text object (mrkdwn or
plain_text) and `number(button, position)` hands out the number shown as ``[N: Label]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fakes.slack import Button
from fakes.slack.blockkit import buttons, rich_text_of, text_of

TextRenderer = Callable[[Any], str]
Numberer = Callable[[Button, int], int]

RULE = "─" * 40
_FIELD_LABEL = re.compile(r"^\*([^*\n]+)\*\n(.+)$", re.DOTALL)


def render_blocks(
    blocks: list[dict[str, Any]] | None,
    *,
    fallback: str,
    text: TextRenderer,
    number: Numberer,
    errors: Mapping[str, str] | None = None,
) -> list[str]:
    """The lines a person reads; `fallback` (mrkdwn) when there are no blocks. `errors` are a modal's
    field errors by block_id, shown under their input."""
    if not blocks:
        return text({"type": "mrkdwn", "text": fallback}).splitlines() if fallback else []
    lines: list[str] = []
    position = 0
    for block in blocks:
        if not isinstance(block, dict):
            continue
        shown: list[Button] = buttons([block])
        numbers = []
        for button in shown:
            numbers.append(number(button, position) if not button.url else 0)
            position += 1
        lines.extend(_block_lines(block, text, iter(zip(shown, numbers, strict=True))))
        error = (errors or {}).get(str(block.get("block_id", "")))
        if error:
            lines.append(f"  ! {error}")
    return lines


def button_text(button: Button, number: int) -> str:
    if button.url:
        return f"[{button.text} ↗ {button.url}]"
    return f"[{number}: {button.text}]"


def _element(element: dict[str, Any], text: TextRenderer, numbered: Any) -> str:
    kind = element.get("type")
    if kind == "button":
        button, number = next(numbered)
        return button_text(button, number)
    if kind in ("plain_text", "mrkdwn"):
        return text(element)
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("static_select", "overflow", "users_select", "conversations_select", "channels_select"):
        return f"[{text_of(element.get('placeholder')) or kind} ▾]"
    return ""


def _field(obj: Any, text: TextRenderer) -> str:
    """``*Label*\\nvalue`` (how fields pair a label with a value) reads as ``Label: value``."""
    raw = text_of(obj)
    match = _FIELD_LABEL.match(raw)
    if match and isinstance(obj, dict) and obj.get("type") == "mrkdwn":
        return f"{match.group(1)}: {text({'type': 'mrkdwn', 'text': match.group(2)})}"
    return text(obj)


def _block_lines(block: dict[str, Any], text: TextRenderer, numbered: Any) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [text(block.get("text"))]
    if kind == "section":
        lines = text(block["text"]).splitlines() if block.get("text") else []
        lines += [_field(f, text) for f in block.get("fields") or []]
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and (shown := _element(accessory, text, numbered)):
            lines.append(shown)
        return lines
    if kind == "context":
        parts = [_element(e, text, numbered) for e in block.get("elements") or [] if isinstance(e, dict)]
        return [" · ".join(p for p in parts if p)]
    if kind == "actions":
        parts = [_element(e, text, numbered) for e in block.get("elements") or [] if isinstance(e, dict)]
        return [" ".join(p for p in parts if p)]
    if kind == "divider":
        return [RULE]
    if kind == "input":
        element = block.get("element") if isinstance(block.get("element"), dict) else {}
        initial = element.get("initial_value") or ""
        optional = " (optional)" if block.get("optional") else ""
        return [f"{text(block.get('label'))}{optional}: {initial or '____'}"]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return [text({"type": "plain_text", "text": rich_text_of(block, mention=lambda user_id: f"@{user_id}")})]
    return []


