"""Checks on anything the bot sends to Slack: Block Kit limits, no injectable markup, no tracebacks.

Used by the builder tests and (through tests/scenarios/conftest.py) on what FakeSlack recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

# The only `<...>` tokens the bot may emit are date tokens, whose fallback it writes itself, and mentions in the
# few places where it builds them (a ping is the point there), recognised with the words around them: a
# decision's stamp in the requester's DM or the clicker's answer ("*Denied* by <@U…>"), who asked in a list of
# requests ("\nby <@U…>: "), the approvals channel named to a requester, and the approvers (users and user
# groups) a reminder pings ("<@U…> <!subteam^S…>: please approve or deny it above."). A bare `<@U0ADMIN>` anywhere
# else (say, in a reason whose escaping failed) is injected markup, even though it names a real person.
_MARKUP = re.compile(r"<([^<>]*)>")
_DATE = re.compile(r"^!date\^\d+\^[^|<>]+\|\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
_USER = r"<@[UW][A-Z0-9]+>"
_CHANNEL = r"<#[CG][A-Z0-9]+>"
BOT_MENTIONS = re.compile(
    rf"\*(?:Approved|Denied|Cancelled|release undone)\* by {_USER}(?= )"
    rf"|(?:^|\n)by {_USER}(?=: )"
    rf"|waiting for an approver in {_CHANNEL}(?=\.)"
    rf"|\(see {_CHANNEL}\)(?=:)"
    rf"|could not post it in {_CHANNEL}(?=:)"
    rf"|(?:(?:{_USER}|<!subteam\^S[A-Z0-9]+>) ?)+(?=: please approve or deny it above\.)"  # a reminder's pings
)
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


def mrkdwn_texts(payload: Any) -> Iterator[str]:
    """Every string Slack parses as mrkdwn: mrkdwn text objects and a message's fallback `text`."""
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn" and isinstance(payload.get("text"), str):
            yield payload["text"]
        for key, value in payload.items():
            if key == "text" and isinstance(value, str) and payload.get("type") not in ("plain_text", "mrkdwn"):
                yield value  # a message's notification text
            else:
                yield from mrkdwn_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from mrkdwn_texts(item)


def injected_markup(payload: Any) -> list[str]:
    """`<...>` tokens other than the dates and mentions the bot builds: what a hostile text could inject."""
    found = []
    for text in mrkdwn_texts(payload):
        for match in _MARKUP.finditer(BOT_MENTIONS.sub("", text)):
            if not _DATE.match(match.group(1)):
                found.append(match.group(0))
    return found


def assert_no_injected_markup(payload: Any) -> None:
    bad = injected_markup(payload)
    assert not bad, f"unescaped markup reached Slack: {bad[:5]}"


def assert_no_traceback(payload: Any) -> None:
    text = json.dumps(payload, default=str)
    assert not _TRACEBACK.search(text), f"a traceback reached Slack: {text[:300]}"


def limit_violations(payload: Any, *, max_blocks: int = 50) -> list[str]:
    """Breaches of Slack's documented Block Kit limits anywhere in a message, modal or Home view."""
    problems: list[str] = []
    blocks = payload.get("blocks") if isinstance(payload, dict) else None
    if isinstance(blocks, list) and len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    if isinstance(payload, dict) and payload.get("type") == "modal":
        for key in ("title", "submit", "close"):
            if key in payload and len(payload[key]["text"]) > 24:
                problems.append(f"modal {key} longer than 24")
        if len(payload.get("private_metadata", "")) > 3000:
            problems.append("private_metadata longer than 3000")
    if isinstance(blocks, list):
        block_ids = [b["block_id"] for b in blocks if isinstance(b, dict) and "block_id" in b]
        if len(block_ids) != len(set(block_ids)):
            problems.append(f"repeated block_id in {block_ids}")
        for block in blocks:
            action_ids = [e.get("action_id") for e in _interactive_elements(block) if e.get("action_id")]
            if len(action_ids) != len(set(action_ids)):
                problems.append(f"repeated action_id within one block: {action_ids}")
    _walk_limits(payload, problems)
    return problems


def _interactive_elements(block: Any) -> list[dict[str, Any]]:
    if not isinstance(block, dict):
        return []
    elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
    if isinstance(block.get("accessory"), dict):
        elements.append(block["accessory"])
    return [e for e in elements if isinstance(e, dict)]


def _walk_limits(node: Any, problems: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk_limits(item, problems)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "section":
        if "text" in node and len(node["text"]["text"]) > 3000:
            problems.append(f"section text {len(node['text']['text'])} > 3000")
        for item in node.get("fields", []):
            if len(item["text"]) > 2000:
                problems.append(f"section field {len(item['text'])} > 2000")
        if len(node.get("fields", [])) > 10:
            problems.append("more than 10 fields")
        if "text" not in node and "fields" not in node:
            problems.append("section with neither text nor fields")
    if kind == "header" and len(node["text"]["text"]) > 150:
        problems.append("header longer than 150")
    if kind == "button":
        if len(node["text"]["text"]) > 75:
            problems.append(f"button label {len(node['text']['text'])} > 75")
        if len(node.get("value", "")) > 2000:
            problems.append("button value longer than 2000")
        if len(node.get("action_id", "")) > 255:
            problems.append("action_id longer than 255")
    if kind == "actions" and len(node.get("elements", [])) > 25:
        problems.append("actions block with more than 25 elements")
    if kind == "context" and len(node.get("elements", [])) > 10:
        problems.append("context block with more than 10 elements")
    if kind in ("plain_text", "mrkdwn") and not node.get("text"):
        problems.append(f"empty {kind} text")
    for value in node.values():
        _walk_limits(value, problems)


def assert_within_limits(payload: Any, *, max_blocks: int = 50) -> None:
    problems = limit_violations(payload, max_blocks=max_blocks)
    assert not problems, problems


def all_text(payload: Any) -> str:
    """Everything a person could read in a payload, joined (for "does it say X" assertions)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    return "\n".join(parts)


def buttons(payload: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    return found
