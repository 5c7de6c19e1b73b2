"""Fixtures for the audit tests, which run once per engine through the `database_url` fixture
(tests/conftest.py): `store` (`empty_store`) opens the test's own empty, migrated store (SQLite: a file copied from one
template, since running all migrations for every test would cost ~50 ms each; PostgreSQL: a fresh database)
and closes it afterwards; `db_args` is how the command line reaches that same store."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import audit_cli
from bot.store import Store, open_store


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "empty.db"
    Store(path)  # every connection is closed again, so the file is complete without its -wal
    return path


@pytest.fixture
def db_path(tmp_path: Path, migrated_template: Path) -> Path:
    """An empty, fully migrated, owner-only SQLite database file of this test's own."""
    path = tmp_path / "numbers-bot.db"
    shutil.copy2(migrated_template, path)
    return path


@pytest.fixture
def empty_store(db_path: Path, database_url: str | None) -> Iterator[Any]:
    """The test's empty store on its engine: the SQLite file at `db_path`, or a fresh PostgreSQL database."""
    made = open_store(sqlite_path=db_path, database_url=database_url)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def store(empty_store: Any) -> Any:
    """The test's store (empty here; a module that seeds its log overrides this, asking for `empty_store`)."""
    return empty_store


@pytest.fixture
def db_args(empty_store: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The `numbers-bot audit` arguments that reach `store`: `--db PATH` for the SQLite file; nothing for
    PostgreSQL, whose URL is in DATABASE_URL, as on a host that runs the bot on PostgreSQL.

    The commands do not close the PostgresStore they open (a one-shot process exits instead); run
    in-process, its pool would outlive the test and warn when collected, so the stores they open here are
    closed after the test."""
    url = getattr(empty_store, "url", None)
    if url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield ["--db", str(empty_store.path)]
        return
    monkeypatch.setenv("DATABASE_URL", url)
    opened: list[Any] = []

    def open_and_keep(**where: Any) -> Any:
        made = open_store(**where)
        opened.append(made)
        return made

    monkeypatch.setattr(audit_cli, "open_store", open_and_keep)
    try:
        yield []
    finally:
        for made in opened:
            made.close()
