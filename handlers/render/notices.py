"""One-section answers: a refusal (a service said no), an unexpected failure with its reference, a click on
a control from an older version of the bot, and short notices of our own making."""

from __future__ import annotations

from handlers.render.kit import Message, text_message
from handlers.render.text import clip_escaped, escape


def refusal(user_message: str) -> Message:
    text = f":no_entry_sign: {clip_escaped(user_message, 2500)}"
    return text_message(text)


def unexpected_error(reference: str) -> Message:
    text = (
        f":warning: Something went wrong (reference {escape(reference)}). Nothing was retried; "
        "tell the bot's owners this reference and they can find what happened in the logs."
    )
    return text_message(text)


def outdated_control(what: str) -> Message:
    """The answer to a click or a submission this version of the bot does not know (`what`: button, form)."""
    text = (
        f":hourglass: That {what} comes from an older version of this bot and no longer does anything; nothing "
        "was changed. Run the command again for a fresh message (`/numbers help` lists them); requests waiting "
        "for a decision are in `/numbers requests`."
    )
    return text_message(text)


def notice(text: str) -> Message:
    """A short line of our own making (callers escape what they interpolate)."""
    return text_message(text)
