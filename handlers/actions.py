"""Button listeners. Each acks first, reads the id the button carries, calls one service method.

Approval buttons carry only the request id: the service reloads the record, so a stale or forged
button can do no more than the record's state allows. The approval message itself is re-drawn by
the outbox delivery (`handlers.delivery`), never here; a click from anywhere else (the requests list,
a DM) gets an ephemeral answer.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.services.errors import Conflict
from bot.services.records import ApprovalRequest, Status
from handlers import blocks, modals
from handlers.context import action_value, actor_of, channel_of, services_of, surface_of
from handlers.modals import ModalSubject
from handlers.parsing import SEARCH_MAX, UsageError, parse_number
from handlers.reply import reply
from handlers.text import escape


def approve(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    actor = actor_of(body)
    request = services_of(context).approvals.approve(action_value(body), actor)
    if not _clicked_on_approval_message(body, request):
        reply(context, client, actor.user_id, blocks.decision_ack(request, now=surface_of(context).clock()))


def deny(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Opens the modal that asks why; the denial happens when it is submitted."""
    ack()
    request = services_of(context).approvals.get(action_value(body))
    if request.status is not Status.PENDING:
        raise Conflict(f"Request {request.id} is no longer waiting for a decision: it is {blocks.STATUS_WORD[request.status]}.")
    subject = ModalSubject(request_id=request.id, response_url=body.get("response_url"), channel_id=channel_of(body))
    client.views_open(trigger_id=body["trigger_id"], view=modals.deny_reason_modal(subject, e164=request.e164))


def undo_release(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    actor = actor_of(body)
    request = services_of(context).approvals.undo_release(action_value(body), actor)
    if not _clicked_on_approval_message(body, request):
        reply(context, client, actor.user_id, blocks.undo_result(request, now=surface_of(context).clock()))


def cancel_request(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    actor = actor_of(body)
    request = services_of(context).approvals.cancel(action_value(body), actor)
    text = f":heavy_multiplication_x: Request *{escape(request.id)}* is cancelled; nobody will act on it."
    reply(context, client, actor.user_id, blocks.notice(text))


def list_page(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    wanted = blocks.read_page_value(action_value(body))
    search = _search_filter(wanted.get("s"))
    page = services_of(context).numbers.list_page(int(wanted["p"]), search)  # type: ignore[call-overload]
    reply(context, client, actor_of(body).user_id, blocks.number_list(page, search), replace=True)


def inventory_page(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    wanted = blocks.read_page_value(action_value(body))
    country = wanted.get("c") if isinstance(wanted.get("c"), str) and len(str(wanted.get("c"))) == 2 else None
    search = _search_filter(wanted.get("s"))
    page = services_of(context).numbers.inventory_page(country, search, int(wanted["p"]))  # type: ignore[call-overload]
    reply(context, client, actor_of(body).user_id, blocks.inventory_list(page, country, search), replace=True)


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


def _number_subject(body: dict[str, Any]) -> ModalSubject:
    e164 = parse_number(action_value(body))  # a forged value is refused here, before any modal
    return ModalSubject(e164=e164, response_url=body.get("response_url"), channel_id=channel_of(body))


def _search_filter(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if len(value) > SEARCH_MAX or not value.lstrip("+").isdigit():
        raise UsageError("That page button is out of date; run the command again.")
    return value


def _clicked_on_approval_message(body: dict[str, Any], request: ApprovalRequest) -> bool:
    message_ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
    return bool(message_ts) and message_ts == request.approval_ts
