"""The repository: SQLite via sqlite-utils, the file, its migrations, and every SQL statement, each a named
operation on one table (or for one job, such as `reconcile`).

Services open a unit of work (`Store.unit()`, `Store.read()`, `Store.snapshot()`), pass its `Connection` to
the operations they need, and never build SQL or touch the connection themselves. The store deals in rows
(dicts of column -> value); `bot.services` turns them into records. When the database itself cannot be
used, every operation raises `StoreUnavailable`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from bot.store.database import Connection, Store
from bot.store.errors import StoreUnavailable

if TYPE_CHECKING:
    from bot.store.postgres import PostgresStore

def open_store(
    *, sqlite_path: str | os.PathLike[str], database_url: str | None = None, pool_size: int | None = None
) -> Store | PostgresStore:
    """PostgreSQL when `database_url` is set (DATABASE_URL), else the SQLite file; created or upgraded here.
    `pool_size`: PostgreSQL's connections at most for this process (DATABASE_POOL_SIZE; default the pool's)."""
    if database_url:
        from bot.store.postgres import PostgresStore  # psycopg is loaded only when PostgreSQL is used

        if pool_size is None:
            return PostgresStore(database_url)
        return PostgresStore(database_url, max_size=pool_size)
    return Store(sqlite_path)


def describe(store: object) -> str:
    """Which store this is, for the start-up log line (a URL without its password)."""
    where = getattr(store, "where", None)
    if where is not None:
        return f"PostgreSQL {where}"
    return f"SQLite file {getattr(store, 'path', store)}"


__all__ = ["Connection", "Store", "StoreUnavailable", "describe", "open_store"]
