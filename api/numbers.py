"""The numbers resource: the account's numbers, the inventory, and the calls that move numbers.

Every number is normalised to E.164 before a request is built, so bad input never reaches Vobiz.
Path casing is copied from the contract: capital `/Account/` for list, inventory, purchase and
release; lowercase `/account/` for cancel-release and the sub-account assignment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from api.errors import APIStatusError, PurchaseDebitFailed, UnexpectedResponse
from api.models import CancelReleaseResult, Page, PhoneNumber, PurchaseResult, ReleaseResult
from api.paging import iterate_pages
from api.phone import normalize_e164, path_segment
from api.transport import VobizTransport, json_body, parse_model

PhonePage = Page[PhoneNumber]
DEFAULT_PER_PAGE = 25
ITER_PER_PAGE = 100
PURCHASE_FAILED_MESSAGE = "failed to purchase number"


class NumbersResource:
    def __init__(self, transport: VobizTransport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"NumbersResource(auth_id={self._transport.auth_id!r})"

    # Paths -----------------------------------------------------------------------------------

    def _owned_path(self, suffix: str = "") -> str:
        return f"/v1/Account/{self._transport.account_segment}/numbers{suffix}"

    def _number_path(self, e164: str, suffix: str = "", *, lowercase: bool = False) -> str:
        account = "account" if lowercase else "Account"
        return f"/v1/{account}/{self._transport.account_segment}/numbers/{path_segment(e164)}{suffix}"

    # Reads -----------------------------------------------------------------------------------

    def list_page(self, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE, search: str | None = None) -> PhonePage:
        """One page of the numbers this account (and, for a master account, its sub-accounts) owns."""
        params: dict[str, str | int] = _paging(page, per_page)
        if search is not None and search.strip():
            params["search"] = search.strip()
        response = self._transport.request("GET", self._owned_path(), params=params)
        return parse_model(response, PhonePage)

    def iter_all(self, *, search: str | None = None, per_page: int = ITER_PER_PAGE) -> Iterator[PhoneNumber]:
        """Every owned number, fetching pages lazily as the iterator is consumed."""
        return _iterate(lambda page: self.list_page(page=page, per_page=per_page, search=search))

    def get(self, e164: str) -> PhoneNumber | None:
        """The owned number with exactly this E.164, or None. (Vobiz's `search` is a substring match.)"""
        number = normalize_e164(e164)
        return _exact(self.iter_all(search=number), number)

    def inventory_page(
        self,
        *,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
    ) -> PhonePage:
        """One page of numbers available to buy. `exclude` holds E.164 prefixes (country code included)."""
        params = self._inventory_params(country, search, exclude)
        params.update(_paging(page, per_page))
        path = f"/v1/Account/{self._transport.account_segment}/inventory/numbers"
        response = self._transport.request("GET", path, params=params)
        return parse_model(response, PhonePage)

    def iter_inventory(
        self,
        *,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
        per_page: int = ITER_PER_PAGE,
    ) -> Iterator[PhoneNumber]:
        """Every matching inventory number, fetching pages lazily."""
        return _iterate(
            lambda page: self.inventory_page(
                country=country, search=search, exclude=exclude, page=page, per_page=per_page
            )
        )

    def find_in_inventory(self, e164: str) -> PhoneNumber | None:
        """The inventory entry with exactly this E.164 (with its fees), or None."""
        number = normalize_e164(e164)
        return _exact(self.iter_inventory(search=number), number)

    @staticmethod
    def _inventory_params(
        country: str | None, search: str | None, exclude: str | Iterable[str] | None
    ) -> dict[str, str | int]:
        params: dict[str, str | int] = {}
        if country is not None and country.strip():
            params["country"] = country.strip().upper()
        if search is not None and search.strip():
            params["search"] = search.strip()
        prefixes = _exclude_list(exclude)
        if prefixes:
            params["exclude"] = ",".join(prefixes)
        return params

    # Writes (never retried once Vobiz may have seen them) --------------------------------------

    def purchase(self, e164: str, *, currency: str | None = None) -> PurchaseResult:
        """Buy a number from inventory. Vobiz debits setup + monthly fee from the (parent) account."""
        number = normalize_e164(e164)
        body: dict[str, str] = {"e164": number}
        if currency is not None and currency.strip():
            body["currency"] = currency.strip().upper()
        debit_failed: PurchaseDebitFailed | None = None
        try:
            response = self._transport.request(
                "POST", self._owned_path("/purchase-from-inventory"), json=body, idempotent=False
            )
        except APIStatusError as error:
            debit_failed = _debit_failure(error)
            if debit_failed is None:
                raise
        if debit_failed is not None:
            raise debit_failed  # outside the `except`, so it chains to nothing, like every other error
        # A 2xx means the number is ours; if the body does not describe it, say only what we know.
        try:
            data = json_body(response)
        except UnexpectedResponse:
            data = None
        if isinstance(data, dict) and isinstance(data.get("number"), dict):
            try:
                return PurchaseResult.model_validate(data)
            except ValueError:
                pass
        message = data.get("message") if isinstance(data, dict) and isinstance(data.get("message"), str) else None
        return PurchaseResult(message=message, number=PhoneNumber(e164=number))

    def release(self, e164: str, *, immediate: bool = False) -> ReleaseResult:
        """Release a number: 24 h `pending_release` (cancellable), or at once with `immediate=True`."""
        number = normalize_e164(e164)
        params: dict[str, str | int] = {"immediate": "true"} if immediate else {}
        response = self._transport.request(
            "DELETE", self._number_path(number), params=params or None, idempotent=False
        )
        data = json_body(response)
        if data is None:  # the older 204 answer: released at once, permanently
            return ReleaseResult(status="released")
        if not isinstance(data, dict):
            raise UnexpectedResponse(
                f"Vobiz answered {response.status_code} to the release with an unreadable body",
                status_code=response.status_code,
                body=data,
            )
        if "status" not in data:  # the older 200 {"message": "number returned to inventory"}
            message = data.get("message")
            return ReleaseResult(status="released", message=message if isinstance(message, str) else None)
        return parse_model(response, ReleaseResult)

    def cancel_release(self, e164: str) -> CancelReleaseResult:
        """Undo a pending release; Vobiz refunds the release fee (routing is not restored)."""
        number = normalize_e164(e164)
        response = self._transport.request(
            "POST", self._number_path(number, "/cancel-release", lowercase=True), idempotent=False
        )
        if not response.content.strip():
            return CancelReleaseResult()
        return parse_model(response, CancelReleaseResult)

    def assign_subaccount(self, e164: str, sub_account_id: str) -> None:
        """Move a number from the master account's pool to one of its sub-accounts."""
        number = normalize_e164(e164)
        sub_account = _sub_account_id(sub_account_id)
        self._transport.request(
            "POST",
            self._number_path(number, "/assign-subaccount", lowercase=True),
            json={"sub_account_id": sub_account},
            idempotent=False,
        )

    def unassign_subaccount(self, e164: str, *, force: bool = False) -> None:
        """Move a number back to the master account. Raises CoolOffInEffect within 15 days of a call
        unless `force` (admin accounts only)."""
        number = normalize_e164(e164)
        params: dict[str, str | int] | None = {"force": "true"} if force else None
        self._transport.request(
            "DELETE",
            self._number_path(number, "/assign-subaccount", lowercase=True),
            params=params,
            idempotent=False,
        )


def _debit_failure(error: APIStatusError) -> PurchaseDebitFailed | None:
    """A refused purchase read for what it means: 402, or a 500 saying "failed to purchase number", is a
    failed debit that Vobiz rolled back (the number is still in inventory, nothing was charged)."""
    if error.status_code == 402 or (error.status_code == 500 and PURCHASE_FAILED_MESSAGE in error.message.lower()):
        return PurchaseDebitFailed(error.status_code, error.error, error.message, error.body)
    return None


def _paging(page: int, per_page: int) -> dict[str, str | int]:
    if not isinstance(page, int) or page < 1:
        raise ValueError(f"page must be a whole number from 1, not {page!r}")
    if not isinstance(per_page, int) or per_page < 1:
        raise ValueError(f"per_page must be a whole number from 1, not {per_page!r}")
    return {"page": page, "per_page": per_page}


def _exclude_list(exclude: str | Iterable[str] | None) -> list[str]:
    if exclude is None:
        return []
    parts = exclude.split(",") if isinstance(exclude, str) else [p for item in exclude for p in str(item).split(",")]
    seen: dict[str, None] = {}
    for part in parts:
        prefix = part.strip()
        if prefix:
            seen.setdefault(prefix, None)
    return list(seen)


def _sub_account_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("sub_account_id must be a Vobiz sub-account id such as SA_XXXXXXXX")
    return value.strip()


def _iterate(fetch: Callable[[int], PhonePage]) -> Iterator[PhoneNumber]:
    return iterate_pages(fetch)


def _exact(numbers: Iterable[PhoneNumber], e164: str) -> PhoneNumber | None:
    for candidate in numbers:
        if _same_number(candidate.e164, e164):
            return candidate
    return None


def _same_number(candidate: str, e164: str) -> bool:
    if candidate == e164:
        return True
    try:
        return normalize_e164(candidate) == e164
    except ValueError:
        return False


__all__ = ["NumbersResource", "PhonePage"]
