"""The stand-in is Slack, not the bot: importing it pulls in nothing of ours, and not slack_bolt."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_stand_in_loads_no_bot_layers_and_no_bolt() -> None:
    probe = (
        "import sys, fakes.slack, fakes.slack.requests, fakes.slack.webapi\n"
        "ours = ('api', 'handlers', 'bot.services', 'bot.store', 'bot.app', 'slack_bolt')\n"
        "print(sorted(m for m in sys.modules if m in ours or m.startswith(tuple(p + '.' for p in ours))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
