"""The load generator: its own process, so the clients' Python work never shares a GIL with the Slack
and Vobiz stand-ins (which live in the bench process) or with the servers.

It keeps 32 worker threads, each with its own keep-alive httpx client. A *burst* hands C prepared
requests to C workers, which wait at one barrier and then all send at once; each request's time runs
from just before it is sent to the end of its answer. Times are `time.monotonic()`, which on Linux is
one clock for every process, so the bench can compare them with what its stand-ins saw.

The bench talks to it with one JSON object a line on stdin/stdout (see `LoadGenerator`).
"""

from __future__ import annotations

import json
import queue
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

MAX_CONCURRENCY = 32
REQUEST_TIMEOUT_S = 30.0
KEEPALIVE_EXPIRY_S = 1.0
# httpx builds an SSL context per client even for http:// (~50 ms each); one shared context is enough.
_SSL_CONTEXT = ssl.create_default_context()


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Result:
    status: int  # 0 when no answer came
    started: float  # time.monotonic() just before sending
    elapsed: float  # seconds to the end of the answer
    error: str | None = None


# ------------------------------------------------------------------------------ the bench's side


class LoadGenerator:
    """Starts `python -m bench.loadgen` and sends it work."""

    def __init__(self, cwd: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._lock = threading.Lock()

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(json.dumps(message) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the load generator exited")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"load generator: {answer['error']}")
        return answer

    @property
    def pid(self) -> int:
        return self._process.pid

    def burst(self, requests: Sequence[Outgoing], concurrency: int) -> list[Result]:
        """Send `requests` from `concurrency` clients at once (request i from client i % concurrency)."""
        answer = self._ask(
            {
                "op": "burst",
                "concurrency": concurrency,
                "requests": [{"url": r.url, "body": r.body, "headers": r.headers} for r in requests],
            }
        )
        return [Result(**r) for r in answer["results"]]

    def warm(self, url: str, clients: int = MAX_CONCURRENCY) -> None:
        """Open a keep-alive connection from each client with a GET to `url`."""
        self._ask({"op": "warm", "url": url, "clients": clients})

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._ask({"op": "quit"})
            except (RuntimeError, OSError, ValueError):
                pass
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()

    def __enter__(self) -> LoadGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------ the process


class _Worker:
    def __init__(self, index: int) -> None:
        self.jobs: queue.Queue[Any] = queue.Queue()
        # gunicorn closes a keep-alive connection idle for 2 s; dropping ours after 1 s means a request is
        # never sent on a connection the server is closing at that moment.
        limits = httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_S)
        self.client = httpx.Client(timeout=REQUEST_TIMEOUT_S, verify=_SSL_CONTEXT, limits=limits)
        threading.Thread(target=self._run, name=f"loadgen-{index}", daemon=True).start()

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            job()


def _send(client: httpx.Client, outgoing: Outgoing) -> Result:
    started = time.monotonic()
    try:
        response = client.post(outgoing.url, content=outgoing.body.encode(), headers=outgoing.headers)
        response.read()
        return Result(response.status_code, started, time.monotonic() - started)
    except httpx.HTTPError as exc:
        return Result(0, started, time.monotonic() - started, f"{type(exc).__name__}: {exc}")


def _burst(workers: list[_Worker], requests: list[Outgoing], concurrency: int) -> list[Result]:
    if not 1 <= concurrency <= len(workers):
        raise ValueError(f"concurrency must be 1..{len(workers)}")
    results: list[Result | None] = [None] * len(requests)
    barrier = threading.Barrier(concurrency)
    done = threading.Semaphore(0)

    def job_for(slot: int) -> Any:
        def run() -> None:
            try:
                barrier.wait()
                for index in range(slot, len(requests), concurrency):
                    results[index] = _send(workers[slot].client, requests[index])
            finally:
                done.release()

        return run

    for slot in range(concurrency):
        workers[slot].jobs.put(job_for(slot))
    for _ in range(concurrency):
        done.acquire()
    return [r for r in results if r is not None]


def _warm(workers: list[_Worker], url: str, clients: int) -> None:
    done = threading.Semaphore(0)

    def job_for(worker: _Worker) -> Any:
        def run() -> None:
            try:
                worker.client.get(url)
            except httpx.HTTPError:
                pass
            finally:
                done.release()

        return run

    for worker in workers[:clients]:
        worker.jobs.put(job_for(worker))
    for _ in workers[:clients]:
        done.acquire()


def main() -> int:
    workers = [_Worker(i) for i in range(MAX_CONCURRENCY)]
    for line in sys.stdin:
        message = json.loads(line)
        try:
            if message["op"] == "quit":
                print(json.dumps({"ok": True}), flush=True)
                return 0
            if message["op"] == "warm":
                _warm(workers, message["url"], int(message["clients"]))
                answer: dict[str, Any] = {"ok": True}
            elif message["op"] == "burst":
                requests = [Outgoing(**r) for r in message["requests"]]
                results = _burst(workers, requests, int(message["concurrency"]))
                answer = {"results": [r.__dict__ for r in results]}
            else:
                answer = {"error": f"unknown op {message['op']!r}"}
        except Exception as exc:  # reported to the bench, which stops with it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
