"""`numbers-bot reconcile`: compare the account's numbers at Vobiz with what the audit log says the bot did.

    numbers-bot reconcile [--dry-run]

Configured like the bot (the same environment: VOBIZ_*, NUMBERS_BOT_DB ...). Every difference is printed,
recorded in the audit log (`event=drift`) and queued for the history channel; `--dry-run` prints without
recording. Exits 0 when Vobiz and the log agree, 1 when there is drift, 2 when the configuration is bad or
Vobiz cannot be read. Also runnable as `python -m bot.reconcile_cli`. The lead hooks
`add_reconcile_parser` into `bot/cli.py`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from api.client import VobizClient
from api.errors import VobizError
from bot.config import ConfigError, Settings, load_settings
from bot.services.clock import Clock, utc_now
from bot.services.reconcile import ReconcileReport, Reconciler
from bot.services.vobiz_failures import read_failure
from bot.store import open_store

EXIT_AGREE, EXIT_DRIFT, EXIT_TROUBLE = 0, 1, 2


def add_reconcile_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add `reconcile` to the `numbers-bot` subcommands."""
    parser = subparsers.add_parser(
        "reconcile", help="compare the numbers at Vobiz with the audit log and report any drift"
    )
    _add_options(parser)
    return parser


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print the differences without recording them")
    parser.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    return reconcile(dry_run=args.dry_run)


def reconcile(
    *,
    dry_run: bool = False,
    settings: Settings | None = None,
    vobiz: VobizClient | None = None,
    clock: Clock = utc_now,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        settings = settings or load_settings()
    except ConfigError as exc:
        print(f"numbers-bot: {exc}", file=err)
        return EXIT_TROUBLE
    client = vobiz or VobizClient(
        settings.vobiz_auth_id, settings.vobiz_auth_token.get_secret_value(), base_url=settings.vobiz_base_url
    )
    try:
        report = Reconciler(vobiz=client, store=open_store(sqlite_path=settings.numbers_bot_db, database_url=settings.database_url_text), clock=clock).run(record=not dry_run)
    except VobizError as exc:
        print(f"numbers-bot: {read_failure(exc, 'reading the account numbers').user_message}", file=err)
        return EXIT_TROUBLE
    finally:
        if vobiz is None:
            client.close()
    _print(report, out)
    return EXIT_DRIFT if report.drifts else EXIT_AGREE


def _print(report: ReconcileReport, out: TextIO) -> None:
    print(report.summary(), file=out)
    for drift in report.drifts:
        print(f"DRIFT {drift.e164} {drift.kind.value}: {drift.detail}", file=out)
    for e164 in report.skipped:
        print(f"skipped {e164}: a request for it is in flight; checked on the next run", file=out)
    if report.drifts and not report.recorded:
        print("(dry run: nothing was recorded)", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="numbers-bot reconcile", description=__doc__.splitlines()[0])
    _add_options(parser)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
