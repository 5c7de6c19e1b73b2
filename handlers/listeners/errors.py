"""The one `@app.error` handler.

- `ServiceError` (a refusal or a mistake the person can fix): its `user_message`, where they are.
- `StoreUnavailable` (the database is gone or replaced): that nothing was changed and to try again later;
  the store has logged it (once, as an ERROR naming the file), so no traceback is logged here.
- `UsageError` (input the handlers could not read): the message with the usage line.
- Anything else: "Something went wrong (reference ABC123)", the reference logged with the traceback.

"Where they are": when the listener failed before acking, the answer goes back in the HTTP response
(a modal shows it on its input); after the ack, by `respond()` (response_url) or else a direct
message. Nothing Slack-bound ever carries a traceback or a token.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient

from bot.services.errors import ServiceError, StoreUnavailable
from handlers import ids
from handlers.render import notices
from handlers.render.help import usage_error
from handlers.listeners.context import actor_of
from handlers.render.kit import Message, message, section
from handlers.parsing import UsageError
from handlers.listeners.reply import reply
from handlers.render.text import clip

log = logging.getLogger("handlers.listeners.errors")

_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
MODAL_ERROR_CHARS = 300
STORE_UNAVAILABLE = (
    "The bot's database cannot be reached right now, so nothing was changed. "
    "Try again in a minute; if it lasts, tell whoever runs the bot."
)


def new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def handle_error(
    error: Exception,
    body: dict[str, Any],
    context: Any,
    client: WebClient,
    response: BoltResponse | None,
) -> BoltResponse | None:
    if isinstance(error, StoreUnavailable):
        plain = STORE_UNAVAILABLE
        msg = message(f":warning: {plain}", [section(f":warning: {plain}")])
        log.info("could not handle %s: the database is unavailable", _kind(body))
    elif isinstance(error, ServiceError):
        msg, plain = notices.refusal(error.user_message), error.user_message
        log.info("refused %s: %s", _kind(body), type(error).__name__)
    elif isinstance(error, UsageError):
        msg, plain = usage_error(error), error.message
    else:
        reference = new_reference()
        log.error("unexpected error (reference %s) handling %s", reference, _kind(body), exc_info=error)
        msg = notices.unexpected_error(reference)
        plain = f"Something went wrong (reference {reference})."

    acked = response is None
    if not acked and body.get("type") == "view_submission":
        return _modal_errors(clip(plain, MODAL_ERROR_CHARS))
    if not acked and "command" in body:
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", **msg}),
            headers={"content-type": "application/json;charset=utf-8"},
        )
    _deliver(body, context, client, msg)
    return BoltResponse(status=200, body="") if not acked else None


def handled_after_ack(listener: Callable[..., None]) -> Callable[..., None]:
    """Send an error raised after `ack()` straight to `handle_error` instead of back into Bolt.

    Bolt 1.x (ThreadListenerRunner, process_before_response=False) resets the acknowledgement to None
    when a listener raises after acking; if that happens before the request thread has seen the ack,
    Slack gets no answer for 3 seconds and then a 404 ("unhandled request"), and shows the person an
    error on top of our refusal. Errors before the ack still go through Bolt, whose error path lets
    `handle_error` answer in the HTTP response (modal errors). The listener's own arguments are what
    Bolt injects (`functools.wraps` keeps them visible); it must take ack, body, client and context.
    """

    @functools.wraps(listener)
    def guarded(**kwargs: Any) -> None:
        try:
            listener(**kwargs)
        except Exception as error:
            if kwargs["ack"].response is None:
                raise
            handle_error(error, kwargs["body"], kwargs["context"], kwargs["client"], None)

    return guarded


def _modal_errors(text: str) -> BoltResponse:
    payload = {"response_action": "errors", "errors": {ids.REASON_BLOCK: text}}
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json;charset=utf-8"})


def _deliver(body: dict[str, Any], context: Any, client: WebClient, msg: Message) -> None:
    user_id = actor_of(body).user_id
    if body.get("type") == "event_callback" or not user_id:
        return  # nobody to tell (events such as app_home_opened); the log has it
    try:
        reply(context, client, user_id, msg)
    except Exception:  # the error handler must not fail; say so in the log instead
        log.exception("could not tell %s about an error", user_id)


def _kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return f"command {body.get('command')}"
    kind = str(body.get("type") or "request")
    if kind == "block_actions":
        return f"action {((body.get('actions') or [{}])[0]).get('action_id')}"
    if kind == "view_submission":
        return f"view {(body.get('view') or {}).get('callback_id')}"
    if kind == "event_callback":
        return f"event {(body.get('event') or {}).get('type')}"
    return kind
