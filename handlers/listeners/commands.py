"""The `/numbers` slash command: ack, parse into a typed command, call one service method, render.

The ack goes back to Slack at once (Bolt returns the HTTP response when `ack()` is called and runs
the rest of the listener after it), so slow Vobiz answers never make Slack time out; results arrive
through `respond()` (the command's response_url), always ephemeral.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.services.audit_filters import AuditQuery
from bot.services.errors import InvalidInput
from bot.services.records import Actor
from handlers.render import (
    approvals,
    assignments,
    costs as cost_blocks,
    freeze,
    history as audit_blocks,
    inventory,
    labels,
    modals,
    nudges,
    numbers,
    requests,
)
from handlers.render.help import help_message
from handlers.listeners.context import actor_of, services_of, surface_of
from handlers.listeners.exports import costs_to_dm, export_to_dm
from handlers.render.kit import Message
from handlers.render.modals import ModalSubject
from handlers.parsing import (
    Assign,
    Away,
    Back,
    BulkBuy,
    Buy,
    Command,
    Costs,
    Export,
    Freeze,
    Help,
    History,
    Inventory,
    Label,
    ListNumbers,
    Lock,
    Release,
    Requests,
    Show,
    Trail,
    Unassign,
    Unfreeze,
    Unlabel,
    Unlock,
    UsageError,
    parse_command,
)
from handlers.listeners.reply import reply

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(frozen=True)
class Invocation:
    """One typed `/numbers` call and what its handler may use."""

    services: Services
    actor: Actor
    client: WebClient
    trigger_id: str
    subject: ModalSubject  # where a modal opened by this command replies
    approval_channel: str | None
    now: datetime


def handle_numbers(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    actor = actor_of(body)
    command = parse_command(body.get("text"))  # a UsageError goes to the error handler, like every refusal
    surface = surface_of(context)
    invocation = Invocation(
        services=services_of(context),
        actor=actor,
        client=client,
        trigger_id=str(body.get("trigger_id", "")),
        subject=ModalSubject(response_url=body.get("response_url"), channel_id=body.get("channel_id")),
        approval_channel=surface.approval_channel,
        now=surface.clock(),
    )
    answer = run(command, invocation)
    if answer is not None:
        reply(context, client, actor.user_id, answer)


def run(command: Command, call: Invocation) -> Message | None:
    """The one service call behind `command`, rendered; None when a modal took over. A counted command
    is first admitted by the person's rate limit (a SlowDown goes to the error handler: nothing is done)."""
    counted_as = _counted_as(command)
    if counted_as is not None:
        call.services.rate_limits.admit(call.actor, counted_as)
    handler: Callable[[Any, Invocation], Message | None] = _HANDLERS[type(command)]
    return handler(command, call)


def _counted_as(command: Command) -> str | None:
    """What the rate limit counts `command` as, or None when it is not counted. `buy`/`release` without
    a reason only open a modal; the modal's submission is what files the request, and is counted then."""
    if isinstance(command, (Buy, Release)) and command.reason is None:
        return None
    return _COUNTED.get(type(command))


def _help(command: Help, call: Invocation) -> Message:
    return help_message(command.topic, frozen=call.services.freeze.current())


def _list(command: ListNumbers, call: Invocation) -> Message:
    return list_numbers(call.services, command.page, command.search, command.team)


def list_numbers(services: Services, page_number: int, search: str | None, team: str | None) -> Message:
    """A page of our numbers with their labels and locks (the command and its paging buttons)."""
    if team is not None:
        found = services.labels.team_page(team, page_number, search)
        page, gone, team = found.page, found.gone, found.team
    else:
        page, gone = services.numbers.list_page(page_number, search), ()
    marks = services.labels.marks_for(n.e164 for n in page.items)
    return numbers.number_list(page, search, marks=marks, team=team, gone=gone)


def _show(command: Show, call: Invocation) -> Message:
    number = call.services.numbers.show(command.number)
    marks = call.services.labels.marks_of(number.e164) if number.account_id else None
    return numbers.number_detail(number, marks)


def _inventory(command: Inventory, call: Invocation) -> Message:
    return inventory.search_results(call.services.numbers.search(command.filters))


def _buy(command: Buy, call: Invocation) -> Message | None:
    if command.reason is None:
        subject = _with_number(call.subject, command.number)
        call.client.views_open(trigger_id=call.trigger_id, view=modals.purchase_reason_modal(subject))
        return None
    request = call.services.approvals.request_purchase(call.actor, command.number, command.reason)
    return approvals.request_created(request, call.approval_channel, frozen=call.services.freeze.current())


def _bulk_buy(command: BulkBuy, call: Invocation) -> Message:
    request = call.services.approvals.request_bulk_purchase(call.actor, command.count, command.filters, command.reason)
    return approvals.request_created(request, call.approval_channel, frozen=call.services.freeze.current())


def _release(command: Release, call: Invocation) -> Message | None:
    if command.reason is None:
        subject = _with_number(call.subject, command.number)
        call.client.views_open(trigger_id=call.trigger_id, view=modals.release_reason_modal(subject, now=command.now))
        return None
    request = call.services.approvals.request_release(
        call.actor, command.number, command.reason, immediate=command.now
    )
    return approvals.request_created(request, call.approval_channel, frozen=call.services.freeze.current())


def _assign(command: Assign, call: Invocation) -> Message:
    result = call.services.direct.assign(call.actor, command.number, command.sub_account_id)
    return assignments.assign_result(result)


def _unassign(command: Unassign, call: Invocation) -> Message:
    result = call.services.direct.unassign(call.actor, command.number)
    return assignments.unassign_result(result, now=call.now)


def _requests(command: Requests, call: Invocation) -> Message:
    return requests.request_list(call.services.approvals.list_for(call.actor))


def _history(command: History, call: Invocation) -> Message:
    query = read_filters(call.services, command.filters, "history")
    if query.export_format is not None:
        raise UsageError(
            f"`history` shows the rows here; for a {query.export_format} file say `/numbers export ... {query.export_format}`.",
            subcommand="history",
        )
    page = call.services.audit.search(query.filter, viewer=call.actor, limit=audit_blocks.HISTORY_PAGE_SIZE)
    sees_all = call.services.audit.may_see_all(call.actor)
    return audit_blocks.history_page(page, query.filter, sees_all=sees_all, first_page=True)


def _trail(command: Trail, call: Invocation) -> Message:
    entries = call.services.audit.trail(command.number, viewer=call.actor)
    sees_all = call.services.audit.may_see_all(call.actor)
    marks = call.services.labels.marks_of(command.number)
    return audit_blocks.trail_message(command.number, entries, sees_all=sees_all, marks=marks)


def _export(command: Export, call: Invocation) -> Message:
    query = read_filters(call.services, command.filters, "export")
    result = export_to_dm(
        call.services, call.client, call.actor, query.filter, query.export_format or "csv", now=call.now
    )
    return audit_blocks.export_sent(result.rows, result.fmt, result.filename, query.filter, sees_all=result.sees_all)


def _label(command: Label, call: Invocation) -> Message:
    return labels.label_set(call.services.labels.label(call.actor, command.number, command.team, command.purpose))


def _unlabel(command: Unlabel, call: Invocation) -> Message:
    return labels.label_removed(call.services.labels.unlabel(call.actor, command.number))


def _lock(command: Lock, call: Invocation) -> Message:
    return labels.lock_set(call.services.locks.lock(call.actor, command.number, command.reason))


def _unlock(command: Unlock, call: Invocation) -> Message:
    return labels.lock_lifted(call.services.locks.unlock(call.actor, command.number))


def _costs(command: Costs, call: Invocation) -> Message:
    report = call.services.costs.report(command.by)
    if not command.csv:
        return cost_blocks.cost_report(report)
    sent = costs_to_dm(call.client, call.actor, report)
    return cost_blocks.costs_sent(sent.rows, sent.filename, report.by)


def _freeze(command: Freeze, call: Invocation) -> Message:
    return freeze.frozen_ack(call.services.freeze.freeze(call.actor, command.reason))


def _unfreeze(command: Unfreeze, call: Invocation) -> Message:
    return freeze.unfrozen_ack(call.services.freeze.unfreeze(call.actor))


def _away(command: Away, call: Invocation) -> Message:
    return nudges.away_set(call.services.away.set(call.actor, command.until))


def _back(command: Back, call: Invocation) -> Message:
    return nudges.away_back(call.services.away.back(call.actor))


def read_filters(services: Services, text: str, subcommand: str) -> AuditQuery:
    """The audit service's reading of the filter text; a mistake in it is a usage error showing the syntax."""
    try:
        return services.audit.parse(text)
    except InvalidInput as error:
        raise UsageError(error.user_message, subcommand=subcommand) from None


def _with_number(subject: ModalSubject, e164: str) -> ModalSubject:
    return ModalSubject(e164=e164, response_url=subject.response_url, channel_id=subject.channel_id)


# Commands that call Vobiz or file a request; help, requests, history, trail and export are not counted.
_COUNTED: dict[type, str] = {
    ListNumbers: "/numbers list",
    Show: "/numbers show",
    Inventory: "/numbers inventory",
    Buy: "/numbers buy",
    BulkBuy: "/numbers buy",
    Release: "/numbers release",
    Assign: "/numbers assign",
    Unassign: "/numbers unassign",
    Label: "/numbers label",
    Unlabel: "/numbers unlabel",
    Lock: "/numbers lock",
    Unlock: "/numbers unlock",
    Costs: "/numbers costs",
}

_HANDLERS: dict[type, Callable[[Any, Invocation], Message | None]] = {
    Help: _help,
    ListNumbers: _list,
    Show: _show,
    Inventory: _inventory,
    Buy: _buy,
    BulkBuy: _bulk_buy,
    Release: _release,
    Assign: _assign,
    Unassign: _unassign,
    Requests: _requests,
    History: _history,
    Trail: _trail,
    Export: _export,
    Label: _label,
    Unlabel: _unlabel,
    Lock: _lock,
    Unlock: _unlock,
    Costs: _costs,
    Freeze: _freeze,
    Unfreeze: _unfreeze,
    Away: _away,
    Back: _back,
}
