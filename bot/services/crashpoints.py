"""A test-only hook that kills the process at a named point of executing an approved request.

Crash-safety tests pass `CrashPoints(point)` to `build_bot(crash=...)` (through a test-only WSGI module,
tests/reliability/crashing_wsgi.py) to stop the bot exactly:

- `before_vobiz_call`: the approval is committed (EXECUTING), Vobiz has not been called;
- `after_vobiz_answer`: Vobiz has answered, the outcome is not recorded yet;
- `bulk_after_item`: a bulk purchase's first number is bought and recorded, the others are not called yet.

The process then sends itself SIGKILL, as the kernel's OOM killer or a pulled plug would: no `finally`
block, no atexit handler, no flush runs. Production never builds one with a point: it does nothing.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

CRASH_POINTS = ("before_vobiz_call", "after_vobiz_answer", "bulk_after_item")


class CrashPoints:
    def __init__(self, crash_at: str | None = None) -> None:
        if crash_at is not None and crash_at not in CRASH_POINTS:
            raise ValueError(f"unknown crash point {crash_at!r}; known: {', '.join(CRASH_POINTS)}")
        self._crash_at = crash_at

    def reached(self, point: str) -> None:
        """Kill this process now if it was told to crash at `point`."""
        if point == self._crash_at:
            log.warning("crash point %s reached: killing process %s with SIGKILL", point, os.getpid())
            os.kill(os.getpid(), signal.SIGKILL)
