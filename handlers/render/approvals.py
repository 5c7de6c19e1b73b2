"""The approval message and everything said about a request as it moves: the requester's receipt and
notices, the approver's acknowledgement, the outcome stamp, and the Undo offer.

The approval message is drawn from an `ApprovalRequest` by exactly one function, `approval_message`,
every time its state changes: pending shows Approve/Deny, every later state a stamp saying who, when
and what happened, so stale buttons disappear. All user-supplied and Vobiz-supplied text is escaped
(see `handlers.render.text.escape`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.services.away import AwayPeriod
from bot.services.records import ApprovalRequest, FreezeState, Kind, Status
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
    text_message,
    text_sections,
)
from handlers.render.request_text import (
    KIND_PHRASE,
    KIND_TITLE,
    STATUS_WORD,
    bulk_terms,
    item_lines,
    quote_text,
    reason_quote,
    request_summary,
    subject,
    subject_plain,
    totals_text,
)
from handlers.render.nudges import ask_again, away_context
from handlers.render.text import (
    channel_mention,
    clip_escaped,
    display_number,
    escape,
    money,
    number_label,
    one_line,
    person,
    sentence,
    slack_date,
    user_mention,
)


# How a builder names a person: `user_mention` (a ping, where the ping is the point: the requester's DM,
# an answer only the clicker sees) or `person` (the history channel and the approval message).
Naming = Callable[[str | None, str], str]

DETAIL_SHOWN = 600


def _decider(request: ApprovalRequest, name: Naming) -> str:
    if request.decided_by is None:
        return "the bot"
    if request.by_allowance:
        return f"the allowance ({escape(request.decision_reason or '')})"
    if len(request.approvals) > 1 and request.status is not Status.DENIED:  # quorum: everyone who approved, unpinged
        names = [person(a.approver.user_id, a.approver.name) for a in request.approvals]
        return ", ".join(names[:-1]) + " and " + names[-1]
    return name(request.decided_by.user_id, request.decided_by.name)


def _entry(entry: str) -> str:
    """An APPROVERS/ADMINS entry named without a ping: a person, or the members of a user group."""
    return f"members of `{escape(entry)}`" if entry.startswith("S") else person(entry)


def quorum_lines(request: ApprovalRequest) -> list[str]:
    """While a request needs several approvals: how many it has, from whom, and who may still approve."""
    needed = request.approvals_required
    if request.status is not Status.PENDING or needed <= 1:
        return []
    given = request.approvals
    if given:
        names = ", ".join(person(a.approver.user_id, a.approver.name) for a in given)
        lines = [f":ballot_box_with_check: *{len(given)} of {needed} approvals*: {names}."]
    else:
        lines = [f":ballot_box_with_check: *0 of {needed} approvals*: it needs {needed} different approvers."]
    if request.may_still_approve:
        lines.append("May still approve: " + ", ".join(_entry(e) for e in request.may_still_approve) + ".")
    return lines


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
        return [f":no_entry: *Denied* by {who} {when}.", reason_quote(request.decision_reason)]
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
                f"The price changed: now {quote_text(request.new_quote)} (quoted {quote_text(request.quote)}). "
                "Request it again to buy at the new price."
            )
        return lines
    return _success_lines(request, who, when, now, name)


def _success_lines(request: ApprovalRequest, who: str, when: str, now: datetime, name: Naming) -> list[str]:
    number = number_label(request.e164)
    approved = f":white_check_mark: *Approved* by {who} {when}."
    if request.is_bulk:
        return [_with_detail(approved, request)]
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
        ("Numbers" if request.is_bulk else "Number", subject(request)),
        ("Requested by", requester),
    ]
    if request.is_bulk:
        pairs.append(("Totals", totals_text(request)))
        terms = bulk_terms(request)
        if terms:
            pairs.append(("Terms", ":warning: " + terms))
    elif request.kind is Kind.PURCHASE:
        q = request.quote
        pairs.append(("Setup fee", money(q.setup_fee, q.currency) if q else "not quoted"))
        pairs.append(("Monthly fee", money(q.monthly_fee, q.currency) if q else "not quoted"))
        if q is not None and q.notes:
            pairs.append(("Terms", ":warning: " + sentence("; ".join(q.notes))))
    if request.kind is Kind.FORCE_UNASSIGN:
        pairs.append(("Sub-account", escape(request.sub_account_id or "unknown")))
        if request.cool_off_until:
            pairs.append(("Cool-off would end", slack_date(request.cool_off_until)))
    if request.kind is Kind.RELEASE:
        pairs.append(("Undo", "possible for 24 hours after approval"))
    if request.kind is Kind.RELEASE_NOW:
        pairs.append(("Undo", "not possible: immediate and final"))
    return fields(*pairs)


def approval_message(request: ApprovalRequest, *, now: datetime, away: Sequence[AwayPeriod] = ()) -> Message:
    """THE approval message, drawn from the request's state (posted once, then `chat.update`d). `away`: while
    it is pending, everyone who may decide it and is away (given only when nobody who may is present)."""
    blocks: list[Block] = [
        header(f"{KIND_TITLE[request.kind]} request {request.id}"),
        _request_fields(request),
        section(f"*Reason*\n{reason_quote(request.reason)}"),
    ]
    if request.is_bulk:
        heading = "*Each number* (cheapest monthly fee first; a number gone or re-priced is skipped, never replaced)"
        blocks.extend(text_sections([heading, *item_lines(request, with_outcome=True)]))
    if request.status is Status.PENDING:
        if request.kind.is_force:
            blocks.append(context(":rotating_light: A force operation: only admins may approve it."))
        progress = quorum_lines(request)
        if progress:
            blocks.append(section("\n".join(progress)))
        blocks.append(
            context(f"Requested {slack_date(request.created_at)} · expires {slack_date(request.expires_at)} unless decided")
        )
        if away:
            blocks.append(away_context(away, force=request.kind.is_force))
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
    text = f"{KIND_TITLE[request.kind]} request {escape(request.id)} for {escape(subject_plain(request))}: {STATUS_WORD[request.status]}"
    return message(text, blocks)


def decision_buttons(request: ApprovalRequest) -> list[Block]:
    confirm = None
    if request.is_bulk:
        confirm = confirm_dialog(
            f"Buy these {len(request.items)} numbers?",
            f"One purchase each: {totals_text(request)} in all, as quoted.",
            "Approve and buy",
        )
    elif request.kind is Kind.PURCHASE and request.quote is not None:
        confirm = confirm_dialog(
            "Buy this number?",
            f"{display_number(request.e164)}: {quote_text(request.quote)}.",
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


def request_created(request: ApprovalRequest, approval_channel: str | None, *, frozen: FreezeState | None = None) -> Message:
    """What the requester sees right after asking (`frozen`: the freeze in force, if any)."""
    where = channel_mention(request.approval_channel or approval_channel)
    summary = f"{KIND_PHRASE[request.kind]} {subject(request)}"
    if request.status is not Status.PENDING:  # executed at once (no approval needed, or the allowance)
        lines = [f"Your request *{escape(request.id)}* to {summary}:", *outcome_lines(request, now=request.created_at)]
        if request.by_allowance and request.allowance_left is not None:
            left = request.allowance_left
            lines.append(
                f":ticket: Approved by your allowance, so no approver was needed. You have {left} auto-approved "
                f"purchase{'' if left == 1 else 's'} left this month (UTC)."
            )
        text = "\n".join(lines)
        return text_message(text)
    lines = [f":inbox_tray: Request *{escape(request.id)}* to {summary} is waiting for an approver in {where}."]
    if frozen is not None:
        lines.append(frozen_line(frozen) + " It waits until then.")
    if request.approvals_required > 1:
        lines.append(f"It needs {request.approvals_required} different approvers.")
    if request.is_bulk:
        lines.append(f"Totals: {totals_text(request)}. Each number:")
        lines.extend(item_lines(request, with_outcome=False))
    elif request.kind is Kind.PURCHASE:
        lines.append(f"Quote: {quote_text(request.quote)}.")
    if request.kind.is_force:
        lines.append("It is a force operation, so an admin has to approve it.")
    lines.append(f"It expires {slack_date(request.expires_at)}. I will message you when it is decided.")
    text = "\n".join(lines)
    blocks = [*text_sections(lines), actions(button("Cancel request", ids.CANCEL_REQUEST, request.id))]
    return message(text, blocks)


def frozen_line(state: FreezeState) -> str:
    """One sentence: the bot is frozen, by whom, since when and why."""
    by = person(state.by.user_id, state.by.name)
    return (
        f":snowflake: *The bot is frozen* by {by} since {slack_date(state.since)}: "
        f"“{clip_escaped(one_line(state.reason), 300)}”. No Vobiz change is made until an admin says `/numbers unfreeze`."
    )


def approval_channel_unreachable(request: ApprovalRequest, channel: str, error: str) -> Message:
    """The DM telling a requester that their approval message could not be posted (Slack refused for good)."""
    summary = f"{KIND_PHRASE[request.kind]} {subject(request)}"
    text = (
        f":warning: Your request *{escape(request.id)}* to {summary} waits for an approver, but I could not post "
        f"it in {channel_mention(channel)}: Slack says `{escape(error)}`, so approvers do not see it there. An admin "
        "has to invite me to that channel (`/invite` me there); I keep trying every 15 minutes. Meanwhile approvers "
        "can decide it in `/numbers requests` or my App Home, and you can cancel it in `/numbers requests`."
    )
    return text_message(text)


def requester_notice(request: ApprovalRequest, *, now: datetime) -> Message:
    """The direct message telling a requester what became of their request."""
    where = (
        f" (see {channel_mention(request.approval_channel)})" if request.approval_channel else ""
    )
    head = f"Your request *{escape(request.id)}* to {KIND_PHRASE[request.kind]} {subject(request)}{where}:"
    lines = outcome_lines(request, now=now) or ["it is waiting for an approver."]
    if request.status is Status.EXPIRED:
        lines.append(ask_again(request))
    text = "\n".join([head, *lines])
    blocks: list[Block] = [section(text)]
    if can_undo(request, now):
        blocks.append(actions(button("Undo release", ids.UNDO_RELEASE, request.id)))
    return message(text, blocks)


def undo_result(request: ApprovalRequest, *, now: datetime) -> Message:
    text = "\n".join([request_summary(request), *outcome_lines(request, now=now)])
    return text_message(text)


def decision_ack(request: ApprovalRequest, *, now: datetime) -> Message:
    """What the approver sees (ephemeral) after clicking Approve or submitting a denial."""
    lines = [request_summary(request), *outcome_lines(request, now=now)]
    if request.status is Status.PENDING and request.approvals_required > 1:  # an approval that is not the last
        more = request.approvals_required - len(request.approvals)
        lines.append(f"Your approval is recorded; it needs {more} more before anything is done.")
        lines.extend(quorum_lines(request))
    text = "\n".join(lines)
    return text_message(text)
