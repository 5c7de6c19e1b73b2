"""Small text helpers for everything the bot posts to Slack: escaping, clipping, numbers, money, dates.

Every piece of text that did not come from this code base (reasons, search terms, Vobiz messages,
service errors that quote input) goes through `escape` before it lands in mrkdwn, so a reason such
as ``<!channel>`` or ``<https://evil|click>`` shows as typed and can neither ping nor fake a link.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal

import phonenumbers

ELLIPSIS = "…"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def escape(text: object) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of typed text (slash command text arrives with &amp; &lt; &gt;)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + ELLIPSIS


def clip_escaped(text: object, limit: int) -> str:
    """Escape then clip without cutting an entity (`&amp;`) in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(0, limit - 1)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def one_line(text: str) -> str:
    """Collapse all whitespace (newlines included) into single spaces."""
    return " ".join(text.split())


def display_number(e164: str) -> str:
    """A number formatted for people, `+91 80 1234 5678`; the raw string when it does not parse."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def number_label(e164: str) -> str:
    """A number in mrkdwn: bold, formatted for people and escaped."""
    return f"*{escape(display_number(e164))}*"


def money(amount: Decimal | int | float | None, currency: str | None) -> str:
    """`300 INR`, `1,250.50 USD`; `unknown` when the amount is missing."""
    if amount is None:
        return "unknown"
    value = Decimal(str(amount))
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{text} {escape(currency)}" if currency else text


def user_mention(user_id: str | None, name: str = "") -> str:
    """`<@U123>` for a real Slack user id; anything else is shown escaped, never as markup."""
    if user_id and _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape(name or user_id or "someone")


def person(user_id: str | None, name: str = "") -> str:
    """Someone named without a ping: `arjun (`U0APPROVE`)`, the display name escaped and the id in code.
    For text many people read where a notification would be noise: the history channel, approval messages."""
    shown = escape(name) if name and name != user_id else ""
    if user_id and _USER_ID.match(user_id):
        return f"{shown} (`{user_id}`)" if shown else f"`{user_id}`"
    return shown or escape(user_id or "someone")


def channel_mention(channel_id: str | None) -> str:
    if channel_id and _CHANNEL_ID.match(channel_id):
        return f"<#{channel_id}>"
    return "the approvals channel"


def fallback_time(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def slack_date(when: datetime, token: str = "{date_short_pretty} {time}") -> str:
    """A Slack date token that shows in each reader's own time zone, with a UTC fallback."""
    stamp = int(when.timestamp())
    return f"<!date^{stamp}^{token}|{fallback_time(when)}>"


def duration(seconds: float) -> str:
    """`3 days 4 hours`, `2 hours 5 minutes`, `40 seconds`: the two largest units that are not zero."""
    remaining = max(0, int(seconds))
    units = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
    parts: list[str] = []
    for name, size in units:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
        if len(parts) == 2:
            break
    return " ".join(parts) or "0 seconds"


def sentence(text: str) -> str:
    """`text` with its first letter in upper case (the rest as it is: "Aadhaar" stays a name)."""
    return text[:1].upper() + text[1:]
