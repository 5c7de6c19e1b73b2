"""The bot as operators run it: the Procfile's `web:` command (gunicorn serving `bot.wsgi:application`) in
its own process group, configured only by environment, pointed at an in-test sandbox Vobiz and FakeSlack.

`BotProcess.start()` waits until the worker answers /healthz; `kill()` sends SIGKILL to the whole group
(arbiter and worker), as a crashed machine or an OOM-killed container would lose them.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from fakes.vobiz import SandboxServer
from fakes.slack.webapi import FakeSlack
from tests.scenarios.scenario_world import ADMIN, APPROVALS, APPROVER, BOT_TOKEN, HISTORY, SIGNING_SECRET

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
WORKER_KILLED = re.compile(r"Worker \(pid:(\d+)\) was sent SIGKILL")


def procfile_web_command(
    port: int = 0, target: str = "bot.wsgi:application", env: Mapping[str, str] | None = None
) -> list[str]:
    """The Procfile's `web:` line, bound to 127.0.0.1 (tests never listen on other interfaces), serving
    `target` instead of `bot.wsgi:application` when given (a test-only module such as crashing_wsgi).
    `$PORT` is `port`; other variables (`${WEB_CONCURRENCY:-2}`) are expanded from `env` as a shell would."""
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            words = shlex.split(line.removeprefix("web:").strip())
            break
    else:
        raise AssertionError("the Procfile has no web: line")
    variables = {**(env or {}), "PORT": str(port)}
    bound = [_expand(w, variables).replace("0.0.0.0", "127.0.0.1") for w in words]
    assert bound[0] == "gunicorn" and "bot.wsgi:application" in bound, bound
    bound = [target if word == "bot.wsgi:application" else word for word in bound]
    return [str(BIN / "gunicorn"), *bound[1:]]


_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


def _expand(word: str, variables: Mapping[str, str]) -> str:
    """`$NAME`, `${NAME}` and `${NAME:-default}` as sh expands them (unset or empty takes the default)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return variables.get(name) or (match.group(2) or "")

    return _VARIABLE.sub(value, word)


def bot_environment(slack: FakeSlack, sandbox: SandboxServer, db: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "VOBIZ_AUTH_ID": sandbox.auth_id,
        "VOBIZ_AUTH_TOKEN": sandbox.auth_token,
        "VOBIZ_BASE_URL": sandbox.base_url,
        "NUMBERS_BOT_DB": str(db),
        "APPROVERS": f"{APPROVER}",
        "ADMINS": f"{ADMIN}",
        "APPROVAL_CHANNEL": APPROVALS,
        "HISTORY_CHANNEL": HISTORY,
    }
    env.update(extra)
    return env


class BotProcess:
    def __init__(self, env: dict[str, str], target: str = "bot.wsgi:application") -> None:
        self._env = env
        self._target = target
        self._process: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self.url = ""

    # ------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 20.0) -> BotProcess:
        self._process = subprocess.Popen(
            procfile_web_command(target=self._target, env=self._env),
            env=self._env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: kill() takes the arbiter and its worker
        )
        threading.Thread(target=self._read_output, name="bot-process-output", daemon=True).start()
        match = self.wait_for_line(LISTENING, timeout)
        self.url = match.group(1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # the worker loads the app on boot; /healthz answers once it has
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            self._raise_if_exited()
            time.sleep(0.05)
        raise TimeoutError(f"the bot did not become healthy in {timeout} s:\n{self.output}")

    def kill(self) -> None:
        """SIGKILL to the whole process group: nothing gets to clean up."""
        if self._process is None:
            return
        if self._process.poll() is None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._process.wait(timeout=10)

    def stop(self) -> None:
        """Polite stop (SIGTERM to the arbiter), then SIGKILL if it lingers."""
        if self._process is None or self._process.poll() is not None:
            return
        try:
            os.killpg(self._process.pid, signal.SIGTERM)
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        """The gunicorn master's (arbiter's) pid."""
        assert self._process is not None
        return self._process.pid

    # ------------------------------------------------------------ output

    @property
    def output(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float = 10.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self._lines:
                    found = pattern.search(line)
                    if found:
                        return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no line matching {pattern.pattern!r} in {timeout} s:\n{''.join(self._lines)}")
                self._changed.wait(min(remaining, 0.1))

    def _read_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()

    def _raise_if_exited(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(f"the bot exited with {self._process.returncode}:\n{self.output}")


# ---------------------------------------------------------------- reading the database from outside


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows from the bot's SQLite file, read by this (test) process as an operator would."""
    with closing(sqlite3.connect(str(db), timeout=10)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params).fetchall()]


def request_row(db: Path, request_id: str) -> dict[str, Any]:
    rows = query(db, "SELECT * FROM requests WHERE id = ?", (request_id,))
    assert rows, f"request {request_id} is not in the database"
    return rows[0]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} still false after {timeout} s")
        time.sleep(0.02)
