"""The durable notification queue, for whoever delivers it to Slack, in any number of processes.

`due()` claims what it returns for this process (its `owner`: host, pid and a nonce) for `claim_ttl`:
another process sharing the store takes an item only once that claim ran out, so two processes never
deliver one item at once. Right before delivering an item, `hold()` re-checks the claim (and renews it, and
records that this process began delivering it); an item another process took meanwhile is left to it. An
item stays due until `done()`, or `retry_later()` moves it back; both release the claim.

Approval messages, requester notices, checkpoints and drift notices come first (oldest first), so a backlog
of paced history lines never delays them; history items follow strictly in audit order, none is returned
while an older history item waits for its retry, and none while another process holds an older one (one
process at a time posts the history channel, in order). An item whose `attempted_elsewhere` is set was
begun by another process (one that died or froze with its claim): its post may have landed.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import timedelta

from bot.services.clock import Clock
from bot.services.leases import is_dead_here
from bot.services.records import OutboxItem
from bot.store import Store
from bot.store import outbox as rows

__all__ = ["CLAIM_TTL", "Outbox", "OutboxItem"]

# Longer than one delivery (a Slack call times out well within it): a live process never loses a claim it
# re-checked, and a dead one's items wait at most this long for another process.
CLAIM_TTL = timedelta(seconds=60)

log = logging.getLogger(__name__)


class Outbox:
    def __init__(self, *, store: Store, clock: Clock, owner: str | None = None, claim_ttl: timedelta = CLAIM_TTL) -> None:
        self._store = store
        self._clock = clock
        self.owner = owner or f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"
        self.claim_ttl = claim_ttl
        self._guard = threading.Lock()  # the owner's claims are taken and re-checked one call at a time

    def due(self, limit: int = 50) -> list[OutboxItem]:
        """Claim and return what is due now and free (see the module's docstring)."""
        limit = max(1, int(limit))
        with self._guard:
            now = self._clock()
            with self._store.read() as db:
                gone = [owner for owner in rows.claim_holders(db, now) if is_dead_here(owner)]
                if not gone and not rows.claimable(db, self.owner, now, limit):
                    return []  # nothing to claim: no write transaction
            if gone:  # a killed or restarted process on this host: its claims need not be waited out
                with self._store.unit() as db:
                    for owner in gone:
                        rows.release_claims(db, owner)
                log.info("released the outbox claims of %s, which no longer run", ", ".join(gone))
            with self._store.unit() as db:
                found = rows.claim_due(db, self.owner, now, now + self.claim_ttl, limit)
        return [
            OutboxItem(
                id=r["id"],
                kind=r["kind"],
                ref=r["ref"],
                attempts=r["attempts"],
                attempted_elsewhere=r["attempted_by"] is not None and r["attempted_by"] != self.owner,
            )
            for r in found
        ]

    def hold(self, item_id: int) -> bool:
        """Right before delivering `item_id`: True when this process still holds it (the claim is renewed);
        False when it was delivered or another process took it meanwhile: leave it alone."""
        with self._guard, self._store.unit() as db:
            return rows.hold(db, int(item_id), self.owner, self._clock() + self.claim_ttl)

    def release(self, item_ids: list[int] | None = None) -> int:
        """Give up this process's claims on `item_ids` (items a pass did not get to), or all of them (when it
        stops), so other processes need not wait them out."""
        ids = None if item_ids is None else [int(i) for i in item_ids]
        if ids == []:
            return 0
        with self._guard, self._store.unit() as db:
            return rows.release_claims(db, self.owner, ids)

    def done(self, item_id: int) -> None:
        with self._store.unit() as db:
            rows.mark_done(db, int(item_id), self._clock())

    def retry_later(self, item_id: int, error: str, delay_s: float) -> None:
        delay = timedelta(seconds=max(0.0, float(delay_s)))
        with self._store.unit() as db:
            rows.retry_later(db, int(item_id), str(error), delay, self._clock(), owner=self.owner)
