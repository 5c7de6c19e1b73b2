"""Fixtures for the audit tests: a freshly migrated database file per test, copied from one template (running
all migrations for every test would cost ~50 ms each; the migration tests run them for real)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.store import Store


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "empty.db"
    Store(path)  # every connection is closed again, so the file is complete without its -wal
    return path


@pytest.fixture
def db_path(tmp_path: Path, migrated_template: Path) -> Path:
    """An empty, fully migrated, owner-only database file of this test's own."""
    path = tmp_path / "numbers-bot.db"
    shutil.copy2(migrated_template, path)
    return path
