"""Errors a person can act on. Every service refusal raises one; the one Slack error handler shows
`user_message` where the person is. Nothing here may carry a token or a traceback."""

from __future__ import annotations

from datetime import datetime

# The database itself cannot be used (deleted or replaced file, unreachable server): not a refusal, so not
# a ServiceError. Re-exported so handlers can name it without importing the store.
from bot.store.errors import StoreUnavailable

__all__ = [
    "Conflict",
    "InvalidInput",
    "NotAllowed",
    "NotFound",
    "OutcomeUnknown",
    "ServiceError",
    "StoreUnavailable",
    "VobizUnavailable",
]


class ServiceError(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class InvalidInput(ServiceError):
    """The person typed something we cannot use (a malformed number, a missing reason ...)."""


class NotAllowed(ServiceError):
    """The person may not do this (self-approval, not an approver, not the requester ...)."""


class NotFound(ServiceError):
    """The number, sub-account or request does not exist."""


class Conflict(ServiceError):
    """The thing is no longer in a state that allows this (already decided, expired ...)."""


class VobizUnavailable(ServiceError):
    """Vobiz could not be reached or refused a read; nothing was changed."""


class OutcomeUnknown(ServiceError):
    """A change was asked of Vobiz but its answer was lost: recorded as unknown and being checked by
    re-reading Vobiz. The message says so; the record is updated (and announced) once it is known."""


class SlowDown(ServiceError):
    """The person sent more counted commands in the last minute than the bot takes from one person;
    nothing was done. `retry_at` is when the next one will be taken."""

    def __init__(self, user_message: str, *, retry_at: datetime) -> None:
        super().__init__(user_message)
        self.retry_at = retry_at
