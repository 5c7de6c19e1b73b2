"""A throwaway PostgreSQL server for the tests, started from the machine's server binaries.

    server = PostgresServer.start_new()        # initdb + pg_ctl start in a temporary folder
    url = server.create_database()             # postgresql://postgres:<pw>@127.0.0.1:<port>/test_1
    with server.down():                        # the server is stopped here, and started again after
        ...
    server.destroy()                           # stops it and deletes the folder

The server listens on 127.0.0.1 only, on a free port, with its unix socket inside the temporary folder.
TCP connections need the password in the URL (scram-sha-256); the socket in the private folder is trusted.
PostgreSQL refuses to run as root, and CI runs as root: then initdb, pg_ctl and the server itself run as
the `postgres` system user (or `nobody` where there is none), which owns the folder. Durability settings
are off (fsync, full_page_writes): a test server is thrown away and a crash of the machine never matters.
synchronous_commit stays on: a commit has reached the operating system when it returns, so a clean or an
immediate stop (a crash of the server alone) keeps every committed row.

The locale is C with UTF8 encoding: text sorts by code point, as SQLite's default BINARY collation does.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"
BINARIES = ("initdb", "pg_ctl", "postgres")
BIN_DIR_VARIABLE = "NUMBERS_BOT_TEST_PG_BIN"
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
HOW_TO_GET_ONE = "apt-get install postgresql-15 (Debian/Ubuntu) puts initdb and pg_ctl in /usr/lib/postgresql/15/bin"
UNPRIVILEGED_USERS = ("postgres", "nobody")
TEMPLATE = "numbers_bot_template"


class PostgresUnavailable(RuntimeError):
    """No server binaries on this machine (the caller decides between skip and fail)."""


class PostgresStartError(RuntimeError):
    """The binaries are here but the server did not come up; the message ends with the server's log."""


def find_bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: $NUMBERS_BOT_TEST_PG_BIN if set, else PATH (symlinks
    resolved, since pg_ctl finds `postgres` beside its real file), then the newest
    /usr/lib/postgresql/<version>/bin."""
    override = os.environ.get(BIN_DIR_VARIABLE)
    if override:  # only that folder, e.g. a Homebrew or EDB install elsewhere
        folder = Path(override)
        return folder if all(os.access(folder / name, os.X_OK) for name in BINARIES) else None
    candidates: list[Path] = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    versioned = sorted(glob.glob(DEBIAN_BIN_GLOB), key=_version_key, reverse=True)
    candidates.extend(Path(p) for p in versioned)
    for folder in candidates:
        if all(os.access(folder / name, os.X_OK) for name in BINARIES):
            return folder
    return None


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _traversable_by_others(path: Path) -> bool:
    """Whether another user can reach `path` (every folder on the way has the others' x bit)."""
    path = path.resolve()
    for folder in (path, *path.parents):
        try:
            if not folder.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


class PostgresServer:
    """One server in its own temporary folder; see the module's docstring."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.password = secrets.token_hex(16)
        self.port = 0
        self.run_as: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self.run_as = _unprivileged_user()
        self.root = Path(tempfile.mkdtemp(prefix="numbers-bot-pg-", dir=self._temp_parent()))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._names = itertools.count(1)
        self._destroyed = False
        self._watchdog = self._start_watchdog()

    # -- life cycle ---------------------------------------------------------------------------------

    @classmethod
    def start_new(cls, bin_dir: Path | None = None) -> PostgresServer:
        """initdb and start a new server; raises PostgresUnavailable without binaries, PostgresStartError
        when it does not come up (the folder is deleted then)."""
        bin_dir = bin_dir or find_bin_dir()
        if bin_dir is None:
            raise PostgresUnavailable(
                f"no PostgreSQL server binaries (initdb, pg_ctl, postgres) in ${BIN_DIR_VARIABLE}, on PATH or in "
                f"{DEBIAN_BIN_GLOB}"
            )
        server = cls(bin_dir)
        atexit.register(server.destroy)
        try:
            server._initdb()
            server._start_on_a_free_port()
            server._admin_execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        except BaseException:
            server.destroy()
            raise
        return server

    def start(self) -> None:
        """Start the stopped server again, on the same port and with the same data."""
        result = self._run(
            [self._bin("pg_ctl"), "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60"],
            check=False,
        )
        if result.returncode != 0:
            raise PostgresStartError(
                f"pg_ctl start failed ({result.returncode}): {result.stdout.strip()}\n{self.log_tail()}"
            )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` disconnects clients and shuts down cleanly, `immediate` is a crash
        (the next start runs recovery); either keeps every committed row."""
        self._run([self._bin("pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60"])

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    @contextlib.contextmanager
    def down(self, mode: str = "fast") -> Iterator[None]:
        """`with server.down():` the server is stopped inside the block and started again after it."""
        self.stop(mode)
        try:
            yield
        finally:
            self.start()

    def is_running(self) -> bool:
        if self._destroyed:
            return False
        result = self._run([self._bin("pg_ctl"), "status", "-D", str(self.data)], check=False)
        return result.returncode == 0

    def pid(self) -> int | None:
        """The postmaster's process id while it runs."""
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def destroy(self) -> None:
        """Stop the server (whatever its state) and delete its folder. Safe to call twice."""
        if self._destroyed:
            return
        self._destroyed = True
        atexit.unregister(self.destroy)
        try:
            stop_and_delete(self._cleanup_spec())
        finally:
            if self._watchdog.stdin is not None:
                self._watchdog.stdin.close()  # the watchdog finds nothing left to do, and exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=10)

    def _cleanup_spec(self) -> dict[str, object]:
        user = None if self.run_as is None else [self.run_as.pw_uid, self.run_as.pw_gid]
        return {"pg_ctl": self._bin("pg_ctl"), "data": str(self.data), "root": str(self.root), "user": user}

    def _start_watchdog(self) -> subprocess.Popen[bytes]:
        """A small process that outlives a test run killed by a signal (a CI timeout, SIGKILL) and then
        stops the server and deletes the folder: pg_ctl detaches the server, so nothing else would."""
        return subprocess.Popen(
            [sys.executable, __file__, "--watchdog", json.dumps(self._cleanup_spec())],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True,
        )

    # -- databases ----------------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database (no tables); returns its postgresql:// URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self._admin_execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(TEMPLATE))
        )
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database, closing whatever connections are still open to it."""
        name = url.rsplit("/", 1)[1]
        self._admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _admin_execute(self, statement: sql.Composable) -> None:
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(statement)

    # -- internals ----------------------------------------------------------------------------------

    def _temp_parent(self) -> str | None:
        """Where the folder goes: the usual temp dir, unless the server's user could not reach it."""
        parent = Path(tempfile.gettempdir())
        if self.run_as is None or _traversable_by_others(parent):
            return None
        for fallback in ("/tmp", "/var/tmp", "/dev/shm"):
            if _traversable_by_others(Path(fallback)):
                return fallback
        raise PostgresStartError(f"no temporary folder that user {self.run_as.pw_name} can enter")

    def _bin(self, name: str) -> str:
        return str(self.bin_dir / name)

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.run_as is not None:
            os.chown(self.root, self.run_as.pw_uid, self.run_as.pw_gid)
            os.chown(pwfile, self.run_as.pw_uid, self.run_as.pw_gid)
        pwfile.chmod(0o600)
        try:
            self._run([
                self._bin("initdb"), "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8", "--locale=C",
                "--auth-host=scram-sha-256", "--auth-local=trust", f"--pwfile={pwfile}", "--no-sync",
                "--no-instructions",
            ])
        finally:
            pwfile.unlink(missing_ok=True)

    def _write_settings(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "shared_buffers": "32MB",
            "log_min_messages": "warning",
        }
        # Read last, so it wins over postgresql.conf; rewritten when a port was taken meanwhile.
        path = self.data / "numbers_bot_test.conf"
        path.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
        conf = self.data / "postgresql.conf"
        if "numbers_bot_test.conf" not in conf.read_text():
            with conf.open("a") as f:
                f.write("\ninclude 'numbers_bot_test.conf'\n")
        if self.run_as is not None:
            os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)

    def _start_on_a_free_port(self, attempts: int = 3) -> None:
        for attempt in range(attempts):
            self.port = free_port()
            self._write_settings()
            try:
                self.start()
                return
            except PostgresStartError:
                # Another process may have taken the port between free_port() and the bind: try another.
                if attempt == attempts - 1 or "Address already in use" not in self.log_tail():
                    raise

    def _run(self, command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        for key in [k for k in env if k.startswith("PG")]:
            del env[key]  # a developer's PGHOST, PGPORT, PGDATA ... must not leak into the test server
        options: dict[str, object] = {}
        if self.run_as is not None:
            # As the unprivileged user, without root's supplementary groups; the cwd must be one it can enter.
            options = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}
            env["HOME"] = str(self.root)
            env["USER"] = env["LOGNAME"] = self.run_as.pw_name
        result = subprocess.run(
            command, cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL, timeout=120, **options,  # type: ignore[arg-type]
        )
        if check and result.returncode != 0:
            raise PostgresStartError(
                f"{' '.join(command)} failed ({result.returncode}): {result.stdout.strip()}\n{self.log_tail()}"
            )
        return result

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return "(no server log)"
        return "server log:\n" + "\n".join(text)


def _unprivileged_user() -> pwd.struct_passwd:
    for name in UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresStartError(
        f"running as root, and none of the users {', '.join(UNPRIVILEGED_USERS)} exists to run the server as"
    )



def stop_and_delete(spec: dict[str, object]) -> None:
    """Stop a server immediately if it runs (killing it if pg_ctl cannot) and delete its folder."""
    data, root = Path(str(spec["data"])), Path(str(spec["root"]))
    try:
        if (data / "postmaster.pid").exists():
            options: dict[str, object] = {}
            if spec["user"] is not None:
                uid, gid = spec["user"]  # type: ignore[misc]
                options = {"user": uid, "group": gid, "extra_groups": []}
            result = subprocess.run(
                [str(spec["pg_ctl"]), "stop", "-D", str(data), "-m", "immediate", "-w", "-t", "30"],
                cwd="/", stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False,
                **options,  # type: ignore[arg-type]
            )
            if result.returncode != 0:
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int((data / "postmaster.pid").read_text().split("\n", 1)[0]), signal.SIGKILL)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__" and sys.argv[1:2] == ["--watchdog"]:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdin.buffer.read()  # end of file: the test run has ended, however it ended
    stop_and_delete(json.loads(sys.argv[2]))
