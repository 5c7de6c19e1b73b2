"""`numbers-bot db copy` against a real SQLite file and a real PostgreSQL server, in process and as the
installed command (real exit codes)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot import db_cli
from bot.cli import main as numbers_bot
from bot.store import Store
from bot.store.copy import TABLES, target_tallies
from bot.store.postgres import PostgresStore, redacted
from tests.audit.audit_helpers import attacker
from tests.store.test_db_copy import build_sqlite_store

REPO = Path(__file__).resolve().parent.parent
COMMAND = REPO / ".venv" / "bin" / "numbers-bot"


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "numbers-bot.db"
    build_sqlite_store(path)
    return path


def counts_in(url: str) -> dict[str, int]:
    store = PostgresStore(url, max_size=1)
    try:
        return {table: tally.rows for table, tally in target_tallies(store).items()}
    finally:
        store.close()


def sqlite_counts(path: Path) -> dict[str, int]:
    with Store(path).read() as db:
        return {table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in TABLES}


def test_the_copy_prints_both_counts_table_by_table_and_the_verified_chain(
    sqlite_file: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = numbers_bot(["db", "copy", "--db", str(sqlite_file), "--to", postgres_url])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    expected = sqlite_counts(sqlite_file)
    for table, rows in expected.items():
        assert f"{table}" in out
        line = next(line for line in out.splitlines() if line.startswith(f"{table} "))
        assert line.split() == [table, str(rows), str(rows), "yes"]
    assert counts_in(postgres_url) == expected
    assert f"Audit log intact: {expected['audit']} rows" in out and "agrees with 1 checkpoint" in out
    assert f"All {len(TABLES)} tables match and the audit chain verifies on the target." in out
    password = urlsplit(postgres_url).password
    assert password and password not in out + err and redacted(postgres_url) in out


def test_a_second_copy_is_refused_in_one_line_and_changes_nothing(
    sqlite_file: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert numbers_bot(["db", "copy", "--db", str(sqlite_file), "--to", postgres_url]) == 0
    before = counts_in(postgres_url)
    capsys.readouterr()
    assert numbers_bot(["db", "copy", "--db", str(sqlite_file), "--to", postgres_url]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "is not empty" in err and "Nothing was copied" in err
    assert urlsplit(postgres_url).password not in err
    assert counts_in(postgres_url) == before


def test_a_missing_sqlite_file_is_refused_and_never_created(tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    assert numbers_bot(["db", "copy", "--db", str(missing), "--to", postgres_url]) == 2
    err = capsys.readouterr().err
    assert f"there is no database at {missing}" in err and "nothing was copied" in err
    assert not missing.exists()
    assert set(counts_in(postgres_url).values()) == {0}


def test_a_url_that_is_not_postgresql_is_refused_without_its_password(sqlite_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert numbers_bot(["db", "copy", "--db", str(sqlite_file), "--to", "mysql://root:hunter2@db/x"]) == 2
    err = capsys.readouterr().err
    assert "postgresql://" in err and "hunter2" not in err


def test_an_unreachable_server_is_one_line_without_the_password(sqlite_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.postgres_server import free_port

    url = f"postgresql://bot:hunter2@127.0.0.1:{free_port()}/nothing"
    assert db_cli.run_copy(str(sqlite_file), url) == 2
    err = capsys.readouterr().err
    assert "cannot be reached" in err and "nothing was copied" in err and "hunter2" not in err
    assert err.count("\n") == 1, err  # not the pool's warning per attempt


def test_a_tampered_log_is_copied_but_the_target_does_not_verify(
    sqlite_file: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with attacker(Store(sqlite_file)) as conn:
        conn.execute("UPDATE audit SET detail = 'nothing happened' WHERE id = 3")
    assert numbers_bot(["db", "copy", "--db", str(sqlite_file), "--to", postgres_url]) == 1
    out = capsys.readouterr().out
    assert "Audit log NOT intact at row 3" in out and "NOT a faithful copy" in out


def run_installed(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NUMBERS_BOT_DB")}
    return subprocess.run(
        [str(COMMAND), "db", "copy", *args], cwd=REPO, env={**environment, **(env or {})},
        capture_output=True, text=True, timeout=120,
    )


def test_the_installed_command_exits_0_then_2_and_never_prints_the_password(sqlite_file: Path, postgres_url: str) -> None:
    password = urlsplit(postgres_url).password
    assert password
    first = run_installed("--db", str(sqlite_file), "--to", postgres_url)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "audit chain verifies on the target" in first.stdout
    again = run_installed(env={"DATABASE_URL": postgres_url, "NUMBERS_BOT_DB": str(sqlite_file)})  # the defaults
    assert again.returncode == 2 and "is not empty" in again.stderr and again.stdout == ""
    missing = run_installed("--db", str(sqlite_file.with_name("nope.db")), "--to", postgres_url)
    assert missing.returncode == 2 and "there is no database" in missing.stderr
    for done in (first, again, missing):
        assert password not in done.stdout + done.stderr


def test_the_installed_command_exits_1_when_the_copy_does_not_verify(sqlite_file: Path, postgres_url: str) -> None:
    with attacker(Store(sqlite_file)) as conn:
        conn.execute("UPDATE audit SET actor_name = 'someone else' WHERE id = 2")
    done = run_installed("--db", str(sqlite_file), "--to", postgres_url)
    assert done.returncode == 1 and "NOT intact at row 2" in done.stdout
