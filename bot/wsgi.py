"""The gunicorn target, `bot.wsgi:application`: the only module-level App.

    gunicorn --workers 1 --threads 8 --bind 0.0.0.0:$PORT bot.wsgi:application

Importing it builds the bot and starts no thread: the background workers start in each gunicorn worker
(gunicorn.conf.py's `post_worker_init`, or the first request; see `bot.server.WebApplication`).

Bad configuration stops the import with one line on stderr naming the variable. Plain imports exit 2;
inside a gunicorn worker the exit code is gunicorn's "app failed to load" (4), which makes the
arbiter stop instead of booting the same broken worker forever.
"""

from __future__ import annotations

import sys

from bot.server import web_application

GUNICORN_APP_LOAD_ERROR = 4


def _exit_code() -> int:
    return GUNICORN_APP_LOAD_ERROR if "gunicorn.arbiter" in sys.modules else 2


application = web_application(_exit_code())
bot = application.bot
settings = bot.settings
app = bot.app
