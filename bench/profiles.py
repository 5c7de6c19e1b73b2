"""Where the gunicorn workers' CPU goes, from the snapshots `bench/gunicorn_profile.py` writes: each
function's own CPU time (cProfile's tottime, timed by the thread's CPU clock) in the measured windows
only, summed over every worker and thread of an app and grouped into areas (a package, a part of the
bot, a piece of the stdlib)."""

from __future__ import annotations

import marshal
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.gunicorn_profile import SNAPSHOT_SIGNAL, SNAPSHOT_SUFFIX, Snapshot

_SITE = re.compile(r"/site-packages/([A-Za-z0-9_]+)")
_STDLIB = re.compile(r"/lib/python3\.\d+/([A-Za-z0-9_]+)")
_BUILTIN_OF = re.compile(r"of '([A-Za-z0-9_]+)")
_BUILTIN_METHOD = re.compile(r"built-in method ([A-Za-z0-9_]+)\.")
_REPO_PARTS = ("bot/store", "bot", "handlers", "api", "fakes", "bench")

PACKAGES = {
    "slack_bolt": "slack_bolt (dispatch, ack, signature check)",
    "slack_sdk": "slack_sdk (Web API and response_url clients)",
    "httpx": "httpx/httpcore/h11 (HTTP clients)",
    "httpcore": "httpx/httpcore/h11 (HTTP clients)",
    "h11": "httpx/httpcore/h11 (HTTP clients)",
    "anyio": "httpx/httpcore/h11 (HTTP clients)",
    "certifi": "httpx/httpcore/h11 (HTTP clients)",
    "gunicorn": "gunicorn (HTTP server)",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "sqlite_utils": "sqlite (sqlite3, sqlite_utils)",
    "psycopg": "psycopg (PostgreSQL client)",
    "psycopg_pool": "psycopg (PostgreSQL client)",
    "psycopg_binary": "psycopg (PostgreSQL client)",
}
STDLIB = {
    "sqlite3": "sqlite (sqlite3, sqlite_utils)",
    "_sqlite3": "sqlite (sqlite3, sqlite_utils)",
    "json": "json",
    "_json": "json",
    "ssl": "sockets and ssl",
    "_ssl": "sockets and ssl",
    "socket": "sockets and ssl",
    "_socket": "sockets and ssl",
    "selectors": "sockets and ssl",
    "select": "sockets and ssl",
    "http": "stdlib http, urllib, email",
    "urllib": "stdlib http, urllib, email",
    "email": "stdlib http, urllib, email",
    "threading": "threads, queues, locks",
    "_thread": "threads, queues, locks",
    "queue": "threads, queues, locks",
    "_queue": "threads, queues, locks",
    "concurrent": "threads, queues, locks",
    "logging": "logging",
    "hmac": "hashing (hmac, hashlib)",
    "hashlib": "hashing (hmac, hashlib)",
    "_hashlib": "hashing (hmac, hashlib)",
    "posix": "system calls (os)",
    "os": "system calls (os)",
}


@dataclass(frozen=True)
class Profile:
    """One app's profile: CPU seconds by area and by function, over `requests` requests."""

    app: str
    workers: int  # how many worker profiles were merged
    requests: int
    by_area: dict[str, float]
    by_function: list[tuple[str, float, int]]  # (function, CPU seconds of its own, calls), most first

    @property
    def total(self) -> float:
        return sum(self.by_area.values())

    def ms_per_request(self, seconds: float) -> float:
        return seconds / self.requests * 1000 if self.requests else 0.0


def area(filename: str, name: str, repo: Path) -> str:
    """The area a profiled function belongs to, from where it is defined."""
    if filename == "~":  # a function written in C: its name says what it belongs to
        found = _BUILTIN_OF.search(name) or _BUILTIN_METHOD.search(name)
        module = found.group(1) if found else ""
        return PACKAGES.get(module) or STDLIB.get(module) or "builtins (isinstance, len, str/dict/list methods...)"
    site = _SITE.search(filename)
    if site:
        return PACKAGES.get(site.group(1), site.group(1))
    try:
        relative = Path(filename).resolve().relative_to(repo).as_posix()
    except ValueError:
        relative = None
    if relative is not None:
        for part in _REPO_PARTS:
            if relative.startswith(part + "/"):
                return "repository: " + part.replace("/", ".")
        return "repository: other"
    std = _STDLIB.search(filename)
    if std:
        return STDLIB.get(std.group(1), "stdlib, other")
    return "other"


class Recorder:
    """Adds up what an app's workers did between `start()` and `stop()` (any number of such windows), from
    the snapshots they write on SIGPROF (`bench/gunicorn_profile.py`) into `directory`."""

    def __init__(self, directory: Path, *, app: str, pids: Callable[[], list[int]], timeout: float = 30.0) -> None:
        self.directory = directory
        self.app = app
        self._pids = pids
        self._timeout = timeout
        self._taken: dict[int, int] = defaultdict(int)  # snapshots each worker has written
        self._open: dict[int, Snapshot] = {}
        self.total: Snapshot = {}
        self.workers: set[int] = set()

    def start(self) -> None:
        self._open = self._take()

    def stop(self) -> None:
        for pid, after in self._take().items():
            before = self._open.get(pid, {})
            for function, (calls, own) in after.items():
                was = before.get(function, (0, 0.0))
                have = self.total.get(function, (0, 0.0))
                self.total[function] = (have[0] + calls - was[0], have[1] + own - was[1])
            self.workers.add(pid)
        self._open = {}

    def _take(self) -> dict[int, Snapshot]:
        pids = self._pids()
        for pid in pids:
            os.kill(pid, SNAPSHOT_SIGNAL)
        found: dict[int, Snapshot] = {}
        deadline = time.monotonic() + self._timeout
        for pid in pids:
            path = self.directory / f"{pid}.{self._taken[pid] + 1}{SNAPSHOT_SUFFIX}"
            while not path.exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.app} worker {pid} wrote no profile snapshot ({path})")
                time.sleep(0.01)
            self._taken[pid] += 1
            found[pid] = marshal.loads(path.read_bytes())
        return found

    def profile(self, *, requests: int, repo: Path, top: int = 15) -> Profile:
        by_area: dict[str, float] = defaultdict(float)
        functions: list[tuple[str, float, int]] = []
        for (filename, line, name), (calls, own) in self.total.items():
            by_area[area(filename, name, repo)] += own
            where = name if filename == "~" else f"{_short(filename, repo)}:{line}({name})"
            functions.append((where, own, calls))
        functions.sort(key=lambda f: f[1], reverse=True)
        return Profile(app=self.app, workers=len(self.workers), requests=requests, by_area=dict(by_area), by_function=functions[:top])


def _short(filename: str, repo: Path) -> str:
    site = filename.split("/site-packages/", 1)
    if len(site) == 2:
        return site[1]
    try:
        return Path(filename).resolve().relative_to(repo).as_posix()
    except ValueError:
        std = filename.split("/lib/python3.11/", 1)
        return std[1] if len(std) == 2 else filename
