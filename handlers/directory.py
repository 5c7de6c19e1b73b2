"""The Slack side of the services' `Directory` port: who is in a user group (`usergroups.users.list`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient


class SlackDirectory:
    """`members_of(group_id)` through `usergroups.users.list`, each group cached for `ttl_s` seconds.

    Slack errors propagate (the policy treats the group as unresolved and says so); nothing is cached
    from a failed call.
    """

    def __init__(self, client: WebClient, *, ttl_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members_of(self, group_id: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group_id)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        answer = self._client.usergroups_users_list(usergroup=group_id)
        members = frozenset(str(u) for u in answer.get("users") or [])
        with self._lock:
            self._cache[group_id] = (now, members)
        return members

    def __repr__(self) -> str:
        return f"SlackDirectory(groups_cached={len(self._cache)})"
