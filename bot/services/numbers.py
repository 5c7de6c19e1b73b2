"""Read paths: the account's numbers, one number, and the inventory. Nothing here changes anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.errors import VobizError
from api.models import Page, PhoneNumber

from bot.services import inventory_search, validation, wording
from bot.services.inventory_search import Cursor, SearchResult
from bot.services.number_filters import NumberFilter
from bot.services.errors import NotFound
from bot.services.vobiz_failures import read_failure

if TYPE_CHECKING:
    from api.client import VobizClient

PER_PAGE = 10


class NumberQueries:
    def __init__(
        self, *, vobiz: VobizClient, per_page: int = PER_PAGE, search_pages: int = inventory_search.MAX_PAGES
    ) -> None:
        self._vobiz = vobiz
        self._per_page = per_page
        self._search_pages = search_pages
        self._pages = inventory_search.vobiz_pages(vobiz)

    def list_page(self, page: int, search: str | None) -> Page[PhoneNumber]:
        """One page of the account's numbers (with its sub-accounts'), optionally those containing `search`."""
        page = validation.page_number(page)
        text = validation.search(search)
        try:
            return self._vobiz.numbers.list_page(page=page, per_page=self._per_page, search=text)
        except VobizError as exc:
            raise read_failure(exc, "listing the account's numbers") from None

    def show(self, e164_raw: str) -> PhoneNumber:
        """The number if the account owns it, else its inventory entry (with fees)."""
        e164 = validation.e164(e164_raw)
        try:
            found = self._vobiz.numbers.get(e164) or self._vobiz.numbers.find_in_inventory(e164)
        except VobizError as exc:
            raise read_failure(exc, f"looking up {wording.number(e164)}") from None
        if found is None:
            raise NotFound(f"{wording.number(e164)} is neither one of the account's numbers nor in Vobiz's inventory.")
        return found

    def inventory_page(self, country: str | None, search: str | None, page: int) -> Page[PhoneNumber]:
        """One page of numbers available to buy."""
        page = validation.page_number(page)
        code = validation.country(country)
        text = validation.search(search)
        try:
            return self._vobiz.numbers.inventory_page(country=code, search=text, page=page, per_page=self._per_page)
        except VobizError as exc:
            raise read_failure(exc, "listing the inventory") from None

    def search(self, wanted: NumberFilter, start: Cursor | None = None) -> SearchResult:
        """Inventory numbers matching `wanted`, from `start` on, a bounded number of Vobiz pages at a time."""
        try:
            return inventory_search.search(self._pages, wanted, start, max_pages=self._search_pages)
        except VobizError as exc:
            raise read_failure(exc, "searching the inventory") from None
