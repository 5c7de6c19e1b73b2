"""`numbers-bot console` (and `make demo`): try the bot without Slack or Vobiz.

The real Bolt app from `bot.app.build_bot`, served over HTTP on 127.0.0.1 as in production, talks to
the sandbox Vobiz and to the Slack stand-in (`fakes.slack`); a person (or a script) types `/numbers`
commands as one of four demo people and clicks numbered buttons; everything the bot posts is shown
as readable text as it happens.

* `run(script=None, db=None, latency_ms=0, person="asha", ...) -> int`: one session, its exit code.
* `ConsoleWorld` (`bot.console.world`): the running parts, for tests.
* `Session` (`bot.console.session`): the console's commands; `render` (`bot.console.mrkdwn`): mrkdwn
  as terminal text.
"""

from bot.console.mrkdwn import Names, Style, render
from bot.console.runner import EXIT_OK, EXIT_STEP_FAILED, EXIT_USAGE, run
from bot.console.session import HELP, Outcome, Session
from bot.console.world import ConsoleWorld

__all__ = [
    "EXIT_OK",
    "EXIT_STEP_FAILED",
    "EXIT_USAGE",
    "HELP",
    "ConsoleWorld",
    "Names",
    "Outcome",
    "Session",
    "Style",
    "render",
    "run",
]
