"""The tests' own PostgreSQL server (tests/postgres_server.py and the fixtures in tests/conftest.py): it
serves a fresh empty database per test, survives a stop and a start under a running client, runs as an
unprivileged user when the tests run as root, and is skipped (or, under CI=true, fails the run) where the
machine has no server binaries."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg_pool import ConnectionPool, PoolTimeout

from tests.conftest import REPO
from tests.postgres_server import BIN_DIR_VARIABLE, PostgresServer


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall()
    return [name for (name,) in rows]


def test_a_row_goes_in_and_comes_back(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql://postgres:")
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE note (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)")
        conn.execute("INSERT INTO note (body) VALUES (%s)", ("Grüße ✓",))
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT id, body FROM note").fetchall() == [(1, "Grüße ✓")]
        assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)


SEEN_URLS: list[str] = []


@pytest.mark.parametrize("turn", ["first", "second"])
def test_every_test_gets_its_own_empty_database(postgres_url: str, turn: str) -> None:
    assert tables(postgres_url) == []
    assert postgres_url not in SEEN_URLS
    SEEN_URLS.append(postgres_url)
    with psycopg.connect(postgres_url) as conn:
        conn.execute(f"CREATE TABLE left_by_{turn} (id INTEGER)")


def test_a_test_database_is_dropped_after_its_test(postgres_server: PostgresServer) -> None:
    if not SEEN_URLS:
        pytest.skip("checks what the two tests above left behind: run it with them")
    names = [url.rsplit("/", 1)[1] for url in SEEN_URLS]
    with psycopg.connect(postgres_server.url()) as conn:
        existing = {name for (name,) in conn.execute("SELECT datname FROM pg_database").fetchall()}
    assert not existing & set(names)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_the_server_stops_and_starts_under_a_pool_that_then_reconnects(
    postgres_server: PostgresServer, postgres_url: str, mode: str
) -> None:
    with ConnectionPool(
        postgres_url, min_size=1, max_size=2, check=ConnectionPool.check_connection, open=True, timeout=5
    ) as pool:
        with pool.connection() as conn:
            conn.execute("CREATE TABLE kept (body TEXT)")
            conn.execute("INSERT INTO kept VALUES ('before the stop')")

        with postgres_server.down(mode):
            assert not postgres_server.is_running()
            with pytest.raises(psycopg.OperationalError):
                psycopg.connect(postgres_url, connect_timeout=2)
            with pytest.raises(PoolTimeout):
                with pool.connection(timeout=0.5) as conn:
                    conn.execute("SELECT 1")

        assert postgres_server.is_running()
        with pool.connection() as conn:  # the pool's dead connection fails its check and is replaced
            assert conn.execute("SELECT body FROM kept").fetchall() == [("before the stop",)]
            conn.execute("INSERT INTO kept VALUES ('after the start')")
    with psycopg.connect(postgres_url) as conn:
        bodies = [body for (body,) in conn.execute("SELECT body FROM kept")]
    assert bodies == ["before the stop", "after the start"]


def test_a_test_that_leaves_the_server_stopped_does_not_break_the_next(postgres_server: PostgresServer) -> None:
    postgres_server.stop()
    assert not postgres_server.is_running()
    url = postgres_server.url()
    postgres_server.start()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.skipif(os.geteuid() != 0, reason="the tests run unprivileged: the server runs as the same user")
def test_under_root_the_server_runs_as_an_unprivileged_user(postgres_server: PostgresServer) -> None:
    postgres = pwd.getpwnam("postgres")
    pid = postgres_server.pid()
    assert pid is not None
    assert os.stat(f"/proc/{pid}").st_uid == postgres.pw_uid
    assert Path(f"/proc/{pid}/status").read_text().count(f"\t{postgres.pw_uid}\t") >= 1  # real and effective
    assert postgres_server.data.stat().st_uid == postgres.pw_uid
    with psycopg.connect(postgres_server.url()) as conn:
        assert conn.execute("SELECT current_setting('data_directory')").fetchone() == (str(postgres_server.data),)


def run_pytest_without_binaries(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env[BIN_DIR_VARIABLE] = str(REPO / "no-such-folder")
    if ci is not None:
        env["CI"] = ci
    test = "tests/store/test_postgres_server.py::test_a_row_goes_in_and_comes_back"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def test_without_binaries_the_tests_skip_with_how_to_get_a_server() -> None:
    result = run_pytest_without_binaries(ci=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "apt-get install postgresql-15" in result.stdout


def test_without_binaries_under_ci_the_run_fails() -> None:
    result = run_pytest_without_binaries(ci="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CI=true runs the PostgreSQL tests, but there are no PostgreSQL server binaries" in result.stdout
    assert "1 error" in result.stdout


def test_a_test_run_killed_by_a_signal_leaves_no_server_and_no_folder() -> None:
    script = (
        "import os, signal, sys\n"
        "from tests.postgres_server import PostgresServer\n"
        "server = PostgresServer.start_new()\n"
        "print(server.root, server.pid(), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    root, pid = result.stdout.split()
    deadline = time.monotonic() + 20
    while (Path(root).exists() or Path(f"/proc/{pid}").exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(root).exists()
    assert not Path(f"/proc/{pid}").exists()
