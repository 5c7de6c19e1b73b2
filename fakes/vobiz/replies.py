"""An HTTP answer as data, and the exception operations raise to refuse with a documented answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakes.vobiz.wire import error


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # a JSON value; None means an empty body
    headers: tuple[tuple[str, str], ...] = ()


class Refusal(Exception):
    """An operation said no: `reply` is exactly what goes back to the caller."""

    def __init__(self, status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(f"{status} {body!r}")
        self.reply = Reply(status, body, headers)


def refuse(status: int, code: str, message: str) -> Refusal:
    """A refusal with the flat `{error, message}` body."""
    return Refusal(status, error(code, message))


def bad_request(message: str) -> Refusal:
    return refuse(400, "bad_request", message)


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


Outcome = Reply | Drop
