"""The durable notification queue, for whoever delivers it to Slack.

`due()` does not claim items: run one drainer. An item stays due until `done()`, or `retry_later()` moves
it back. Approval messages, requester notices, checkpoints and drift notices come first (oldest first), so
a backlog of paced history lines never delays them; history items follow strictly in audit order, and none
is returned while an older history item waits for its retry.
"""

from __future__ import annotations

from datetime import timedelta

from bot.services.clock import Clock
from bot.services.records import OutboxItem
from bot.store import Store
from bot.store import outbox as rows

__all__ = ["Outbox", "OutboxItem"]


class Outbox:
    def __init__(self, *, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def due(self, limit: int = 50) -> list[OutboxItem]:
        with self._store.read() as db:
            found = rows.due(db, self._clock(), max(1, int(limit)))
        return [OutboxItem(id=r["id"], kind=r["kind"], ref=r["ref"], attempts=r["attempts"]) for r in found]

    def done(self, item_id: int) -> None:
        with self._store.unit() as db:
            rows.mark_done(db, int(item_id), self._clock())

    def retry_later(self, item_id: int, error: str, delay_s: float) -> None:
        with self._store.unit() as db:
            rows.retry_later(db, int(item_id), str(error), timedelta(seconds=max(0.0, float(delay_s))), self._clock())
