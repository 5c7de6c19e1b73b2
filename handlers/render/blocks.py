"""Pure Block Kit builders: records and pages in, `Message` dicts out. No Slack calls, no services.

The approval message is drawn from an `ApprovalRequest` by exactly one function, `approval_message`,
every time its state changes: pending shows Approve/Deny, every later state a stamp saying who, when
and what happened, so stale buttons disappear. All user-supplied and Vobiz-supplied text is escaped
(see `handlers.render.text.escape`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from bot.services.records import ApprovalRequest, AuditEntry, DirectResult, Kind, Quote, RequestList, Status
from handlers import ids
from handlers.render.kit import (
    Block,
    Message,
    actions,
    button,
    confirm_dialog,
    context,
    divider,
    fields,
    header,
    message,
    section,
    text_sections,
)
from handlers.listeners.parsing import FILTER_HELP, USAGE_BY_NAME, USAGES, UsageError
from handlers.render.shapes import NumberLike, PageLike
from handlers.render.text import (
    channel_mention,
    clip_escaped,
    display_number,
    duration,
    escape,
    money,
    number_label,
    one_line,
    person,
    slack_date,
    user_mention,
)

# How a builder names a person: `user_mention` (a ping, where the ping is the point: the requester's DM,
# an answer only the clicker sees) or `person` (the history channel and the approval message).
Naming = Callable[[str | None, str], str]

REASON_SHOWN = 1000  # characters of a reason shown in a message (the services cap reasons at 500)
DETAIL_SHOWN = 600
LIST_ITEMS_SHOWN = 100
INVENTORY_ITEMS_SHOWN = 40
REQUESTS_SHOWN = 14

KIND_TITLE = {
    Kind.PURCHASE: "Purchase",
    Kind.RELEASE: "Release",
    Kind.RELEASE_NOW: "Immediate release",
    Kind.FORCE_UNASSIGN: "Force unassign",
}
KIND_PHRASE = {
    Kind.PURCHASE: "buy",
    Kind.RELEASE: "release",
    Kind.RELEASE_NOW: "release immediately",
    Kind.FORCE_UNASSIGN: "force-unassign",
}
STATUS_WORD = {
    Status.PENDING: "waiting for a decision",
    Status.EXECUTING: "approved, being carried out",
    Status.SUCCEEDED: "done",
    Status.FAILED: "failed",
    Status.UNKNOWN: "outcome being checked",
    Status.DENIED: "denied",
    Status.CANCELLED: "cancelled",
    Status.EXPIRED: "expired",
}


# ---------------------------------------------------------------- help and errors


def help_message(topic: str | None = None) -> Message:
    usages = [USAGE_BY_NAME[topic]] if topic in USAGE_BY_NAME else list(USAGES)
    lines = [
        f"*`/numbers {escape(u.synopsis)}`*  {escape(u.summary)}\n      e.g. `/numbers {escape(u.example)}`"
        for u in usages
    ]
    title = f"/numbers {topic}" if topic in USAGE_BY_NAME else "/numbers: telephone numbers from Vobiz"
    blocks = [header(title), *text_sections(lines)]
    if topic in FILTERED_SUBCOMMANDS:
        blocks.extend(filter_help_blocks())
    if topic not in USAGE_BY_NAME:
        blocks.append(
            context(
                "Buying, releasing and force operations wait for an approver; everything is in `/numbers history` "
                "(`/numbers help history` lists its filters)."
            )
        )
    return message(f"{title}. " + " | ".join(f"/numbers {escape(u.synopsis)}" for u in usages), blocks)


FILTERED_SUBCOMMANDS = ("history", "export")


def filter_help_blocks() -> list[Block]:
    """The audit filters of `history` and `export`, with who sees what."""
    lines = [f"`{escape(syntax)}`  {escape(meaning)}" for syntax, meaning in FILTER_HELP]
    return [
        section("*Filters* (combine any of them; every one given must match)\n" + "\n".join(lines)),
        context(
            "Auditors, approvers and admins see everyone's rows; everyone else sees the rows where they acted or "
            "that belong to their own requests. Times are UTC."
        ),
    ]


def usage_error(error: UsageError) -> Message:
    lines = [f":thinking_face: {escape(error.message)}"]
    if error.suggestion:
        lines.append(f"Did you mean `{escape(error.suggestion)}`?")
    usage = USAGE_BY_NAME.get(error.subcommand or error.suggestion or "")
    if usage:
        lines.append(f"Usage: `/numbers {escape(usage.synopsis)}`, e.g. `/numbers {escape(usage.example)}`")
    if error.subcommand in FILTERED_SUBCOMMANDS:
        lines.append("`/numbers help history` lists every filter with examples.")
    else:
        lines.append("`/numbers help` lists everything.")
    text = "\n".join(lines)
    return message(text, [section(text)])


def refusal(user_message: str) -> Message:
    text = f":no_entry_sign: {clip_escaped(user_message, 2500)}"
    return message(text, [section(text)])


def unexpected_error(reference: str) -> Message:
    text = (
        f":warning: Something went wrong (reference {escape(reference)}). Nothing was retried; "
        "tell the bot's owners this reference and they can find what happened in the logs."
    )
    return message(text, [section(text)])


def outdated_control(what: str) -> Message:
    """The answer to a click or a submission this version of the bot does not know (`what`: button, form)."""
    text = (
        f":hourglass: That {what} comes from an older version of this bot and no longer does anything; nothing "
        "was changed. Run the command again for a fresh message (`/numbers help` lists them); requests waiting "
        "for a decision are in `/numbers requests`."
    )
    return message(text, [section(text)])


def notice(text: str) -> Message:
    """A short line of our own making (callers escape what they interpolate)."""
    return message(text, [section(text)])


# ---------------------------------------------------------------- numbers


def capabilities_text(number: NumberLike) -> str:
    caps = number.capabilities
    names = [name for name in ("voice", "sms", "mms", "fax") if getattr(caps, name, False)]
    return ", ".join(names) or "no capabilities listed"


def place_text(number: NumberLike) -> str:
    parts = [p for p in (number.country, number.region) if p]
    return escape(", ".join(parts)) if parts else "unknown place"


def number_line(number: NumberLike) -> str:
    owner = escape(number.account_id) if number.account_id else "nobody"
    return (
        f"• {number_label(number.e164)}  ·  {place_text(number)}  ·  {capabilities_text(number)}  ·  "
        f"{escape(number.status or 'unknown')}  ·  {money(number.monthly_fee, number.currency)}/month  ·  owner {owner}"
    )


def _page_value(page: int, **filters: str | None) -> str:
    data: dict[str, object] = {"p": page}
    data.update({k: v for k, v in filters.items() if v})
    return json.dumps(data, separators=(",", ":"))


def read_page_value(value: str) -> dict[str, object]:
    """The page and filters a paging button carries; a malformed value reads as page 1."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return {"p": 1}
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or data["p"] < 1:
        return {"p": 1}
    return data


def _pager(page: PageLike, action_ids: tuple[str, str], **filters: str | None) -> list[Block]:
    previous, following = action_ids
    elements: list[Block] = []
    if page.has_previous:
        elements.append(button("◀ Previous", previous, _page_value(page.page - 1, **filters)))
    if page.has_next:
        elements.append(button("Next ▶", following, _page_value(page.page + 1, **filters)))
    return [actions(*elements, block_id=f"{previous}.nav")] if elements else []


def _page_summary(page: PageLike, noun: str) -> str:
    if not page.total:
        return f"No {noun}."
    first = (page.page - 1) * page.per_page + 1
    last = first + len(page.items) - 1
    if not page.total_known and page.has_next:  # Vobiz left the count out: this page proves a lower bound
        return f"{noun.capitalize()} {first}–{last} of at least {page.total} (page {page.page}; Next shows whether there are more)."
    pages = max(1, -(-page.total // max(1, page.per_page)))
    return f"{noun.capitalize()} {first}–{last} of {page.total} (page {page.page} of {pages})."


def number_list(page: PageLike, search: str | None = None) -> Message:
    title = f"Our numbers matching {search}" if search else "Our numbers"
    items = list(page.items)[:LIST_ITEMS_SHOWN]
    blocks: list[Block] = [header(title), context(_page_summary(page, "numbers"))]
    if items:
        blocks.extend(text_sections([number_line(n) for n in items]))
    else:
        hint = f"Nothing matches “{escape(search)}”." if search else "The account owns no numbers yet."
        blocks.append(section(hint + " `/numbers inventory` shows what we can buy."))
    blocks.extend(_pager(page, ids.LIST_PAGE, s=search))
    return message(f"{escape(title)}: {_page_summary(page, 'numbers')}", blocks)


def number_detail(number: NumberLike) -> Message:
    owned = bool(number.account_id)
    title = display_number(number.e164)
    pairs = [
        ("Number", f"{escape(number.e164)}"),
        ("Country / region", place_text(number)),
        ("Capabilities", capabilities_text(number)),
        ("Status", escape(number.status or "unknown")),
        ("Setup fee", money(number.setup_fee, number.currency)),
        ("Monthly fee", money(number.monthly_fee, number.currency)),
        ("Owner", escape(number.account_id) if owned else "nobody: it is in inventory"),
    ]
    blocks: list[Block] = [header(title), fields(*pairs)]
    if not owned:
        blocks.append(
            actions(button("Request purchase", ids.REQUEST_PURCHASE, number.e164, style="primary"))
        )
    return message(f"{escape(title)}: {escape(number.status or 'unknown')}", blocks)


def inventory_list(page: PageLike, country: str | None = None, search: str | None = None) -> Message:
    filters = " ".join(escape(f) for f in (country, search) if f)
    title = f"Inventory {filters}".strip()
    items = list(page.items)[:INVENTORY_ITEMS_SHOWN]
    blocks: list[Block] = [header(f"Numbers we can buy {filters}".strip()), context(_page_summary(page, "numbers"))]
    for number in items:
        text = (
            f"{number_label(number.e164)}  ·  {place_text(number)}  ·  {capabilities_text(number)}\n"
            f"Setup {money(number.setup_fee, number.currency)}  ·  {money(number.monthly_fee, number.currency)}/month"
        )
        blocks.append(section(text, accessory=button("Request purchase", ids.REQUEST_PURCHASE, number.e164)))
    if not items:
        blocks.append(section("Nothing in inventory matches. Try another country or fewer digits."))
    if len(page.items) > len(items):
        blocks.append(context(f"{len(page.items) - len(items)} more on this page not shown."))
    blocks.extend(_pager(page, ids.INVENTORY_PAGE, c=country, s=search))
    return message(f"{title}: {_page_summary(page, 'numbers')}", blocks)


# ---------------------------------------------------------------- approval requests


def _quote_text(quote: Quote | None) -> str:
    if quote is None:
        return "not quoted"
    return f"setup {money(quote.setup_fee, quote.currency)}, then {money(quote.monthly_fee, quote.currency)}/month"


def _reason_quote(reason: str | None, limit: int = REASON_SHOWN) -> str:
    text = clip_escaped(one_line(reason or ""), limit) or "(none given)"
    return f"> {text}"


def request_summary(request: ApprovalRequest) -> str:
    """`*R7K2QX* · Purchase of *+91 80 1234 5678*`: one line naming the request."""
    return f"*{escape(request.id)}* · {KIND_TITLE[request.kind]} of {number_label(request.e164)}"


def _decider(request: ApprovalRequest, name: Naming) -> str:
    if request.decided_by is None:
        return "the bot"
    return name(request.decided_by.user_id, request.decided_by.name)


def _when(moment: datetime | None) -> str:
    return slack_date(moment) if moment else "at an unrecorded time"


def _detail(request: ApprovalRequest) -> str:
    return clip_escaped(one_line(request.outcome_detail), DETAIL_SHOWN) if request.outcome_detail else ""


def _with_detail(line: str, request: ApprovalRequest) -> str:
    detail = _detail(request)
    return f"{line} {detail}" if detail else line


def outcome_lines(request: ApprovalRequest, *, now: datetime, name: Naming = user_mention) -> list[str]:
    """The stamp of a decided request: who, when, what happened. Empty while pending."""
    who = _decider(request, name)
    when = _when(request.decided_at)
    status = request.status
    if status is Status.PENDING:
        return []
    if status is Status.DENIED:
        return [f":no_entry: *Denied* by {who} {when}.", _reason_quote(request.decision_reason)]
    if status is Status.CANCELLED:
        by = name(request.requester.user_id, request.requester.name)
        return [f":heavy_multiplication_x: *Cancelled* by {by} {_when(request.decided_at or request.finished_at)}."]
    if status is Status.EXPIRED:
        return [f":hourglass: *Expired* {_when(request.expires_at)} without a decision. Nothing was done."]
    if status is Status.EXECUTING:
        return [f":hourglass_flowing_sand: *Approved* by {who} {when}; asking Vobiz now…"]
    if status is Status.UNKNOWN:
        return [
            _with_detail(
                f":warning: *Approved* by {who} {when}, but Vobiz did not confirm the outcome. "
                "I am re-reading the account to settle it; this message will update.",
                request,
            )
        ]
    if status is Status.FAILED:
        lines = [_with_detail(f":x: *Approved* by {who} {when}, but it *failed*; nothing was changed.", request)]
        if request.new_quote is not None:
            lines.append(
                f"The price changed: now {_quote_text(request.new_quote)} (quoted {_quote_text(request.quote)}). "
                "Request it again to buy at the new price."
            )
        return lines
    return _success_lines(request, who, when, now, name)


def _success_lines(request: ApprovalRequest, who: str, when: str, now: datetime, name: Naming) -> list[str]:
    number = number_label(request.e164)
    approved = f":white_check_mark: *Approved* by {who} {when}."
    if request.kind is Kind.PURCHASE:
        return [_with_detail(f"{approved} {number} is ours now.", request)]
    if request.kind is Kind.FORCE_UNASSIGN:
        source = f" from {escape(request.sub_account_id)}" if request.sub_account_id else ""
        return [_with_detail(f"{approved} {number} was taken back{source} with force.", request)]
    fee = money(request.release_fee, request.release_currency)
    if request.kind is Kind.RELEASE_NOW:
        return [_with_detail(f"{approved} {number} was released immediately (release fee {fee}); this cannot be undone.", request)]
    if request.undone_at is not None:
        by = name(request.undone_by.user_id, request.undone_by.name) if request.undone_by else "someone"
        return [
            f"{approved} Released, then *release undone* by {by} {slack_date(request.undone_at)}; "
            f"{number} is active again.",
            *([_detail(request)] if request.outcome_detail else []),
        ]
    if request.cooldown_ends_at is not None:
        lines = [
            _with_detail(
                f"{approved} {number} is *pending release* until {slack_date(request.cooldown_ends_at)} "
                f"(release fee {fee}, refunded if the release is undone).",
                request,
            )
        ]
        if now >= request.cooldown_ends_at:
            lines.append("The 24-hour window has passed: the release is final.")
        return lines
    return [_with_detail(f"{approved} {number} was released (release fee {fee}).", request)]


def can_undo(request: ApprovalRequest, now: datetime) -> bool:
    """Whether a message drawn `now` offers Undo: a completed 24 h release, no undo under way, window open."""
    until = request.undoable_until
    return until is not None and now < until


def _request_fields(request: ApprovalRequest) -> Block:
    requester = person(request.requester.user_id, request.requester.name)
    pairs = [
        ("Number", f"{number_label(request.e164)}"),
        ("Requested by", requester),
    ]
    if request.kind is Kind.PURCHASE:
        q = request.quote
        pairs.append(("Setup fee", money(q.setup_fee, q.currency) if q else "not quoted"))
        pairs.append(("Monthly fee", money(q.monthly_fee, q.currency) if q else "not quoted"))
    if request.kind is Kind.FORCE_UNASSIGN:
        pairs.append(("Sub-account", escape(request.sub_account_id or "unknown")))
        if request.cool_off_until:
            pairs.append(("Cool-off would end", slack_date(request.cool_off_until)))
    if request.kind is Kind.RELEASE:
        pairs.append(("Undo", "possible for 24 hours after approval"))
    if request.kind is Kind.RELEASE_NOW:
        pairs.append(("Undo", "not possible: immediate and final"))
    return fields(*pairs)


def approval_message(request: ApprovalRequest, *, now: datetime) -> Message:
    """THE approval message, drawn from the request's state (posted once, then `chat.update`d)."""
    blocks: list[Block] = [
        header(f"{KIND_TITLE[request.kind]} request {request.id}"),
        _request_fields(request),
        section(f"*Reason*\n{_reason_quote(request.reason)}"),
    ]
    if request.status is Status.PENDING:
        if request.kind.is_force:
            blocks.append(context(":rotating_light: A force operation: only admins may approve it."))
        blocks.append(
            context(f"Requested {slack_date(request.created_at)} · expires {slack_date(request.expires_at)} unless decided")
        )
        blocks.append(actions(*decision_buttons(request), block_id=f"decide.{request.id}"))
    else:
        blocks.append(divider())
        blocks.append(section("\n".join(outcome_lines(request, now=now, name=person))))
        if can_undo(request, now):
            assert request.cooldown_ends_at is not None  # can_undo implies it
            blocks.append(
                actions(
                    button(
                        "Undo release",
                        ids.UNDO_RELEASE,
                        request.id,
                        confirm=confirm_dialog(
                            "Undo this release?",
                            f"{display_number(request.e164)} goes back to active and the release fee is refunded.",
                            "Undo release",
                        ),
                    ),
                    block_id=f"undo.{request.id}",
                )
            )
            blocks.append(context(f"Undo is possible until {slack_date(request.cooldown_ends_at)}."))
    text = f"{KIND_TITLE[request.kind]} request {escape(request.id)} for {escape(display_number(request.e164))}: {STATUS_WORD[request.status]}"
    return message(text, blocks)


def decision_buttons(request: ApprovalRequest) -> list[Block]:
    confirm = None
    if request.kind is Kind.PURCHASE and request.quote is not None:
        confirm = confirm_dialog(
            "Buy this number?",
            f"{display_number(request.e164)}: {_quote_text(request.quote)}.",
            "Approve and buy",
        )
    elif request.kind.is_force or request.kind is Kind.RELEASE:
        confirm = confirm_dialog(
            f"{KIND_TITLE[request.kind]}?",
            f"This takes {display_number(request.e164)} away from whoever uses it now.",
            "Approve",
        )
    return [
        button("Approve", ids.APPROVE, request.id, style="primary", confirm=confirm),
        button("Deny", ids.DENY, request.id, style="danger"),
    ]


def request_created(request: ApprovalRequest, approval_channel: str | None) -> Message:
    """What the requester sees right after asking."""
    where = channel_mention(request.approval_channel or approval_channel)
    summary = f"{KIND_PHRASE[request.kind]} {number_label(request.e164)}"
    if request.status is not Status.PENDING:  # executed at once (no approval needed)
        lines = [f"Your request *{escape(request.id)}* to {summary}:", *outcome_lines(request, now=request.created_at)]
        text = "\n".join(lines)
        return message(text, [section(text)])
    lines = [f":inbox_tray: Request *{escape(request.id)}* to {summary} is waiting for an approver in {where}."]
    if request.kind is Kind.PURCHASE:
        lines.append(f"Quote: {_quote_text(request.quote)}.")
    if request.kind.is_force:
        lines.append("It is a force operation, so an admin has to approve it.")
    lines.append(f"It expires {slack_date(request.expires_at)}. I will message you when it is decided.")
    text = "\n".join(lines)
    blocks = [section(text), actions(button("Cancel request", ids.CANCEL_REQUEST, request.id))]
    return message(text, blocks)


def approval_channel_unreachable(request: ApprovalRequest, channel: str, error: str) -> Message:
    """The DM telling a requester that their approval message could not be posted (Slack refused for good)."""
    summary = f"{KIND_PHRASE[request.kind]} {number_label(request.e164)}"
    text = (
        f":warning: Your request *{escape(request.id)}* to {summary} waits for an approver, but I could not post "
        f"it in {channel_mention(channel)}: Slack says `{escape(error)}`, so approvers do not see it there. An admin "
        "has to invite me to that channel (`/invite` me there); I keep trying every 15 minutes. Meanwhile approvers "
        "can decide it in `/numbers requests` or my App Home, and you can cancel it in `/numbers requests`."
    )
    return message(text, [section(text)])


def requester_notice(request: ApprovalRequest, *, now: datetime) -> Message:
    """The direct message telling a requester what became of their request."""
    where = (
        f" (see {channel_mention(request.approval_channel)})" if request.approval_channel else ""
    )
    head = f"Your request *{escape(request.id)}* to {KIND_PHRASE[request.kind]} {number_label(request.e164)}{where}:"
    lines = outcome_lines(request, now=now) or ["it is waiting for an approver."]
    text = "\n".join([head, *lines])
    blocks: list[Block] = [section(text)]
    if can_undo(request, now):
        blocks.append(actions(button("Undo release", ids.UNDO_RELEASE, request.id)))
    return message(text, blocks)


def undo_result(request: ApprovalRequest, *, now: datetime) -> Message:
    text = "\n".join([request_summary(request), *outcome_lines(request, now=now)])
    return message(text, [section(text)])


def decision_ack(request: ApprovalRequest, *, now: datetime) -> Message:
    """What the approver sees (ephemeral) after clicking Approve or submitting a denial."""
    text = "\n".join([request_summary(request), *outcome_lines(request, now=now)])
    return message(text, [section(text)])


def _request_line(request: ApprovalRequest) -> str:
    state = STATUS_WORD[request.status]
    if request.status is Status.PENDING:
        state = f"{state}, expires {slack_date(request.expires_at)}"
    requester = user_mention(request.requester.user_id, request.requester.name)
    return f"{request_summary(request)} · {state}\nby {requester}: {_reason_quote(request.reason, 300)[2:]}"


def request_list_blocks(requests: RequestList, *, shown: int = REQUESTS_SHOWN) -> list[Block]:
    blocks: list[Block] = [header("Your requests")]
    for request in requests.mine[:shown]:
        accessory = (
            button("Cancel", ids.CANCEL_REQUEST, request.id) if request.status is Status.PENDING else None
        )
        blocks.append(section(_request_line(request), accessory=accessory))
    if not requests.mine:
        blocks.append(section("You have no requests."))
    elif len(requests.mine) > shown:
        blocks.append(context(f"{len(requests.mine) - shown} older requests not shown."))
    blocks.append(header("Waiting for your decision"))
    for request in requests.awaiting_me[:shown]:
        blocks.append(section(_request_line(request)))
        blocks.append(actions(*decision_buttons(request), block_id=f"decide.{request.id}"))
    if not requests.awaiting_me:
        blocks.append(section("Nothing is waiting for you."))
    elif len(requests.awaiting_me) > shown:
        blocks.append(context(f"{len(requests.awaiting_me) - shown} more waiting; decide these first."))
    return blocks


def request_list(requests: RequestList) -> Message:
    text = f"You have {len(requests.mine)} requests; {len(requests.awaiting_me)} wait for your decision."
    return message(text, request_list_blocks(requests))


# ---------------------------------------------------------------- direct operations


def assign_result(result: DirectResult) -> Message:
    text = (
        f":white_check_mark: {number_label(result.e164)} now belongs to sub-account "
        f"{escape(result.sub_account_id or 'unknown')}."
    )
    return message(text, [section(text)])


def unassign_result(result: DirectResult, *, now: datetime) -> Message:
    number = number_label(result.e164)
    if result.done:
        source = f" from {escape(result.sub_account_id)}" if result.sub_account_id else ""
        text = f":white_check_mark: {number} was taken back{source} to the main account."
        return message(text, [section(text)])
    remaining = result.cool_off_remaining_seconds
    if remaining is None and result.cool_off_until is not None:
        remaining = int((result.cool_off_until - now).total_seconds())
    until = slack_date(result.cool_off_until) if result.cool_off_until else "an unknown time"
    left = f", {duration(remaining)} from now" if remaining is not None else ""
    text = (
        f":hourglass: {number} is in its 15-day cool-off (it had a call recently), so it stays with "
        f"{escape(result.sub_account_id or 'its sub-account')} until {until}{left}. "
        "An admin can approve taking it back now with force."
    )
    blocks = [
        section(text),
        actions(button("Request force unassign", ids.REQUEST_FORCE_UNASSIGN, result.e164, style="danger")),
    ]
    return message(text, blocks)


# ---------------------------------------------------------------- history


ACTION_WORD = {
    "purchase": "purchase of",
    "release": "release of",
    "release_now": "immediate release of",
    "force_unassign": "force unassign of",
    "assign": "assignment of",
    "unassign": "unassignment of",
    "undo_release": "undo of the release of",
}
ACTION_NOUN = {
    "purchase": "purchase",
    "release": "release",
    "release_now": "immediate release",
    "force_unassign": "force unassign",
    "assign": "assignment",
    "unassign": "unassignment",
    "undo_release": "undo of the release",
}


def history_line(entry: AuditEntry, *, show_number: bool = True) -> str:
    """One readable line per audit entry, as posted to the history channel (a number's trail leaves the
    number out: it is the same on every line). People are named, never pinged: a line per audit event
    would notify them on every step of every request they touch."""
    who = person(entry.actor.user_id, entry.actor.name)
    what = ACTION_WORD.get(entry.action, escape(entry.action))
    if not show_number:
        what = ACTION_NOUN.get(entry.action, escape(entry.action))
    number = number_label(entry.e164) if entry.e164 and show_number else ""
    parts = [f"{slack_date(entry.at)} {who} *{escape(entry.event)}* {what} {number}".rstrip()]
    if entry.sub_account_id:
        parts.append(f"(sub-account {escape(entry.sub_account_id)})")
    if entry.request_id:
        parts.append(f"[{escape(entry.request_id)}]")
    parts.append(f"→ {escape(entry.outcome)}")
    if entry.cool_off_until is not None:
        parts.append(f"· cool-off until {slack_date(entry.cool_off_until)}")
    if entry.quote is not None:
        parts.append(f"· {_quote_text(entry.quote)}")
    if entry.detail:
        parts.append(f"· {clip_escaped(one_line(entry.detail), 300)}")
    if entry.vobiz_error:
        parts.append(f"· Vobiz: {clip_escaped(one_line(entry.vobiz_error), 200)}")
    if entry.reason:
        parts.append(f"· reason: “{clip_escaped(one_line(entry.reason), 300)}”")
    return " ".join(parts)
