"""No one gets in, nothing leaks: Slack signatures over HTTP, secrets kept out of every log line, message,
audit row and repr, user text escaped wherever it is posted, history filters immune to SQL injection, and
a database file only its owner can read."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.client import VobizClient
from fakes.vobiz import SandboxServer
from fakes.slack.requests import SignedRequest
from fakes.slack.webapi import FakeSlack
from bot.store import Store
from tests.scenarios.scenario_world import ADMIN, APPROVER, BOT_TOKEN, OTHER, REQUESTER, SIGNING_SECRET, World
from tests.handlers.slack_checks import assert_no_injected_markup, assert_no_traceback
from tests.reliability.worlds import build_world_with, rows, served

HOSTILE = "<!channel> <!here> <https://evil.example|approve me> <@U0ADMIN> &lt;b&gt; *bold* `code` <#C0HISTORY>"
FIVE_MINUTES = 5 * 60


# ------------------------------------------------------------------------------------ signatures


def _forgeries(world: World, e164: str) -> dict[str, SignedRequest]:
    genuine = world.requests.slash_command(REQUESTER, f"buy {e164} forged?")
    return {
        "tampered body": genuine.tampered(genuine.body.replace("forged", "pwned")),
        "wrong secret": world.requests.sign(genuine.body, secret="not-the-signing-secret"),
        "stale by 5 min 1 s": world.requests.slash_command(
            REQUESTER, f"buy {e164} replayed", timestamp=int(time.time()) - FIVE_MINUTES - 1
        ),
        "from the future": world.requests.slash_command(
            REQUESTER, f"buy {e164} replayed", timestamp=int(time.time()) + FIVE_MINUTES + 60
        ),
    }


def test_forged_stale_and_unsigned_requests_are_refused_with_401(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[0]
    message_source = {"ts": "1.1", "blocks": []}
    click = world.requests.block_action(APPROVER, "approval.approve", "R0000000", channel_id="C0GENERAL", message=message_source)
    with served(world) as url:
        for name, forged in _forgeries(world, e164).items():
            status, body, _ = world.requests.send_http(url, forged)
            assert status == 401, (name, status, body)
        forged_click = click.tampered(click.body.replace("R0000000", "R1111111"))
        assert world.requests.send_http(url, forged_click)[0] == 401
        unsigned = httpx.post(url, content=click.body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert unsigned.status_code == 401
        # Just inside Slack's replay window is accepted: the window is five minutes, not less.
        fresh = world.requests.slash_command(REQUESTER, "help", timestamp=int(time.time()) - FIVE_MINUTES + 30)
        assert world.requests.send_http(url, fresh)[0] == 200
    world.idle()
    assert world.requests_of(REQUESTER) == []
    assert world.vobiz_writes() == []
    assert rows(world, "SELECT count(*) AS n FROM audit")[0]["n"] == 0


UNREADABLE_BODIES = [
    ("application/x-www-form-urlencoded", b"payload=null"),
    ("application/x-www-form-urlencoded", b"payload=%5B1%2C2%5D"),
    ("application/json", b"\xff\xfe not json"),
    ("application/json", b"[]"),
]


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE_BODIES)
def test_unsigned_requests_with_unreadable_bodies_get_401_not_500(world: World, content_type: str, body: bytes) -> None:
    """Bolt reads the body before the signature and raises on these; bot/server.py still answers 401."""
    with served(world) as url:
        response = httpx.post(url, content=body, headers={"Content-Type": content_type})
        signed = world.requests.sign(body.decode("utf-8", "replace"), content_type=content_type)
        status, _, _ = world.requests.send_http(url, signed)
    assert response.status_code == 401, response.text
    assert status in (200, 400, 404)  # signed, the same body is refused as unreadable, never a 5xx


# ------------------------------------------------------------------------------------ secrets


@pytest.fixture
def secrets_world(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path) -> Iterator[World]:
    world = build_world_with(slack, sandbox, tmp_path / "bot.db")
    yield world
    world.bot.stop()


def _secrets(world: World) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "VOBIZ_AUTH_TOKEN": world.sandbox.auth_token,
    }


def _everything_logged(records: list[logging.LogRecord]) -> str:
    parts = []
    handler = logging.Handler()
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    handler.setFormatter(formatter)
    for record in records:
        parts.append(formatter.format(record))  # message, args and any traceback text
        parts.append(repr(record.args))
    return "\n".join(parts)


def _full_flow(world: World) -> None:
    """Every path that talks to Slack or Vobiz: asking, approving, a Vobiz 500 and a timeout-like
    drop, a denial, history, listing, a refusal, a usage error, an unexpected Slack failure."""
    sandbox = world.sandbox
    numbers = sandbox.inventory_numbers("IN")[:3]
    bought = world.ask_to_buy(numbers[0], reason=HOSTILE)
    world.click(APPROVER, world.approval_message(bought), "Approve")
    failed = world.ask_to_buy(numbers[1])
    sandbox.inject("purchase", "server_error")
    world.click(APPROVER, world.approval_message(failed), "Approve")
    denied = world.ask_to_buy(numbers[2])
    world.click(ADMIN, world.approval_message(denied), "Deny")
    world.modal_of(ADMIN)
    world.submit(ADMIN, {"reason": HOSTILE})
    world.click(OTHER, world.approval_message(denied), "Approve")  # refused: already decided
    world.command(REQUESTER, "history")
    world.command(REQUESTER, "list")
    world.command(REQUESTER, "frobnicate <!channel>")
    sandbox.inject("list_numbers", "drop", count=3)
    world.command(REQUESTER, "list")  # Vobiz unreachable
    world.slack.fail_next("chat.postMessage", "server_error", count=2)
    world.drain()
    world.clock.advance(minutes=10)
    world.drain()


def test_no_secret_reaches_a_log_line_at_any_level(secrets_world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level: slack_sdk, httpx, httpcore, Bolt, ours
    _full_flow(secrets_world)
    logged = _everything_logged(caplog.records)
    assert len(caplog.records) > 100, "the flow should have logged plenty at DEBUG"
    assert "chat.postMessage" in logged or "chat_postMessage" in logged or "/api/chat" in logged
    for name, secret in _secrets(secrets_world).items():
        assert secret not in logged, f"{name} appeared in the logs"


def test_no_secret_reaches_slack_the_audit_log_or_a_repr(secrets_world: World) -> None:
    world = secrets_world
    _full_flow(world)
    slack_bound = json.dumps(world.slack_bound() + [m.blocks for m in world.slack.messages("C0HISTORY")], default=str)
    audit = json.dumps(rows(world, "SELECT * FROM audit"))
    requests = json.dumps(rows(world, "SELECT * FROM requests"))
    outbox = json.dumps(rows(world, "SELECT * FROM outbox"))
    services = world.bot.services
    reprs = " ".join(
        repr(thing)
        for thing in (
            world.settings,
            world.bot,
            services,
            services.store,
            world.requests,
            world.slack,
            VobizClient(world.sandbox.auth_id, world.sandbox.auth_token, base_url=world.sandbox.base_url),
        )
    )
    for name, secret in _secrets(world).items():
        for where, text in (("Slack", slack_bound), ("audit", audit), ("requests", requests), ("outbox", outbox), ("repr", reprs)):
            assert secret not in text, f"{name} appeared in {where}"
    assert "**********" in repr(world.settings)  # SecretStr shows stars


def test_a_rejected_vobiz_credential_is_named_not_shown(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_token = "wrong-token-5f3c9a"
    world = build_world_with(slack, sandbox, tmp_path / "bot.db", vobiz_auth_token=wrong_token)
    try:
        # The world's client uses the sandbox's real token; a second client with the wrong one shows what
        # an operator would see with a bad VOBIZ_AUTH_TOKEN.
        client = VobizClient(sandbox.auth_id, wrong_token, base_url=sandbox.base_url)
        with pytest.raises(Exception) as caught:
            client.numbers.list_page()
        assert wrong_token not in str(caught.value) and wrong_token not in repr(caught.value)
        assert wrong_token not in repr(world.settings)
    finally:
        world.bot.stop()
    assert wrong_token not in _everything_logged(caplog.records)


# ------------------------------------------------------------------------------------ escaping


def test_user_text_is_escaped_everywhere_it_is_posted(world: World) -> None:
    sandbox = world.sandbox
    request_id = world.ask_to_buy(sandbox.inventory_numbers("IN")[0], reason=HOSTILE)
    world.click(ADMIN, world.approval_message(request_id), "Deny")
    world.modal_of(ADMIN)
    world.submit(ADMIN, {"reason": HOSTILE})
    world.command(REQUESTER, "requests")
    world.command(REQUESTER, f"history {sandbox.inventory_numbers('IN')[0]}")
    world.command(OTHER, f"show {HOSTILE}")
    world.command(OTHER, f"inventory {HOSTILE}")
    world.drain()
    posted: list[Any] = world.slack_bound()
    posted += [{"text": m.text, "blocks": m.blocks} for channel in ("C0HISTORY", "C0APPROVALS") for m in world.slack.messages(channel)]
    posted += [{"text": m.text, "blocks": m.blocks} for m in world.dms(REQUESTER)]
    assert any("&lt;!channel&gt;" in json.dumps(p) for p in posted)  # the text is there, defused
    for payload in posted:
        assert_no_injected_markup(payload)
        assert_no_traceback(payload)


# ------------------------------------------------------------------------------------ SQL injection

INJECTIONS = [
    "' OR '1'='1",
    "+918012345678' OR '1'='1",
    "+918012345678'; DROP TABLE audit; --",
    "1 UNION SELECT * FROM requests --",
    "\" OR 1=1 --",
    "%' --",
    "+91*",
    "action:purchase' OR 1=1 --",
]


@pytest.mark.parametrize("injection", INJECTIONS)
def test_history_filters_are_immune_to_sql_injection(world: World, injection: str) -> None:
    sandbox = world.sandbox
    mine, other = sandbox.inventory_numbers("IN")[:2]
    world.ask_to_buy(mine)
    world.ask_to_buy(other, user=OTHER)
    audit_before = rows(world, "SELECT * FROM audit ORDER BY id")
    before = len(world.slack.ephemerals(REQUESTER))
    world.command(REQUESTER, f"history {injection}")
    replies = world.slack.ephemerals(REQUESTER)[before:]
    assert replies, "nobody answered"
    shown = " ".join(r.as_text() for r in replies)
    assert "Something went wrong" not in shown
    # No filter text may widen what is shown: the other person's number never appears.
    assert other[-4:] not in shown.replace(" ", "")
    assert rows(world, "SELECT * FROM audit ORDER BY id") == audit_before  # nothing dropped or changed
    tables = {r["name"] for r in rows(world, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"audit", "requests", "outbox"} <= tables


# ------------------------------------------------------------------------------------ the file


def test_the_database_is_created_readable_by_its_owner_only(world: World, tmp_path: Path) -> None:
    with closing(sqlite3.connect(str(world.db_path))) as held:  # keeps the -wal and -shm files alive
        held.execute("SELECT count(*) FROM requests").fetchone()
        world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])  # writes go through the WAL
        for path in (world.db_path, Path(f"{world.db_path}-wal"), Path(f"{world.db_path}-shm")):
            assert path.exists(), path
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name} is {oct(path.stat().st_mode)}"

    previous = os.umask(0)  # even with a permissive umask
    try:
        fresh = Store(tmp_path / "nested" / "fresh.db")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(fresh.path.stat().st_mode) == 0o600
