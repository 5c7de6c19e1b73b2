"""`Store.writable()` is what `/healthz` reports: it must be False whenever a real write would fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store


def test_writable_is_false_when_sqlite_opens_the_file_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root, file modes do not stop writes, so open the connection read-only the way SQLite does for
    # a file it may not write: a write transaction still begins, and only the write itself fails.
    path = tmp_path / "bot.db"
    store = Store(path)
    assert store.writable() is True
    import sqlite3

    real_connect = sqlite3.connect

    def read_only_connect(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        kwargs["uri"] = True
        return real_connect(f"file:{database}?mode=ro", *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", read_only_connect)
    assert store.writable() is False


def test_writable_leaves_the_database_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = Store(path)
    before = path.read_bytes()
    assert store.writable() is True
    with store.read() as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    assert path.read_bytes() == before
