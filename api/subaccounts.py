"""The sub-accounts resource: read-only listing of a master account's sub-accounts (`SA_...`).

Note the different paging envelope: `size` instead of `per_page`, `sub_accounts` instead of `items`,
and the lowercase plural `/accounts/` path with its trailing slash.
"""

from __future__ import annotations

from collections.abc import Iterator

from api.models import SubAccount, SubAccountPage
from api.paging import iterate_pages
from api.transport import VobizTransport, parse_model

ITER_SIZE = 100


class SubAccountsResource:
    def __init__(self, transport: VobizTransport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"SubAccountsResource(auth_id={self._transport.auth_id!r})"

    def list_page(self, *, page: int = 1, size: int = 25, active_only: bool | None = None) -> SubAccountPage:
        """One page of sub-accounts, newest first."""
        if not isinstance(page, int) or page < 1:
            raise ValueError(f"page must be a whole number from 1, not {page!r}")
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a whole number from 1, not {size!r}")
        params: dict[str, str | int] = {"page": page, "size": size}
        if active_only is not None:
            params["active_only"] = "true" if active_only else "false"
        path = f"/v1/accounts/{self._transport.account_segment}/sub-accounts/"
        return parse_model(self._transport.request("GET", path, params=params), SubAccountPage)

    def iter_all(self, *, active_only: bool | None = None) -> Iterator[SubAccount]:
        """Every sub-account, fetching pages lazily."""
        return iterate_pages(lambda page: self.list_page(page=page, size=ITER_SIZE, active_only=active_only))

    def get(self, sub_auth_id: str) -> SubAccount | None:
        """The sub-account with this `SA_...` id, or None.

        Vobiz documents `GET .../sub-accounts/{sub_auth_id}` but not its answer, so this scans the list.
        """
        if not isinstance(sub_auth_id, str) or not sub_auth_id.strip():
            raise ValueError("sub_auth_id must be a Vobiz sub-account id such as SA_XXXXXXXX")
        wanted = sub_auth_id.strip()
        return next((sub for sub in self.iter_all() if sub.auth_id == wanted), None)


__all__ = ["SubAccountsResource"]
