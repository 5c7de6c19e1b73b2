"""The audit row's columns are described once (bot.store.audit.COLUMN_MEANINGS): the journal writes every
one of them and bot.services.rows reads every one back, so a column added there cannot be forgotten here."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from bot.services import journal
from bot.services.records import Actor, Quote
from bot.services.rows import audit_from_row
from bot.store import Store, audit

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


class Reads(dict):
    """A row that remembers which columns were read."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> object:
        self.read.add(key)
        return super().__getitem__(key)


def test_the_journal_writes_every_column_and_rows_reads_every_column(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    event = journal.Event(
        actor=Actor("U1", "riya"), event="executed", action="purchase", outcome="succeeded", e164="+918012345678",
        sub_account_id="SA_X1", request_id=None, reason="why", quote=Quote(Decimal("1.50"), Decimal("2"), "INR"),
        vobiz_error="e", detail="d", cool_off_until=NOW,
    )
    with store.unit() as db:
        audit_id = journal.record(db, NOW, event, notify=None)
        row = audit.by_id(db, audit_id)
    assert row is not None
    assert all(row[column] is not None for column in audit.COLUMNS if column != "request_id")  # no request row here
    reads = Reads(row)
    audit_from_row(reads)
    assert set(audit.COLUMNS) <= reads.read
