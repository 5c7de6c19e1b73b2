"""The `numbers-bot` command (also `python -m bot`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _sandbox(args: argparse.Namespace) -> int:
    from api.sandbox.server import run_standalone

    run_standalone(host=args.host, port=args.port, latency_ms=args.latency_ms, strict_casing=args.strict_casing)
    return 0


def _run(args: argparse.Namespace) -> int:
    """Serve the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on --port."""
    import logging

    from bot.server import LocalServer, build_bot_or_exit, load_settings_or_exit, make_wsgi_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings_or_exit(2)
    bot = build_bot_or_exit(settings, 2)
    try:
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            print("numbers-bot: Socket Mode", file=sys.stderr, flush=True)
            SocketModeHandler(bot.app, settings.slack_app_token.get_secret_value()).start()
        else:
            server = LocalServer(make_wsgi_app(bot.app, bot.healthy), host=args.host, port=args.port)
            print(f"numbers-bot: serving Slack requests at {server.url}/slack/events", file=sys.stderr, flush=True)
            server.serve_forever()
    finally:
        bot.stop()
    return 0


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
