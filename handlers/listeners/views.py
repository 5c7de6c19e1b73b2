"""Modal submissions. The reason is checked before the ack, so a bad one shows as an error on the
modal's input; everything else happens after the ack (Slack gives up after 3 seconds, and a decision may
wait on Slack's user-group directory or on the database) and is reported by `respond()` to where the modal
was opened from, or a DM. A submission that files a request is first admitted by the person's rate limit.
Whether the person may deny at all was checked (and a refusal audited) when they clicked Deny; the denial
checks again and tells them if the request was decided meanwhile.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.services.errors import ServiceError
from bot.services.records import ApprovalRequest
from handlers import ids
from handlers.render import approvals, notices
from handlers.listeners.context import actor_of, reason_from, services_of, surface_of
from handlers.listeners.events import refresh_homes
from handlers.render.modals import ModalSubject
from handlers.parsing import UsageError, check_reason, parse_number
from handlers.listeners.reply import reply

log = logging.getLogger("handlers.listeners.views")


def purchase_reason(ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    e164, reason = _number_and_reason(ack, view)
    if e164 is None or reason is None:
        return
    ack()
    actor = actor_of(body)
    services = services_of(context)
    services.rate_limits.admit(actor, "a purchase request (form)")
    request = services.approvals.request_purchase(actor, e164, reason)
    _report(context, client, actor.user_id, request)


def release_reason(ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    _release(ack, body, view, client, context, immediate=False)


def release_now_reason(ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    _release(ack, body, view, client, context, immediate=True)


def force_unassign_reason(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any
) -> None:
    e164, reason = _number_and_reason(ack, view)
    if e164 is None or reason is None:
        return
    ack()
    actor = actor_of(body)
    services = services_of(context)
    services.rate_limits.admit(actor, "a force unassign request (form)")
    request = services.approvals.request_force_unassign(actor, e164, reason)
    _report(context, client, actor.user_id, request)


def deny_reason(ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    reason = _reason_or_errors(ack, view)
    if reason is None:
        return
    ack()
    subject = ModalSubject.from_metadata(view.get("private_metadata"))
    actor = actor_of(body)
    services = services_of(context)
    now = surface_of(context).clock()
    try:
        request = services.approvals.deny(subject.request_id or "", actor, reason)
    except ServiceError:
        if subject.origin == "home":  # decided, cancelled or expired meanwhile: the tab is out of date
            refresh_homes(services, client, (actor.user_id,), now=now)
        raise
    if subject.origin == "home":
        refresh_homes(services, client, (actor.user_id, request.requester.user_id), now=now)
    reply(context, client, actor.user_id, approvals.decision_ack(request, now=now))


def unknown_modal(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """A modal this version does not know (opened by an older version) was submitted: close it and say so."""
    ack()
    log.warning("a submission of a modal this version does not know (callback id %r)", str((body.get("view") or {}).get("callback_id"))[:80])
    user_id = actor_of(body).user_id
    if user_id:
        reply(context, client, user_id, notices.outdated_control("form"))


def _release(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any, *, immediate: bool
) -> None:
    e164, reason = _number_and_reason(ack, view)
    if e164 is None or reason is None:
        return
    ack()
    actor = actor_of(body)
    services = services_of(context)
    services.rate_limits.admit(actor, "an immediate release request (form)" if immediate else "a release request (form)")
    request = services.approvals.request_release(actor, e164, reason, immediate=immediate)
    _report(context, client, actor.user_id, request)


def _report(context: Any, client: WebClient, user_id: str, request: ApprovalRequest) -> None:
    reply(context, client, user_id, approvals.request_created(request, surface_of(context).approval_channel))


def _reason_or_errors(ack: Any, view: dict[str, Any]) -> str | None:
    try:
        return check_reason(reason_from(view))
    except UsageError as error:
        ack(response_action="errors", errors={ids.REASON_BLOCK: error.message})
        return None


def _number_and_reason(ack: Any, view: dict[str, Any]) -> tuple[str | None, str | None]:
    reason = _reason_or_errors(ack, view)
    if reason is None:
        return None, None
    subject = ModalSubject.from_metadata(view.get("private_metadata"))
    try:
        return parse_number(subject.e164 or ""), reason
    except UsageError as error:
        ack(response_action="errors", errors={ids.REASON_BLOCK: error.message})
        return None, None
