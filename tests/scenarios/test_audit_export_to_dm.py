"""`/numbers export [filters] [csv|jsonl]` through the real Bolt app: the file arrives through Slack's
external upload flow in the asker's DM with exactly the rows they may see, as CSV or JSON Lines."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.vobiz import SandboxServer
from fakes.slack.records import Ephemeral, Upload
from fakes.slack.webapi import FakeSlack
from bot.store.audit import ALL_COLUMNS
from tests.scenarios.scenario_world import ADMIN, APPROVER, OTHER, REQUESTER, World, build_world
from tests.handlers.slack_checks import assert_no_injected_markup

AUDITOR = OTHER  # an auditor who is neither approver nor admin (AUDITORS in this world)


@pytest.fixture
def audited(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "numbers-bot.db", database_url=database_url, auditors=(AUDITOR,))
    yield built
    built.bot.stop()


def rows(world: World, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return world.rows(sql, params)


def ask(world: World, command: str, user: str, needle: str) -> Ephemeral:
    before = len(world.replies(user, needle))
    world.command(user, command)
    return world.reply_to(user, needle, after=before)


def some_history(world: World) -> tuple[str, str, str]:
    """REQUESTER's purchase approved (with a reason a spreadsheet would run), ADMIN's purchase denied."""
    first, second = world.sandbox.inventory_numbers("IN")[:2]
    bought = world.ask_to_buy(first, reason='=HYPERLINK("https://evil.example","click"), "quoted", line')
    world.click(APPROVER, world.approval_message(bought), "Approve")
    denied = world.ask_to_buy(second, user=ADMIN)
    world.click(APPROVER, world.approval_message(denied), "Deny")
    world.modal_of(APPROVER)
    world.submit(APPROVER, {"reason": "we have enough"})
    world.drain()
    return bought, denied, first


def the_upload(world: World) -> Upload:
    [upload] = world.slack.uploads()
    return upload


def test_a_csv_export_lands_in_the_askers_dm_with_the_matching_rows(audited: World) -> None:
    world = audited
    bought, denied, _ = some_history(world)

    reply = ask(world, "export action:purchase since:1h csv", AUDITOR, "Sent")

    upload = the_upload(world)
    assert upload.completed and upload.channel_id == world.slack.dm_id(AUDITOR)
    assert upload.filename.startswith("numbers-audit-") and upload.filename.endswith(".csv")
    [asked] = world.slack.calls("files.getUploadURLExternal")
    assert int(asked.params["length"]) == len(upload.content or b"") == upload.length
    records = list(csv.DictReader(io.StringIO((upload.content or b"").decode("utf-8"), newline="")))
    expected = rows(world, "SELECT * FROM audit WHERE action = 'purchase' ORDER BY id")
    assert [int(r["id"]) for r in records] == [r["id"] for r in expected]  # oldest first, every one of them
    assert list(records[0]) == list(ALL_COLUMNS)
    assert {r["request_id"] for r in records} == {bought, denied}
    reason = next(r["reason"] for r in records if r["reason"])
    assert reason.startswith("'=HYPERLINK(")  # kept as text in a spreadsheet
    [shared] = [m for m in world.dms(AUDITOR) if m.files]
    assert shared.files == (upload.file_id,) and f"{len(records)} rows as CSV" in shared.text
    assert f"Sent {len(records)} rows as `{upload.filename}` to our direct messages" in reply.as_text()
    assert "You see only your own rows" not in reply.as_text()
    assert_no_injected_markup({"blocks": reply.blocks})


def test_a_jsonl_export_keeps_every_value_exactly_so_the_hashes_check_out(audited: World) -> None:
    world = audited
    _, _, first = some_history(world)

    ask(world, f"export {first} jsonl", AUDITOR, "Sent")

    upload = the_upload(world)
    assert upload.filename.endswith(".jsonl") and upload.channel_id == world.slack.dm_id(AUDITOR)
    lines = [json.loads(line) for line in (upload.content or b"").decode("utf-8").splitlines()]
    assert lines == rows(world, "SELECT * FROM audit WHERE e164 = ? ORDER BY id", (first,))
    for row in lines:  # the recipe of docs/audit-schema.md, on the exported rows alone
        fields = {k: v for k, v in row.items() if k != "hash" and v is not None}
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert hashlib.sha256(canonical).hexdigest() == row["hash"]


def test_someone_who_is_not_an_auditor_exports_only_their_own_rows(audited: World) -> None:
    world = audited
    bought, denied, _ = some_history(world)

    reply = ask(world, "export", REQUESTER, "Sent")

    upload = the_upload(world)
    assert upload.channel_id == world.slack.dm_id(REQUESTER)
    exported = list(csv.DictReader(io.StringIO((upload.content or b"").decode("utf-8"), newline="")))
    own = rows(
        world,
        "SELECT id FROM audit WHERE actor_id = ? OR request_id IN (SELECT id FROM requests WHERE requester_id = ?) ORDER BY id",
        (REQUESTER, REQUESTER),
    )
    assert [int(r["id"]) for r in exported] == [r["id"] for r in own]
    assert {r["request_id"] for r in exported} == {bought} and denied not in (upload.content or b"").decode()
    assert "You see only your own rows" in reply.as_text()
    assert [u.channel_id for u in world.slack.uploads()] == [world.slack.dm_id(REQUESTER)]  # nobody else got a file


def test_asking_for_someone_elses_rows_exports_nothing_and_says_so(audited: World) -> None:
    world = audited
    _, denied, _ = some_history(world)

    reply = ask(world, f"export request:{denied}", REQUESTER, "No rows match")

    assert world.slack.uploads() == []
    assert not world.slack.calls("files.getUploadURLExternal")
    assert "You see only your own rows" in reply.as_text()


def test_approvers_and_admins_export_everything(audited: World) -> None:
    world = audited
    some_history(world)
    ask(world, "export jsonl", ADMIN, "Sent")
    exported = (the_upload(world).content or b"").decode().splitlines()
    assert len(exported) == len(rows(world, "SELECT id FROM audit"))


def test_bad_export_filters_get_the_syntax_and_upload_nothing(audited: World) -> None:
    world = audited
    some_history(world)
    for typed, said in (("export csv jsonl", "Choose one export format"), ("export xlsx", "I do not understand 'xlsx'")):
        reply = ask(world, typed, AUDITOR, "/numbers export")
        assert said in reply.as_text() and "Usage: `/numbers export [filters] [csv|jsonl]`" in reply.as_text()
    assert world.slack.uploads() == []


def test_when_slack_refuses_the_bytes_the_asker_is_told_and_nothing_is_shared(audited: World) -> None:
    world = audited
    some_history(world)
    world.slack.fail_next("upload", "server_error")

    reply = ask(world, "export", AUDITOR, "nothing was shared")

    assert "Slack did not accept the file (HTTP 500)" in reply.as_text()
    assert not world.slack.calls("files.completeUploadExternal")
    assert not [m for m in world.dms(AUDITOR) if m.files]
