"""Serving an app the way the Procfile does: `gunicorn --workers N --threads 8 <module>:application`,
bound to 127.0.0.1 on a free port, configured only through its environment.

`Gunicorn(target, env, workers=N).start()` waits until every worker is up and one answers, then offers
`.url`, `.worker_pids` (`.worker_pid`: the first), `.arbiter_pid` and `stop()`. `config` names a gunicorn
config file instead of the repository's `gunicorn.conf.py` (the bench's profiling config wraps that one).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
# The Procfile's web command, with the bind address made local and the port chosen by the kernel.
THREADS = 8


def gunicorn_args(workers: int = 1) -> tuple[str, ...]:
    return ("--workers", str(workers), "--threads", str(THREADS))

# gunicorn 27 opens a control socket at one fixed path (~/.gunicorn/gunicorn.ctl); two servers at once
# would fight over it, and serving requests does not need it.
EXTRA_ARGS = ("--no-control-socket",)
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
BOOT_TIMEOUT_S = 30.0


class ServerFailed(RuntimeError):
    """Gunicorn did not come up; the message carries the end of its log."""


class Gunicorn:
    def __init__(
        self, target: str, env: Mapping[str, str], *, name: str, workers: int = 1, config: Path | None = None
    ) -> None:
        self.target = target
        self.name = name
        self.workers = workers
        self.config = config
        self._env = dict(env)
        self._process: subprocess.Popen[str] | None = None
        self._log: list[str] = []
        self._port: int | None = None
        self._port_seen = threading.Event()

    def __repr__(self) -> str:
        return f"Gunicorn({self.target!r}, port={self._port})"

    def start(self, probe_path: str = "/slack/events") -> Gunicorn:
        return self.launch().wait_ready(probe_path)

    def launch(self) -> Gunicorn:
        """Start the process; `wait_ready` waits for it (so several servers can boot at once)."""
        config = ("--config", str(self.config)) if self.config is not None else ()
        command = [
            sys.executable, "-m", "gunicorn", *gunicorn_args(self.workers), *config, *EXTRA_ARGS,
            "--bind", "127.0.0.1:0", self.target,
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, cwd=REPO, env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        threading.Thread(target=self._read_log, name=f"{self.name}-log", daemon=True).start()
        return self

    def wait_ready(self, probe_path: str = "/slack/events") -> Gunicorn:
        if not self._port_seen.wait(BOOT_TIMEOUT_S) or self._port is None:
            self.stop()
            raise ServerFailed(f"{self.name}: gunicorn did not start listening:\n{self.log_tail()}")
        self._wait_until_answering(probe_path)
        return self

    def _read_log(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for line in self._process.stderr:
            self._log.append(line.rstrip())
            del self._log[:-200]
            found = _LISTENING.search(line)
            if found and self._port is None:
                self._port = int(found.group(1))
                self._port_seen.set()
        self._port_seen.set()  # the process ended

    def _wait_until_answering(self, path: str) -> None:
        """The arbiter listens before the worker has imported the app; wait for a real answer."""
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            try:
                httpx.get(self.url + path, timeout=5.0)
                if len(self.worker_pids) >= self.workers:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ServerFailed(f"{self.name}: the gunicorn worker never answered:\n{self.log_tail()}")

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError(f"{self.name} is not listening")
        return f"http://127.0.0.1:{self._port}"

    @property
    def arbiter_pid(self) -> int:
        if self._process is None:
            raise RuntimeError(f"{self.name} was not started")
        return self._process.pid

    @property
    def worker_pids(self) -> list[int]:
        """The workers (the processes that import and serve the app), children of the arbiter."""
        return children_of(self.arbiter_pid)

    @property
    def worker_pid(self) -> int | None:
        """The first worker."""
        pids = self.worker_pids
        return pids[0] if pids else None

    def ask_to_stop(self) -> None:
        """SIGTERM, gunicorn's graceful stop (workers finish their requests, then exit); `stop` waits."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self._log[-lines:])

    def stop(self) -> None:
        self.ask_to_stop()
        if self._process is None or self._process.poll() is not None:
            return
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment for a served app: this one's PATH and Python settings, plus `extra` (nothing of the
    bot's configuration leaks in from the caller's shell)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def children_of(pid: int) -> list[int]:
    """Child process ids, from /proc (every process's stat names its parent)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses, so split after the last ')'
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)
