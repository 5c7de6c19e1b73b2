"""Every way Vobiz can say no, and every way the network can fail, lands on the right error class."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from api import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequest,
    Conflict,
    CoolOffInEffect,
    NotFound,
    PermissionDenied,
    PurchaseDebitFailed,
    RateLimited,
    ServerError,
    VobizClient,
)
from client_helpers import json_reply, scripted_client

NUMBER = "+918012345678"

Call = Callable[[VobizClient], Any]
LIST: Call = lambda c: c.numbers.list_page()  # noqa: E731
PURCHASE: Call = lambda c: c.numbers.purchase(NUMBER)  # noqa: E731
RELEASE: Call = lambda c: c.numbers.release(NUMBER)  # noqa: E731
CANCEL: Call = lambda c: c.numbers.cancel_release(NUMBER)  # noqa: E731
UNASSIGN: Call = lambda c: c.numbers.unassign_subaccount(NUMBER)  # noqa: E731


def raised_by(call: Call, reply: httpx.Response | Exception, **options: Any) -> Exception:
    client, _, _ = scripted_client(reply, max_retries=0, **options)
    with pytest.raises(Exception) as caught:
        call(client)
    return caught.value


@pytest.mark.parametrize(
    ("call", "status", "body", "expected", "error", "message"),
    [
        (PURCHASE, 400, {"error": "bad_request", "message": "e164 is required"}, BadRequest, "bad_request", "e164 is required"),
        (LIST, 401, {"error": {"code": 401, "message": "Invalid token"}}, AuthenticationError, "401", "Invalid token"),
        (RELEASE, 403, {"error": "forbidden", "message": "account does not own this number"}, PermissionDenied, "forbidden", "account does not own this number"),
        (CANCEL, 403, {"error": "access denied"}, PermissionDenied, "access denied", "access denied"),
        (PURCHASE, 404, {"error": "not_found", "message": "number not found in inventory"}, NotFound, "not_found", "number not found in inventory"),
        (CANCEL, 400, {"error": "number is not pending release"}, BadRequest, "number is not pending release", "number is not pending release"),
        (RELEASE, 409, {"error": "conflict", "message": "number is busy"}, Conflict, "conflict", "number is busy"),
        (LIST, 403, {"status": "forbidden", "message": "not allowed here"}, PermissionDenied, "forbidden", "not allowed here"),
        (LIST, 500, {"error": "internal_server_error", "message": "boom"}, ServerError, "internal_server_error", "boom"),
        (LIST, 503, {"status": "error", "error": {"code": "UNAVAILABLE", "message": "maintenance"}}, ServerError, "UNAVAILABLE", "maintenance"),
        (PURCHASE, 500, {"error": "internal_server_error", "message": "database unavailable"}, ServerError, "internal_server_error", "database unavailable"),
        (LIST, 402, {"error": "payment_required", "message": "pay up"}, APIStatusError, "payment_required", "pay up"),
    ],
    ids=[
        "400-flat", "401-nested", "403-flat", "403-error-only", "404", "400-error-only", "409-generic",
        "403-status-shape", "500", "503-nested", "purchase-500-other-message", "402-not-purchase",
    ],
)
def test_status_errors_map_to_their_class_with_code_and_message(
    call: Call, status: int, body: dict[str, Any], expected: type[APIStatusError], error: str, message: str
) -> None:
    raised = raised_by(call, json_reply(status, body))
    assert type(raised) is expected
    assert isinstance(raised, APIStatusError)
    assert (raised.status_code, raised.error, raised.message) == (status, error, message)
    assert raised.body == body
    assert str(status) in str(raised) and message in str(raised)


def test_a_402_on_purchase_is_a_failed_debit() -> None:
    body = {"status": "error", "error": {"code": "INSUFFICIENT_BALANCE", "message": "Insufficient balance to purchase phone number"}}
    raised = raised_by(PURCHASE, json_reply(402, body))
    assert type(raised) is PurchaseDebitFailed
    assert raised.error == "INSUFFICIENT_BALANCE"


def test_a_500_failed_to_purchase_on_purchase_is_a_failed_debit() -> None:
    raised = raised_by(PURCHASE, json_reply(500, {"error": "internal_server_error", "message": "failed to purchase number"}))
    assert type(raised) is PurchaseDebitFailed
    assert raised.status_code == 500


def test_the_same_500_outside_a_purchase_is_a_server_error() -> None:
    raised = raised_by(RELEASE, json_reply(500, {"error": "internal_server_error", "message": "failed to purchase number"}))
    assert type(raised) is ServerError


def test_a_cool_off_409_carries_an_aware_deadline_and_remaining_seconds() -> None:
    body = {"error": "did_cool_off_in_effect", "cool_off_until": "2026-06-09T10:00:00Z", "cool_off_remaining_seconds": 1209600}
    raised = raised_by(UNASSIGN, json_reply(409, body))
    assert isinstance(raised, CoolOffInEffect) and isinstance(raised, Conflict)
    assert raised.cool_off_until == datetime(2026, 6, 9, 10, 0, tzinfo=timezone.utc)
    assert raised.cool_off_until.tzinfo is not None
    assert raised.remaining_seconds == 1209600
    assert "cool-off" in raised.message


def test_a_429_is_rate_limited_with_its_retry_after() -> None:
    body = {"status": "error", "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "rate limit exceeded"}}
    raised = raised_by(LIST, json_reply(429, body, headers={"Retry-After": "7"}))
    assert type(raised) is RateLimited
    assert raised.retry_after == 7.0
    assert (raised.error, raised.message) == ("RATE_LIMIT_EXCEEDED", "rate limit exceeded")


def test_an_error_without_a_json_body_keeps_the_text_and_reads_the_reason() -> None:
    raised = raised_by(LIST, httpx.Response(502, text="<html>Bad gateway</html>"))
    assert type(raised) is ServerError
    assert raised.message == "Bad Gateway"
    assert raised.body == "<html>Bad gateway</html>"


def test_an_error_with_an_empty_body_uses_the_reason_phrase() -> None:
    raised = raised_by(RELEASE, httpx.Response(404))
    assert type(raised) is NotFound
    assert raised.message == "Not Found"


@pytest.mark.parametrize(
    ("failure", "expected", "request_sent"),
    [
        (httpx.ConnectError("connection refused"), APIConnectionError, False),
        (httpx.ConnectTimeout("connect timed out"), APIConnectionError, False),
        (httpx.ReadTimeout("read timed out"), APITimeoutError, True),
        (httpx.WriteTimeout("write timed out"), APITimeoutError, True),
        (httpx.PoolTimeout("no connection free"), APITimeoutError, False),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), APIConnectionError, True),
        (httpx.ReadError("connection reset by peer"), APIConnectionError, True),
    ],
    ids=["connect", "connect-timeout", "read-timeout", "write-timeout", "pool-timeout", "dropped", "reset"],
)
def test_transport_failures_say_whether_vobiz_can_have_seen_the_request(
    failure: Exception, expected: type[APIConnectionError], request_sent: bool
) -> None:
    raised = raised_by(PURCHASE, failure)
    assert type(raised) is expected
    assert isinstance(raised, APIConnectionError)
    assert raised.request_sent is request_sent
    if request_sent:
        assert "unknown" in raised.message
