"""The auth token never shows: not in a repr or str, not in an error, not in any log line."""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from api import APIConnectionError, VobizClient, VobizError
from fakes.vobiz import SandboxServer
from client_helpers import (
    AUTH_ID,
    AUTH_TOKEN,
    json_reply,
    number_json,
    page_json,
    reachable_reprs,
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


# A malformed token ------------------------------------------------------------------------------

SECRETISH = "tok-5ecret"


@pytest.mark.parametrize(
    "token",
    [
        f"{SECRETISH}\n",  # a pasted trailing newline
        f" {SECRETISH}",
        f"{SECRETISH} 7f3a",
        f"{SECRETISH}\r\nX-Injected: 1",
        f"{SECRETISH}\x00",
        f"{SECRETISH}\u00f6",  # not ASCII: httpx would fail encoding it, quoting it in the error
        f"\u201c{SECRETISH}\u201d",  # smart quotes from a document
    ],
)
def test_a_malformed_token_is_refused_at_construction_without_echoing_it(token: str) -> None:
    with pytest.raises(ValueError) as caught:
        VobizClient(AUTH_ID, token)
    assert "auth_token" in str(caught.value)
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    assert not [text for text in reachable_reprs(caught.value) if SECRETISH in text]


@pytest.mark.parametrize("auth_id", ["", "   ", "MA_X Y", "MA_X\n1", "MA_\u00c9T\u00c9", "MA_X\x7f"])
def test_a_malformed_auth_id_is_refused_at_construction(auth_id: str) -> None:
    with pytest.raises(ValueError, match="auth_id must be a Vobiz account id"):
        VobizClient(auth_id, AUTH_TOKEN)


def test_an_auth_id_with_stray_outer_spaces_is_trimmed() -> None:
    with VobizClient(f" {AUTH_ID}\n", AUTH_TOKEN) as client:
        assert client.auth_id == AUTH_ID


@pytest.mark.parametrize("method", ["list", "purchase"])
@pytest.mark.parametrize(
    "refusal",
    [
        lambda: httpx.LocalProtocolError(f"Illegal header value b'{AUTH_TOKEN}\\n'"),
        lambda: UnicodeEncodeError("ascii", AUTH_TOKEN + "\u00f6", len(AUTH_TOKEN), len(AUTH_TOKEN) + 1, "no"),
    ],
    ids=["LocalProtocolError", "UnicodeEncodeError"],
)
def test_a_request_httpx_cannot_send_is_not_sent_not_retried_and_keeps_no_token(
    method: str, refusal: Callable[[], Exception]
) -> None:
    client, script, sleep = scripted_client(refusal(), max_retries=2)
    call = {"list": client.numbers.list_page, "purchase": lambda: client.numbers.purchase(NUMBER)}[method]

    with pytest.raises(APIConnectionError) as caught:
        call()

    assert caught.value.request_sent is False
    assert len(script.seen) == 1 and sleep.calls == []  # the same request would fail the same way
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    assert not [text for text in reachable_reprs(caught.value) if AUTH_TOKEN in text]
    assert not [line for line in traceback.format_exception(caught.value) if AUTH_TOKEN in line]


def test_an_illegal_header_that_reaches_the_wire_layer_is_refused_without_the_token(real_server_url: str) -> None:
    """The real h11 refusal quotes the header value; what reaches the caller must not."""
    with VobizClient(AUTH_ID, AUTH_TOKEN, base_url=real_server_url, max_retries=2, sleep=lambda _: None) as client:
        # As if a bad value had slipped past the constructor's check: the wire layer is the last guard.
        client._transport._http.headers["X-Auth-Token"] = AUTH_TOKEN + "\n"
        with pytest.raises(APIConnectionError) as caught:
            client.numbers.list_page()
    assert caught.value.request_sent is False
    assert not [text for text in reachable_reprs(caught.value) if AUTH_TOKEN in text]


def test_every_error_chain_of_a_failing_call_is_free_of_the_token(real_server_url: str) -> None:
    """Timeouts, dropped connections and refused connections: walked through `__context__` too, where
    httpx's own exception (holding the request and its headers) used to hang."""
    client, _, _ = scripted_client(httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), max_retries=0)
    errors: list[BaseException] = []
    for call in (lambda: client.numbers.list_page(), lambda: client.numbers.release(NUMBER)):
        with pytest.raises(VobizError) as caught:
            call()
        errors.append(caught.value)
    with VobizClient(AUTH_ID, AUTH_TOKEN, base_url=refused_url(), max_retries=0) as refused:
        with pytest.raises(APIConnectionError) as caught:
            refused.numbers.list_page()
        errors.append(caught.value)
    for error in errors:
        assert error.__context__ is None and error.__cause__ is None
    assert not [text for text in reachable_reprs(*errors) if AUTH_TOKEN in text]


# Everything a caller can reach -----------------------------------------------------------------------


def test_the_client_hands_out_no_httpx_object(sandbox: SandboxServer, vobiz_for: Callable[..., VobizClient]) -> None:
    """A caller reaches the client, its resources, what their calls return and what they raise. httpx's
    request objects show `X-Auth-Token` in their repr (httpx masks only Authorization), so none may be
    among them: the only public client method is `close()`; the call that returns raw responses is private."""
    client = vobiz_for(sandbox, max_retries=0)
    token = sandbox.auth_token
    public_methods = {name for name in dir(client) if not name.startswith("_") and callable(getattr(client, name))}
    assert public_methods == {"close"}

    owned = sandbox.owned_numbers(sandbox.auth_id)
    bought = sandbox.inventory_numbers("IN")[0]
    cooling = sandbox.owned_numbers("SA_SALES0001", recent_call=True)[0]
    reached: list[object] = [client, client.numbers, client.subaccounts]
    reached += [
        client.numbers.list_page(per_page=5),
        list(client.numbers.iter_all()),
        client.numbers.get(owned[0]),
        client.numbers.inventory_page(country="IN"),
        list(client.numbers.iter_inventory(country="GB")),
        client.numbers.find_in_inventory(bought),
        client.numbers.purchase(bought),
        client.numbers.release(owned[0]),
        client.numbers.cancel_release(owned[0]),
        client.numbers.assign_subaccount(owned[1], "SA_SALES0001"),
        client.numbers.unassign_subaccount(owned[1]),
        client.subaccounts.list_page(),
        list(client.subaccounts.iter_all()),
        client.subaccounts.get("SA_SALES0001"),
        client.numbers.release(owned[2], immediate=True),
    ]
    for failing in (
        lambda: client.numbers.purchase(bought),  # 404: already ours
        lambda: client.numbers.release(sandbox.inventory_numbers("IN")[0]),  # 403
        lambda: client.numbers.cancel_release(owned[1]),  # 400
        lambda: client.numbers.unassign_subaccount(cooling),  # 409 cool-off
    ):
        with pytest.raises(VobizError) as caught:
            failing()
        reached.append(caught.value)
    sandbox.inject("list_numbers", "drop")
    with pytest.raises(VobizError) as caught:
        client.numbers.list_page()
    reached.append(caught.value)

    shown = reachable_reprs(*reached)
    assert len(shown) > 500  # the walk really went through the models and errors ...
    assert any(owned[0] in text for text in shown)
    assert not [text for text in shown if token in text]  # ... and found no token
