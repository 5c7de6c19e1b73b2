"""Who owns an executing request: a lease in the store, kept alive while its owner works.

Approving a request gives it an owner (this process's id) and a lease that runs `ttl` ahead. While the
owner works on it (the re-read, the Vobiz call, recording the outcome) a heartbeat thread renews the lease,
so a settler in any process leaves the request alone; a settler takes a request over only when its lease
has run out, that is when its owner stopped (crash, kill, a frozen process). Within one process the
registry of requests held right now answers "is its owner alive?" without looking at any clock, so moving
a test clock cannot make a live owner look dead.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from bot.services.clock import Clock
from bot.store import Store, requests

log = logging.getLogger(__name__)

MAX_TTL = timedelta(seconds=30)
MIN_TTL = timedelta(seconds=0.1)


def owner_id(nonce: str) -> str:
    """A process's id as the store records it: host/pid/nonce (asked again after a fork, so a forked worker
    has its own pid in it)."""
    return f"{socket.gethostname()}/{os.getpid()}/{nonce}"


def is_dead_here(owner: str) -> bool:
    """True when `owner` names a process on this host that no longer exists (killed, crashed, restarted):
    its leases need not be waited out. False when it may be alive or cannot be told from here (another
    host, this very process, a process of another user)."""
    host, _, rest = owner.partition("/")
    pid_text, _, _ = rest.partition("/")
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) in (0, os.getpid()):
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but is not ours to signal
        return False
    return _zombie(int(pid_text))


def _zombie(pid: int) -> bool:
    """A killed process nobody has reaped yet still answers signal 0, but runs no code (Linux: state Z)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def lease_ttl(grace: timedelta) -> timedelta:
    """Half the settle grace, within 0.1-30 s: a dead owner's request is taken over well within the grace."""
    return max(MIN_TTL, min(MAX_TTL, grace / 2))


class Leases:
    """This process's claims on requests it is executing. Thread-safe; renews them while any is held."""

    def __init__(self, *, store: Store, clock: Clock, ttl: timedelta) -> None:
        self._store = store
        self._clock = clock
        self.ttl = ttl
        self._nonce = secrets.token_hex(4)
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._renewer: threading.Thread | None = None

    @property
    def owner(self) -> str:
        """This process's id as the store records it (host, pid and a nonce per Services, so a restart or
        a forked worker is another owner)."""
        return owner_id(self._nonce)

    def until(self) -> datetime:
        return self._clock() + self.ttl

    def is_live_here(self, request_id: str, owner: str | None) -> bool:
        """True when `owner` is this process and it is working on `request_id` right now."""
        with self._lock:
            return owner == self.owner and request_id in self._held

    @contextmanager
    def holding(self, request_id: str) -> Iterator[None]:
        """Keep the lease on `request_id` alive for the duration of the block."""
        with self._lock:
            self._held.add(request_id)
            if self._renewer is None or not self._renewer.is_alive():
                self._renewer = threading.Thread(target=self._renew_while_held, name="lease-renewer", daemon=True)
                self._renewer.start()
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(request_id)
                self._wake.notify_all()

    def _renew_while_held(self) -> None:
        interval = self.ttl.total_seconds() / 3
        while True:
            with self._lock:
                self._wake.wait(timeout=interval)
                held = sorted(self._held)
                if not held:
                    self._renewer = None
                    return
            try:
                with self._store.unit() as db:
                    requests.renew_leases(db, self.owner, held, self.until())
            except Exception:  # the next beat tries again; a lease that runs out is only taken over, never lost silently
                log.warning("could not renew the leases on %s", ", ".join(held), exc_info=True)
