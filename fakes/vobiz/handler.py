"""HTTP plumbing: read a request, hand it to the gateway (or the control API), write or drop the answer."""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fakes.vobiz.control import PREFIX as CONTROL_PREFIX
from fakes.vobiz.control import ControlApi
from fakes.vobiz.gateway import Gateway
from fakes.vobiz.replies import Drop, Outcome, Reply
from fakes.vobiz.wire import error

logger = logging.getLogger("fakes.vobiz")

MAX_BODY_BYTES = 1_000_000


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], gateway: Gateway, control: ControlApi) -> None:
        self.gateway = gateway
        self.control = control
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, SandboxHandler)

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout, a test that gave up) is routine here; anything else is logged."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        logger.exception("sandbox connection from %s failed", client_address)

    def close_connections(self) -> None:
        """Shut every open client connection, so no handler thread outlives `stop()` for long."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            _shutdown(connection)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small JSON answers must not wait for delayed ACKs
    wbufsize = -1  # buffered: headers and body leave in one write when the stdlib flushes after a request
    server: SandboxHTTPServer
    server_version = "VobizSandbox/1.0"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        """Silenced: the request log (and run_standalone's printer) records every API request."""

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(Reply(400, error("bad_request", "the request body's length is unreadable")))
            return
        if body is None:
            self._send(Reply(413, error("payload_too_large", "the request body is too large")))
            return
        try:
            outcome: Outcome
            if self.path.startswith(CONTROL_PREFIX) or self.path.rstrip("/") == CONTROL_PREFIX.rstrip("/"):
                outcome = self.server.control.handle(self.command, self.path, body)
            else:
                headers = {name.lower(): value for name, value in self.headers.items()}
                outcome = self.server.gateway.handle(self.command, self.path, headers, body)
        except Exception:  # a sandbox bug: answer like a server would, and say so in the log
            logger.exception("sandbox failed on %s %s", self.command, self.path)
            outcome = Reply(500, error("internal_server_error", "the sandbox failed; see its log"))
        if isinstance(outcome, Drop):
            self.close_connection = True
            _shutdown(self.connection)
            return
        self._send(outcome)

    def _read_body(self) -> bytes | None:
        """The body; None when it is too large; ValueError when its framing is unreadable."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                self.close_connection = True
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, reply: Reply) -> None:
        data = b"" if reply.body is None else json.dumps(reply.body, default=_json_default).encode("utf-8")
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status != 204:
            if reply.body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if data:
            self.wfile.write(data)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot put {type(value).__name__} in JSON")


def _shutdown(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the other side
