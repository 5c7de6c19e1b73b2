"""Modal submissions. The reason is checked before the ack, so a bad one shows as an error on the
modal's input; everything else happens after the ack (Slack gives up after 3 seconds, and a decision may
wait on Slack's user-group directory or on the database) and is reported by `respond()` to where the modal
was opened from, or a DM. A submission that files a request is first admitted by the person's rate limit.
Whether the person may deny at all was checked (and a refusal audited) when they clicked Deny; the denial
checks again and tells them if the request was decided meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.services import marks
from bot.services.errors import InvalidInput, ServiceError
from bot.services.records import Actor, ApprovalRequest
from handlers import ids
from handlers.render import approvals, notices
from handlers.listeners.context import actor_of, reason_from, services_of, surface_of, team_from
from handlers.listeners.events import refresh_homes
from handlers.render.modals import ModalSubject
from handlers.parsing import UsageError, check_reason, parse_number
from handlers.listeners.reply import reply

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("handlers.listeners.views")


def purchase_reason(ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    typed = team_from(view)
    try:
        team = marks.team(typed) if typed.strip() else None
    except InvalidInput as error:
        ack(response_action="errors", errors={ids.TEAM_BLOCK: error.user_message[:300]})
        return

    def purchase(services: Services, actor: Actor, e164: str, reason: str) -> ApprovalRequest:
        return services.approvals.request_purchase(actor, e164, reason, team=team)

    _file_request(ack, body, view, client, context, "a purchase request (form)", purchase)


def release_reason(ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    _file_request(ack, body, view, client, context, "a release request (form)", _release)


def release_now_reason(ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
    _file_request(ack, body, view, client, context, "an immediate release request (form)", _release_now)


def force_unassign_reason(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any
) -> None:
    _file_request(ack, body, view, client, context, "a force unassign request (form)", _force_unassign)


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


# What each request form files, given the services, the person, the number and their reason.
FileRequest = Callable[["Services", Actor, str, str], ApprovalRequest]


def _release(services: Services, actor: Actor, e164: str, reason: str) -> ApprovalRequest:
    return services.approvals.request_release(actor, e164, reason)


def _release_now(services: Services, actor: Actor, e164: str, reason: str) -> ApprovalRequest:
    return services.approvals.request_release(actor, e164, reason, immediate=True)


def _force_unassign(services: Services, actor: Actor, e164: str, reason: str) -> ApprovalRequest:
    return services.approvals.request_force_unassign(actor, e164, reason)


def _file_request(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any, what: str, file: FileRequest
) -> None:
    """A form that files a request: check its number and reason (errors on the modal), ack, admit the
    person through the rate limit, file it, and say where it waits."""
    e164, reason = _number_and_reason(ack, view)
    if e164 is None or reason is None:
        return
    ack()
    actor = actor_of(body)
    services = services_of(context)
    services.rate_limits.admit(actor, what)
    request = file(services, actor, e164, reason)
    _report(context, client, actor.user_id, request, services)


def _report(context: Any, client: WebClient, user_id: str, request: ApprovalRequest, services: Services) -> None:
    receipt = approvals.request_created(request, surface_of(context).approval_channel, frozen=services.freeze.current())
    reply(context, client, user_id, receipt)


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
