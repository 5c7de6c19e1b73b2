"""The words for an approval request, shared by every message that mentions one: its kind, its state, its
one-line summary, its quote and its reason."""

from __future__ import annotations

from bot.services.records import ApprovalRequest, Kind, Quote, Status
from handlers.render.text import clip_escaped, escape, money, number_label, one_line

REASON_SHOWN = 1000  # characters of a reason shown in a message (the services cap reasons at 500)

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


def quote_text(quote: Quote | None) -> str:
    if quote is None:
        return "not quoted"
    fees = f"setup {money(quote.setup_fee, quote.currency)}, then {money(quote.monthly_fee, quote.currency)}/month"
    return "; ".join([fees, *quote.notes])


def reason_quote(reason: str | None, limit: int = REASON_SHOWN) -> str:
    text = clip_escaped(one_line(reason or ""), limit) or "(none given)"
    return f"> {text}"


def request_summary(request: ApprovalRequest) -> str:
    """`*R7K2QX* · Purchase of *+91 80 1234 5678*`: one line naming the request."""
    return f"*{escape(request.id)}* · {KIND_TITLE[request.kind]} of {number_label(request.e164)}"
