"""SQLite via sqlite-utils: the file, its migrations, and row-level access to each table.

The store deals in rows (dicts of column -> value); `bot.services` turns them into records.
"""

from bot.store.database import Store

__all__ = ["Store"]
