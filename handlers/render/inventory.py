"""The answer to `/numbers inventory [COUNTRY] [filters]`: the matches with their fees and terms (each with a
Request purchase button), how far the bot looked ("7 matches in the first 1,000 of 4,512 numbers"), Keep
looking, and when nothing matched which filter ruled most numbers out and the nearest alternatives.

Buttons carry the canonical filter text and the cursor only; the click re-parses them (`read_search_value`).
"""

from __future__ import annotations

import json

from bot.services.inventory_search import Alternative, Cursor, SearchResult
from bot.services.number_filters import NumberFilter
from handlers import ids
from handlers.render.kit import Block, Message, actions, button, context, header, message, section
from handlers.render.numbers import capabilities_text, place_text, terms_text
from handlers.render.shapes import NumberLike
from handlers.render.text import clip, escape, money, number_label


def search_value(wanted: NumberFilter, cursor: Cursor | None = None) -> str:
    data: dict[str, object] = {"f": wanted.text()}
    if cursor is not None:
        data.update({"p": cursor.page, "k": cursor.skip, "l": cursor.looked, "m": cursor.found})
    return json.dumps(data, separators=(",", ":"))


def read_search_value(value: str) -> tuple[str, Cursor | None] | None:
    """(filter text, cursor) from a button's value; None when the value is not one of ours."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("f"), str):
        return None
    numbers = [data.get(key) for key in ("p", "k", "l", "m")]
    if all(n is None for n in numbers):
        return data["f"], None
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers) or numbers[0] < 1:  # type: ignore[operator]
        return None
    page, skip, looked, found = numbers
    return data["f"], Cursor(page, skip, looked, found)  # type: ignore[arg-type]


def how_far(result: SearchResult) -> str:
    """"7 matches in the first 1,000 of 4,512 numbers", or in numbers 1,001-2,000 when continuing."""
    count = len(result.matches)
    noun = "match" if count == 1 else "matches"
    of = f"{result.total:,}" if result.total_known else f"at least {result.total:,}"
    if result.looked_at == 0 and result.start.looked == 0:
        return "Vobiz has no numbers in inventory for that."
    if result.start.looked == 0:
        if result.next is None:
            offered = "the one number" if result.looked_at == 1 else f"all {result.looked_at:,} numbers"
            return f"{count:,} {noun} among {offered} Vobiz offers for that."
        return f"{count:,} {noun} in the first {result.looked_at:,} of {of} numbers."
    first, last = result.start.looked + 1, result.looked_through
    more = "more " if count else ""
    span = f"numbers {first:,}–{last:,} of {of}" if last >= first else f"the last numbers of {of}"
    ended = " That was the end of the inventory." if result.next is None else ""
    return f"{count:,} {more}{noun} in {span} ({result.found_before + count:,} so far).{ended}"


def _number_block(number: NumberLike) -> Block:
    text = (
        f"{number_label(number.e164)}  ·  {place_text(number)}  ·  {capabilities_text(number)}\n"
        f"Setup {money(number.setup_fee, number.currency)}  ·  {money(number.monthly_fee, number.currency)}/month"
    )
    terms = terms_text(number)
    if terms:
        text += f"\n{terms}"
    return section(text, accessory=button("Request purchase", ids.REQUEST_PURCHASE, number.e164))


def _alternative_block(alternative: Alternative) -> Block:
    without = escape(alternative.without)
    if alternative.matches:
        cheapest = alternative.examples[0] if alternative.examples else None
        price = (
            f", from {money(cheapest.monthly_fee, cheapest.currency)}/month ({number_label(cheapest.e164)})"
            if cheapest is not None
            else ""
        )
        text = f"Without `{without}`: {alternative.matches:,} of the numbers I looked at would match{price}."
    else:
        text = f"Without `{without}`: search again."
    label = clip(f"Search without {alternative.without}", 75)
    return section(text, accessory=button(label, ids.INVENTORY_WITHOUT, search_value(alternative.filter)))


def search_results(result: SearchResult) -> Message:
    shown = escape(result.filter.text())
    title = f"Numbers we can buy {result.filter.text()}".strip()
    summary = how_far(result)
    blocks: list[Block] = [header(title), context(summary)]
    blocks.extend(_number_block(number) for number in result.matches)
    if not result.matches:
        blocks.append(section(_nothing_text(result)))
        blocks.extend(_alternative_block(a) for a in result.alternatives)
    if result.next is not None:
        blocks.append(
            actions(
                button("Keep looking", ids.INVENTORY_MORE, search_value(result.filter, result.next), style="primary"),
                block_id="inventory.more",
            )
        )
    text = f"Inventory {shown}: {summary}".replace("  ", " ")
    return message(text, blocks)


def _nothing_text(result: SearchResult) -> str:
    if not result.ruled_out:
        if result.looked_at == 0 and not result.filter.is_empty:
            return f"Vobiz holds no inventory numbers for `{escape(result.filter.text())}`."
        return "Nothing in inventory here."
    token, count = result.ruled_out[0]
    return (
        f"Nothing matches. `{escape(token)}` ruled out the most numbers: {count:,} of the "
        f"{result.looked_at:,} I looked at."
    )


__all__ = ["how_far", "read_search_value", "search_results", "search_value"]
