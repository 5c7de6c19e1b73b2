"""The App Home tab: published when a person opens it, and again after they decide or cancel from it.

Everything shown is read from the services just before publishing (state is the source of truth): the
requests waiting for their decision, their open requests, numbers on hold, the latest history they may see.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.services.audit_filters import AuditFilter
from bot.services.records import Actor
from handlers.listeners.context import services_of, surface_of
from handlers.render.home import HOLDS_SHOWN, LATEST_SHOWN, HomeState, home_view

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("handlers.listeners.events")


def home_opened(event: dict[str, Any], client: WebClient, context: Any) -> None:
    if event.get("tab", "home") != "home":
        return
    user_id = str(event.get("user", ""))
    publish_home(services_of(context), client, user_id, now=surface_of(context).clock())


def publish_home(services: Services, client: WebClient, user_id: str, *, now: datetime) -> None:
    actor = Actor(user_id=user_id)
    holds = services.holds.current(viewer=actor, limit=HOLDS_SHOWN + 1)
    state = HomeState(
        requests=services.approvals.list_for(actor),
        holds=holds[:HOLDS_SHOWN],
        holds_more=len(holds) > HOLDS_SHOWN,
        latest=services.audit.search(AuditFilter(), viewer=actor, limit=LATEST_SHOWN).entries,
        sees_all=services.audit.may_see_all(actor),
        frozen=services.freeze.current(),
    )
    client.views_publish(user_id=user_id, view=home_view(state, now=now))


def refresh_homes(services: Services, client: WebClient, user_ids: Iterable[str], *, now: datetime) -> None:
    """Re-publish the tabs of the people a decision or a cancel concerns. A failure here only leaves a tab
    stale until it is next opened, so it is logged, never shown as an error of the decision itself."""
    for user_id in dict.fromkeys(u for u in user_ids if u):
        try:
            publish_home(services, client, user_id, now=now)
        except Exception:
            log.warning("could not refresh the Home tab of %s", user_id, exc_info=True)


def clicked_in_home(body: dict[str, Any]) -> bool:
    """Whether an interaction came from the App Home tab (payload shapes are not trusted)."""
    container = body.get("container")
    view = body.get("view")
    return (isinstance(container, dict) and container.get("type") == "view" and isinstance(view, dict)
            and view.get("type") == "home")
