"""Previous / Next buttons for a paged list, the value they carry (the page and the filters, nothing else),
and the line saying which slice of the list is shown."""

from __future__ import annotations

import json

from handlers.render.kit import Block, actions, button
from handlers.render.shapes import PageLike


def page_value(page: int, **filters: str | None) -> str:
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


def pager(page: PageLike, action_ids: tuple[str, str], **filters: str | None) -> list[Block]:
    previous, following = action_ids
    elements: list[Block] = []
    if page.has_previous:
        elements.append(button("◀ Previous", previous, page_value(page.page - 1, **filters)))
    if page.has_next:
        elements.append(button("Next ▶", following, page_value(page.page + 1, **filters)))
    return [actions(*elements, block_id=f"{previous}.nav")] if elements else []


def page_summary(page: PageLike, noun: str) -> str:
    if not page.total:
        return f"No {noun}."
    first = (page.page - 1) * page.per_page + 1
    last = first + len(page.items) - 1
    if not page.total_known and page.has_next:  # Vobiz left the count out: this page proves a lower bound
        return f"{noun.capitalize()} {first}–{last} of at least {page.total} (page {page.page}; Next shows whether there are more)."
    pages = max(1, -(-page.total // max(1, page.per_page)))
    return f"{noun.capitalize()} {first}–{last} of {page.total} (page {page.page} of {pages})."
