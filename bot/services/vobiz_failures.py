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
    if isinstance(exc, APIStatusError):
        return f"Vobiz answered {exc.status_code} ({exc.message})"
    if isinstance(exc, UnexpectedResponse):
        return "Vobiz's answer could not be read"
    return "something unexpected went wrong"


ANSWERED_CODES = ("ServerError", "UnexpectedResponse")


def vobiz_answered(code_: str | None) -> bool:
    """Whether the failure recorded as `code_` came with an answer from Vobiz (a 5xx, an unreadable 2xx):
    then Vobiz had finished with the request, so what it shows afterwards is final. After a timeout or a
    dropped connection it may still be working on it."""
    return bool(code_) and code_.split(" ", 1)[0] in ANSWERED_CODES


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
