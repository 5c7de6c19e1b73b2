"""The database file deleted or replaced under the running bot: /healthz says so, people are told plainly
that nothing was changed, Vobiz is not touched, and no empty database is created in its place."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bot.server import LocalServer, make_wsgi_app
from tests.scenarios.scenario_world import APPROVER, REQUESTER, World
from tests.handlers.slack_checks import assert_no_traceback

pytestmark = pytest.mark.sqlite_only  # deletes and replaces the SQLite file

UNAVAILABLE = "database cannot be reached right now, so nothing was changed"


def delete(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def replace_with_empty_file(path: Path) -> None:
    delete(path)
    fresh = path.with_name("fresh.db")
    fresh.touch(mode=0o600)
    os.replace(fresh, path)


@pytest.fixture
def served(world: World) -> Iterator[str]:
    with LocalServer(make_wsgi_app(world.app, world.bot.healthy)) as server:
        yield server.url


@pytest.mark.parametrize("mishap", [delete, replace_with_empty_file], ids=["deleted", "replaced"])
def test_a_vanished_database_is_reported_and_nothing_is_bought(
    world: World, served: str, caplog: pytest.LogCaptureFixture, mishap: Callable[[Path], None]
) -> None:
    e164, other = world.sandbox.inventory_numbers("IN")[:2]
    request_id = world.ask_to_buy(e164)
    message = world.approval_message(request_id)
    assert httpx.get(f"{served}/healthz").status_code == 200
    existed = {p.name for p in world.db_path.parent.iterdir()}

    caplog.set_level(logging.INFO)
    mishap(world.db_path)

    assert httpx.get(f"{served}/healthz").status_code == 503

    world.command(REQUESTER, f"buy {other} A second support line")
    bought = world.reply_to(REQUESTER, UNAVAILABLE)
    assert "tell whoever runs the bot" in bought.text

    world.click(APPROVER, message, "Approve")
    approved = world.reply_to(APPROVER, UNAVAILABLE)

    assert world.vobiz_writes() == [], "Vobiz was changed although the database could not record it"
    assert httpx.get(f"{served}/healthz").status_code == 503
    if mishap is delete:
        assert not world.db_path.exists(), "an empty database file was created in place of the deleted one"
    else:
        assert world.db_path.stat().st_size == 0, "the replacement file was written to"
    assert {p.name for p in world.db_path.parent.iterdir()} <= existed

    for reply in (bought, approved):
        assert "Something went wrong" not in reply.as_text()
        assert_no_traceback({"text": reply.text, "blocks": reply.blocks})
    assert not [e for user in (REQUESTER, APPROVER) for e in world.slack.ephemerals(user) if "Something went wrong" in e.text]

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert str(world.db_path) in errors[0].getMessage()
    assert errors[0].exc_info is None


def test_background_work_on_a_vanished_database_logs_no_error_per_tick(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    caplog.set_level(logging.INFO)
    delete(world.db_path)

    for _ in range(3):  # three maintenance ticks of the running bot
        world.bot.workers.maintain()

    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in problems] == [logging.ERROR], [r.getMessage() for r in problems]
    assert str(world.db_path) in problems[0].getMessage() and problems[0].exc_info is None
    assert not world.db_path.exists()
