"""The App Home tab: how to use the bot, your requests and those waiting for your decision."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.services.records import Actor
from handlers import modals
from handlers.context import services_of


def home_opened(event: dict[str, Any], client: WebClient, context: Any) -> None:
    if event.get("tab", "home") != "home":
        return
    user_id = str(event.get("user", ""))
    requests = services_of(context).approvals.list_for(Actor(user_id=user_id))
    client.views_publish(user_id=user_id, view=modals.home_view(requests))
