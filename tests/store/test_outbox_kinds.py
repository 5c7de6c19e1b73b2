"""The outbox table's CHECK and the `OutboxKind` enum name the same kinds: a kind added to the enum without a
migration (or the reverse) fails here, not at the first enqueue in production."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.store import Store, outbox
from bot.store.outbox import OutboxKind


def test_the_migrated_check_allows_exactly_the_enum(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db")
    with store.read() as db:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
    allowed = re.search(r"kind IN \(([^)]*)\)", sql)
    assert allowed is not None
    assert {k.strip().strip("'") for k in allowed.group(1).split(",")} == {k.value for k in OutboxKind}


@pytest.mark.parametrize("kind", list(OutboxKind))
def test_every_kind_can_be_queued_and_is_stored_as_its_value(tmp_path: Path, kind: OutboxKind) -> None:
    store = Store(tmp_path / "bot.db")
    with store.unit() as db:
        outbox.enqueue(db, kind, "r1", datetime(2026, 1, 1, tzinfo=timezone.utc))
    raw = sqlite3.connect(tmp_path / "bot.db").execute("SELECT kind FROM outbox").fetchone()[0]
    assert type(raw) is str and raw == kind.value
