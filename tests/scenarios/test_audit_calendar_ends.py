"""`/numbers history` and `/numbers export` with instants at the calendar's ends, through the real Bolt app:
each gets a clear answer (the rows, or the syntax), never "Something went wrong"."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.vobiz import SandboxServer
from fakes.slack.records import Ephemeral
from fakes.slack.webapi import FakeSlack
from handlers.render.history import HISTORY_PAGE_SIZE
from tests.scenarios.scenario_world import APPROVER, OTHER, World, build_world

AUDITOR = OTHER
# Before year 1 and after 9999 once their offsets are taken off: they bound nothing, so every row matches.
OPEN_ENDS = ["since:0001-01-01T00:00:00+01:00", "until:9999-12-31T23:59:59-01:00"]


@pytest.fixture
def audited(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "numbers-bot.db", database_url=database_url, auditors=(AUDITOR,))
    number = built.sandbox.inventory_numbers("IN")[0]
    bought = built.ask_to_buy(number)
    built.click(APPROVER, built.approval_message(bought), "Approve")
    built.drain()
    yield built
    built.bot.stop()


def audit_ids(world: World) -> list[int]:
    return [int(r["id"]) for r in world.rows("SELECT id FROM audit ORDER BY id")]


def ask(world: World, command: str, needle: str) -> Ephemeral:
    before = len(world.replies(AUDITOR, needle))
    world.command(AUDITOR, command)
    reply = world.reply_to(AUDITOR, needle, after=before)
    assert not world.replies(AUDITOR, "Something went wrong")
    return reply


@pytest.mark.parametrize("typed", OPEN_ENDS)
def test_history_at_the_calendars_ends_shows_every_row(audited: World, typed: str) -> None:
    reply = ask(audited, f"history {typed}", "History")
    assert "Nothing matches" not in reply.as_text()
    shown = [line for line in reply.as_text().splitlines() if "→" in line]
    assert len(shown) == min(len(audit_ids(audited)), HISTORY_PAGE_SIZE)


@pytest.mark.parametrize(("typed", "fmt"), [(OPEN_ENDS[0], "csv"), (OPEN_ENDS[1], "jsonl"), (" ".join(OPEN_ENDS), "csv")])
def test_export_at_the_calendars_ends_sends_every_row(audited: World, typed: str, fmt: str) -> None:
    everything = audit_ids(audited)
    reply = ask(audited, f"export {typed} {fmt}", "Sent")
    assert f"Sent {len(everything)} rows" in reply.as_text()
    [upload] = audited.slack.uploads()
    content = (upload.content or b"").decode("utf-8")
    if fmt == "csv":
        exported = [int(r["id"]) for r in csv.DictReader(io.StringIO(content, newline=""))]
    else:
        exported = [json.loads(line)["id"] for line in content.splitlines()]
    assert exported == everything


@pytest.mark.parametrize(
    ("typed", "said"),
    [("since:9999-12-31T23:59:59-01:00", "after the last day"), ("until:0001-01-01T00:00:00+01:00", "before the first day")],
)
@pytest.mark.parametrize("subcommand", ["history", "export"])
def test_a_window_beyond_the_calendar_is_refused_with_the_syntax(audited: World, subcommand: str, typed: str, said: str) -> None:
    reply = ask(audited, f"{subcommand} {typed}", f"/numbers {subcommand}")
    assert said in reply.as_text() and f"Usage: `/numbers {subcommand}" in reply.as_text()
    assert audited.slack.uploads() == []
