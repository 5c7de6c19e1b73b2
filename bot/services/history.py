"""One audit entry by id, for the outbox's history lines. Searching the log is `audit_query.AuditQueries`."""

from __future__ import annotations

from bot.services.records import AuditEntry
from bot.services.rows import audit_from_row
from bot.store import Store, audit


class History:
    def __init__(self, *, store: Store) -> None:
        self._store = store

    def entry(self, audit_id: int) -> AuditEntry | None:
        """One entry by id (what a `history` outbox item refers to)."""
        with self._store.read() as db:
            row = audit.by_id(db, int(audit_id))
        return audit_from_row(row) if row else None
