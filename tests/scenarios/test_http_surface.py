"""The HTTP surface as Slack and an operator meet it: signatures, /healthz, and acks inside 3 seconds
even when Vobiz is slow. Served by the real WSGI router on 127.0.0.1, port 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bot.server import LocalServer, make_wsgi_app
from tests.scenarios.scenario_world import APPROVER, REQUESTER, World, assert_acked_in_time


@pytest.fixture
def served(world: World) -> Iterator[str]:
    with LocalServer(make_wsgi_app(world.app, world.bot.healthy)) as server:
        yield server.url


def test_a_signed_command_over_http_is_answered(world: World, served: str) -> None:
    status, _, _ = world.requests.send_http(f"{served}/slack/events", world.requests.slash_command(REQUESTER, "help"))
    assert status == 200
    world.reply_to(REQUESTER, "/numbers: telephone numbers from Vobiz")


@pytest.mark.parametrize("forgery", ["tampered", "wrong_secret", "stale", "unsigned"])
def test_forged_stale_and_unsigned_requests_get_401_and_do_nothing(world: World, served: str, forgery: str) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[0]
    genuine = world.requests.slash_command(REQUESTER, f"buy {e164} forged?")
    url = f"{served}/slack/events"
    if forgery == "tampered":
        status, body, _ = world.requests.send_http(url, genuine.tampered(genuine.body.replace("forged", "pwned")))
    elif forgery == "wrong_secret":
        status, body, _ = world.requests.send_http(url, world.requests.sign(genuine.body, secret="not-the-secret"))
    elif forgery == "stale":
        old = world.requests.slash_command(REQUESTER, f"buy {e164} replayed", timestamp=int(time.time()) - 600)
        status, body, _ = world.requests.send_http(url, old)
    else:
        response = httpx.post(url, content=genuine.body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        status, body = response.status_code, response.text
    assert status == 401
    world.idle()
    assert world.requests_of(REQUESTER) == []
    assert world.sandbox.requests() == []
    assert world.slack.ephemerals(REQUESTER) == []


def test_only_post_reaches_slack_events_and_unknown_paths_are_404(served: str) -> None:
    assert httpx.get(f"{served}/slack/events").status_code == 405
    assert httpx.get(f"{served}/nothing-here").status_code == 404
    assert httpx.post(f"{served}/healthz").status_code == 405


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make the database file read-only, also for root (who ignores permission bits): chattr +i."""
    os.chmod(path, 0o400)
    immutable = False
    try:
        if os.geteuid() == 0:
            chattr = shutil.which("chattr")
            if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
                pytest.skip("running as root where the file cannot be made immutable: no way to make it read-only")
            immutable = True
        yield
    finally:
        if immutable:
            subprocess.run([shutil.which("chattr") or "chattr", "-i", str(path)], check=True)
        os.chmod(path, 0o600)


@pytest.mark.sqlite_only  # makes the SQLite file read-only
def test_healthz_is_200_while_the_database_takes_writes_and_503_when_it_is_read_only(world: World, served: str) -> None:
    assert httpx.get(f"{served}/healthz").status_code == 200
    with read_only(world.db_path):
        response = httpx.get(f"{served}/healthz")
        assert response.status_code == 503
        assert "not writable" in response.text
    assert httpx.get(f"{served}/healthz").status_code == 200


def test_commands_and_clicks_are_acked_at_once_while_vobiz_takes_two_seconds(world: World, served: str) -> None:
    """The ack never waits for Vobiz: it arrives inside Slack's 3 s, and before Vobiz has answered."""
    url = f"{served}/slack/events"
    world.sandbox.configure(latency_ms=2000)

    started = time.monotonic()
    status, _, _ = world.requests.send_http(url, world.requests.slash_command(REQUESTER, "list"))
    acked = time.monotonic() - started
    assert status == 200
    assert_acked_in_time(acked, "the command")
    assert world.replies(REQUESTER, "Our numbers") == [], "the ack waited for Vobiz's answer"
    listing = world.reply_to(REQUESTER, "Our numbers", timeout=10)
    assert time.monotonic() - started >= 2.0  # the reply came after Vobiz answered, by response_url
    assert listing.source == "response_url"

    world.sandbox.configure(latency_ms=0)
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    message = world.approval_message(request_id)
    world.sandbox.configure(latency_ms=2000)
    started = time.monotonic()
    status, _, _ = world.requests.send_http(url, world.requests.click(APPROVER, message, "Approve"))
    acked = time.monotonic() - started
    assert status == 200
    assert_acked_in_time(acked, "the click")
    assert world.request(request_id).status.value in ("pending", "executing"), "the ack waited for the purchase"
    world.sandbox.configure(latency_ms=0)  # only the call already in flight stays slow
    world.idle()
    assert world.request(request_id).status.value == "succeeded"
