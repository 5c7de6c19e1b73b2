"""Telephone numbers as Slack shows them: a line per number, the list of our numbers, one number's detail,
and the inventory we can buy from (each with a Request purchase button)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.services.marks import Marks
from bot.services.terms import commitment_notes
from handlers import ids
from handlers.render.labels import label_text, lock_text, marks_text
from handlers.render.kit import (
    Block,
    Message,
    actions,
    button,
    context,
    fields,
    header,
    message,
    section,
    text_sections,
)
from handlers.render.paging import page_summary, pager
from handlers.render.shapes import NumberLike, PageLike
from handlers.render.text import display_number, escape, money, number_label, sentence

LIST_ITEMS_SHOWN = 100
INVENTORY_ITEMS_SHOWN = 40
GONE_SHOWN = 10


def capabilities_text(number: NumberLike) -> str:
    caps = number.capabilities
    names = [name for name in ("voice", "sms", "mms", "fax") if getattr(caps, name, False)]
    return ", ".join(names) or "no capabilities listed"


def terms_text(number: NumberLike) -> str:
    """What buying the number commits us to ("commits us for 12 months; needs Aadhaar ..."), or ""."""
    notes = commitment_notes(number.minimum_commitment_months, number.aadhaar_verification_required)
    return ":warning: " + sentence("; ".join(notes)) if notes else ""


def place_text(number: NumberLike) -> str:
    parts = [p for p in (number.country, number.region) if p]
    return escape(", ".join(parts)) if parts else "unknown place"


def number_line(number: NumberLike, marks: Marks | None = None) -> str:
    owner = escape(number.account_id) if number.account_id else "nobody"
    marked = marks_text(marks)
    return (
        f"• {number_label(number.e164)}  ·  {place_text(number)}  ·  {capabilities_text(number)}  ·  "
        f"{escape(number.status or 'unknown')}  ·  {money(number.monthly_fee, number.currency)}/month  ·  owner {owner}"
        + (f"\n    {marked}" if marked else "")
    )


def number_list(
    page: PageLike,
    search: str | None = None,
    *,
    marks: Mapping[str, Marks] | None = None,
    team: str | None = None,
    gone: Sequence[str] = (),
) -> Message:
    """Our numbers (with each one's label and lock); with `team`, those labelled with it."""
    marks = marks or {}
    title = "Our numbers" + (f" of team:{team}" if team else "") + (f" matching {search}" if search else "")
    items = list(page.items)[:LIST_ITEMS_SHOWN]
    blocks: list[Block] = [header(title), context(escape(page_summary(page, "numbers")))]
    if items:
        blocks.extend(text_sections([number_line(n, marks.get(n.e164)) for n in items]))
    elif team:
        blocks.append(section(f"No number of ours is labelled team:{escape(team)}" + (f" and matches “{escape(search)}”." if search else ".")
                              + " `/numbers label +E164 team:<name>` labels one."))
    else:
        hint = f"Nothing matches “{escape(search)}”." if search else "The account owns no numbers yet."
        blocks.append(section(hint + " `/numbers inventory` shows what we can buy."))
    if gone:
        shown = ", ".join(number_label(e164) for e164 in list(gone)[:GONE_SHOWN])
        more = f" and {len(gone) - GONE_SHOWN} more" if len(gone) > GONE_SHOWN else ""
        blocks.append(context(f"Labelled team:{escape(team or '')} but no longer among the account's numbers: {shown}{more}."))
    blocks.extend(pager(page, ids.LIST_PAGE, s=search, t=team))
    return message(f"{escape(title)}: {page_summary(page, 'numbers')}", blocks)


def number_detail(number: NumberLike, marks: Marks | None = None) -> Message:
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
    if owned:
        label, lock = (marks.label, marks.lock) if marks else (None, None)
        pairs.append(("Team", label_text(label) if label else "no label (`/numbers label`)"))
        pairs.append(("Lock", lock_text(lock) if lock else "not locked"))
    if terms_text(number):
        pairs.append(("Terms", terms_text(number)))
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
    blocks: list[Block] = [header(f"Numbers we can buy {filters}".strip()), context(page_summary(page, "numbers"))]
    for number in items:
        text = (
            f"{number_label(number.e164)}  ·  {place_text(number)}  ·  {capabilities_text(number)}\n"
            f"Setup {money(number.setup_fee, number.currency)}  ·  {money(number.monthly_fee, number.currency)}/month"
        )
        if terms_text(number):
            text += f"\n{terms_text(number)}"
        blocks.append(section(text, accessory=button("Request purchase", ids.REQUEST_PURCHASE, number.e164)))
    if not items:
        blocks.append(section("Nothing in inventory matches. Try another country or fewer digits."))
    if len(page.items) > len(items):
        blocks.append(context(f"{len(page.items) - len(items)} more on this page not shown."))
    blocks.extend(pager(page, ids.INVENTORY_PAGE, c=country, s=search))
    return message(f"{title}: {page_summary(page, 'numbers')}", blocks)
