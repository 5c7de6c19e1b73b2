"""A test-only gunicorn target: the app `bot.wsgi:application` serves, built with crash points, so that
production code reads no crash knob. `NUMBERS_BOT_TEST_CRASH_AT` names the point
(`bot/services/crashpoints.py`) where the worker SIGKILLs itself while executing an approved request;
unset, this is the production app.

    gunicorn ... tests.reliability.crashing_wsgi:application

Never imported by the tests themselves: importing it builds the bot.
"""

from __future__ import annotations

import os

from bot.server import web_application
from bot.services.crashpoints import CrashPoints

GUNICORN_APP_LOAD_ERROR = 4  # as in bot.wsgi: gunicorn stops instead of rebooting a broken worker

application = web_application(
    GUNICORN_APP_LOAD_ERROR, crash=CrashPoints(os.environ.get("NUMBERS_BOT_TEST_CRASH_AT") or None)
)
