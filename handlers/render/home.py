"""The App Home tab, as data: what waits for my decision (Approve/Deny), my open requests (Cancel), numbers
on hold with their end times, and the latest history I may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.services.holds import Hold
from bot.services.records import ApprovalRequest, AuditEntry, FreezeState, RequestList, Status
from handlers import ids
from handlers.render.approvals import decision_buttons
from handlers.render.freeze import freeze_banner
from handlers.render.history import OWN_ROWS_NOTE, history_line
from handlers.render.kit import VIEW_BLOCKS, Block, actions, button, context, divider, fit, header, section, text_sections
from handlers.parsing import USAGES
from handlers.render.request_text import STATUS_WORD, request_summary
from handlers.render.text import clip_escaped, duration, escape, number_label, one_line, slack_date, user_mention

AWAITING_SHOWN = 15  # two blocks each (the request, its buttons)
OPEN_SHOWN = 15
HOLDS_SHOWN = 30
LATEST_SHOWN = 10
OPEN_STATUSES = (Status.PENDING, Status.EXECUTING, Status.UNKNOWN)
OWN_HOLDS_NOTE = (
    ":lock: Only the holds of your own requests are shown (releases you asked for, your unassign attempts). "
    "Auditors, approvers and admins see everyone's."
)

View = dict[str, object]


@dataclass(frozen=True)
class HomeState:
    """Everything the tab shows for one person, read from the services just before publishing."""

    requests: RequestList
    holds: Sequence[Hold] = ()
    latest: Sequence[AuditEntry] = ()
    sees_all: bool = False
    holds_more: bool = False  # more holds exist than were read
    frozen: FreezeState | None = None  # the freeze in force: shown first


def home_view(state: HomeState, *, now: datetime) -> View:
    usage_lines = "\n".join(f"`/numbers {escape(u.synopsis)}`  {escape(u.summary)}" for u in USAGES)
    blocks: list[Block] = [
        header("Telephone numbers"),
        *([freeze_banner(state.frozen)] if state.frozen else []),
        section("Ask for numbers with `/numbers` in any channel. Approvers decide in the approvals channel or here."),
        section(usage_lines),
        *_awaiting(state.requests.awaiting_me),
        *_open_requests(state.requests.mine),
        *_holds(state.holds, now=now, more=state.holds_more, sees_all=state.sees_all),
        *_latest(state.latest, sees_all=state.sees_all),
        divider(),
        context(f"Updated {slack_date(now)}; this tab refreshes each time you open it and after you decide here."),
    ]
    return {"type": "home", "blocks": fit(blocks, VIEW_BLOCKS)}


def _request_line(request: ApprovalRequest) -> str:
    state = STATUS_WORD[request.status]
    if request.status is Status.PENDING:
        state = f"{state}, expires {slack_date(request.expires_at)}"
        if request.approvals_required > 1:
            state = f"{state} · {len(request.approvals)} of {request.approvals_required} approvals"
    requester = user_mention(request.requester.user_id, request.requester.name)
    reason = clip_escaped(one_line(request.reason or ""), 300) or "(no reason given)"
    return f"{request_summary(request)} · {state}\nby {requester}: {reason}"


def _awaiting(requests: Sequence[ApprovalRequest]) -> list[Block]:
    blocks: list[Block] = [header("Waiting for your decision")]
    for request in requests[:AWAITING_SHOWN]:
        blocks.append(section(_request_line(request)))
        blocks.append(actions(*decision_buttons(request), block_id=f"decide.{request.id}"))
    if not requests:
        blocks.append(section("Nothing is waiting for you."))
    elif len(requests) > AWAITING_SHOWN:
        blocks.append(context(f"{len(requests) - AWAITING_SHOWN} more waiting; decide these first, or see `/numbers requests`."))
    return blocks


def _open_requests(mine: Sequence[ApprovalRequest]) -> list[Block]:
    still_open = [r for r in mine if r.status in OPEN_STATUSES]
    blocks: list[Block] = [header("Your open requests")]
    for request in still_open[:OPEN_SHOWN]:
        accessory = button("Cancel", ids.CANCEL_REQUEST, request.id) if request.status is Status.PENDING else None
        blocks.append(section(_request_line(request), accessory=accessory))
    if not still_open:
        blocks.append(section("You have no open requests. `/numbers requests` lists the finished ones too."))
    elif len(still_open) > OPEN_SHOWN:
        blocks.append(context(f"{len(still_open) - OPEN_SHOWN} more open; `/numbers requests` lists them all."))
    return blocks


def hold_line(hold: Hold, *, now: datetime) -> str:
    left = duration((hold.until - now).total_seconds())
    number = number_label(hold.e164)
    if hold.kind == "pending_release":
        request = f" (request *{escape(hold.request_id)}*)" if hold.request_id else ""
        return f"• {number} is *pending release* until {slack_date(hold.until)}, {left} from now{request}; it can be undone until then."
    owner = f" with {escape(hold.sub_account_id)}" if hold.sub_account_id else ""
    return f"• {number} is in its *cool-off*{owner} until {slack_date(hold.until)}, {left} from now."


def _holds(holds: Sequence[Hold], *, now: datetime, more: bool, sees_all: bool) -> list[Block]:
    """`sees_all` False: the services passed only the viewer's own holds, and the wording must not claim
    anything about anyone else's."""
    blocks: list[Block] = [header("Numbers on hold")]
    if not holds:
        empty = "No number is in a cool-off or a pending release." if sees_all else "None of your numbers is on hold."
        blocks.append(section(empty))
    else:
        blocks.extend(text_sections([hold_line(h, now=now) for h in holds[:HOLDS_SHOWN]]))
        if more or len(holds) > HOLDS_SHOWN:
            blocks.append(context("More numbers are on hold than fit here; the soonest to end are shown."))
    if not sees_all:
        blocks.append(context(OWN_HOLDS_NOTE))
    return blocks


def _latest(entries: Sequence[AuditEntry], *, sees_all: bool) -> list[Block]:
    blocks: list[Block] = [header("Latest history")]
    if entries:
        blocks.extend(text_sections([history_line(e) for e in entries[:LATEST_SHOWN]]))
    else:
        blocks.append(section("Nothing recorded yet."))
    note = "Newest first. `/numbers history [filters]` shows more."
    blocks.append(context(note if sees_all else f"{note} {OWN_ROWS_NOTE}"))
    return blocks
