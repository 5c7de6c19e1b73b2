"""What the store raises when it cannot be used at all, whatever the engine.

`StoreUnavailable` means the database itself is gone or is not the one the bot started with (the SQLite
file deleted or replaced under the running bot; later, a PostgreSQL server that cannot be reached):
nothing was read or written. It is not a bug in a query and not a refusal: the bot cannot record anything
until an operator restores the database and restarts it.
"""

from __future__ import annotations


class StoreUnavailable(Exception):
    """The database cannot be used; nothing was read or written.

    `where` names the database for operators (a file path; a PostgreSQL host and database name, never a
    password); `reason` says what is wrong with it, as the rest of a sentence ("is missing ...").
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"the database {where} {reason}")
        self.where = where
        self.reason = reason
