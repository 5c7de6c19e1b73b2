"""The `numbers-bot` command (also `python -m bot`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _sandbox(args: argparse.Namespace) -> int:
    from fakes.vobiz.server import run_standalone

    run_standalone(host=args.host, port=args.port, latency_ms=args.latency_ms, strict_casing=args.strict_casing)
    return 0


def _run(args: argparse.Namespace) -> int:
    """Serve the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on --port."""
    import logging

    from bot.server import LocalServer, build_bot_or_exit, load_settings_or_exit, make_wsgi_app

    import signal

    from slack_sdk.errors import SlackApiError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings_or_exit(2)
    bot = build_bot_or_exit(settings, 2)
    bot.start()  # one process that never forks: the workers run beside the listeners
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # platforms stop processes with SIGTERM
    try:
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            print("numbers-bot: connecting to Slack in Socket Mode", file=sys.stderr, flush=True)
            try:
                SocketModeHandler(bot.app, settings.slack_app_token.get_secret_value()).start()
            except SlackApiError as exc:
                error = exc.response.get("error") if exc.response is not None else None
                print(f"numbers-bot: Slack refused the Socket Mode connection ({error}); check SLACK_APP_TOKEN", file=sys.stderr)
                return 1
        else:
            server = LocalServer(make_wsgi_app(bot.app, bot.healthy), host=args.host, port=args.port)
            print(f"numbers-bot: serving Slack requests at {server.url}/slack/events", file=sys.stderr, flush=True)
            server.serve_forever()
    finally:
        bot.stop()
    return 0


def _console(args: argparse.Namespace) -> int:
    """Try the bot without Slack or Vobiz (`make demo`); see `bot.console`."""
    from bot.console import run

    return run(script=args.script, db=args.db, latency_ms=args.latency_ms, person=args.person)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="numbers-bot", description="Vobiz telephone numbers from Slack.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sandbox = sub.add_parser("sandbox", help="run the fake Vobiz API server (seeded, with fault knobs)")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--latency-ms", type=int, default=0, help="fixed delay added to every answer")
    sandbox.add_argument("--strict-casing", action="store_true", help="404 on the wrong /Account/ casing")
    sandbox.set_defaults(func=_sandbox)

    run = sub.add_parser("run", help="serve the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")
    run.add_argument("--host", default="0.0.0.0")
    run.add_argument("--port", type=int, default=3000, help="HTTP port when not in Socket Mode (default 3000)")
    run.set_defaults(func=_run)

    console = sub.add_parser("console", help="try the bot locally: the real app, a sandbox Vobiz and a stand-in Slack")
    console.add_argument("--script", type=Path, metavar="FILE", help="run the console commands in FILE; exit 1 if a step fails")
    console.add_argument("--db", type=Path, metavar="PATH", help="SQLite database to use (default: a fresh temporary one)")
    console.add_argument("--latency-ms", type=int, default=0, metavar="N", help="delay every sandbox Vobiz answer by N ms")
    console.add_argument("--as", dest="person", default="asha", metavar="NAME", help="start as this demo person (default asha)")
    console.set_defaults(func=_console)

    from bot.audit_cli import add_audit_parser
    from bot.db_cli import add_db_parser
    from bot.reconcile_cli import add_reconcile_parser

    add_audit_parser(sub)
    add_reconcile_parser(sub)
    add_db_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
