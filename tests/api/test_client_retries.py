"""The retry rules: reads retry on transient failures; calls that move numbers or money retry only when
Vobiz cannot have seen them. Sleeps are recorded, never slept."""

from __future__ import annotations

import random

import httpx
import pytest

from api import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    NotFound,
    PurchaseDebitFailed,
    RateLimited,
    ServerError,
    VobizClient,
)
from client_helpers import (
    AUTH_ID,
    AUTH_TOKEN,
    SleepRecorder,
    json_reply,
    misbehaving_server,
    number_json,
    page_json,
    refused_url,
    scripted_client,
)

NUMBER = "+918012345678"
OK_PAGE = page_json([number_json(NUMBER)], page=1, per_page=25, total=1)
PURCHASED = {"message": "Number purchased successfully", "number": number_json(NUMBER)}


def unavailable() -> httpx.Response:
    return json_reply(503, {"error": "service_unavailable", "message": "try later"})


def test_a_get_is_retried_after_a_503_and_then_succeeds() -> None:
    client, script, sleep = scripted_client(unavailable(), json_reply(200, OK_PAGE))

    page = client.numbers.list_page()

    assert [n.e164 for n in page.items] == [NUMBER]
    assert len(script.seen) == 2
    assert len(sleep.calls) == 1 and 0 <= sleep.calls[0] <= 0.5  # first backoff step, fully jittered


def test_a_get_honours_retry_after_on_429() -> None:
    limited = json_reply(429, {"error": "rate_limited", "message": "slow down"}, headers={"Retry-After": "3"})
    client, script, sleep = scripted_client(limited, json_reply(200, OK_PAGE))

    client.numbers.list_page()

    assert len(script.seen) == 2
    assert sleep.calls == [3.0]


def test_retry_after_is_capped() -> None:
    limited = json_reply(429, {"error": "rate_limited"}, headers={"Retry-After": "3600"})
    client, _, sleep = scripted_client(limited, json_reply(200, OK_PAGE), max_retry_after=5.0)
    client.numbers.list_page()
    assert sleep.calls == [5.0]


def test_a_get_gives_up_after_max_retries_with_the_last_error() -> None:
    client, script, sleep = scripted_client(unavailable(), max_retries=2)
    with pytest.raises(ServerError):
        client.numbers.list_page()
    assert len(script.seen) == 3
    assert len(sleep.calls) == 2


def test_a_429_that_outlasts_the_retries_is_raised_as_rate_limited() -> None:
    limited = json_reply(429, {"error": "rate_limited"}, headers={"Retry-After": "1"})
    client, script, sleep = scripted_client(limited, max_retries=1)
    with pytest.raises(RateLimited) as caught:
        client.numbers.list_page()
    assert caught.value.retry_after == 1.0
    assert len(script.seen) == 2 and sleep.calls == [1.0]


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")],
    ids=["connect", "read-timeout", "dropped"],
)
def test_a_get_is_retried_after_a_transport_failure(failure: Exception) -> None:
    client, script, _ = scripted_client(failure, json_reply(200, OK_PAGE))
    assert client.numbers.list_page().total == 1
    assert len(script.seen) == 2


def test_a_get_is_not_retried_after_a_4xx() -> None:
    client, script, sleep = scripted_client(json_reply(404, {"error": "not_found"}), json_reply(200, OK_PAGE))
    with pytest.raises(NotFound):
        client.numbers.list_page()
    assert len(script.seen) == 1 and sleep.calls == []


def test_backoff_grows_exponentially_within_full_jitter_bounds() -> None:
    rng = random.Random(7)
    client, _, sleep = scripted_client(unavailable(), max_retries=5, rng=rng)
    with pytest.raises(ServerError):
        client.numbers.list_page()
    caps = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(sleep.calls) == 5
    assert all(0 <= delay <= cap for delay, cap in zip(sleep.calls, caps))
    expected = random.Random(7)
    assert sleep.calls == [expected.uniform(0, cap) for cap in caps]


def test_backoff_never_exceeds_its_cap() -> None:
    client, _, sleep = scripted_client(unavailable(), max_retries=8, rng=random.Random(1))
    with pytest.raises(ServerError):
        client.numbers.list_page()
    assert max(sleep.calls) <= 8.0


@pytest.mark.parametrize(
    "reply",
    [
        json_reply(500, {"error": "internal_server_error", "message": "database unavailable"}),
        json_reply(503, {"error": "service_unavailable"}),
        json_reply(429, {"error": "rate_limited"}, headers={"Retry-After": "1"}),
    ],
    ids=["500", "503", "429"],
)
def test_a_purchase_is_never_retried_after_an_http_answer(reply: httpx.Response) -> None:
    client, script, sleep = scripted_client(reply, json_reply(200, PURCHASED))
    with pytest.raises(APIStatusError):
        client.numbers.purchase(NUMBER)
    assert len(script.seen) == 1
    assert sleep.calls == []


def test_a_purchase_debit_failure_is_not_retried() -> None:
    client, script, _ = scripted_client(
        json_reply(500, {"error": "internal_server_error", "message": "failed to purchase number"}), json_reply(200, PURCHASED)
    )
    with pytest.raises(PurchaseDebitFailed):
        client.numbers.purchase(NUMBER)
    assert len(script.seen) == 1


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), httpx.ReadError("reset")],
    ids=["read-timeout", "dropped", "reset"],
)
def test_a_purchase_is_never_retried_once_it_may_have_been_sent(failure: Exception) -> None:
    client, script, sleep = scripted_client(failure, json_reply(200, PURCHASED))
    with pytest.raises(APIConnectionError) as caught:
        client.numbers.purchase(NUMBER)
    assert caught.value.request_sent is True
    assert len(script.seen) == 1 and sleep.calls == []


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("no route")], ids=["refused", "connect-timeout"]
)
def test_a_purchase_is_retried_when_the_connection_was_never_made(failure: Exception) -> None:
    client, script, sleep = scripted_client(failure, json_reply(200, PURCHASED))
    assert client.numbers.purchase(NUMBER).number.e164 == NUMBER
    assert len(script.seen) == 2 and len(sleep.calls) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.numbers.release(NUMBER),
        lambda c: c.numbers.cancel_release(NUMBER),
        lambda c: c.numbers.assign_subaccount(NUMBER, "SA_CHILD"),
        lambda c: c.numbers.unassign_subaccount(NUMBER, force=True),
    ],
    ids=["release", "cancel_release", "assign", "unassign"],
)
def test_other_writes_follow_the_purchase_rules(call) -> None:  # type: ignore[no-untyped-def]
    client, script, _ = scripted_client(json_reply(503, {"error": "unavailable"}), httpx.Response(204))
    with pytest.raises(ServerError):
        call(client)
    assert len(script.seen) == 1

    client, script, _ = scripted_client(httpx.ReadTimeout("slow"), httpx.Response(204))
    with pytest.raises(APITimeoutError):
        call(client)
    assert len(script.seen) == 1

    client, script, _ = scripted_client(httpx.ConnectError("refused"), httpx.Response(204))
    call(client)
    assert len(script.seen) == 2


def test_max_retries_zero_means_one_attempt() -> None:
    client, script, sleep = scripted_client(httpx.ConnectError("refused"), max_retries=0)
    with pytest.raises(APIConnectionError):
        client.numbers.purchase(NUMBER)
    assert len(script.seen) == 1 and sleep.calls == []


# Real sockets: the httpx exceptions these rules rest on are the ones a real network raises. ------


def test_a_real_refused_connection_is_retried_for_a_purchase_and_reported_as_never_sent() -> None:
    sleep = SleepRecorder()
    with VobizClient(AUTH_ID, AUTH_TOKEN, base_url=refused_url(), sleep=sleep, max_retries=2) as client:
        with pytest.raises(APIConnectionError) as caught:
            client.numbers.purchase(NUMBER)
    assert type(caught.value) is APIConnectionError
    assert caught.value.request_sent is False
    assert len(sleep.calls) == 2  # three attempts in all


def test_a_real_read_timeout_on_a_purchase_is_unknown_and_not_retried() -> None:
    sleep = SleepRecorder()
    with misbehaving_server("hang") as (base_url, received):
        with VobizClient(AUTH_ID, AUTH_TOKEN, base_url=base_url, timeout=0.2, sleep=sleep) as client:
            with pytest.raises(APITimeoutError) as caught:
                client.numbers.purchase(NUMBER)
    assert caught.value.request_sent is True
    assert len(received) == 1 and received[0].startswith(b"POST /api/v1/Account/")
    assert sleep.calls == []


def test_a_real_dropped_connection_on_a_release_is_unknown_and_not_retried() -> None:
    sleep = SleepRecorder()
    with misbehaving_server("hangup") as (base_url, received):
        with VobizClient(AUTH_ID, AUTH_TOKEN, base_url=base_url, sleep=sleep) as client:
            with pytest.raises(APIConnectionError) as caught:
                client.numbers.release(NUMBER)
    assert type(caught.value) is APIConnectionError
    assert caught.value.request_sent is True
    assert len(received) == 1 and received[0].startswith(b"DELETE /api/v1/Account/MA_TESTACCT/numbers/%2B918012345678 ")
    assert sleep.calls == []


def test_a_real_dropped_connection_on_a_get_is_retried() -> None:
    sleep = SleepRecorder()
    with misbehaving_server("hangup") as (base_url, received):
        with VobizClient(AUTH_ID, AUTH_TOKEN, base_url=base_url, sleep=sleep, max_retries=2) as client:
            with pytest.raises(APIConnectionError):
                client.numbers.list_page()
    assert len(received) == 3 and len(sleep.calls) == 2
