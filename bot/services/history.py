"""Reading the audit log."""

from __future__ import annotations

from bot.services import validation
from bot.services.errors import InvalidInput
from bot.services.records import AuditEntry
from bot.services.rows import audit_from_row
from bot.store import Store, audit

MAX_LIMIT = 200


class History:
    def __init__(self, *, store: Store) -> None:
        self._store = store

    def latest(self, *, e164_raw: str | None = None, limit: int = 20) -> list[AuditEntry]:
        """The newest entries first, all of them or those about one number."""
        e164 = validation.e164(e164_raw) if e164_raw is not None and e164_raw.strip() else None
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"Ask for between 1 and {MAX_LIMIT} entries; got {limit!r}.")
        with self._store.read() as db:
            rows = audit.latest(db, e164=e164, limit=limit)
        return [audit_from_row(r) for r in rows]

    def entry(self, audit_id: int) -> AuditEntry | None:
        """One entry by id (what a `history` outbox item refers to)."""
        with self._store.read() as db:
            row = audit.by_id(db, int(audit_id))
        return audit_from_row(row) if row else None
