"""The scopes in manifest.yml against what a real run sent to Slack: every method the bot called in a
full scenario needs only scopes the manifest asks for, and together they need all of them."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import yaml

import pytest

from fakes.vobiz import SandboxServer
from fakes.slack.webapi import FakeSlack
from tests.scenarios.scenario_world import ADMIN, APPROVER, GROUPIE, REQUESTER, World, build_world

TESTS = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("manifest_checks", TESTS / "test_manifest.py")
assert _spec is not None and _spec.loader is not None
manifest_checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(manifest_checks)


@pytest.fixture
def impatient(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    """A world whose Slack client gives up after 0.5 s, so a slow post looks like a timeout."""
    built = build_world(slack, sandbox, tmp_path / "bot.db", database_url=database_url, slack_timeout=0.5)
    yield built
    built.bot.stop()


def test_a_full_run_needs_exactly_the_manifest_scopes(impatient: World) -> None:
    world = impatient
    world.slack.fail_next("chat.postMessage", "hang", seconds=1.0)  # posted, but answered too late:
    first = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    world.clock.advance(minutes=5)
    world.drain()  # ... so the retry looks for it first (conversations.history)
    world.click(GROUPIE, world.approval_message(first), "Approve")  # group approver: usergroups.users.list
    second = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[1])
    world.click(APPROVER, world.approval_message(second), "Deny")  # views.open
    world.modal_of(APPROVER)
    world.submit(APPROVER, {"reason": "not now"})
    world.send(world.requests.app_home_opened(ADMIN))  # views.publish
    world.command(REQUESTER, "list")
    world.command(ADMIN, "export csv")  # files.getUploadURLExternal, the upload, files.completeUploadExternal
    world.drain()  # approval messages, updates, DMs (conversations.open), history lines

    called = {c.method for c in world.slack.calls()} - {"response_url", "upload"}
    assert called <= manifest_checks.methods_called_in_source() | {"auth.test"}  # Bolt asks who the bot is
    needed = manifest_checks.scopes_for(called) | {"commands"}
    manifest = yaml.safe_load((TESTS.parent / "manifest.yml").read_text())
    assert needed == set(manifest["oauth_config"]["scopes"]["bot"])
