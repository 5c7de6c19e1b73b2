"""Getting a message to the person who acted: their response_url when there is one, else a DM."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from handlers.render.kit import Message

log = logging.getLogger(__name__)


def reply(context: Any, client: WebClient, user_id: str, msg: Message, *, replace: bool = False) -> None:
    """Ephemeral reply where the person is (response_url), or a direct message when there is none."""
    if context.get("response_url"):
        answer = context.respond(
            text=msg["text"],
            blocks=msg["blocks"],
            response_type="ephemeral",
            replace_original=replace,
        )
        if answer.status_code == 200:
            return
        log.warning("response_url answered %s; sending a direct message instead", answer.status_code)
    direct_message(client, user_id, msg)


def direct_message(client: WebClient, user_id: str, msg: Message) -> str:
    """Post `msg` in the bot's DM with the user; returns the message ts."""
    opened = client.conversations_open(users=user_id)
    channel = opened["channel"]["id"]
    posted = client.chat_postMessage(channel=channel, text=msg["text"], blocks=msg["blocks"])
    return str(posted["ts"])
