"""Reading Block Kit the way a person (or a console) does, and checking it against Slack's limits.

Reading: `buttons(blocks)` lists the buttons in order, `inputs(blocks)` the fields of a modal, and
`as_text(blocks, fallback)` renders blocks as plain lines (buttons as ``[Label]``).

Checking: `message_problems(blocks, text)` and `view_problems(view)` return Slack-style error strings
(``"must be less than 3001 characters [json-pointer:/blocks/0/text/text]"``); an empty list means
Slack would accept it. Only limits Slack documents are checked (50 blocks a message, 100 a view,
3000 characters a section text, 75 a button label, 2000 a button value, 255 an id, 24 a modal title,
3000 private_metadata, unique block_ids, unique action_ids within a block, non-empty text objects),
so the stand-in never refuses what Slack would accept for these.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ID = 255
MAX_MODAL_TITLE = 24
MAX_MODAL_BUTTON = 24
MAX_PRIVATE_METADATA = 3000
MAX_INPUT_LABEL = 2000

_INPUT_VALUE_KEYS = {
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "checkboxes": "selected_options",
    "multi_static_select": "selected_options",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
}


@dataclass(frozen=True)
class Button:
    """A button as a person sees it, with what a click on it sends."""

    action_id: str
    block_id: str
    text: str
    value: str | None = None
    style: str | None = None  # "primary", "danger" or None
    url: str | None = None


@dataclass(frozen=True)
class Input:
    """A field of a modal: an input block and its element."""

    block_id: str
    action_id: str
    label: str
    type: str  # the element type: plain_text_input, static_select ...
    optional: bool
    initial_value: Any = None
    options: tuple[tuple[str, str], ...] = ()  # (text, value) of selects and radio buttons

    @property
    def state_key(self) -> str:
        """The key Slack uses for this element's answer in ``state.values[block][action]``."""
        return _INPUT_VALUE_KEYS.get(self.type, "value")


# ----------------------------------------------------------------------------------------------- reading


def text_of(obj: Any) -> str:
    """The string inside a text object (or a bare string); empty for anything else."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return obj["text"]
    return ""


def _block_elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block.get("type") == "actions":
        return [e for e in block.get("elements") or [] if isinstance(e, dict)]
    accessory = block.get("accessory")
    return [accessory] if isinstance(accessory, dict) else []


def buttons(blocks: list[dict[str, Any]] | None) -> list[Button]:
    """Every button in reading order: section accessories and actions elements."""
    found: list[Button] = []
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        for element in _block_elements(block):
            if element.get("type") != "button":
                continue
            found.append(
                Button(
                    action_id=str(element.get("action_id", "")),
                    block_id=str(block.get("block_id", "")),
                    text=text_of(element.get("text")),
                    value=element.get("value"),
                    style=element.get("style"),
                    url=element.get("url"),
                )
            )
    return found


def _options(element: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return tuple((text_of(o.get("text")), str(o.get("value", ""))) for o in options if isinstance(o, dict))


def inputs(blocks: list[dict[str, Any]] | None) -> list[Input]:
    """The input blocks of a view, in order."""
    found: list[Input] = []
    for block in blocks or []:
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        element = block.get("element") if isinstance(block.get("element"), dict) else {}
        element_type = str(element.get("type", ""))
        initial = element.get("initial_value", element.get("initial_option", element.get("initial_date")))
        found.append(
            Input(
                block_id=str(block.get("block_id", "")),
                action_id=str(element.get("action_id", "")),
                label=text_of(block.get("label")),
                type=element_type,
                optional=bool(block.get("optional", False)),
                initial_value=initial,
                options=_options(element),
            )
        )
    return found


def _element_text(element: dict[str, Any]) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[{text_of(element.get('text'))}]"
    if kind in ("plain_text", "mrkdwn"):
        return text_of(element)
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("static_select", "overflow", "users_select", "conversations_select", "channels_select"):
        return f"[{text_of(element.get('placeholder')) or kind} ▾]"
    return ""


def rich_text_of(obj: Any, *, mention: Callable[[str], str] = lambda user_id: f"<@{user_id}>") -> str:
    """The words of a `rich_text` block (or element), with user elements written by `mention`."""
    if isinstance(obj, dict):
        if obj.get("type") == "text":
            return str(obj.get("text", ""))
        if obj.get("type") == "link":
            return str(obj.get("text") or obj.get("url", ""))
        if obj.get("type") == "user":
            return mention(str(obj.get("user_id", "")))
        return "".join(rich_text_of(e, mention=mention) for e in obj.get("elements") or [])
    return ""


def _block_lines(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [text_of(block.get("text"))]
    if kind == "section":
        lines = [text_of(block.get("text"))] if block.get("text") else []
        lines += [text_of(f) for f in block.get("fields") or []]
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and (shown := _element_text(accessory)):
            lines.append(shown)
        return [line for line in lines if line]
    if kind == "context":
        parts = [_element_text(e) for e in block.get("elements") or [] if isinstance(e, dict)]
        return [" | ".join(p for p in parts if p)]
    if kind == "actions":
        parts = [_element_text(e) for e in block.get("elements") or [] if isinstance(e, dict)]
        return [" ".join(p for p in parts if p)]
    if kind == "divider":
        return ["---"]
    if kind == "input":
        element = block.get("element") if isinstance(block.get("element"), dict) else {}
        initial = element.get("initial_value") or ""
        optional = " (optional)" if block.get("optional") else ""
        return [f"{text_of(block.get('label'))}{optional}: {initial or '____'}"]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return [rich_text_of(block)]
    return []


def as_text(blocks: list[dict[str, Any]] | None, *, fallback: str = "") -> str:
    """Blocks as the lines a person reads; `fallback` (the message text) when there are no blocks."""
    if not blocks:
        return fallback
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, dict):
            lines.extend(_block_lines(block))
    return "\n".join(line for line in lines if line is not None)


# ---------------------------------------------------------------------------------------------- checking


class _Checker:
    def __init__(self, root: str) -> None:
        self.root = root
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{message} [json-pointer:{self.root}{path}]")

    def text(self, obj: Any, path: str, *, limit: int, plain_only: bool = False) -> None:
        if not isinstance(obj, dict):
            self.fail(path, "must be a text object")
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.fail(f"{path}/type", f"must be one of {', '.join(allowed)}")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.fail(f"{path}/text", "must be more than 0 characters")
        elif len(text) > limit:
            self.fail(f"{path}/text", f"must be less than {limit + 1} characters")

    def identifier(self, value: Any, path: str) -> None:
        if value is not None and (not isinstance(value, str) or len(value) > MAX_ID):
            self.fail(path, f"must be a string of less than {MAX_ID + 1} characters")

    def element(self, element: Any, path: str) -> None:
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            self.fail(path, "must be an element object with a type")
            return
        self.identifier(element.get("action_id"), f"{path}/action_id")
        if element["type"] == "button":
            self.text(element.get("text"), f"{path}/text", limit=MAX_BUTTON_TEXT, plain_only=True)
            value = element.get("value")
            if value is not None and (not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE):
                self.fail(f"{path}/value", f"must be less than {MAX_BUTTON_VALUE + 1} characters")
            url = element.get("url")
            if url is not None and (not isinstance(url, str) or len(url) > MAX_URL):
                self.fail(f"{path}/url", f"must be less than {MAX_URL + 1} characters")
            if element.get("style") not in (None, "primary", "danger"):
                self.fail(f"{path}/style", "must be one of primary, danger")

    def unique_action_ids(self, elements: list[Any], path: str) -> None:
        seen: set[str] = set()
        for i, element in enumerate(elements):
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if action_id is None:
                continue
            if action_id in seen:
                self.fail(f"{path}/{i}/action_id", f"action_id {action_id!r} already exists in this block")
            seen.add(action_id)

    def block(self, block: Any, path: str) -> None:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            self.fail(path, "must be a block object with a type")
            return
        kind = block["type"]
        self.identifier(block.get("block_id"), f"{path}/block_id")
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.fail(path, "must provide text or fields")
            if "text" in block:
                self.text(block["text"], f"{path}/text", limit=MAX_SECTION_TEXT)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or not 1 <= len(fields) <= MAX_FIELDS:
                    self.fail(f"{path}/fields", f"must provide 1 to {MAX_FIELDS} items")
                else:
                    for i, item in enumerate(fields):
                        self.text(item, f"{path}/fields/{i}", limit=MAX_FIELD_TEXT)
            if "accessory" in block:
                self.element(block["accessory"], f"{path}/accessory")
        elif kind == "header":
            self.text(block.get("text"), f"{path}/text", limit=MAX_HEADER_TEXT, plain_only=True)
        elif kind in ("context", "actions"):
            limit = MAX_CONTEXT_ELEMENTS if kind == "context" else MAX_ACTIONS_ELEMENTS
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= limit:
                self.fail(f"{path}/elements", f"must provide 1 to {limit} items")
                return
            for i, element in enumerate(elements):
                if kind == "context":
                    if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
                        self.text(element, f"{path}/elements/{i}", limit=MAX_SECTION_TEXT)
                else:
                    self.element(element, f"{path}/elements/{i}")
            if kind == "actions":
                self.unique_action_ids(elements, f"{path}/elements")
        elif kind == "input":
            self.text(block.get("label"), f"{path}/label", limit=MAX_INPUT_LABEL, plain_only=True)
            if "element" not in block:
                self.fail(f"{path}/element", "is required")
            else:
                self.element(block["element"], f"{path}/element")

    def blocks(self, blocks: Any, path: str, *, limit: int) -> None:
        if not isinstance(blocks, list):
            self.fail(path, "must be an array")
            return
        if len(blocks) > limit:
            self.fail(path, f"must provide no more than {limit} items")
        seen: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{path}/{i}")
            block_id = block.get("block_id") if isinstance(block, dict) else None
            if isinstance(block_id, str):
                if block_id in seen:
                    self.fail(f"{path}/{i}/block_id", f"block_id {block_id!r} already exists")
                seen.add(block_id)


def message_problems(blocks: Any) -> list[str]:
    """Why Slack would answer ``invalid_blocks`` to these message blocks (empty: it would not)."""
    checker = _Checker("")
    if blocks is not None:
        checker.blocks(blocks, "/blocks", limit=MAX_MESSAGE_BLOCKS)
    return checker.problems


def view_problems(view: Any, *, expected_type: str | None = None) -> list[str]:
    """Why Slack would refuse this view (empty: it would not)."""
    checker = _Checker("/view")
    if not isinstance(view, dict):
        checker.fail("", "must be a view object")
        return checker.problems
    kind = view.get("type")
    if kind not in ("modal", "home") or (expected_type is not None and kind != expected_type):
        checker.fail("/type", f"must be {expected_type or 'modal or home'}")
    if kind == "modal":
        checker.text(view.get("title"), "/title", limit=MAX_MODAL_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text(view[key], f"/{key}", limit=MAX_MODAL_BUTTON, plain_only=True)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and view.get("submit") is None:
            checker.fail("/submit", "is required when an input block is within the blocks array")
    checker.identifier(view.get("callback_id"), "/callback_id")
    checker.identifier(view.get("external_id"), "/external_id")
    metadata = view.get("private_metadata")
    if metadata is not None and (not isinstance(metadata, str) or len(metadata) > MAX_PRIVATE_METADATA):
        checker.fail("/private_metadata", f"must be less than {MAX_PRIVATE_METADATA + 1} characters")
    checker.blocks(view.get("blocks", []), "/blocks", limit=MAX_VIEW_BLOCKS)
    return checker.problems
