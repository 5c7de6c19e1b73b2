"""The transport under every resource: one httpx.Client, the auth headers, the retry rules and the
mapping of error answers to the error tree. It knows HTTP methods and idempotency, never which call it
carries (a purchase's own error reading lives in the numbers resource).

Retry rules (Vobiz has no idempotency keys, so a repeated money-moving call could buy or release twice):

- reads (``idempotent=True``) retry on connect errors, any timeout, a dropped connection, 429 (honouring
  ``Retry-After``, capped at ``max_retry_after``) and 5xx, with capped exponential backoff and full jitter;
- writes retry only when the connection was never established (``ConnectError``/``ConnectTimeout``/
  ``PoolTimeout``): Vobiz cannot have seen such a request. After a read timeout, a dropped connection or
  any HTTP answer the outcome belongs to the caller to settle.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from api.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    RateLimited,
    UnexpectedResponse,
    error_from_response,
    parse_retry_after,
)

DEFAULT_BASE_URL = "https://api.vobiz.ai/api"
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0

logger = logging.getLogger("api")


def _package_version() -> str:
    try:
        return metadata.version("numbers-bot")
    except metadata.PackageNotFoundError:
        return "0"


USER_AGENT = f"numbers-bot/{_package_version()}"

QueryParams = Mapping[str, str | int]
_HEADER_SAFE = re.compile(r"[!-~]+")
M = TypeVar("M", bound=BaseModel)


class VobizTransport:
    """Sends one call and returns its 2xx answer or raises a VobizError. Owned by `VobizClient`, which
    hands it to the resources; never handed to a caller (its answers' `request.headers` hold the token)."""

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
        # Header values must be printable ASCII: anything else would fail inside httpx on every call,
        # with the value in the library's error. Neither value is echoed: a pasted token may sit in either.
        if not isinstance(auth_id, str) or not _HEADER_SAFE.fullmatch(auth_id.strip()):
            raise ValueError("auth_id must be a Vobiz account id such as MA_XXXXXXXX (printable ASCII, no spaces)")
        if not isinstance(auth_token, str) or not auth_token:
            raise ValueError("auth_token must not be empty")
        if not _HEADER_SAFE.fullmatch(auth_token):
            raise ValueError(
                "auth_token must be printable ASCII without spaces or line breaks; check for a stray newline, "
                "quote or pasted character"
            )
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.auth_id = auth_id.strip()
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={
                "X-Auth-ID": self.auth_id,
                "X-Auth-Token": auth_token,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"VobizTransport(auth_id={self.auth_id!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    @property
    def account_segment(self) -> str:
        """The account id as it goes into a path."""
        return quote(self.auth_id, safe="")

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one call (path starts with ``/v1/``) and return its 2xx answer, or raise a VobizError.

        `idempotent` defaults to True for GET only; it decides which failures are retried. For the
        resources only: the answer's `request.headers` hold the auth token (httpx masks only
        Authorization), so no httpx object is ever handed to a caller.
        """
        retry_reads = method.upper() == "GET" if idempotent is None else idempotent
        url = path.lstrip("/")
        attempt = 0
        while True:
            try:
                response = self._send_once(method, url, params=params, json=json)
            except _NotSendable:
                raise  # sending it again would fail the same way
            except APIConnectionError as error:
                if attempt < self.max_retries and (retry_reads or not error.request_sent):
                    self._sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise
            if response.is_success:
                return response
            status_error = error_from_response(response)
            response.close()
            if retry_reads and attempt < self.max_retries and _is_retryable_status(response.status_code):
                self._sleep(self._retry_delay(attempt, status_error, response))
                attempt += 1
                continue
            raise status_error

    def _send_once(
        self, method: str, url: str, *, params: QueryParams | None, json: Any
    ) -> httpx.Response:
        path_for_log = f"{self.base_url}/{url}"
        started = time.monotonic()
        failure: APIConnectionError | None = None
        try:
            response = self._http.request(method, url, params=params, json=json)
        except (httpx.TransportError, UnicodeEncodeError) as exc:
            failure = _connection_error(exc)
            logger.debug(
                "%s %s failed after %.0f ms: %s (request_sent=%s)",
                method,
                path_for_log,
                (time.monotonic() - started) * 1000,
                type(exc).__name__,
                failure.request_sent,
            )
        if failure is not None:
            # Raised outside the `except`, so not even `__context__` holds the httpx error: it carries the
            # request, whose headers (and, for an illegal header, whose message) hold the auth token.
            raise failure
        logger.debug(
            "%s %s -> %s in %.0f ms", method, path_for_log, response.status_code, (time.monotonic() - started) * 1000
        )
        return response

    def _backoff(self, attempt: int) -> float:
        """Full jitter: a uniform delay between 0 and the capped exponential step."""
        return self._rng.uniform(0.0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))

    def _retry_delay(self, attempt: int, error: APIStatusError, response: httpx.Response) -> float:
        retry_after = error.retry_after if isinstance(error, RateLimited) else parse_retry_after(
            response.headers.get("Retry-After")
        )
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self._backoff(attempt)


def _is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


class _NotSendable(APIConnectionError):
    """httpx refused to put the request on the wire (an illegal header value): nothing reached Vobiz, and
    sending it again would fail the same way, so it is never retried."""

    def __init__(self) -> None:
        super().__init__(
            "the request could not be sent: a header value (the auth id or token?) is not valid in HTTP",
            request_sent=False,
        )


def _connection_error(exc: httpx.TransportError | UnicodeEncodeError) -> APIConnectionError:
    """Map an httpx failure, deciding whether Vobiz can have seen the request. Never copies the
    library's message: for an illegal header it quotes the header's value."""
    if isinstance(exc, (httpx.LocalProtocolError, UnicodeEncodeError)):
        return _NotSendable()
    if isinstance(exc, httpx.ConnectTimeout):
        return APIConnectionError("could not connect to Vobiz in time", request_sent=False)
    if isinstance(exc, httpx.PoolTimeout):
        return APITimeoutError("no free connection to Vobiz in time", request_sent=False)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError("Vobiz did not answer in time; the outcome is unknown", request_sent=True)
    if isinstance(exc, httpx.ConnectError):
        return APIConnectionError("could not connect to Vobiz", request_sent=False)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return APIConnectionError("the Vobiz base URL is not an http(s) URL", request_sent=False)
    return APIConnectionError(
        f"the connection to Vobiz broke during the request ({type(exc).__name__}); the outcome is unknown",
        request_sent=True,
    )


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON of a 2xx answer; None when the body is empty."""
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponse(
            f"Vobiz answered {response.status_code} with a body that is not JSON",
            status_code=response.status_code,
            body=response.text[:500],
        ) from None


def parse_model(response: httpx.Response, model: type[M]) -> M:
    """A 2xx answer read as `model`, or UnexpectedResponse naming what was wrong."""
    body = json_body(response)
    try:
        return model.model_validate(body)
    except ValueError as exc:
        raise UnexpectedResponse(
            f"Vobiz answered {response.status_code} with a body that is not a {model.__name__}: "
            f"{_first_problem(exc)}",
            status_code=response.status_code,
            body=body,
        ) from None


def _first_problem(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        return f"{where}: {first.get('msg', 'invalid')}"
    return str(exc)[:200]


__all__ = ["DEFAULT_BASE_URL", "USER_AGENT", "QueryParams", "VobizTransport", "json_body", "parse_model"]
