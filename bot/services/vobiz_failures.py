"""What a Vobiz failure means for the bot: a read that failed (nothing changed), or a write whose outcome
is known (Vobiz said no) or unknown (it may have happened)."""

from __future__ import annotations

from api.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    RateLimited,
    ServerError,
    UnexpectedResponse,
    VobizError,
)

from bot.services.errors import VobizUnavailable

# A gateway or proxy in front of Vobiz answers these when it gave up on (or could not reach) the backend,
# which may still carry the call out: they prove nothing about the call.
GATEWAY_STATUSES = frozenset({502, 503, 504})


def code(exc: BaseException) -> str:
    """A short, secret-free label for the audit log: the error class, status and Vobiz's code."""
    parts = [type(exc).__name__]
    if isinstance(exc, APIStatusError):
        parts.append(str(exc.status_code))
        if exc.error:
            parts.append(exc.error)
    return " ".join(parts)


def reason(exc: VobizError) -> str:
    """Vobiz's own words for a failure, for people."""
    if isinstance(exc, APITimeoutError):
        return "Vobiz did not answer in time"
    if isinstance(exc, APIConnectionError):
        return "the connection to Vobiz failed"
    return exc.message


def why_unknown(exc: BaseException) -> str:
    """Why a call's outcome is unknown, as a clause: "Vobiz did not answer in time"."""
    if isinstance(exc, APITimeoutError):
        return "Vobiz did not answer in time"
    if isinstance(exc, APIConnectionError):
        return "the connection to Vobiz dropped before it answered"
    if isinstance(exc, ServerError) and exc.status_code in GATEWAY_STATUSES:
        return f"the gateway in front of Vobiz answered {exc.status_code} ({exc.message}) instead of Vobiz itself"
    if isinstance(exc, ServerError) and not answered(exc):
        return f"Vobiz answered {exc.status_code} ({exc.message}) without saying what happened"
    if isinstance(exc, APIStatusError):
        return f"Vobiz answered {exc.status_code} ({exc.message})"
    if isinstance(exc, UnexpectedResponse):
        return "Vobiz's answer could not be read"
    return "something unexpected went wrong"


def vobiz_answered(code_: str | None) -> bool:
    """Whether the failure recorded as `code_` (see `code()`) came with Vobiz's own answer: an unreadable
    2xx, or a 5xx with Vobiz's error body (`ServerError 500 internal_server_error`). Then Vobiz had finished
    with the request, so what it shows afterwards is final. After a timeout, a dropped connection, a
    gateway's 502/503/504 or a 5xx without Vobiz's error code, it may still be working on it."""
    if not code_:
        return False
    name, *rest = code_.split(" ")
    if name == "UnexpectedResponse":
        return True
    if name != "ServerError" or not rest or not rest[0].isdigit():
        return False
    status, vobiz_code = int(rest[0]), rest[1:]
    return status not in GATEWAY_STATUSES and bool(vobiz_code)


def answered(exc: BaseException) -> bool:
    """`vobiz_answered` for an exception."""
    return vobiz_answered(code(exc))


def outcome_unknown(exc: BaseException) -> bool:
    """True when a money-moving call may have taken effect although it failed."""
    if isinstance(exc, APIConnectionError):  # includes APITimeoutError
        return exc.request_sent
    if isinstance(exc, (ServerError, UnexpectedResponse)):
        return True
    if isinstance(exc, APIStatusError):
        return False  # Vobiz answered with a refusal: nothing happened
    return True  # anything unforeseen: do not claim either way


def read_failure(exc: VobizError, doing: str) -> VobizUnavailable:
    """A failed read, for the person who asked: nothing was changed."""
    if isinstance(exc, AuthenticationError):
        text = f"Vobiz refused the bot's credentials while {doing}; an operator must check VOBIZ_AUTH_ID and VOBIZ_AUTH_TOKEN."
    elif isinstance(exc, RateLimited):
        text = f"Vobiz is rate-limiting the bot right now ({doing}); try again in a minute."
    elif isinstance(exc, APIConnectionError):
        text = f"I could not reach Vobiz while {doing} ({reason(exc)}); try again shortly."
    elif isinstance(exc, APIStatusError):
        text = f"Vobiz answered {exc.status_code} while {doing}: {exc.message}."
    else:
        text = f"Vobiz gave an answer I could not read while {doing}."
    return VobizUnavailable(text + " Nothing was changed.")
