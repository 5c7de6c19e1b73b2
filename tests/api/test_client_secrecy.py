"""The auth token never shows: not in a repr or str, not in an error, not in any log line."""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from api import VobizClient, VobizError
from client_helpers import (
    AUTH_ID,
    AUTH_TOKEN,
    json_reply,
    number_json,
    page_json,
    refused_url,
    scripted_client,
)

NUMBER = "+918012345678"


class _Handler(BaseHTTPRequestHandler):
    """A real HTTP server: lists answer 200, everything else 500, and it checks the token arrived."""

    def _answer(self) -> None:
        assert self.headers["X-Auth-Token"] == AUTH_TOKEN
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.command == "GET":
            status, body = 200, page_json([number_json(NUMBER)], page=1, per_page=25, total=1)
        else:
            status, body = 500, {"error": "internal_server_error", "message": "boom"}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:  # silence stderr
        pass


@pytest.fixture
def real_server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


def shown(error: BaseException) -> str:
    """Everything a person or a log could see of an error: str, repr, attributes and the traceback."""
    parts = [str(error), repr(error), repr(vars(error)), "".join(traceback.format_exception(error))]
    return "\n".join(parts)


def test_the_token_never_appears_in_logs_reprs_or_errors(
    caplog: pytest.LogCaptureFixture, real_server_url: str
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    seen: list[str] = []

    client, _, _ = scripted_client(
        json_reply(200, page_json([number_json(NUMBER)], page=1, per_page=25, total=1)),
        json_reply(401, {"error": {"code": 401, "message": "Invalid token"}}),
        json_reply(409, {"error": "did_cool_off_in_effect", "cool_off_until": "2026-06-09T10:00:00Z",
                         "cool_off_remaining_seconds": 5}),
        json_reply(429, {"error": "rate_limited"}, headers={"Retry-After": "1"}),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        max_retries=0,
    )
    seen += [repr(client), str(client), repr(client.numbers), repr(client.subaccounts)]
    page = client.numbers.list_page()
    seen += [repr(page), str(page), page.model_dump_json()]
    for call in (
        lambda: client.numbers.list_page(),
        lambda: client.numbers.unassign_subaccount(NUMBER),
        lambda: client.numbers.list_page(),
        lambda: client.numbers.purchase(NUMBER),
        lambda: client.numbers.release(NUMBER),
        lambda: client.numbers.purchase("12"),
    ):
        with pytest.raises(VobizError) as caught:
            call()
        seen.append(shown(caught.value))

    with VobizClient(AUTH_ID, AUTH_TOKEN, base_url=real_server_url, max_retries=0) as real:
        seen.append(repr(real.numbers.list_page()))
        with pytest.raises(VobizError) as caught:
            real.numbers.purchase(NUMBER)
        seen.append(shown(caught.value))
    with VobizClient(AUTH_ID, AUTH_TOKEN, base_url=refused_url(), max_retries=1, sleep=lambda _: None) as refused:
        with pytest.raises(VobizError) as caught:
            refused.numbers.release(NUMBER)
        seen.append(shown(caught.value))

    api_lines = [r.getMessage() for r in caplog.records if r.name == "api"]
    assert len(api_lines) >= 10  # the calls above were logged ...
    assert any("/v1/Account/MA_TESTACCT/numbers" in line and "200" in line for line in api_lines)
    all_lines = [r.getMessage() for r in caplog.records] + [caplog.text]
    assert not [text for text in seen + all_lines if AUTH_TOKEN in text]  # ... and the token is nowhere
    assert AUTH_TOKEN[4:12] not in caplog.text


def test_the_client_refuses_an_empty_token_without_echoing_anything() -> None:
    with pytest.raises(ValueError) as caught:
        VobizClient(AUTH_ID, "")
    assert "auth_token" in str(caught.value)
