"""VobizClient: the Vobiz Phone Numbers API, one transport shared by its resources.

The client only composes: `api.transport` holds the HTTP session, auth and retry rules (see its
docstring); `api.numbers` and `api.subaccounts` hold the calls, and import only the transport.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import httpx

from api.numbers import NumbersResource
from api.subaccounts import SubAccountsResource
from api.transport import DEFAULT_BASE_URL, USER_AGENT, VobizTransport


class VobizClient:
    """The Vobiz Phone Numbers API. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        auth_id: str,
        auth_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retry_after: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self._transport = VobizTransport(
            auth_id,
            auth_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            transport=transport,
            sleep=sleep,
            max_retry_after=max_retry_after,
            rng=rng,
        )
        self.numbers = NumbersResource(self._transport)
        self.subaccounts = SubAccountsResource(self._transport)

    @property
    def auth_id(self) -> str:
        return self._transport.auth_id

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def max_retries(self) -> int:
        return self._transport.max_retries

    def __repr__(self) -> str:
        return f"VobizClient(auth_id={self.auth_id!r}, base_url={self.base_url!r})"

    def __enter__(self) -> VobizClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()


__all__ = ["DEFAULT_BASE_URL", "USER_AGENT", "VobizClient"]
