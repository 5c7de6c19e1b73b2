"""`numbers-bot audit verify | checkpoint | export` against a real database on each engine: `--db PATH` for
the SQLite file, DATABASE_URL for PostgreSQL (fixture `db_args`)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import audit_cli
from bot.store import Store
from tests.audit.audit_helpers import NUMBER_A, attacker, rows, write_varied_events

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(store: Store, db_args: list[str]) -> list[str]:
    """Six events in the test's store; the arguments that reach it."""
    write_varied_events(store, 6)
    return db_args


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = audit_cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_exits_0_when_intact_and_1_naming_the_first_bad_row(db: list[str], store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["verify", *db], capsys)
    assert code == 0 and "intact: 6 rows" in out
    with attacker(store) as conn:
        conn.execute("UPDATE audit SET detail = 'nothing to see' WHERE id = 3")
    code, out, _ = run(["verify", *db], capsys)
    assert code == 1 and "NOT intact at row 3" in out


# About the SQLite file alone (a --db path that does not exist): not parametrized over the engines.
def test_verify_of_a_missing_file_is_a_usage_error_and_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    code, out, err = run(["verify", "--db", str(missing)], capsys)
    assert code == 2 and out == "" and "no database at" in err and "Traceback" not in err
    assert not missing.exists()


def test_checkpoint_prints_a_witness_that_verify_accepts_and_that_catches_a_truncation(
    db: list[str], store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["checkpoint", *db], capsys)
    assert code == 0 and "Checkpoint #1" in out and "6 rows, head row 6" in out
    assert rows(store)[-1]["hash"] in out
    witness = re.search(r"--witness (\S+)", out)
    assert witness is not None
    with store.read() as conn:
        assert [(r["kind"], r["ref"]) for r in conn.query("SELECT kind, ref FROM outbox WHERE kind = 'checkpoint'")] == [("checkpoint", "1")]
    assert run(["verify", *db, "--witness", witness.group(1)], capsys)[0] == 0
    with attacker(store) as conn:
        conn.execute("DELETE FROM audit WHERE id = 6")
        conn.execute("DELETE FROM checkpoints")  # the attacker also removes the database's own checkpoint
    assert run(["verify", *db], capsys)[0] == 0  # the database alone cannot tell
    code, out, _ = run(["verify", *db, "--witness", witness.group(1)], capsys)
    assert code == 1 and "row 6 was removed" in out


def test_a_malformed_witness_is_refused_by_the_parser(db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        audit_cli.main(["verify", *db, "--witness", "6:6:nothex"])
    assert exited.value.code == 2
    assert "HEAD_ID:ROW_COUNT:HEAD_HASH" in capsys.readouterr().err


def test_export_to_stdout_with_filters_in_slack_syntax(db: list[str], store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["export", *db, NUMBER_A, "outcome:succeeded"], capsys)
    assert code == 0
    parsed = list(csv.DictReader(io.StringIO(out, newline="")))
    expected = [r for r in rows(store) if r["e164"] == NUMBER_A and r["outcome"] == "succeeded"]
    assert [int(p["id"]) for p in parsed] == [r["id"] for r in expected] and expected


def test_export_to_a_file_is_private_and_complete(db: list[str], store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "audit.jsonl"
    target.parent.mkdir()
    code, _, err = run(["export", *db, "--format", "jsonl", "--out", str(target)], capsys)
    assert code == 0 and "Exported 6 rows" in err
    assert [json.loads(line) for line in target.read_text("utf-8").splitlines()] == rows(store)
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["audit.jsonl"]  # no partial file left behind


@pytest.mark.parametrize(
    "extra, message",
    [
        (["since:someday"], "cannot read 'someday' as a time"),
        (["--format", "csv", "jsonl"], "disagree"),
        (["colour:red"], "There is no filter"),
    ],
)
def test_export_usage_errors_exit_2_with_one_line_and_write_no_file(
    db: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    target = tmp_path / "never.csv"
    code, out, err = run(["export", *db, "--out", str(target), *extra], capsys)
    assert code == 2 and out == "" and message in err and "Traceback" not in err
    assert not target.exists()


def test_the_audit_parser_hooks_into_the_numbers_bot_command(db: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="numbers-bot")
    sub = parser.add_subparsers(dest="command", required=True)
    audit_cli.add_audit_parser(sub)
    args = parser.parse_args(["audit", "verify", *db])
    assert args.func(args) == 0  # what bot/cli.py's main() calls
    assert "intact" in capsys.readouterr().out


def test_python_dash_m_runs_it(db: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.audit_cli", "verify", *db], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "intact: 6 rows" in done.stdout
