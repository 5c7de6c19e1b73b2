"""Injected failures for reliability tests: `FakeSlack.fail_next(method, kind, ...)` queues them here.

Kinds (what the client sees):

* ``ratelimited``   HTTP 429, header ``Retry-After: <retry_after>``, body ``{"ok": false, "error": "ratelimited"}``
* ``server_error``  HTTP 500, body ``{"ok": false, "error": "internal_error"}``; nothing happens
* ``hang``          the call takes effect at once, its answer comes after `seconds` (like a slow Slack),
                    so a client that gave up earlier cannot know whether it worked
* ``error:<code>``  HTTP 200, ``{"ok": false, "error": "<code>"}``; nothing happens

`method` is a Web API method name, ``"*"`` (any Web API method), ``"response_url"`` or ``"upload"``
(the file upload URL). A fault is used up by the next matching requests, `count` times.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

SIMPLE_KINDS = ("ratelimited", "server_error", "hang")
ANY_WEB_API_METHOD = "*"
PSEUDO_METHODS = ("response_url", "upload")


@dataclass
class Fault:
    kind: str
    remaining: int
    retry_after: int
    seconds: float

    @property
    def error_code(self) -> str | None:
        return self.kind.removeprefix("error:") if self.kind.startswith("error:") else None


def check_kind(kind: str) -> None:
    if kind in SIMPLE_KINDS:
        return
    if kind.startswith("error:") and kind.removeprefix("error:").strip():
        return
    raise ValueError(f"unknown fault kind {kind!r}: expected one of {', '.join(SIMPLE_KINDS)} or 'error:<code>'")


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, list[Fault]] = {}

    def add(self, method: str, kind: str, *, count: int, retry_after: int, seconds: float) -> None:
        check_kind(kind)
        if count < 1:
            raise ValueError("count must be at least 1")
        if retry_after < 0 or seconds < 0:
            raise ValueError("retry_after and seconds must not be negative")
        with self._lock:
            self._faults.setdefault(method, []).append(
                Fault(kind=kind, remaining=count, retry_after=retry_after, seconds=seconds)
            )

    def take(self, method: str) -> Fault | None:
        """Use up one fault for this request, if one is queued for it."""
        keys = [method] if method in PSEUDO_METHODS else [method, ANY_WEB_API_METHOD]
        with self._lock:
            for key in keys:
                queue = self._faults.get(key)
                if queue:
                    fault = queue[0]
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        queue.pop(0)
                    return Fault(kind=fault.kind, remaining=0, retry_after=fault.retry_after, seconds=fault.seconds)
            return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
