"""`/numbers requests`: my requests (Cancel on the pending ones) and those waiting for my decision
(Approve / Deny)."""

from __future__ import annotations

from bot.services.records import ApprovalRequest, RequestList, Status
from handlers import ids
from handlers.render.approvals import decision_buttons
from handlers.render.kit import Block, Message, actions, button, context, header, message, section
from handlers.render.request_text import STATUS_WORD, reason_quote, request_summary
from handlers.render.text import slack_date, user_mention

REQUESTS_SHOWN = 14


def _request_line(request: ApprovalRequest) -> str:
    state = STATUS_WORD[request.status]
    if request.status is Status.PENDING:
        state = f"{state}, expires {slack_date(request.expires_at)}"
        if request.approvals_required > 1:
            state = f"{state} · {len(request.approvals)} of {request.approvals_required} approvals"
    requester = user_mention(request.requester.user_id, request.requester.name)
    return f"{request_summary(request)} · {state}\nby {requester}: {reason_quote(request.reason, 300)[2:]}"


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
