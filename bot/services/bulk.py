"""Bulk purchases: picking N numbers, and recording what became of each.

A bulk purchase is one PURCHASE request whose numbers are its items (`bot.store.request_items`), each with
the quote that binds it. It is asked for, decided, expired and cancelled exactly like a single purchase; only
carrying it out differs: one purchase call per item (bot.services.execution), each guarded like a single
purchase (the lease re-checked and the call recorded first), and an item gone or re-priced is skipped, never
replaced. Every item's outcome is one audit row (so one history line per number); the request's own final
row is `finished`, which the drift check does not read as a purchase (the item rows say what was bought).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from api.models import PhoneNumber

from bot.services import journal, wording
from bot.services.errors import InvalidInput, NotFound
from bot.services.inventory_search import SearchResult, cheapest_first
from bot.services.outcomes import Outcome
from bot.services.quotes import QuoteUnavailable, quote_of
from bot.services.records import Actor, ApprovalRequest, ItemStatus, RequestItem, Status
from bot.store import Connection, request_items

MIN_COUNT, MAX_COUNT = 2, 20
FINISHED_EVENT = "finished"  # the request-level row of a bulk purchase's end (its items carry the purchases)
ITEM_OUTCOME = {
    ItemStatus.BOUGHT: Status.SUCCEEDED.value,
    ItemStatus.SKIPPED: "skipped",
    ItemStatus.FAILED: Status.FAILED.value,
    ItemStatus.UNKNOWN: Status.UNKNOWN.value,
}


def check_count(count: int) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not MIN_COUNT <= count <= MAX_COUNT:
        raise InvalidInput(f"A bulk purchase buys {MIN_COUNT} to {MAX_COUNT} numbers; got {count!r}.")
    return count


def pick(result: SearchResult, count: int, taken: set[str]) -> list[RequestItem]:
    """The `count` cheapest matches (monthly fee first) that no open request holds, as quoted items; NotFound
    saying how far the search looked when there are fewer, before anything is filed."""
    candidates: list[PhoneNumber] = []
    seen = set(taken)  # and each number once: pages read by offset repeat one if the inventory moved between them
    for number in cheapest_first(result.matches):
        if number.e164 not in seen and _quotable(number):
            candidates.append(number)
        seen.add(number.e164)
    if len(candidates) < count:
        held = len([n for n in result.matches if n.e164 in taken])
        scope = (
            f"among all {result.looked_at:,} numbers Vobiz offers for that"
            if result.next is None
            else f"in the first {result.looked_at:,} of {result.total:,} numbers"
        )
        also = f" ({held} more are in open requests already)" if held else ""
        raise NotFound(
            f"Only {len(candidates)} number{'' if len(candidates) == 1 else 's'} match "
            f"`{result.filter.text() or 'anything'}` {scope}{also}; you asked for {count}. Nothing was requested: "
            "loosen the filters or ask for fewer."
        )
    return [RequestItem(position=i, e164=n.e164, quote=quote_of(n)) for i, n in enumerate(candidates[:count])]


def _quotable(number: PhoneNumber) -> bool:
    try:
        quote_of(number)
    except QuoteUnavailable:
        return False
    return True


def totals_text(request: ApprovalRequest) -> str:
    """"setup 500 INR + monthly 1250 INR" per currency, joined with " and "."""
    return " and ".join(
        f"setup {wording.money(setup, currency)} + monthly {wording.money(monthly, currency)}"
        for currency, (setup, monthly) in sorted(request.totals().items())
    )


def requested_detail(request: ApprovalRequest) -> str:
    numbers = ", ".join(wording.number(item.e164) for item in request.items)
    return f"bulk purchase of {len(request.items)} numbers ({numbers}); totals {totals_text(request)}"


def record_item(
    db: Connection,
    now: datetime,
    request: ApprovalRequest,
    item: RequestItem,
    status: ItemStatus,
    detail: str,
    *,
    event: str,
    actor: Actor,
    vobiz_error: str | None = None,
) -> bool:
    """Item `item` leaves pending/calling/unknown for `status`, with its own audit row (its history line) and
    a re-draw of the approval message; False when someone else settled it first."""
    if not request_items.finish(db, request.id, item.position, status.value, detail, now if status.is_final else None):
        return False
    event_row = journal.Event(
        actor=actor,
        event=event,
        action="purchase",
        outcome=ITEM_OUTCOME[status],
        e164=item.e164,
        request_id=request.id,
        quote=item.quote,
        vobiz_error=vobiz_error,
        detail=detail,
    )
    journal.record(db, now, event_row)
    journal.announce(db, now, request.id, tell_requester=False)
    return True


def summary(request: ApprovalRequest) -> Outcome:
    """The request's outcome from its items: SUCCEEDED when at least one number was bought, FAILED when none
    was, UNKNOWN while any item's outcome is."""
    items = request.items
    count = {status: sum(1 for i in items if i.status is status) for status in ItemStatus}
    bought = [i for i in items if i.status is ItemStatus.BOUGHT]
    open_ = count[ItemStatus.UNKNOWN] + count[ItemStatus.CALLING] + count[ItemStatus.PENDING]
    setup = sum((i.quote.setup_fee for i in bought), Decimal(0))
    parts = [f"Bought {len(bought)} of {len(items)} numbers"]
    if bought:
        currencies = {i.quote.currency for i in bought}
        if len(currencies) == 1:
            monthly = sum((i.quote.monthly_fee for i in bought), Decimal(0))
            currency = currencies.pop()
            parts[0] += f" (setup {wording.money(setup, currency)} + monthly {wording.money(monthly, currency)})"
    for status, word in ((ItemStatus.SKIPPED, "skipped"), (ItemStatus.FAILED, "not bought"), (ItemStatus.UNKNOWN, "being checked")):
        if count[status]:
            parts.append(f"{count[status]} {word}")
    detail = "; ".join(parts) + ". Each number's outcome is listed with the request."
    if open_:
        return Outcome(Status.UNKNOWN, detail)
    return Outcome(Status.SUCCEEDED if bought else Status.FAILED, detail)


__all__ = ["FINISHED_EVENT", "MAX_COUNT", "MIN_COUNT", "check_count", "pick", "record_item", "summary", "totals_text"]
