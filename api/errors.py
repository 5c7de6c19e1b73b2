"""The Vobiz error tree. Every failure the client raises is one of these::

    VobizError
     ├── InvalidNumber (also ValueError)   bad E.164 input, raised before any request
     ├── APIConnectionError                 no HTTP answer (refused, reset, DNS ...)
     │    └── APITimeoutError               the request was sent but no answer came in time
     ├── UnexpectedResponse                 a 2xx answer whose body could not be read as documented
     └── APIStatusError                     Vobiz answered with a 4xx/5xx status
          ├── BadRequest                    400
          ├── AuthenticationError           401
          ├── PurchaseDebitFailed           402, or 500 "failed to purchase number", on a purchase only
          │                                 (read by the numbers resource): the debit failed and the
          │                                 number is still in inventory
          ├── PermissionDenied              403
          ├── NotFound                      404
          ├── Conflict                      409
          │    └── CoolOffInEffect          409 did_cool_off_in_effect (cool_off_until, remaining_seconds)
          ├── RateLimited                   429 (retry_after seconds, when Vobiz said)
          └── ServerError                   5xx

`error_from_response` turns any HTTP error answer into one of these; only the purchase, which alone
knows what its 402 and 500 mean, reads its own answer further (`api.numbers`). It reads the
three body shapes Vobiz uses: flat ``{error, message}``, nested ``{error: {code, message}}`` and
``{status, message}``. No error ever carries the auth token: only the status, Vobiz's code and message,
and the parsed body (which Vobiz never fills with credentials).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import httpx


class VobizError(Exception):
    """Base of everything the Vobiz client raises."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidNumber(VobizError, ValueError):
    """A phone number that is not a valid E.164 number; raised before touching the network."""

    def __init__(self, raw: object, reason: str = "not a valid phone number") -> None:
        shown = repr(raw) if not isinstance(raw, str) else f"'{raw[:40]}'"
        super().__init__(f"{shown} is {reason}; write it in E.164 form, e.g. +918012345678")
        self.raw = raw


class APIConnectionError(VobizError):
    """No HTTP answer came back from Vobiz."""

    def __init__(self, message: str = "could not reach Vobiz", *, request_sent: bool = False) -> None:
        super().__init__(message)
        # False only when the connection was never established, so the request cannot have been seen.
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The request may have reached Vobiz, but no answer arrived in time: its outcome is unknown."""

    def __init__(self, message: str = "Vobiz did not answer in time", *, request_sent: bool = True) -> None:
        super().__init__(message, request_sent=request_sent)


class UnexpectedResponse(VobizError):
    """Vobiz answered 2xx, but the body was not what the contract promises.

    The call itself succeeded at Vobiz, so for a money-moving call the outcome is real but unread:
    settle it by re-reading the account's numbers, never by repeating the call.
    """

    def __init__(self, message: str, *, status_code: int, body: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class APIStatusError(VobizError):
    """Vobiz answered with an error status."""

    def __init__(
        self,
        status_code: int,
        error: str | None,
        message: str,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error
        self.body = body

    def __str__(self) -> str:
        code = f" {self.error}" if self.error and self.error != self.message else ""
        return f"Vobiz answered {self.status_code}{code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, error={self.error!r}, message={self.message!r})"


class BadRequest(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PurchaseDebitFailed(APIStatusError):
    """The purchase was refused because the debit failed (most often an insufficient balance).

    Vobiz rolls the purchase back, so the number is still in inventory and nothing was charged.
    """


class PermissionDenied(APIStatusError):
    pass


class NotFound(APIStatusError):
    pass


class Conflict(APIStatusError):
    pass


class CoolOffInEffect(Conflict):
    """The DID had a call in the last 15 days and cannot leave its sub-account yet (admins may force)."""

    def __init__(
        self,
        status_code: int,
        error: str | None,
        message: str,
        body: Any,
        *,
        cool_off_until: datetime | None,
        remaining_seconds: int | None,
    ) -> None:
        super().__init__(status_code, error, message, body)
        self.cool_off_until = cool_off_until
        self.remaining_seconds = remaining_seconds


class RateLimited(APIStatusError):
    def __init__(self, status_code: int, error: str | None, message: str, body: Any, *, retry_after: float | None) -> None:
        super().__init__(status_code, error, message, body)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    pass


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
}


def parse_error_body(body: Any) -> tuple[str | None, str | None]:
    """Return (error code, message) from any of the three Vobiz error body shapes."""
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    message = body.get("message")
    if isinstance(error, dict):  # nested: {"error": {"code": ..., "message": ...}}
        code = error.get("code")
        message = error.get("message") or message
        error = str(code) if code is not None else None
    elif error is not None and not isinstance(error, str):
        error = str(error)
    if error is None and isinstance(body.get("status"), str) and body.get("status") != "error":
        error = body["status"]  # {"status": ..., "message": ...}
    if message is not None and not isinstance(message, str):
        message = str(message)
    return error, message


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            from email.utils import parsedate_to_datetime

            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return max(0.0, seconds)


def parse_timestamp(value: Any) -> datetime | None:
    """Parse Vobiz's ISO-8601 UTC timestamps (seconds to nanoseconds precision, `Z` suffix)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    # Python accepts at most 6 fractional digits; Vobiz sends up to 9.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _whole_seconds(value: Any) -> int | None:
    """A count of seconds sent as a number or a numeric string ("1209600", "5.0"); None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
        return math.ceil(value)
    return None


def error_from_response(response: httpx.Response) -> APIStatusError:
    """Map one error answer to the error tree, knowing nothing of which call it answers."""
    status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:500] or None
    error, message = parse_error_body(body)
    message = message or error or response.reason_phrase or f"HTTP {status}"

    if status == 409 and error == "did_cool_off_in_effect":
        assert isinstance(body, dict)
        remaining = body.get("cool_off_remaining_seconds")
        until = parse_timestamp(body.get("cool_off_until"))
        if message == error:
            message = "the number had a call in the last 15 days and is in its cool-off"
        return CoolOffInEffect(
            status,
            error,
            message,
            body,
            cool_off_until=until,
            remaining_seconds=_whole_seconds(remaining),
        )
    if status == 429:
        return RateLimited(status, error, message, body, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500:
        return ServerError(status, error, message, body)
    return _BY_STATUS.get(status, APIStatusError)(status, error, message, body)
