"""A gunicorn config for the bench's profiling pass: the repository's `gunicorn.conf.py` (its hooks run
as they do in production) plus cProfile in every thread of every worker, switched on by the environment.

    BENCH_PROFILE_DIR=/tmp/prof gunicorn --config bench/gunicorn_profile.py ... bot.wsgi:application

Each thread gets its own `cProfile.Profile` (one profiler shared by threads would mix their call stacks),
timed by the thread's own CPU clock (`time.thread_time_ns`): with 8 request threads and 32 listener
threads waiting on sockets, locks and the GIL, wall-clock times would mostly measure waiting, and the
question is where the CPU goes.

The bench reads the profiles through snapshots: on SIGPROF a worker writes every function's calls and own
CPU time so far, summed over its threads, to `<BENCH_PROFILE_DIR>/<pid>.<n>.snapshot` (marshal; n counts
from 1). The difference between two snapshots is what the worker did in between (calls still running at
a snapshot count once they return). cProfile slows every Python call, so a profiled run's latencies mean
nothing; its use is the split of the CPU between packages and functions.
"""

from __future__ import annotations

import cProfile
import itertools
import marshal
import os
import runpy
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

PROFILE_DIR_ENV = "BENCH_PROFILE_DIR"
SNAPSHOT_SIGNAL = signal.SIGPROF
SNAPSHOT_SUFFIX = ".snapshot"
Function = tuple[str, int, str]  # (file, line, name), as pstats names functions
Snapshot = dict[Function, tuple[int, float]]  # function -> (calls, own CPU seconds)

_BASE = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
_profiles: list[cProfile.Profile] = []
_profiles_lock = threading.Lock()
_snapshots = itertools.count(1)
_main_thread_profile: cProfile.Profile | None = None


def _new_profile() -> cProfile.Profile:
    profile = cProfile.Profile(time.thread_time_ns, 1e-9)
    with _profiles_lock:
        _profiles.append(profile)
    return profile


def _start_in_this_thread(frame: FrameType, event: str, arg: Any) -> None:
    """`threading.setprofile` hook: the first event of a new thread swaps it for the thread's own cProfile."""
    sys.setprofile(None)
    _new_profile().enable()


def snapshot() -> Snapshot:
    """Every function's calls and own CPU time so far, summed over this process's threads. Only finished
    calls count (reading a profile from another thread must not close the calls it has open)."""
    with _profiles_lock:
        profiles = list(_profiles)
    total: Snapshot = {}
    for profile in profiles:
        profile.snapshot_stats()  # getstats() without disable(), which would close open calls with this thread's clock
        for function, (_, calls, own, _, _) in profile.stats.items():  # type: ignore[attr-defined]
            before = total.get(function, (0, 0.0))
            total[function] = (before[0] + calls, before[1] + own)
    return total


def _write_snapshot(signum: int, frame: FrameType | None) -> None:
    # The handler runs in the main thread; its own work is not the worker's, so that thread's profile
    # pauses while it runs.
    if _main_thread_profile is not None:
        _main_thread_profile.disable()
    try:
        directory = Path(os.environ[PROFILE_DIR_ENV])
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{os.getpid()}.{next(_snapshots)}{SNAPSHOT_SUFFIX}"
        partial = path.with_suffix(".partial")
        partial.write_bytes(marshal.dumps(snapshot()))
        partial.rename(path)  # the bench waits for the name: it appears only once complete
    finally:
        if _main_thread_profile is not None:
            _main_thread_profile.enable()


def post_worker_init(worker: Any) -> None:
    global _main_thread_profile
    if os.environ.get(PROFILE_DIR_ENV):
        threading.setprofile(_start_in_this_thread)  # threads started from now on (request, listener, outbox)
        _main_thread_profile = _new_profile()  # this one: the worker's main loop (accepting connections)
        _main_thread_profile.enable()
        signal.signal(SNAPSHOT_SIGNAL, _write_snapshot)
    base = _BASE.get("post_worker_init")
    if callable(base):
        base(worker)
