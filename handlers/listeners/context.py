"""The one route by which the services reach listeners, and small readers of Slack payloads.

`inject` is a global Bolt middleware: it puts `services` and the `Surface` (the few settings the
Slack surface needs) into every request's `context`. Listeners read them with `services_of` and
`surface_of`. It also points `respond()` of a modal submission at the response_url of the command or
button that opened the modal (kept in the modal's private_metadata), so replies land where the person
asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.services.clock import utc_now
from bot.services.records import Actor
from handlers import ids
from handlers.render.modals import ModalSubject

if TYPE_CHECKING:  # handlers -> services only; the runtime never needs the class itself
    from bot.services import Services

SERVICES_KEY = "services"
SURFACE_KEY = "surface"


@dataclass(frozen=True)
class Surface:
    """What the Slack surface needs besides the services."""

    approval_channel: str | None = None
    clock: Callable[[], datetime] = field(default=utc_now)


def make_injector(services: Services, surface: Surface) -> Callable[..., None]:
    def inject(context: Any, body: dict[str, Any], next: Callable[[], None]) -> None:  # noqa: A002 (Bolt's name)
        context[SERVICES_KEY] = services
        context[SURFACE_KEY] = surface
        if body.get("type") == "view_submission" and not context.get("response_url"):
            subject = ModalSubject.from_metadata((body.get("view") or {}).get("private_metadata"))
            if subject.response_url and subject.response_url.startswith(("https://", "http://")):
                context["response_url"] = subject.response_url
                context.pop("respond", None)  # rebuilt from the response_url on first use
        next()

    return inject


def services_of(context: Any) -> Services:
    return context[SERVICES_KEY]


def surface_of(context: Any) -> Surface:
    return context.get(SURFACE_KEY) or Surface()


def actor_of(body: dict[str, Any]) -> Actor:
    """Who clicked, typed or submitted, from any payload shape."""
    user = body.get("user")
    if isinstance(user, dict):
        return Actor(user_id=str(user.get("id", "")), name=str(user.get("username") or user.get("name") or ""))
    return Actor(user_id=str(body.get("user_id", "")), name=str(body.get("user_name") or ""))


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, dict):
        return channel.get("id")
    return body.get("channel_id")


def action_value(body: dict[str, Any]) -> str:
    acts = body.get("actions") or [{}]
    return str(acts[0].get("value") or "")


def team_from(view: dict[str, Any]) -> str:
    """The purchase modal's optional team ("" when left empty)."""
    values = ((view.get("state") or {}).get("values") or {}).get(ids.TEAM_BLOCK) or {}
    return str((values.get(ids.TEAM_INPUT) or {}).get("value") or "")


def reason_from(view: dict[str, Any]) -> str:
    values = ((view.get("state") or {}).get("values") or {}).get(ids.REASON_BLOCK) or {}
    return str((values.get(ids.REASON_INPUT) or {}).get("value") or "")
