"""`python -m bench.peak ARGV...`: run a command and print one JSON line with its exit code and peak
resident memory (`ru_maxrss` from wait4, for that child alone).

Why a launcher: a child's ru_maxrss also counts the memory it shared with its parent between fork and
exec, so measured straight from the (large) bench process every command would seem as big as the bench.
Forked from this small process instead, that floor is this process's few MB.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m bench.peak COMMAND [ARGS...]", file=sys.stderr)
        return 2
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "max_rss_kib": usage.ru_maxrss}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
