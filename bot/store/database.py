"""The SQLite file: opening it, migrating it, and handing out one connection per unit of work.

Bolt runs listeners on worker threads and a sqlite3 connection must not cross threads, so nothing here
keeps a connection open: every `unit()` / `read()` opens its own and closes it afterwards.

Only `Store(...)` creates the file. Later connections open the existing file only (`mode=rw`) and check
that the file at the path is still the one opened at start-up (device and inode): SQLite would otherwise
create a new empty database in place of a deleted one, and a running bot would answer from (and write
into) a file without its tables or its audit log. Either case raises `StoreUnavailable`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from sqlite_utils import Database

from bot.store.errors import StoreUnavailable
from bot.store.migrations import MIGRATIONS

log = logging.getLogger(__name__)

# What `unit()`, `read()` and `snapshot()` hand out. Services only pass it on to the store's named operations
# (so several share one transaction) and never use it themselves: they do not know the engine behind it.
Connection = Database

BUSY_TIMEOUT_S = 10.0
FILE_MODE = 0o600

# Writers in one process queue on a lock per file before SQLite's own write lock. SQLite's busy handler
# polls with sleeps of up to 100 ms, so under contention a waiter can lose the race for seconds (the load
# test saw 6 s: a denial then missed Slack's 3 s ack); a lock wakes the next writer as soon as the last
# one commits. Writers in other processes (web and worker) still queue on SQLite's busy timeout.
_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()


def _writer_lock(path: Path) -> threading.RLock:
    key = os.path.realpath(path)
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(key, threading.RLock())


class Store:
    """The bot's database file. Opening it creates it (owner-only) and applies pending migrations."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._create_private_file()
        # Absolute now, so a later change of working directory cannot point the bot at another file.
        self._absolute = self.path.absolute()
        self._uri = f"{self._absolute.as_uri()}?mode=rw"
        self._identity = self._pin_file()
        self._unavailable_reported = False
        self._report_guard = threading.Lock()
        with self._connect() as db:
            db.enable_wal()
            # One immediate transaction around all pending migrations: two processes starting at once
            # (web and worker) queue here instead of both creating the same table.
            db.execute("BEGIN IMMEDIATE")
            try:
                MIGRATIONS.apply(db)
            except BaseException:
                db.rollback()
                raise
            db.conn.execute("COMMIT")

    def close(self) -> None:
        """Nothing stays open between units of work (the PostgreSQL store closes its pool here)."""

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @contextmanager
    def unit(self) -> Iterator[Database]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        `BEGIN IMMEDIATE` takes the write lock up front, so two writers queue on the busy timeout instead
        of one failing when it upgrades a read to a write half-way through.
        """
        writers = _writer_lock(self.path)
        if not writers.acquire(timeout=self.busy_timeout_s):
            raise sqlite3.OperationalError("database is locked")
        try:
            with self._connect() as db:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.rollback()
                    raise
                db.conn.execute("COMMIT")
        finally:
            writers.release()

    @contextmanager
    def read(self) -> Iterator[Database]:
        """A connection for reads only (each statement sees the latest committed state)."""
        with self._connect() as db:
            yield db

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """A connection for reads that must all see one moment (such as the audit rows and the checkpoints a
        verify compares): one read transaction, rolled back at the end. Writes nothing."""
        with self._connect() as db:
            db.conn.execute("BEGIN")
            try:
                yield db
            finally:
                db.conn.rollback()

    def writable(self) -> bool:
        """True when the file can take a write right now (for `/healthz`); never raises."""
        # SQLite grants a write transaction on a read-only file too; only an actual write fails there
        # ("attempt to write a readonly database"), so rewrite the header's user_version and roll back.
        try:
            with self._connect() as db:
                db.execute("BEGIN IMMEDIATE")
                try:
                    version = int(db.execute("PRAGMA user_version").fetchone()[0])
                    db.execute(f"PRAGMA user_version = {version}")
                finally:
                    db.rollback()
            return True
        except StoreUnavailable:  # already logged, once
            return False
        except (sqlite3.Error, OSError) as exc:
            log.warning("database %s is not writable: %s", self.path, type(exc).__name__)
            return False

    def _create_private_file(self) -> None:
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Create it ourselves with 0600 so sqlite never makes it world-readable; SQLite gives the -wal and
        # -shm files the same permissions as the database file.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        os.close(fd)
        try:
            if (self.path.stat().st_mode & 0o777) != FILE_MODE:
                os.chmod(self.path, FILE_MODE)
        except PermissionError:
            log.warning("cannot restrict %s to its owner; check its permissions", self.path)

    def _pin_file(self) -> tuple[int, int] | None:
        """Hold the file's inode for the life of this store and return its (device, inode).

        A file system gives a freed inode number to the next new file, so a deleted database recreated
        at the path could look like the original; while a descriptor holds the inode it cannot be freed.
        `O_PATH` (Linux) because closing an ordinary descriptor of the file would drop the POSIX locks
        SQLite's connections hold on it in this process; an `O_PATH` one takes part in no locking. Where
        there is no `O_PATH`, device and inode are compared without the pin.
        """
        o_path = getattr(os, "O_PATH", None)
        if o_path is None:
            return _identity(self._absolute)
        fd = os.open(self._absolute, o_path)
        weakref.finalize(self, os.close, fd)
        status = os.fstat(fd)
        return status.st_dev, status.st_ino

    @contextmanager
    def _connect(self) -> Iterator[Database]:
        try:
            conn = sqlite3.connect(self._uri, uri=True, timeout=self.busy_timeout_s)
        except sqlite3.OperationalError:
            self._check_same_file()  # gone: say so rather than "unable to open database file"
            raise
        try:
            # Checked after the open, so the file this connection holds is the one checked.
            self._check_same_file()
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            yield Database(conn, execute_plugins=False)
        finally:
            conn.close()

    def _check_same_file(self) -> None:
        now = _identity(self._absolute)
        if now is None:
            self._unavailable("is missing (deleted or moved while the bot was running)")
        if now != self._identity:
            self._unavailable("was replaced by another file while the bot was running")

    def _unavailable(self, reason: str) -> NoReturn:
        with self._report_guard:
            first, self._unavailable_reported = not self._unavailable_reported, True
        if first:
            log.error(
                "database %s %s; nothing can be recorded until it is restored and the bot restarted",
                self.path,
                reason,
            )
        raise StoreUnavailable(str(self.path), reason)


def _identity(path: Path) -> tuple[int, int] | None:
    """The file at `path` (device, inode), or None when there is none."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino
