"""The repository: SQLite via sqlite-utils, the file, its migrations, and every SQL statement, each a named
operation on one table (or for one job, such as `reconcile`).

Services open a unit of work (`Store.unit()`, `Store.read()`, `Store.snapshot()`), pass its `Connection` to
the operations they need, and never build SQL or touch the connection themselves. The store deals in rows
(dicts of column -> value); `bot.services` turns them into records. When the database itself cannot be
used, every operation raises `StoreUnavailable`.
"""

from bot.store.database import Connection, Store
from bot.store.errors import StoreUnavailable

__all__ = ["Connection", "Store", "StoreUnavailable"]
