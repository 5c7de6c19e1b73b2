"""Button listeners. Each acks first, reads the id the button carries, calls one service method.

Approval buttons carry only the request id: the service reloads the record, so a stale or forged
button can do no more than the record's state allows. The approval message itself is re-drawn by
the outbox delivery (`handlers.outbound.delivery`), never here; a click from anywhere else (the requests list,
a DM) gets an ephemeral answer. A decision or a cancel clicked in the App Home tab re-publishes the tabs of
the people it concerns (and a refused one re-draws the clicker's stale tab).

History paging buttons carry the canonical filter text and a cursor (`handlers.render.history_cursor`): the text is
read again by the audit service and searched for whoever clicked, so a button shows no more than a command.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.services.errors import ServiceError
from bot.services.records import ApprovalRequest, Status
from handlers.render import approvals, history as audit_blocks, inventory, modals, notices, numbers, paging
from handlers.render.history_cursor import HistoryCursor
from handlers.listeners.commands import list_numbers, read_filters
from handlers.listeners.context import action_value, actor_of, channel_of, services_of, surface_of
from handlers.listeners.events import clicked_in_home, refresh_homes
from handlers.render.modals import ModalSubject
from handlers.parsing import SEARCH_MAX, UsageError, parse_number, read_number_filters
from handlers.listeners.reply import reply
from handlers.render.text import escape

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("handlers.listeners.actions")
ACTION_ID_LOGGED = 80  # characters of an unknown action id written to the log


def approve(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    actor = actor_of(body)
    services = services_of(context)
    now = surface_of(context).clock()
    with _stale_home_redrawn(body, services, client, actor.user_id, now):
        request = services.approvals.approve(action_value(body), actor)
    if clicked_in_home(body):
        refresh_homes(services, client, (actor.user_id, request.requester.user_id), now=now)
    # On the approval message its redraw is the answer, except to an approval that is not yet the last
    if not _clicked_on_approval_message(body, request) or request.status is Status.PENDING:
        reply(context, client, actor.user_id, approvals.decision_ack(request, now=now))


def deny(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Checks that the clicker may decide (a refusal is shown and audited now, not after they typed a
    reason), then opens the modal that asks why; the denial happens when it is submitted."""
    ack()
    actor = actor_of(body)
    services = services_of(context)
    with _stale_home_redrawn(body, services, client, actor.user_id, surface_of(context).clock()):
        request = services.approvals.check_may_decide(action_value(body), actor)
    subject = ModalSubject(
        request_id=request.id,
        response_url=body.get("response_url"),
        channel_id=channel_of(body),
        origin="home" if clicked_in_home(body) else None,
    )
    client.views_open(trigger_id=body["trigger_id"], view=modals.deny_reason_modal(subject, e164=None if request.is_bulk else request.e164))


def undo_release(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    actor = actor_of(body)
    request = services_of(context).approvals.undo_release(action_value(body), actor)
    if not _clicked_on_approval_message(body, request):
        reply(context, client, actor.user_id, approvals.undo_result(request, now=surface_of(context).clock()))


def cancel_request(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    actor = actor_of(body)
    services = services_of(context)
    now = surface_of(context).clock()
    with _stale_home_redrawn(body, services, client, actor.user_id, now):
        request = services.approvals.cancel(action_value(body), actor)
    if clicked_in_home(body):
        refresh_homes(services, client, (actor.user_id,), now=now)
    text = f":heavy_multiplication_x: Request *{escape(request.id)}* is cancelled; nobody will act on it."
    reply(context, client, actor.user_id, notices.notice(text))


def history_page(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Newest / Older under `/numbers history`: the filter text is read again and searched for the clicker."""
    ack()
    actor = actor_of(body)
    services = services_of(context)
    cursor = HistoryCursor.from_value(action_value(body))
    query = read_filters(services, cursor.filters, "history")
    page = services.audit.search(
        query.filter, viewer=actor, before_id=cursor.before_id, limit=audit_blocks.HISTORY_PAGE_SIZE
    )
    msg = audit_blocks.history_page(
        page, query.filter, sees_all=services.audit.may_see_all(actor), first_page=cursor.before_id is None
    )
    reply(context, client, actor.user_id, msg, replace=True)


def list_page(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    wanted = paging.read_page_value(action_value(body))
    search = _search_filter(wanted.get("s"))
    team = wanted.get("t") if isinstance(wanted.get("t"), str) else None
    shown = list_numbers(services_of(context), int(wanted["p"]), search, team)  # type: ignore[call-overload]
    reply(context, client, actor_of(body).user_id, shown, replace=True)


def inventory_page(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    wanted = paging.read_page_value(action_value(body))
    country = wanted.get("c") if isinstance(wanted.get("c"), str) and len(str(wanted.get("c"))) == 2 else None
    search = _search_filter(wanted.get("s"))
    page = services_of(context).numbers.inventory_page(country, search, int(wanted["p"]))  # type: ignore[call-overload]
    reply(context, client, actor_of(body).user_id, numbers.inventory_list(page, country, search), replace=True)


def inventory_more(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Keep looking (the same filters, from where the last answer stopped), or Search without a filter:
    the message is re-drawn with the next answer."""
    ack()
    read = inventory.read_search_value(action_value(body))
    if read is None:
        raise UsageError("That button is out of date; run `/numbers inventory` again.", subcommand="inventory")
    text, cursor = read
    wanted = read_number_filters(text, "inventory")
    result = services_of(context).numbers.search(wanted, cursor)
    reply(context, client, actor_of(body).user_id, inventory.search_results(result), replace=True)


def request_purchase(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """`Request purchase` next to an inventory number: ask for a reason in a modal."""
    ack()
    subject = _number_subject(body)
    client.views_open(trigger_id=body["trigger_id"], view=modals.purchase_reason_modal(subject))


def request_force_unassign(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """`Request force unassign` under a cool-off answer: ask for a reason in a modal."""
    ack()
    subject = _number_subject(body)
    client.views_open(trigger_id=body["trigger_id"], view=modals.force_unassign_reason_modal(subject))


def unknown_button(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """A click on a button this version does not know, e.g. on a message an older version drew: say so
    (Bolt would answer 404 and Slack would show the person an error that explains nothing)."""
    ack()
    acts = body.get("actions")
    action_id = acts[0].get("action_id") if isinstance(acts, list) and acts and isinstance(acts[0], dict) else None
    log.warning("a click on a button this version does not know (action id %r)", str(action_id)[:ACTION_ID_LOGGED])
    user_id = actor_of(body).user_id
    if user_id:
        reply(context, client, user_id, notices.outdated_control("button"))


def _number_subject(body: dict[str, Any]) -> ModalSubject:
    e164 = parse_number(action_value(body))  # a forged value is refused here, before any modal
    return ModalSubject(e164=e164, response_url=body.get("response_url"), channel_id=channel_of(body))


def _search_filter(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    digits = value.lstrip("+")
    if len(digits) > SEARCH_MAX or not digits.isdigit():
        raise UsageError("That page button is out of date; run the command again.")
    return value


@contextmanager
def _stale_home_redrawn(body: dict[str, Any], services: Services, client: WebClient, user_id: str, now: datetime) -> Iterator[None]:
    """A refused click in the Home tab (already decided, cancelled, expired) means the tab is out of date:
    re-draw it, then let the refusal reach the person as usual."""
    try:
        yield
    except ServiceError:
        if clicked_in_home(body):
            refresh_homes(services, client, (user_id,), now=now)
        raise


def _clicked_on_approval_message(body: dict[str, Any], request: ApprovalRequest) -> bool:
    message_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
    return bool(message_ts) and message_ts == request.approval_ts
