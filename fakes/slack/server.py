"""The stand-in's socket: a threaded HTTP server on 127.0.0.1 that hands every request to one
function, plus the body decoding Slack's endpoints share (form, multipart, JSON).

`HttpServer(handle, host, port)` calls ``handle(verb, path, headers, raw_body) -> Reply`` on a daemon
thread per request; `start()`, `stop()` and `address` are all it offers.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

JSON_PARAMS = ("blocks", "attachments", "view", "files", "metadata")


class Reply:
    """An HTTP answer before it is written: a dict is sent as JSON, a str as plain text."""

    def __init__(self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}

    def encode(self) -> tuple[bytes, str]:
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


Handle = Callable[[str, str, dict[str, str], bytes], Reply]


class BadBody(Exception):
    """A body Slack would refuse before looking at it; `code` is Slack's error."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """Form, multipart or JSON bodies as one flat dict (values as sent)."""
    if not raw:
        return {}
    mime = content_type.split(";")[0].strip().lower()
    if mime == "application/json":
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise BadBody("invalid_json") from None
        if not isinstance(parsed, dict):
            raise BadBody("invalid_json")
        return parsed
    if mime in ("application/x-www-form-urlencoded", "text/plain", ""):
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if mime == "multipart/form-data":
        message = BytesParser(policy=policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                payload = part.get_payload(decode=True) or b""
                fields[name] = payload if part.get_filename() else payload.decode("utf-8", "replace")
        return fields
    raise BadBody("invalid_post_type")


def decode_json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Form bodies carry blocks/view/files as JSON strings; decode them so both encodings look alike."""
    for key in JSON_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass  # left as a string: the method answers invalid_blocks / invalid_arguments
    return params


def header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handle: Handle) -> None:
        self.handle = handle
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeouts in reliability tests) is not an error of the stand-in.
        log.debug("stand-in: request from %s ended early", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        reply = self.server.handle(self.command, self.path, dict(self.headers.items()), raw)
        body, content_type = reply.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("stand-in: " + format, *args)


class HttpServer:
    def __init__(self, handle: Handle, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), handle)
        # A short poll interval keeps stop() quick (shutdown waits for the loop to look again).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="slack-standin", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
