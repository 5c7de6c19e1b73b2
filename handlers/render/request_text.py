"""The words for an approval request, shared by every message that mentions one: its kind, its state, its
one-line summary, its quote and its reason."""

from __future__ import annotations

from bot.services.records import ApprovalRequest, ItemStatus, Kind, Quote, Status
from handlers.render.text import clip_escaped, display_number, escape, money, number_label, one_line

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
    return f"*{escape(request.id)}* · {KIND_TITLE[request.kind]} of {subject(request)}"


def subject(request: ApprovalRequest) -> str:
    """What the request is about: its number, or for a bulk purchase how many numbers."""
    return f"*{len(request.items)} numbers*" if request.is_bulk else number_label(request.e164)


def subject_plain(request: ApprovalRequest) -> str:
    return f"{len(request.items)} numbers" if request.is_bulk else display_number(request.e164)


ITEM_WORD = {
    ItemStatus.PENDING: "",
    ItemStatus.CALLING: ":hourglass_flowing_sand: buying",
    ItemStatus.BOUGHT: ":white_check_mark: bought",
    ItemStatus.SKIPPED: ":fast_forward: skipped",
    ItemStatus.FAILED: ":x: not bought",
    ItemStatus.UNKNOWN: ":warning: being checked",
}


def item_lines(request: ApprovalRequest, *, with_outcome: bool) -> list[str]:
    """One line per number of a bulk purchase: the number, its quote and terms, and (once decided) what
    became of it and why."""
    lines = []
    for item in request.items:
        line = f"• {number_label(item.e164)}  ·  {quote_text(item.quote)}"
        if with_outcome and item.status is not ItemStatus.PENDING:
            line += f"\n      → {ITEM_WORD[item.status]}"
            if item.detail and item.status is not ItemStatus.BOUGHT:
                line += f": {clip_escaped(one_line(item.detail), 300)}"
        lines.append(line)
    return lines


def totals_text(request: ApprovalRequest) -> str:
    """The totals of what the request buys, per currency: "setup 500 INR, then 1250 INR/month"."""
    return " and ".join(
        f"setup {money(setup, currency)}, then {money(monthly, currency)}/month"
        for currency, (setup, monthly) in sorted(request.totals().items())
    )


def bulk_terms(request: ApprovalRequest) -> str:
    """"2 of 3 commit us for up to 12 months; 3 of 3 need Aadhaar verification before use", or ""."""
    items = request.items
    committed = [i.quote.commitment_months for i in items if i.quote.commitment_months]
    kyc = sum(1 for i in items if i.quote.aadhaar_required)
    parts = []
    if committed:
        parts.append(f"{len(committed)} of {len(items)} commit us for up to {max(committed)} months")
    if kyc:
        parts.append(f"{kyc} of {len(items)} need Aadhaar verification before use")
    return "; ".join(parts)
