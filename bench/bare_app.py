"""The yardstick: a bare Bolt app with the bot's signing secret, one `/numbers` command and one action,
both of which only ack. Served exactly like the bot (gunicorn, the same workers, 8 threads), so the
difference between the two is what the bot itself costs.

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=... SLACK_API_URL=... \
        gunicorn --workers 1 --threads 8 bench.bare_app:application

Like every single-workspace Bolt app (the bot too) it calls auth.test once, on its first request, and
caches the answer; it makes no other Web API call.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

_ENVIRONMENT = ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_API_URL")
APPROVE_ACTION = "approval.approve"  # the bot's Approve button (handlers.ids.APPROVE)


def build_bare_app(signing_secret: str, bot_token: str, slack_api_url: str) -> App:
    app = App(
        signing_secret=signing_secret,
        client=WebClient(token=bot_token, base_url=slack_api_url),
        token_verification_enabled=False,
        request_verification_enabled=True,
        process_before_response=False,
        name="bare-bolt",
    )

    @app.command("/numbers")
    def numbers(ack: Any) -> None:
        ack()

    @app.action(APPROVE_ACTION)
    def approve(ack: Any) -> None:
        ack()

    return app


@functools.cache
def _application() -> SlackRequestHandler:
    missing = [name for name in _ENVIRONMENT if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"bench.bare_app: {', '.join(missing)} not set")
    app = build_bare_app(*(os.environ[name] for name in _ENVIRONMENT))
    return SlackRequestHandler(app, path="/slack/events")


def __getattr__(name: str) -> Any:
    # `application` is built when gunicorn asks for it, so the bench can import this module's constants
    # without a signing secret in its environment.
    if name == "application":
        return _application()
    raise AttributeError(name)
