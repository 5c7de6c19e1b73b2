"""The log of API requests the sandbox received: what tests assert on ("was purchase called once?")."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Entry = dict[str, Any]


class RequestLog:
    """Entries: seq, time (sandbox clock), method, path (raw, with query), route (None when no route
    matched), status (None when the connection was dropped), fault (kind or None), auth_id (never the
    token)."""

    def __init__(self, on_add: Callable[[Entry], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: list[Entry] = []
        self._seq = 0
        self._on_add = on_add

    def add(self, **entry: Any) -> Entry:
        with self._lock:
            self._seq += 1
            entry = {"seq": self._seq, **entry}
            self._entries.append(entry)
        if self._on_add is not None:
            self._on_add(dict(entry))
        return entry

    def entries(self, route: str | None = None) -> list[Entry]:
        with self._lock:
            return [dict(e) for e in self._entries if route is None or e["route"] == route]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
