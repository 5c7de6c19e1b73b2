"""`numbers-bot audit verify` checks the database against the checkpoint the bot posted in the history
channel: a real database on each engine (the SQLite file, or PostgreSQL through DATABASE_URL), the bot's real delivery posting to FakeSlack on a real socket, and the
command line reading it back with the settings from the environment."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from api.client import VobizClient
from bot import audit_cli
from bot.config import Settings
from bot.services import build_services
from bot.services.integrity import Integrity
from bot.services.records import Checkpoint
from fakes.slack.webapi import FakeSlack
from bot.store import Store
from handlers.render.history import checkpoint_line
from handlers.outbound.delivery import OUTBOX_EVENT_TYPE, Delivery
from handlers.outbound.directory import SlackDirectory
from tests.audit.audit_helpers import NOW, attacker, rows, write_varied_events

BOT_TOKEN = "xoxb-verify-bot-token"
HISTORY, APPROVALS = "C0HISTORY", "C0APPROVALS"
MALLORY = "U0MALLORY"
GONE = "0" * 64


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(BOT_TOKEN, channels={HISTORY: "numbers-history", APPROVALS: "approvals"}) as fake:
        yield fake


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, slack: FakeSlack, db_path: Path, db_args: list[str]) -> pytest.MonkeyPatch:
    """The bot's settings in the environment, as on the host that runs it."""
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "verify-signing-secret",
        "SLACK_API_URL": slack.api_url,
        "VOBIZ_AUTH_ID": "MA_VERIFY01",
        "VOBIZ_AUTH_TOKEN": "vobiz-token",
        "APPROVAL_CHANNEL": APPROVALS,
        "HISTORY_CHANNEL": HISTORY,
        "NUMBERS_BOT_DB": str(db_path),
    }  # and DATABASE_URL on PostgreSQL (db_args)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def deliver_outbox(slack: FakeSlack, store: Store) -> None:
    """What the running bot's delivery worker does: post every queued line (history rows, checkpoints)."""
    settings = Settings(
        slack_bot_token=BOT_TOKEN, slack_signing_secret="s", slack_api_url=slack.api_url,
        vobiz_auth_id="MA_VERIFY01", vobiz_auth_token="t", vobiz_base_url="http://127.0.0.1:9",
        numbers_bot_db="unused.db", approval_channel=APPROVALS, history_channel=HISTORY,
    )  # fmt: skip
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=5)
    vobiz = VobizClient("MA_VERIFY01", "t", base_url="http://127.0.0.1:9")  # never called: nothing is bought
    services = build_services(settings, vobiz=vobiz, directory=SlackDirectory(client), store=store, clock=lambda: NOW)
    delivery = Delivery(
        services, client, approval_channel=APPROVALS, history_channel=HISTORY, now=lambda: NOW,
        sleep=lambda s: None, history_interval_s=0.0,
    )  # fmt: skip
    delivery.drain()


def checkpoint_posted(slack: FakeSlack, store: Store, *, rows_before: int = 6, rows_after: int = 2) -> Checkpoint:
    """A log of `rows_before` rows, a checkpoint of it, then more rows; everything posted by the bot, so the
    checkpoint is not the newest message in the channel."""
    write_varied_events(store, rows_before)
    made = Integrity(store=store, clock=lambda: NOW).checkpoint()
    write_varied_events(store, rows_after)
    deliver_outbox(slack, store)
    return made


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = audit_cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def post_as_person(slack: FakeSlack, channel: str, user: str, text: str) -> None:
    """A message a person typed into the channel. FakeSlack has no public way to post as anyone but the bot,
    so the recorded message is re-attributed inside the fake's workspace."""
    ws = slack._ws
    with ws.lock:
        posted = ws.post_message(channel, text=text, blocks=None)
        ws._messages[channel][posted.ts] = dataclasses.replace(posted, user=user)


def truncate_and_cover_up(store: Store, keep: int) -> None:
    """Cut the log after row `keep` and rewrite every database checkpoint to the shortened head."""
    with attacker(store) as conn:
        head_hash = conn.execute("SELECT hash FROM audit WHERE id = ?", [keep]).fetchone()[0]
        conn.execute("DELETE FROM audit WHERE id > ?", [keep])
        conn.execute("UPDATE checkpoints SET head_id = ?, head_hash = ?, row_count = ?", [keep, head_hash, keep])


def test_an_intact_log_agrees_with_the_checkpoint_the_bot_posted(
    slack: FakeSlack, store: Store, db_args: list[str], env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made = checkpoint_posted(slack, store)
    [post] = [m for m in slack.messages(HISTORY) if "Audit checkpoint" in m.text]
    assert post.metadata is not None and post.metadata["event_payload"]["head_hash"] == made.head_hash

    code, out, err = run(["verify", *db_args], capsys)

    assert code == 0, out + err
    assert f"Checked against the checkpoint posted in the history channel {HISTORY} at " in out
    assert f"checkpoint #{made.id}, row 6 (6 rows), hash {made.head_hash}." in out
    assert "Audit log intact: 8 rows" in out and "agrees with 1 checkpoint and the witness" in out
    assert BOT_TOKEN not in out + err


def test_a_truncated_log_with_its_checkpoint_rewritten_is_caught_by_the_posted_checkpoint(
    slack: FakeSlack, store: Store, db_args: list[str], env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made = checkpoint_posted(slack, store, rows_after=0)
    truncate_and_cover_up(store, keep=4)

    code, out, _ = run(["verify", *db_args, "--no-slack"], capsys)
    assert code == 0 and "intact: 4 rows" in out  # the database alone cannot tell

    code, out, _ = run(["verify", *db_args], capsys)
    assert code == 1
    assert f"row 6 (6 rows), hash {made.head_hash}" in out  # the witness used, as posted
    assert "Audit log NOT intact at row 5" in out and "rows 5 to 6 were removed" in out
    assert f"checkpoint #{made.id} in the database" in out and "the checkpoints table was edited" in out


def test_a_checkpoint_posted_by_someone_else_is_ignored(
    slack: FakeSlack, store: Store, db_args: list[str], env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made = checkpoint_posted(slack, store, rows_after=0)
    truncate_and_cover_up(store, keep=4)
    forged = Integrity(store=store, clock=lambda: NOW).latest_checkpoint()
    assert forged is not None and forged.head_id == 4
    # the attacker pastes a newer "checkpoint" that matches the shortened log, word for word as the bot draws it
    post_as_person(slack, HISTORY, MALLORY, checkpoint_line(dataclasses.replace(forged, id=made.id + 1)))
    assert slack.messages(HISTORY)[-1].user == MALLORY

    code, out, _ = run(["verify", *db_args], capsys)

    assert code == 1 and "NOT intact at row 5" in out
    assert f"row 6 (6 rows), hash {made.head_hash}" in out and forged.head_hash not in out
    assert f"checkpoint #{made.id}, row 6" in out


def test_slack_out_of_reach_verifies_against_the_database_with_a_note(
    store: Store, db_args: list[str], env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api/"
    env.setenv("SLACK_API_URL", closed)
    write_varied_events(store, 5)

    code, out, err = run(["verify", *db_args], capsys)
    assert code == 0 and "Traceback" not in out + err
    [note, summary] = out.strip().splitlines()
    assert note.startswith(f"Could not read the checkpoint posted in the history channel {HISTORY}: could not reach Slack")
    assert note.endswith("verifying against the database alone.") and "intact: 5 rows" in summary
    assert BOT_TOKEN not in out + err

    with attacker(store) as conn:  # the exit code still reflects the chain
        conn.execute("UPDATE audit SET detail = 'edited' WHERE id = 2")
    code, out, _ = run(["verify", *db_args], capsys)
    assert code == 1 and "could not reach Slack" in out and "NOT intact at row 2" in out


def test_missing_settings_verify_against_the_database_with_a_note(
    store: Store, db_args: list[str], env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.delenv("SLACK_BOT_TOKEN")
    write_varied_events(store, 3)
    code, out, _ = run(["verify", *db_args], capsys)
    assert code == 0
    assert out.splitlines()[0] == (
        "Slack not asked for the posted checkpoint (SLACK_BOT_TOKEN is not set); verifying against the database alone."
    )


def test_slack_refusing_to_read_the_channel_is_said_and_the_database_still_verified(
    slack: FakeSlack, store: Store, db_args: list[str], env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint_posted(slack, store)
    slack.fail_next("conversations.history", "error:not_in_channel")
    code, out, _ = run(["verify", *db_args], capsys)
    assert code == 0
    assert "Slack refused conversations.history (not_in_channel); verifying against the database alone." in out


def test_no_posted_checkpoint_yet_is_said(
    slack: FakeSlack, store: Store, db_args: list[str], env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_varied_events(store, 3)
    deliver_outbox(slack, store)  # history lines, no checkpoint
    lines = len(slack.messages(HISTORY))
    assert lines >= 1
    code, out, _ = run(["verify", *db_args], capsys)
    assert code == 0
    read = f"{lines} message" + ("" if lines == 1 else "s")
    assert f"No checkpoint posted by the bot in the history channel {HISTORY} (read {read}); verifying" in out


def test_a_checkpoint_posted_before_its_metadata_held_it_is_read_from_its_line(
    slack: FakeSlack, store: Store, db_args: list[str], env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_varied_events(store, 4)
    made = Integrity(store=store, clock=lambda: NOW).checkpoint()
    with store.unit() as db:  # the outbox item was posted by an older bot: metadata names kind and ref only
        db.execute("UPDATE outbox SET done_at = ? WHERE kind = 'checkpoint'", ["2026-11-27T12:00:00+00:00"])
    WebClient(token=BOT_TOKEN, base_url=slack.api_url).chat_postMessage(
        channel=HISTORY,
        text=checkpoint_line(made),
        metadata={"event_type": OUTBOX_EVENT_TYPE, "event_payload": {"kind": "checkpoint", "ref": str(made.id)}},
    )
    truncate_and_cover_up(store, keep=3)

    code, out, _ = run(["verify", *db_args], capsys)
    assert code == 1 and f"checkpoint #{made.id}, row 4 (4 rows), hash {made.head_hash}" in out
    assert "NOT intact at row 4" in out


def test_a_witness_given_on_the_command_line_is_used_and_slack_is_not_asked(
    slack: FakeSlack, store: Store, db_args: list[str], env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint_posted(slack, store, rows_after=0)
    head = rows(store)[-1]
    asked_before = len(slack.calls("conversations.history"))
    code, out, _ = run(["verify", *db_args, "--witness", f"6:6:{head['hash']}"], capsys)
    assert code == 0 and f"Checked against the witness given: row 6 (6 rows), hash {head['hash']}." in out
    assert len(slack.calls("conversations.history")) == asked_before
