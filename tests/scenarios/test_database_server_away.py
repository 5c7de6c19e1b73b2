"""The PostgreSQL server goes away under the running bot and comes back (issue 12): /healthz answers 503,
commands and clicks are told plainly that nothing was changed, no Vobiz call is made for a decision that was
not committed, and once the server is back the same bot (no restart) works again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.server import LocalServer, make_wsgi_app
from bot.services.records import Status
from fakes.slack.webapi import FakeSlack
from fakes.vobiz import SandboxServer
from tests.handlers.slack_checks import assert_no_traceback
from tests.scenarios.scenario_world import APPROVER, REQUESTER, World, build_world

UNAVAILABLE = "database cannot be reached right now, so nothing was changed"


@pytest.fixture
def on_postgres(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, postgres_url: str) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "unused.db", database_url=postgres_url)
    yield built
    built.stop()


def test_the_server_goes_away_and_comes_back_under_a_running_bot(
    on_postgres: World, postgres_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    world = on_postgres
    e164, other = world.sandbox.inventory_numbers("IN")[:2]
    request_id = world.ask_to_buy(e164)
    message = world.approval_message(request_id)
    assert not (world.db_path).exists(), "the bot wrote a SQLite file although DATABASE_URL was set"

    with LocalServer(make_wsgi_app(world.app, world.bot.healthy)) as server:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        caplog.set_level(logging.INFO)
        postgres_server.stop("fast")
        try:
            assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 503

            world.command(REQUESTER, f"buy {other} A second support line")
            asked = world.reply_to(REQUESTER, UNAVAILABLE, timeout=30)
            world.click(APPROVER, message, "Approve")
            approved = world.reply_to(APPROVER, UNAVAILABLE, timeout=30)

            assert world.vobiz_writes() == [], "Vobiz was called for a decision the database did not record"
            for reply in (asked, approved):
                assert "Something went wrong" not in reply.as_text()
                assert_no_traceback({"text": reply.text, "blocks": reply.blocks})
            assert "password" not in caplog.text.lower()
        finally:
            postgres_server.start()

        assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200  # reconnected, no restart
        world.click(APPROVER, message, "Approve")
        assert world.settled(request_id).status is Status.SUCCEEDED
        assert len(world.vobiz_writes()) == 1
