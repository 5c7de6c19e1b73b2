"""Slack mrkdwn as a person reads it in a terminal.

`render(text, style, names, clock)` turns what the bot sends to Slack into display text:

* ``*bold*`` in bold (ANSI when `style.ansi`, else just the words), ``_italic_`` likewise,
  ``~strike~`` and ``\u0060code\u0060`` as their words;
* ``<url|text>`` as ``text (url)``, ``<url>`` as ``url``;
* ``<@U123>`` as ``@name``, ``<#C123>`` as ``#name``, ``<!here>`` as ``@here``, ``<!subteam^S1>`` as
  ``@group``;
* ``<!date^1700000000^{date_short_pretty} {time}|fallback>`` as a local date and time, following the
  token's format (``{date_num}``, ``{date}``, ``{date_short}``, ``{date_long}``, their ``_pretty``
  forms, ``{time}``, ``{time_secs}``, ``{ago}``);
* ``&lt;`` ``&gt;`` ``&amp;`` unescaped, and the emoji the bot uses as characters.

Pure: names and the clock are passed in, so tests read it as data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

BOLD, ITALIC, RESET_BOLD, RESET_ITALIC = "\x1b[1m", "\x1b[3m", "\x1b[22m", "\x1b[23m"
DIM, RESET_DIM = "\x1b[2m", "\x1b[22m"

EMOJI: Mapping[str, str] = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔",
    "x": "❌",
    "heavy_multiplication_x": "✖",
    "warning": "⚠",
    "no_entry": "⛔",
    "no_entry_sign": "🚫",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "inbox_tray": "📥",
    "rotating_light": "🚨",
    "thinking_face": "🤔",
    "telephone_receiver": "📞",
    "information_source": "ℹ",
}

_TOKEN = re.compile(r"<([^<>\n]+)>")
EMOJI_PATTERN = re.compile(r":([a-z0-9_+\-]+):")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])")
_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_FENCE = "```"
_PLACEHOLDER = "\x00{}\x00"
_PLACEHOLDER_RE = re.compile("\x00(\\d+)\x00")


@dataclass(frozen=True)
class Style:
    """How emphasis is shown: ANSI escapes on a terminal, nothing otherwise."""

    ansi: bool = False

    def bold(self, text: str) -> str:
        return f"{BOLD}{text}{RESET_BOLD}" if self.ansi else text

    def italic(self, text: str) -> str:
        return f"{ITALIC}{text}{RESET_ITALIC}" if self.ansi else text

    def dim(self, text: str) -> str:
        return f"{DIM}{text}{RESET_DIM}" if self.ansi and text else text


PLAIN = Style(ansi=False)


@dataclass(frozen=True)
class Names:
    """Who and where ids stand for; unknown ids are shown as they are."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)

    def user(self, user_id: str) -> str:
        return self.users.get(user_id, user_id)

    def channel(self, channel_id: str) -> str:
        return self.channels.get(channel_id, channel_id)

    def group(self, group_id: str) -> str:
        return self.groups.get(group_id, group_id)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emoji(text: str) -> str:
    """The emoji shortcodes the bot uses, as characters (unknown ones stay as typed)."""
    return EMOJI_PATTERN.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def render(
    text: str,
    style: Style = PLAIN,
    names: Names | None = None,
    clock: Callable[[], datetime] | None = None,
    tz: tzinfo | None = None,
) -> str:
    """`text` (Slack mrkdwn) as display text; see the module docstring."""
    names = names or Names()
    now = clock or (lambda: datetime.now().astimezone())
    # Tokens and code spans are set aside first (a URL may hold * or _, code is verbatim), emphasis is
    # applied to the rest, and then they are put back.
    kept: list[str] = []

    def keep(shown: str) -> str:
        kept.append(shown)
        return _PLACEHOLDER.format(len(kept) - 1)

    parts = text.split(_FENCE)
    rendered: list[str] = []
    for index, part in enumerate(parts):
        if index % 2 == 1 and index < len(parts) - 1:  # inside ``` ... ```
            rendered.append(keep(unescape(part)))
            continue
        part = _TOKEN.sub(lambda m: keep(_token(m.group(1), names, now, tz)), part)
        part = _CODE.sub(lambda m: keep(unescape(m.group(1))), part)
        part = _BOLD.sub(lambda m: style.bold(m.group(1)), part)
        part = _ITALIC.sub(lambda m: style.italic(m.group(1)), part)
        part = _STRIKE.sub(lambda m: m.group(1), part)
        part = emoji(part)
        rendered.append(unescape(part))
    joined = "".join(rendered)
    return _PLACEHOLDER_RE.sub(lambda m: kept[int(m.group(1))], joined)


def _token(inner: str, names: Names, now: Callable[[], datetime], tz: tzinfo | None) -> str:
    """One ``<...>`` token as display text."""
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or names.user(target[1:]))
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or names.channel(target[1:]))
    if target.startswith("!date^"):
        return _date(target, label, now, tz)
    if target.startswith("!subteam^"):
        return "@" + (label.lstrip("@") or names.group(target.removeprefix("!subteam^")))
    if target.startswith("!"):
        return "@" + (label or target[1:])
    url = unescape(target)
    if not label or label == url or url.partition(":")[2] == label:  # <mailto:a@b|a@b> reads "a@b"
        return label or url
    return f"{label} ({url})"


def _date(target: str, fallback: str, now: Callable[[], datetime], tz: tzinfo | None) -> str:
    """``!date^<unix>^<format>[^<link>]``: the format with its tokens filled in, in local time."""
    pieces = target.split("^")
    if len(pieces) < 3 or not pieces[1].lstrip("-").isdigit():
        return fallback or target
    when = datetime.fromtimestamp(int(pieces[1])).astimezone(tz)
    today = now().astimezone(when.tzinfo).date()
    shown = re.sub(r"\{(\w+)\}", lambda m: _date_part(m.group(1), when, today, now), pieces[2])
    return shown


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _date_part(name: str, when: datetime, today: date, now: Callable[[], datetime]) -> str:
    pretty = name.endswith("_pretty")
    base = name.removesuffix("_pretty")
    if pretty:
        relative = {0: "today", -1: "yesterday", 1: "tomorrow"}.get((when.date() - today).days)
        if relative is not None:
            return relative.capitalize() if base == "date_long" else relative
    if base == "date_num":
        return when.strftime("%Y-%m-%d")
    if base == "date":
        return f"{when:%B} {_ordinal(when.day)}, {when.year}"
    if base == "date_short":
        return f"{when:%b} {when.day}, {when.year}"
    if base == "date_long":
        return f"{when:%A}, {when:%B} {_ordinal(when.day)}, {when.year}"
    if base == "time":
        return when.strftime("%H:%M")
    if base == "time_secs":
        return when.strftime("%H:%M:%S")
    if base == "ago":
        return _ago(when, now())
    return "{" + name + "}"


def _ago(when: datetime, now: datetime) -> str:
    seconds = int((now - when).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            amount = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {amount}" if future else f"{amount} ago"
    return "just now"
