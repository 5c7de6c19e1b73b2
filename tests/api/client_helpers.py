"""Test helpers for the Vobiz client: a scripted MockTransport, a sleep recorder and raw TCP servers
that misbehave the way real networks do (refuse, hang, hang up)."""

from __future__ import annotations

import json
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

import httpx

from api import VobizClient

AUTH_ID = "MA_TESTACCT"
AUTH_TOKEN = "tok-5ecret-DO-NOT-LEAK-7f3a"
BASE_URL = "https://vobiz.test/api"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class SeenRequest:
    method: str
    raw_path: str  # the request target exactly as it goes on the wire, query included
    path: str  # raw path without the query
    query: dict[str, list[str]]
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Script:
    """Answers requests from a queue of replies (the last one repeats) and records every request."""

    replies: list[Reply]
    seen: list[SeenRequest] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        raw = request.url.raw_path.decode("ascii")
        self.seen.append(
            SeenRequest(
                method=request.method,
                raw_path=raw,
                path=raw.partition("?")[0],
                query={key: request.url.params.get_list(key) for key in request.url.params.keys()},
                headers=request.headers,
                body=request.read(),
            )
        )
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)

    @property
    def last(self) -> SeenRequest:
        return self.seen[-1]


@dataclass
class SleepRecorder:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def scripted_client(*replies: Reply, **options: Any) -> tuple[VobizClient, Script, SleepRecorder]:
    script = Script(list(replies))
    sleep = options.pop("sleep", None) or SleepRecorder()
    client = VobizClient(
        AUTH_ID,
        AUTH_TOKEN,
        base_url=options.pop("base_url", BASE_URL),
        transport=httpx.MockTransport(script),
        sleep=sleep,
        **options,
    )
    return client, script, sleep


def number_json(e164: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"id-{e164[1:]}",
        "account_id": AUTH_ID,
        "e164": e164,
        "country": "IN",
        "region": "Karnataka",
        "capabilities": {"voice": True, "sms": False, "mms": False, "fax": False},
        "status": "active",
        "provider": "",
        "setup_fee": 100,
        "monthly_fee": 300,
        "currency": "INR",
        "created_at": "2026-03-25T06:00:00Z",
        "updated_at": "2026-03-25T06:58:54.752187Z",
    }
    body.update(fields)
    return body


def page_json(items: list[dict[str, Any]], *, page: int, per_page: int, total: int | None) -> dict[str, Any]:
    """A list answer; `total=None` leaves the total out, as a server might."""
    body: dict[str, Any] = {"items": items, "page": page, "per_page": per_page}
    if total is not None:
        body["total"] = total
    return body


def paged_numbers(
    total: int, *, max_per_page: int = 100, send_total: bool = True
) -> Callable[[httpx.Request], httpx.Response]:
    """A handler serving `total` numbers, honouring `page` and clamping `per_page` like Vobiz (and
    leaving `total` out of its answers when `send_total` is False)."""
    numbers = [f"+9180{index:08d}" for index in range(total)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        per_page = min(int(request.url.params.get("per_page", "25")), max_per_page)
        chunk = numbers[(page - 1) * per_page : page * per_page]
        shown_total = total if send_total else None
        return json_reply(200, page_json([number_json(n) for n in chunk], page=page, per_page=per_page, total=shown_total))

    return handler


# What a caller can see -------------------------------------------------------------------------

_LEAVES = (str, bytes, int, float, bool, type(None), Decimal, datetime)
_NOT_DATA = (type, ModuleType, FunctionType, MethodType, BuiltinFunctionType)


def reachable_reprs(*roots: object, max_depth: int = 8) -> list[str]:
    """`repr()` and `str()` of every object a caller can reach from `roots` without touching a private
    name: public attributes and properties, container items, and an exception's `args`, `__cause__` and
    `__context__` (what a traceback, a logger or an error reporter walks)."""
    seen: set[int] = set()
    shown: list[str] = []
    stack: list[tuple[object, int]] = [(root, 0) for root in roots]
    while stack:
        obj, depth = stack.pop()
        if id(obj) in seen or depth > max_depth or isinstance(obj, _NOT_DATA):
            continue
        seen.add(id(obj))
        for show in (repr, str):
            try:
                shown.append(show(obj))
            except Exception as exc:  # a property that cannot be shown yet is not a leak
                shown.append(f"<{type(exc).__name__}>")
        if isinstance(obj, _LEAVES):
            continue
        children: list[object] = []
        if isinstance(obj, dict):
            children += [*obj.keys(), *obj.values()]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children += list(obj)
        else:
            if isinstance(obj, BaseException):
                children += [obj.__cause__, obj.__context__, *obj.args]
            children += _public_values(obj)
        stack.extend((child, depth + 1) for child in children)
    return shown


def _public_values(obj: object) -> list[object]:
    values: list[object] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic's deprecated instance attributes
        for name in dir(obj):
            if name.startswith("_"):
                continue
            try:
                value = getattr(obj, name)
            except Exception:
                continue
            if not isinstance(value, MethodType | BuiltinFunctionType):
                values.append(value)
    return values


# Real sockets on 127.0.0.1 -------------------------------------------------------------------


def refused_url() -> str:
    """A base URL on a local port nothing listens on, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


@contextmanager
def misbehaving_server(behaviour: str) -> Iterator[tuple[str, list[bytes]]]:
    """A TCP server that reads each request and then either `hang`s (never answers) or `hangup`s
    (closes without answering). Yields the base URL and the raw requests it received."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)
    received: list[bytes] = []
    stop = threading.Event()
    open_conns: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(1.0)
            try:
                received.append(conn.recv(65536))
            except OSError:
                pass
            if behaviour == "hangup":
                conn.close()
            else:
                open_conns.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api", received
    finally:
        stop.set()
        thread.join(timeout=1)
        listener.close()
        for conn in open_conns:
            conn.close()
