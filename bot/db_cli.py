"""`numbers-bot db copy`: move the bot's store from its SQLite file into an empty PostgreSQL database.

    numbers-bot db copy [--to postgresql://USER:PASSWORD@HOST/DB] [--db PATH]

Copies every table (requests, the audit log with its hashes, checkpoints, outbox, rate limits) in one
PostgreSQL transaction, then verifies the audit chain on the target (as `numbers-bot audit verify` does) and
prints the row count of every table on both sides. Exit 0 when every table matches and the chain verifies,
1 when not (or when the copy failed: then nothing was copied), 2 on a usage problem: no SQLite file (one is
never created), no PostgreSQL URL, a target that cannot be reached or already holds rows. `--to` defaults to
$DATABASE_URL, which keeps the password off the command line; the password is never printed.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import psycopg

from bot.config import database_path, database_url
from bot.services.clock import utc_now
from bot.services.integrity import Integrity
from bot.store import Store, StoreUnavailable
from bot.store.copy import TableCount, TargetNotEmpty, compare, copy_store, target_tallies
from bot.store.postgres import PostgresStore, is_postgres_url, redacted

EXIT_OK, EXIT_DIFFERENT, EXIT_USAGE = 0, 1, 2
PROG = "numbers-bot db"


class UsageError(Exception):
    """Printed as one line; exit 2."""


def add_db_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add `db` (with `copy`) to the `numbers-bot` subcommands."""
    parser = subparsers.add_parser("db", help="move the bot's database from SQLite to PostgreSQL")
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    copy_cmd = sub.add_parser(
        "copy", help="copy the SQLite store into an empty PostgreSQL database, then verify the chain there"
    )
    # No `type=` check on --to: argparse would echo a refused URL, password and all.
    copy_cmd.add_argument(
        "--to", default=None, metavar="URL", help="the empty PostgreSQL database, postgresql://... (default $DATABASE_URL)"
    )
    copy_cmd.add_argument(
        "--db", default=None, metavar="PATH", help="the bot's SQLite file (default $NUMBERS_BOT_DB, else numbers-bot.db)"
    )
    copy_cmd.set_defaults(func=lambda a: run_copy(a.db, a.to))
    return parser


def run_copy(db: str | None, to: str | None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The command, with its failures turned into one line and an exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    url = to if to is not None else database_url()
    try:
        with _quiet_pool():
            return copy(db, url, out=out)
    except UsageError as exc:
        print(f"{PROG} copy: {_hide(str(exc), url)}", file=err)
        return EXIT_USAGE
    except StoreUnavailable as exc:
        print(f"{PROG} copy: {_hide(str(exc), url)}; nothing was copied.", file=err)
        return EXIT_USAGE
    except sqlite3.Error as exc:
        print(f"{PROG} copy: cannot read the SQLite database: {exc}; nothing was copied.", file=err)
        return EXIT_USAGE
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"{PROG} copy: PostgreSQL refused the copy ({_hide(first, url)}); nothing was copied.", file=err)
        return EXIT_DIFFERENT


def copy(db: str | None, url: str | None, *, out: TextIO) -> int:
    if not url:
        raise UsageError("give --to postgresql://USER:PASSWORD@HOST/DATABASE (or set DATABASE_URL); nothing was copied.")
    if not is_postgres_url(url):
        raise UsageError(f"--to must be a postgresql:// or postgres:// URL, not {redacted(url)!r}; nothing was copied.")
    path = Path(db) if db is not None else database_path()
    if not path.is_file():  # never create one: a typo would copy an empty new file
        raise UsageError(f"there is no database at {path} (give --db PATH); nothing was copied.")
    where = redacted(url)
    source = Store(path)
    target = PostgresStore(url, max_size=2)
    try:
        started = time.monotonic()
        try:
            copied = copy_store(source, target)
        except TargetNotEmpty as exc:
            raise UsageError(
                f"{where} is not empty ({exc}); it must be a new database. Nothing was copied."
            ) from None
        print(f"Copied {path} into {where} in one transaction ({time.monotonic() - started:.1f} s).", file=out, flush=True)
        counts = compare(copied, target_tallies(target))
        report = Integrity(store=target, clock=utc_now).verify()  # type: ignore[arg-type]
    finally:
        target.close()
    _print_counts(counts, out)
    print(f"On the target: {report.summary()}", file=out)
    different = [c.table for c in counts if not c.same]
    if report.ok and not different:
        print(f"All {len(counts)} tables match and the audit chain verifies on the target.", file=out)
        return EXIT_OK
    problems = ([f"tables differ: {', '.join(different)}"] if different else []) + (
        [] if report.ok else ["the audit chain does not verify on the target"]
    )
    print(f"NOT a faithful copy: {'; '.join(problems)}.", file=out)
    return EXIT_DIFFERENT


@contextmanager
def _quiet_pool() -> Iterator[None]:
    """The pool's own log lines (a warning per failed connection attempt) would bury the one line this
    command prints about an unreachable server."""
    loggers = [logging.getLogger(name) for name in ("psycopg.pool", "bot.store.postgres")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _print_counts(counts: Sequence[TableCount], out: TextIO) -> None:
    width = max(len(c.table) for c in counts)
    print(f"{'table':<{width}}  {'sqlite':>10}  {'postgresql':>10}  match", file=out)
    for c in counts:
        verdict = "yes" if c.same else ("no" if c.source.rows != c.target.rows else "no (same count, different rows)")
        print(f"{c.table:<{width}}  {c.source.rows:>10}  {c.target.rows:>10}  {verdict}", file=out)


def _hide(text: str, url: str | None) -> str:
    """`text` with the URL's password masked wherever it appears (error messages may quote the URL)."""
    password = urlsplit(url).password if url else None
    return text.replace(password, "***") if password else text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="Move the bot's database.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_db_parser(sub)
    args = parser.parse_args(["db", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
