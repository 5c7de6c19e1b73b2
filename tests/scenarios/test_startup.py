"""Starting the bot as an operator does: `numbers-bot run`, gunicorn's import of bot.wsgi, and the one
clear line (exit 2, no traceback) when the configuration is missing or malformed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fakes.vobiz import SandboxServer
from fakes.slack.requests import SlackRequests
from fakes.slack.webapi import FakeSlack
from tests.scenarios.scenario_world import BOT_TOKEN, SIGNING_SECRET

BIN = Path(sys.executable).parent


def environment(slack_api_url: str, sandbox: SandboxServer | None, db: Path, **changes: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "VOBIZ_AUTH_ID": sandbox.auth_id if sandbox else "MA_SANDBOX01",
        "VOBIZ_AUTH_TOKEN": sandbox.auth_token if sandbox else "not-used",
        "VOBIZ_BASE_URL": sandbox.base_url if sandbox else "http://127.0.0.1:9/api",
        "NUMBERS_BOT_DB": str(db),
        "APPROVERS": "U0APPROVE",
        "ADMINS": "U0ADMIN",
        "APPROVAL_CHANNEL": "C0APPROVALS",
        "HISTORY_CHANNEL": "C0HISTORY",
    }
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def assert_one_clear_line(stderr: str, variable: str) -> None:
    ours = [line for line in stderr.splitlines() if line.startswith("numbers-bot:")]
    assert len(ours) == 1, stderr
    assert variable in ours[0]
    assert "Traceback" not in stderr
    assert BOT_TOKEN not in stderr and SIGNING_SECRET not in stderr


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"SLACK_SIGNING_SECRET": None}, "SLACK_SIGNING_SECRET is not set"),
        ({"APPROVAL_CHANNEL": "#approvals"}, "APPROVAL_CHANNEL is invalid"),
    ],
)
def test_run_with_bad_configuration_prints_one_line_and_exits_2(tmp_path: Path, changes: dict, variable: str) -> None:
    env = environment("http://127.0.0.1:9/api/", None, tmp_path / "bot.db", **changes)
    done = subprocess.run([sys.executable, "-m", "bot", "run", "--port", "0"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, variable)


def test_importing_bot_wsgi_with_bad_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    env = environment("http://127.0.0.1:9/api/", None, tmp_path / "bot.db", SLACK_BOT_TOKEN=None)
    done = subprocess.run([sys.executable, "-c", "import bot.wsgi"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, "SLACK_BOT_TOKEN is not set")


def test_gunicorn_stops_with_one_line_instead_of_rebooting_a_broken_worker(tmp_path: Path) -> None:
    env = environment("http://127.0.0.1:9/api/", None, tmp_path / "bot.db", HISTORY_CHANNEL=None)
    command = [str(BIN / "gunicorn"), "--workers", "1", "--threads", "8", "--bind", "127.0.0.1:0", "bot.wsgi:application"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0  # gunicorn halts ("App failed to load") rather than looping
    assert_one_clear_line(done.stderr, "HISTORY_CHANNEL is not set")


def test_an_unusable_database_path_is_one_line_too(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = environment("http://127.0.0.1:9/api/", None, blocker / "bot.db")
    done = subprocess.run([sys.executable, "-m", "bot", "run", "--port", "0"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, "NUMBERS_BOT_DB")


def test_run_serves_http_and_stops_cleanly_on_sigterm(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path) -> None:
    env = environment(slack.api_url, sandbox, tmp_path / "bot.db")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stderr is not None
        seen: list[str] = []
        match = None
        while match is None and len(seen) < 50:
            seen.append(process.stderr.readline())
            match = re.search(r"serving Slack requests at (http://[^/\s]+)/slack/events", seen[-1])
        assert match, seen
        assert httpx.get(f"{match.group(1)}/healthz", timeout=5).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_run_uses_socket_mode_when_an_app_token_is_set(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path) -> None:
    env = environment(slack.api_url, sandbox, tmp_path / "bot.db", SLACK_APP_TOKEN="xapp-1-not-a-real-token")
    done = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, capture_output=True, text=True, timeout=30)
    assert slack.calls("apps.connections.open")  # it asked Slack for a Socket Mode connection
    assert done.returncode == 1
    assert "Socket Mode" in done.stderr and "Traceback" not in done.stderr
    assert "xapp-1-not-a-real-token" not in done.stderr


def test_gunicorn_serves_the_wsgi_application_as_the_procfile_says(
    slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = environment(slack.api_url, sandbox, tmp_path / "bot.db")
    command = [str(BIN / "gunicorn"), "--workers", "1", "--threads", "8", "--bind", "127.0.0.1:0", "bot.wsgi:application"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        seen: list[str] = []
        match = None
        while match is None and len(seen) < 50:
            seen.append(process.stderr.readline())
            match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", seen[-1])
        assert match, seen
        base = match.group(1)
        deadline = time.monotonic() + 10
        while True:  # the worker boots after the master listens
            try:
                health = httpx.get(f"{base}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert health.status_code == 200
        requests = SlackRequests(SIGNING_SECRET, slack)
        status, _, _ = requests.send_http(f"{base}/slack/events", requests.slash_command("U0REQUEST", "help"))
        assert status == 200
        slack.wait_for(lambda: [e for e in slack.ephemerals("U0REQUEST") if "/numbers" in e.text])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
