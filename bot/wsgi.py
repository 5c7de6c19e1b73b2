"""The gunicorn target, `bot.wsgi:application`: the only module-level App.

    gunicorn --workers 1 --threads 8 --bind 0.0.0.0:$PORT bot.wsgi:application

Bad configuration stops the import with one line on stderr naming the variable. Plain imports exit 2;
inside a gunicorn worker the exit code is gunicorn's "app failed to load" (4), which makes the
arbiter stop instead of booting the same broken worker forever.
"""

from __future__ import annotations

import sys

from bot.server import build_bot_or_exit, load_settings_or_exit, make_wsgi_app

GUNICORN_APP_LOAD_ERROR = 4


def _exit_code() -> int:
    return GUNICORN_APP_LOAD_ERROR if "gunicorn.arbiter" in sys.modules else 2


settings = load_settings_or_exit(_exit_code())
bot = build_bot_or_exit(settings, _exit_code())
app = bot.app
application = make_wsgi_app(app, bot.healthy)
