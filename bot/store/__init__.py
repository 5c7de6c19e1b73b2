"""SQLite via sqlite-utils: the file, its migrations, and row-level access to each table.

The store deals in rows (dicts of column -> value); `bot.services` turns them into records. When the
database itself cannot be used, every operation raises `StoreUnavailable`.
"""

from bot.store.database import Store
from bot.store.errors import StoreUnavailable

__all__ = ["Store", "StoreUnavailable"]
