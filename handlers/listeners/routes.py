"""The route table: everything Slack can send us, and the listener that answers it.

`register(app, services)` reads top to bottom as that table: the slash command, the buttons, the modal
submissions, the App Home event and the one error handler. The services reach every listener through one
route: the global middleware from `handlers.listeners.context` puts them into `context`. The listeners
live beside this file (commands, actions, views, events); what they draw lives in `handlers/render/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from handlers import ids
from handlers.listeners import actions, commands, events, views
from bot.services.clock import utc_now
from handlers.listeners.context import Surface, make_injector
from handlers.listeners.errors import handle_error, handled_after_ack as guarded

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

ANYTHING = re.compile(r".*", re.DOTALL)  # an action_id or callback_id from an older version of the bot


def register(
    app: App,
    services: Services,
    *,
    approval_channel: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> None:
    app.use(make_injector(services, Surface(approval_channel=approval_channel, clock=clock or utc_now)))

    # /numbers <subcommand>: parsed, then answered by one function per subcommand
    app.command(ids.COMMAND)(guarded(commands.handle_numbers))

    # Buttons (block_actions)
    app.action(ids.APPROVE)(guarded(actions.approve))
    app.action(ids.DENY)(guarded(actions.deny))
    app.action(ids.UNDO_RELEASE)(guarded(actions.undo_release))
    app.action(ids.CANCEL_REQUEST)(guarded(actions.cancel_request))
    for action_id in ids.LIST_PAGE:
        app.action(action_id)(guarded(actions.list_page))
    for action_id in ids.INVENTORY_PAGE:
        app.action(action_id)(guarded(actions.inventory_page))
    app.action(ids.INVENTORY_MORE)(guarded(actions.inventory_more))
    app.action(ids.INVENTORY_WITHOUT)(guarded(actions.inventory_more))
    for action_id in ids.HISTORY_PAGE:
        app.action(action_id)(guarded(actions.history_page))
    app.action(ids.REQUEST_PURCHASE)(guarded(actions.request_purchase))
    app.action(ids.REQUEST_FORCE_UNASSIGN)(guarded(actions.request_force_unassign))

    # Modal submissions (view_submission): the reason asked for before a request or a denial
    app.view(ids.PURCHASE_REASON_VIEW)(guarded(views.purchase_reason))
    app.view(ids.RELEASE_REASON_VIEW)(guarded(views.release_reason))
    app.view(ids.RELEASE_NOW_REASON_VIEW)(guarded(views.release_now_reason))
    app.view(ids.FORCE_UNASSIGN_REASON_VIEW)(guarded(views.force_unassign_reason))
    app.view(ids.DENY_REASON_VIEW)(guarded(views.deny_reason))
    # Last, so they only see what nothing above matched: Bolt runs the first listener that matches.
    app.action(ANYTHING)(guarded(actions.unknown_button))
    app.view(ANYTHING)(guarded(views.unknown_modal))

    # Events
    app.event("app_home_opened")(events.home_opened)

    # Whatever a listener raises: the user sees why, or a reference id that is also logged
    app.error(handle_error)


__all__ = ["register"]
