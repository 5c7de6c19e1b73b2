"""`Store.writable()` is what `/healthz` reports: it must be False whenever a real write would fail.

A database file deleted or replaced under a running store is never silently recreated: every later
unit of work raises `StoreUnavailable` instead of writing into a new empty file.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.store import Store, StoreUnavailable
from bot.store import requests as request_rows
from bot.store.timestamps import to_db

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def test_writable_is_false_when_sqlite_opens_the_file_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root, file modes do not stop writes, so open the connection read-only the way SQLite does for
    # a file it may not write: a write transaction still begins, and only the write itself fails.
    path = tmp_path / "bot.db"
    store = Store(path)
    assert store.writable() is True
    import sqlite3

    real_connect = sqlite3.connect

    def read_only_connect(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        assert database.endswith("?mode=rw")  # the store opens the existing file only
        return real_connect(database.replace("?mode=rw", "?mode=ro"), *args, **kwargs)  # type: ignore[arg-type]

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


def _delete_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _store_with_a_request(path: Path) -> Store:
    store = Store(path)
    with store.unit() as db:
        request_rows.insert(db, {
            "id": "R0000AA", "kind": "purchase", "e164": "+918012345678", "status": "pending",
            "requester_id": "U1", "reason": "new team line", "created_at": to_db(NOW),
            "expires_at": to_db(NOW + timedelta(hours=24)), "updated_at": to_db(NOW),
        })
    return store


def test_a_deleted_file_is_not_recreated_and_every_unit_says_the_store_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = _store_with_a_request(path)
    _delete_database(path)

    with pytest.raises(StoreUnavailable) as raised:
        with store.read() as db:
            db.execute("SELECT count(*) FROM requests").fetchone()
    assert str(path) in str(raised.value)
    with pytest.raises(StoreUnavailable):
        with store.unit() as db:
            db.execute("SELECT count(*) FROM requests").fetchone()
    assert store.writable() is False
    assert not path.exists(), "SQLite recreated an empty database file at the path"


def test_a_file_replaced_by_another_database_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = _store_with_a_request(path)
    elsewhere = tmp_path / "other.db"
    Store(elsewhere)  # a valid, migrated but different database
    os.replace(elsewhere, path)

    with pytest.raises(StoreUnavailable):
        with store.unit() as db:
            db.execute("SELECT count(*) FROM requests").fetchone()
    assert store.writable() is False


def test_an_unavailable_store_is_logged_once_as_an_error_naming_the_path(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bot.db"
    store = _store_with_a_request(path)
    _delete_database(path)
    caplog.set_level(logging.INFO)

    for _ in range(3):
        assert store.writable() is False
        with pytest.raises(StoreUnavailable):
            with store.read():
                pass

    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1, [r.getMessage() for r in problems]
    assert problems[0].levelno == logging.ERROR
    assert str(path) in problems[0].getMessage()
    assert problems[0].exc_info is None


def test_a_store_whose_file_stays_put_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = _store_with_a_request(path)
    reopened = Store(path)  # another process (web and worker) opening the same file
    with reopened.read() as db:
        assert db.execute("SELECT count(*) FROM requests").fetchone()[0] == 1
    with store.unit() as db:
        db.execute("UPDATE requests SET reason = 'still here'")
    assert store.writable() is True



def test_a_new_file_at_the_path_is_not_used_even_when_it_gets_the_old_inode_number(tmp_path: Path) -> None:
    # Filesystems hand a freed inode number to a later new file (ext4 often does it at once), so device
    # and inode alone could take a recreated file for the original one. Try to get that number back.
    path = tmp_path / "bot.db"
    store = _store_with_a_request(path)
    old = path.stat().st_ino
    _delete_database(path)
    spare = tmp_path / "spares"
    spare.mkdir()
    candidate = spare / "0.db"
    for i in range(300):
        candidate = spare / f"{i}.db"
        candidate.touch(mode=0o600)
        if candidate.stat().st_ino == old:
            break
    os.replace(candidate, path)

    with pytest.raises(StoreUnavailable):
        with store.unit() as db:
            db.execute("SELECT count(*) FROM requests").fetchone()
    assert store.writable() is False
    assert path.stat().st_size == 0, "the new file was written to"
