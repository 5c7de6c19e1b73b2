"""The `numbers-bot` command (also `python -m bot`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _sandbox(args: argparse.Namespace) -> int:
    from api.sandbox.server import run_standalone

    run_standalone(host=args.host, port=args.port, latency_ms=args.latency_ms, strict_casing=args.strict_casing)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
