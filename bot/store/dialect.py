"""Which engine a unit's connection talks to, for the few operations whose SQL differs between SQLite and
PostgreSQL. Asked of the connection itself, so this module loads no driver."""

from __future__ import annotations


def is_postgres(db: object) -> bool:
    return getattr(db, "engine", None) == "postgresql"
