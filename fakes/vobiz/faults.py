"""Fault injection: the next N requests to a named route misbehave in a chosen way.

Kinds (and what happens to the operation itself):

- ``rate_limit`` (alias ``429``): 429 with ``Retry-After`` and the documented envelope; not applied.
- ``server_error`` (alias ``500``): 500 ``{error, message}``; not applied.
- ``hang``: wait ``seconds``, then handle the request normally (applied) and answer, by which time the
  client may have given up: the "it happened but we never heard" case.
- ``hang_drop``: wait ``seconds``, then close the connection without an answer; not applied.
- ``drop``: close the connection without an answer at once; not applied.
- ``drop_after``: apply the operation, then close the connection without an answer.
- ``bad_gateway`` (alias ``502``): a proxy's 502 ``{message}`` (not Vobiz's ``{error, message}``); not applied.
- ``bad_gateway_after``: apply the operation, then answer the proxy's 502 instead of its result.
- ``gateway_timeout`` (alias ``504``): a proxy's 504 ``{message}`` at once, while the backend goes on: with
  ``seconds`` > 0 the operation is applied that many seconds after the answer, with 0 it never is.

Faults queue per route, oldest first; route ``*`` matches any API route after route-specific faults.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from fakes.vobiz.routes import ROUTE_NAMES
from fakes.vobiz.state import ControlError

FAULT_KINDS = (
    "rate_limit",
    "server_error",
    "hang",
    "hang_drop",
    "drop",
    "drop_after",
    "bad_gateway",
    "bad_gateway_after",
    "gateway_timeout",
)
_ALIASES = {"429": "rate_limit", "500": "server_error", "502": "bad_gateway", "504": "gateway_timeout"}
ANY_ROUTE = "*"
MAX_HANG_SECONDS = 120.0


@dataclass(frozen=True)
class Fault:
    route: str
    kind: str
    retry_after: int
    seconds: float


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}

    def inject(self, route: Any, kind: Any, count: Any = 1, retry_after: Any = 1, seconds: Any = 0) -> list[Fault]:
        """Queue `count` faults of `kind` for `route`. Raises ControlError on bad input."""
        if route != ANY_ROUTE and route not in ROUTE_NAMES:
            raise ControlError(f"unknown route {route!r}; known: {', '.join(ROUTE_NAMES)} (or '*')")
        kind = _ALIASES.get(str(kind), kind)
        if kind not in FAULT_KINDS:
            raise ControlError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if not _whole(count) or count < 1:
            raise ControlError("count must be a whole number, 1 or more")
        if not _whole(retry_after) or retry_after < 0:
            raise ControlError("retry_after must be a whole number of seconds, 0 or more")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_HANG_SECONDS:
            raise ControlError(f"seconds must be a number from 0 to {MAX_HANG_SECONDS:g}")
        if kind in ("hang", "hang_drop") and seconds <= 0:
            raise ControlError(f"a {kind} fault needs seconds > 0")
        fault = Fault(route=route, kind=kind, retry_after=int(retry_after), seconds=float(seconds))
        with self._lock:
            self._queues.setdefault(route, deque()).extend([fault] * int(count))
            return list(self._queues[route])

    def take(self, route: str) -> Fault | None:
        """The fault for this request to `route`, if one is queued (it is used up)."""
        with self._lock:
            for key in (route, ANY_ROUTE):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
            return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for queue in self._queues.values() for fault in queue]

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
