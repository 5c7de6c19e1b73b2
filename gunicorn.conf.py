"""gunicorn's settings for the Procfile's `web:` line, read from the working directory by default.

Only a hook: the bot's background workers (outbox delivery, maintenance) start in each worker process
once it has loaded the app, never in the master (a fork carries no thread over). `post_worker_init`, not
`post_fork`: without `--preload` the app is not loaded yet when `post_fork` runs.
"""

from __future__ import annotations

from typing import Any

WORKERS_STARTED = "numbers-bot: background workers started in worker"


def post_worker_init(worker: Any) -> None:
    start = getattr(worker.wsgi, "start_workers", None)  # bot.server.WebApplication; other apps have none
    if callable(start):
        start()
        worker.log.info("%s %s", WORKERS_STARTED, worker.pid)
