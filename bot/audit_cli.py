"""`numbers-bot audit verify | checkpoint | export`: the audit log from the command line.

    numbers-bot audit verify [--db PATH] [--witness HEAD_ID:ROW_COUNT:HEAD_HASH | --no-slack]
    numbers-bot audit checkpoint [--db PATH]
    numbers-bot audit export [--format csv|jsonl] [--db PATH] [--out FILE] [FILTER ...]

`verify` exits 0 when the chain is intact and 1 when it is not (naming the first bad row). Without
`--witness` it also checks the chain against the newest checkpoint the bot posted in the history channel,
when the bot's settings load and Slack answers (`--no-slack`: never ask); when it cannot, it says so in one
line and verifies against the database alone. Every command
exits 2 on a usage problem (a missing database file, a bad filter). FILTERs use the Slack syntax, e.g.
`+918012345678 action:purchase since:30d @U123ABC`. Also runnable as `python -m bot.audit_cli verify ...`.
The lead hooks `add_audit_parser` into `bot/cli.py`.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from slack_sdk import WebClient

from bot.config import ConfigError, Settings, database_path, database_url, load_settings
from handlers.outbound.posted_witness import PostedCheckpoint, WitnessUnavailable, newest_posted_checkpoint
from bot.services.audit_export import AuditExport
from bot.services.audit_filters import AuditFilter, parse_query
from bot.services.audit_query import AuditQueries, Visibility
from bot.services.clock import Clock, utc_now
from bot.services.errors import ServiceError
from bot.services.integrity import Integrity
from bot.services.records import Checkpoint
from bot.store import Store, open_store
from bot.store.postgres import PostgresStore

DEFAULT_DB = "numbers-bot.db"
EXIT_OK, EXIT_NOT_INTACT, EXIT_USAGE = 0, 1, 2
_WITNESS = re.compile(r"^(\d+):(\d+):([0-9a-f]{64})$")


class UsageError(Exception):
    """A problem with how the command was called; printed as one line, exit 2."""


def add_audit_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add `audit` (with verify, checkpoint, export) to the `numbers-bot` subcommands."""
    parser = subparsers.add_parser("audit", help="verify, checkpoint and export the audit log")
    _add_commands(parser)
    return parser


SLACK_TIMEOUT_S = 10.0


def verify(
    db: str | os.PathLike[str] | None,
    *,
    witness: Checkpoint | None = None,
    out: TextIO | None = None,
    ask_slack: bool = False,
    settings: Callable[[], Settings] = load_settings,
) -> int:
    """Print whether the chain is intact; 0 when it is, 1 when it is not.

    `ask_slack` (the command line's default) and no `witness`: the newest checkpoint the bot posted in the
    history channel is the witness, when `settings()` loads and Slack answers; otherwise one line says why
    not, and the database alone is verified."""
    out = out or sys.stdout
    with _opened(db) as store:
        if witness is not None:
            print(f"Checked against the witness given: {_pinned(witness)}.", file=out)
        elif ask_slack:
            witness = _posted_witness(settings, out)
        report = Integrity(store=store, clock=utc_now).verify(witness=witness)
    print(report.summary(), file=out)
    return EXIT_OK if report.ok else EXIT_NOT_INTACT


def checkpoint(db: str | os.PathLike[str] | None, *, out: TextIO | None = None, clock: Clock = utc_now) -> int:
    """Record a checkpoint (its post to the history channel is queued) and print it; an empty log has
    nothing to checkpoint, which is said and is no error."""
    out = out or sys.stdout
    with _opened(db) as store:
        made = Integrity(store=store, clock=clock).checkpoint()
    if made is None:
        print("The audit log is empty: nothing to checkpoint.", file=out)
        return EXIT_OK
    at = made.at.isoformat() if made.at else "?"
    print(f"Checkpoint #{made.id} at {at}: {made.row_count} rows, head row {made.head_id}", file=out)
    print(f"head hash {made.head_hash}", file=out)
    print(f"witness: --witness {witness_text(made)}", file=out)
    return EXIT_OK


def export(
    db: str | os.PathLike[str] | None,
    *,
    filters: Sequence[str] = (),
    fmt: str | None = None,
    out_path: str | os.PathLike[str] | None = None,
    stdout: TextIO | None = None,
    clock: Clock = utc_now,
) -> int:
    """Export the rows matching `filters` (Slack syntax) to `out_path` (written whole or not at all) or
    stdout. The command line is an operator with the database file: every row is visible."""
    stdout = stdout or sys.stdout
    query = parse_query(" ".join(filters), now=clock())
    if fmt is not None and query.export_format is not None and fmt != query.export_format:
        raise UsageError(f"--format {fmt} and the filter word {query.export_format} disagree; give one.")
    chosen = fmt or query.export_format or "csv"
    with _opened(db) as store:
        exporter = AuditExport(store=store, queries=AuditQueries(store=store, visibility=Visibility(policy=None), clock=clock))
        if out_path is None:
            count = exporter.export(query.filter, chosen, stdout, viewer=None)
        else:
            count = _export_to_file(exporter, query.filter, chosen, Path(out_path))
            print(f"Exported {count} rows to {out_path}", file=sys.stderr)
    return EXIT_OK


def _posted_witness(settings: Callable[[], Settings], out: TextIO) -> Checkpoint | None:
    """The newest checkpoint the bot posted in the history channel, or None after saying why there is none."""
    alone = "verifying against the database alone."
    try:
        loaded = settings()
    except ConfigError as exc:
        print(f"Slack not asked for the posted checkpoint ({exc}); {alone}", file=out)
        return None
    client = WebClient(
        token=loaded.slack_bot_token.get_secret_value(),
        base_url=loaded.slack_api_url,
        timeout=SLACK_TIMEOUT_S,
        retry_handlers=[],  # one attempt: the operator sees at once that Slack did not answer
    )
    channel = loaded.history_channel
    try:
        search = newest_posted_checkpoint(client, channel)
    except WitnessUnavailable as exc:
        print(f"Could not read the checkpoint posted in the history channel {channel}: {exc}; {alone}", file=out)
        return None
    if search.found is None:
        print(
            f"No checkpoint posted by the bot in the history channel {channel} "
            f"(read {search.messages_read} message{'' if search.messages_read == 1 else 's'}); {alone}",
            file=out,
        )
        return None
    print(_posted_line(search.found), file=out)
    return search.found.checkpoint


def _posted_line(posted: PostedCheckpoint) -> str:
    number = f"checkpoint #{posted.checkpoint.id}, " if posted.checkpoint.id else ""
    return (
        f"Checked against the checkpoint posted in the history channel {posted.channel} at "
        f"{posted.posted_at:%Y-%m-%d %H:%M:%S} UTC: {number}{_pinned(posted.checkpoint)}."
    )


def _pinned(c: Checkpoint) -> str:
    return f"row {c.head_id} ({c.row_count} rows), hash {c.head_hash}"


def witness_text(made: Checkpoint) -> str:
    """The `--witness` form of a checkpoint: HEAD_ID:ROW_COUNT:HEAD_HASH."""
    return f"{made.head_id}:{made.row_count}:{made.head_hash}"


def parse_witness(text: str) -> Checkpoint:
    found = _WITNESS.match(text.strip().lower())
    if not found:
        raise argparse.ArgumentTypeError("expected HEAD_ID:ROW_COUNT:HEAD_HASH (as `audit checkpoint` prints it)")
    return Checkpoint(id=0, at=None, head_id=int(found.group(1)), row_count=int(found.group(2)), head_hash=found.group(3))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.audit_cli verify --db PATH` and friends (the same commands as `numbers-bot audit`)."""
    parser = argparse.ArgumentParser(prog="numbers-bot audit", description="The audit log: verify, checkpoint, export.")
    _add_commands(parser)
    args = parser.parse_args(argv)
    return int(args.audit_func(args))


# -------------------------------------------------------------------------------------------- wiring


def _add_commands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", required=True, metavar="AUDIT_COMMAND")

    verify_cmd = sub.add_parser("verify", help="re-check every hash of the audit chain; exit 1 if broken")
    _add_db(verify_cmd)
    witness_source = verify_cmd.add_mutually_exclusive_group()
    witness_source.add_argument(
        "--witness", type=parse_witness, metavar="HEAD_ID:ROW_COUNT:HEAD_HASH",
        help="a checkpoint kept outside the database (default: the newest one the bot posted in the history channel)",
    )
    witness_source.add_argument(
        "--no-slack", action="store_true", help="do not read the posted checkpoint from Slack: the database alone"
    )
    verify_cmd.set_defaults(
        audit_func=lambda a: _run(lambda: verify(a.db, witness=a.witness, ask_slack=not a.no_slack))
    )

    checkpoint_cmd = sub.add_parser("checkpoint", help="record the chain's head now and queue its post to Slack")
    _add_db(checkpoint_cmd)
    checkpoint_cmd.set_defaults(audit_func=lambda a: _run(lambda: checkpoint(a.db)))

    export_cmd = sub.add_parser("export", help="stream audit rows as CSV or JSON Lines, oldest first")
    _add_db(export_cmd)
    export_cmd.add_argument("--format", choices=("csv", "jsonl"), default=None, help="default: csv")
    export_cmd.add_argument("--out", default=None, metavar="FILE", help="write here instead of stdout")
    export_cmd.add_argument("filters", nargs="*", metavar="FILTER", help="Slack syntax, e.g. +918012345678 since:30d")
    export_cmd.set_defaults(
        audit_func=lambda a: _run(lambda: export(a.db, filters=a.filters, fmt=a.format, out_path=a.out))
    )
    # `numbers-bot` (bot/cli.py) calls args.func(args)
    for command in (verify_cmd, checkpoint_cmd, export_cmd):
        command.set_defaults(func=lambda a: a.audit_func(a))


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=None, metavar="PATH", help=f"the bot's SQLite file (default: PostgreSQL at $DATABASE_URL when set, else $NUMBERS_BOT_DB, else {DEFAULT_DB})"
    )


def _run(command: object) -> int:
    try:
        return int(command())  # type: ignore[operator]
    except (UsageError, ServiceError) as exc:
        message = exc.user_message if isinstance(exc, ServiceError) else str(exc)
        print(f"numbers-bot audit: {message}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.Error as exc:
        print(f"numbers-bot audit: cannot use the database: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `... | head`: the reader left; not an error worth a traceback
        try:  # keep the interpreter's final flush of stdout from raising again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK


@contextmanager
def _opened(db: str | os.PathLike[str] | None) -> Iterator[Store | PostgresStore]:
    """`_open`, closed afterwards (a PostgreSQL store's pool of connections)."""
    store = _open(db)
    try:
        yield store
    finally:
        store.close()


def _open(db: str | os.PathLike[str] | None) -> Store | PostgresStore:
    """The bot's database: `--db PATH` (a SQLite file), else DATABASE_URL (PostgreSQL), else NUMBERS_BOT_DB.
    Never creates a SQLite file (a typo would otherwise verify an empty new file as intact)."""
    url = database_url() if db is None else None
    if url:
        return open_store(sqlite_path="", database_url=url)
    path = Path(db) if db is not None else database_path()
    if not path.is_file():
        raise UsageError(f"there is no database at {path} (give --db PATH)")
    return Store(path)


def _export_to_file(exporter: AuditExport, audit_filter: AuditFilter, fmt: str, path: Path) -> int:
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # audit rows name people: owner only
    try:
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            count = exporter.export(audit_filter, fmt, handle, viewer=None)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


if __name__ == "__main__":
    sys.exit(main())
