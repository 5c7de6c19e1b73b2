"""The background workers start in the process that serves, never in the one that imports the app:
gunicorn's master imports nothing that runs, each worker starts its own after fork (gunicorn.conf.py's
hook), and the first request a process serves is the safety net."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from bot.server import WebApplication
from fakes.slack.requests import SlackRequests
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from tests.reliability.bot_process import REPO, BotProcess, bot_environment, wait_until
from tests.scenarios.scenario_world import APPROVALS, REQUESTER, SIGNING_SECRET, World

APP_LIBRARY = "pydantic_core"  # compiled, imported by bot.config: mapped into a process that loaded the app
HOOKS = runpy.run_path(str(REPO / "gunicorn.conf.py"))


def test_importing_bot_wsgi_starts_no_thread(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path) -> None:
    env = bot_environment(slack, sandbox, tmp_path / "bot.db")
    script = "import threading, bot.wsgi; print([t.name for t in threading.enumerate()])"
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['MainThread']"


def test_the_procfile_web_line_starts_the_workers_in_its_worker_and_they_deliver(
    slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path
) -> None:
    bot = BotProcess(bot_environment(slack, sandbox, tmp_path / "bot.db"))
    requests = SlackRequests(SIGNING_SECRET, slack)
    try:
        bot.start()
        bot.wait_for_line(re.compile(re.escape(HOOKS["WORKERS_STARTED"]) + r" \d+"))  # the hook ran in the worker
        e164 = sandbox.inventory_numbers("IN")[0]
        status, _, _ = requests.send_http(f"{bot.url}/slack/events", requests.slash_command(REQUESTER, f"buy {e164} line"))
        assert status == 200
        # The approval message is an outbox item: only a running delivery worker posts it.
        assert slack.wait_for(lambda: slack.messages(APPROVALS), timeout=10)
    finally:
        requests.close()
        bot.stop()


def test_with_several_workers_each_worker_starts_its_own_and_the_master_none(
    slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path
) -> None:
    bot = BotProcess(bot_environment(slack, sandbox, tmp_path / "bot.db", WEB_CONCURRENCY="3"))
    try:
        bot.start()
        started = re.compile(re.escape(HOOKS["WORKERS_STARTED"]) + r" (\d+)")
        wait_until(lambda: len(started.findall(bot.output)) == 3, timeout=20, what="three workers' hooks")
        booted = {int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", bot.output)}
        with_workers = {int(pid) for pid in started.findall(bot.output)}
        assert with_workers == booted and len(booted) == 3, bot.output
        assert bot.pid not in with_workers
        # The master never loaded the app (so nothing of ours runs in it): the bot's compiled dependency is
        # mapped in every worker and not in the master, which runs gunicorn's own threads only (its main
        # loop and, in gunicorn 27, the control socket's server).
        assert all(APP_LIBRARY in mapped_files(pid) for pid in with_workers)
        assert APP_LIBRARY not in mapped_files(bot.pid)
        assert len(thread_names(bot.pid)) <= 2, thread_names(bot.pid)
    finally:
        bot.stop()


def mapped_files(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def thread_names(pid: int) -> list[str]:
    """The names the kernel knows for a process's threads (Linux /proc)."""
    return [(task / "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()]


def test_the_gunicorn_hook_starts_the_workers_of_a_bot_app_and_ignores_other_apps(world: World) -> None:
    application = WebApplication(world.bot)
    assert not world.bot.workers.running  # built, not started

    HOOKS["post_worker_init"](SimpleNamespace(wsgi=application, pid=1, log=SimpleNamespace(info=lambda *a: None)))
    assert world.bot.workers.running
    HOOKS["post_worker_init"](SimpleNamespace(wsgi=lambda environ, start_response: [], pid=1))  # e.g. the bench's


def test_the_first_request_starts_the_workers_when_no_hook_did(world: World) -> None:
    application = WebApplication(world.bot)
    assert not world.bot.workers.running
    answered: list[str] = []
    environ = {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}
    application(environ, lambda status, headers: answered.append(status))
    application(environ, lambda status, headers: answered.append(status))
    assert world.bot.workers.running
    assert answered == ["200 OK", "200 OK"]
