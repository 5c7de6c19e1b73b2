"""The sandbox's knobs over real HTTP: injected faults, latency, path casing and encoding tolerance,
strict casing, and the older-API behaviour modes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from fakes.vobiz import MASTER_AUTH_ID, MASTER_TOKEN, SandboxServer
from fakes.vobiz.faults import FaultPlan
from fakes.vobiz.gateway import Gateway
from fakes.vobiz.requestlog import RequestLog
from fakes.vobiz.state import Modes, SandboxState

MA = "MA_SANDBOX01"
SALES = "SA_SALES0001"
SandboxClientFactory = Callable[..., httpx.Client]
LIST = f"/api/v1/Account/{MA}/numbers"
PURCHASE = f"/api/v1/Account/{MA}/numbers/purchase-from-inventory"


def enc(e164: str) -> str:
    return e164.replace("+", "%2B")


def wait_for_log(sandbox: SandboxServer, route: str, count: int, limit: float = 3.0) -> list[dict]:
    """The request log once `count` requests to `route` are in it (a hanging handler finishes late)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        entries = sandbox.requests(route)
        if len(entries) >= count:
            return entries
        time.sleep(0.01)
    raise AssertionError(f"the sandbox logged {len(sandbox.requests(route))} {route} requests, expected {count}")


# Faults --------------------------------------------------------------------------------------------


def test_rate_limit_fault_answers_429_with_retry_after_for_the_next_n_requests(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    sandbox.inject("list_numbers", "rate_limit", count=2, retry_after=3)
    first, second, third = (sandbox_http.get(LIST) for _ in range(3))
    for limited in (first, second):
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
        assert limited.json() == {
            "status": "error",
            "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "rate limit exceeded", "details": {"retryAfter": 3}},
        }
    assert third.status_code == 200
    assert [e["fault"] for e in sandbox.requests("list_numbers")] == ["rate_limit", "rate_limit", None]


def test_a_fault_hits_only_its_route(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    sandbox.inject("list_inventory", "429")
    assert sandbox_http.get(LIST).status_code == 200
    assert sandbox_http.get(f"/api/v1/Account/{MA}/inventory/numbers").status_code == 429
    assert sandbox.pending_faults() == []


def test_route_star_faults_any_route_after_route_specific_ones(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    sandbox.inject("*", "server_error")
    sandbox.inject("list_numbers", "rate_limit")
    assert sandbox_http.get(LIST).status_code == 429
    assert sandbox_http.get(f"/api/v1/accounts/{MA}/sub-accounts/").status_code == 500
    assert sandbox_http.get(LIST).status_code == 200


def test_a_server_error_fault_does_not_apply_the_purchase(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    start = sandbox.balance
    sandbox.inject("purchase", "500")
    response = sandbox_http.post(PURCHASE, json={"e164": number})
    assert response.status_code == 500
    assert response.json() == {"error": "internal_server_error", "message": "internal server error (injected fault)"}
    assert number in sandbox.inventory_numbers() and sandbox.balance == start


def test_a_drop_fault_closes_the_connection_without_an_answer_or_a_purchase(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.inject("purchase", "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox_http.post(PURCHASE, json={"e164": number})
    assert number in sandbox.inventory_numbers()
    assert sandbox.requests("purchase")[-1]["status"] is None
    assert sandbox_http.post(PURCHASE, json={"e164": number}).status_code == 200  # the next one is normal


def test_a_drop_after_fault_buys_the_number_but_never_answers(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.inject("purchase", "drop_after")
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox_http.post(PURCHASE, json={"e164": number})
    assert sandbox.describe(number)["owner"] == MA


def test_a_hang_fault_outlasts_the_client_and_then_applies(
    sandbox: SandboxServer, sandbox_as: SandboxClientFactory
) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.inject("purchase", "hang", seconds=0.3)
    impatient = sandbox_as(timeout=0.1)
    with pytest.raises(httpx.ReadTimeout):
        impatient.post(PURCHASE, json={"e164": number})
    entry = wait_for_log(sandbox, "purchase", 1)[0]
    assert (entry["status"], entry["fault"]) == (200, "hang")
    assert sandbox.describe(number)["owner"] == MA


def test_a_hang_then_answer_reaches_a_patient_client(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    sandbox.inject("list_numbers", "hang", seconds=0.15)
    started = time.monotonic()
    assert sandbox_http.get(LIST).status_code == 200
    assert time.monotonic() - started >= 0.15


def test_a_hang_drop_fault_waits_then_hangs_up_without_applying(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.inject("purchase", "hang_drop", seconds=0.1)
    started = time.monotonic()
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox_http.post(PURCHASE, json={"e164": number})
    assert time.monotonic() - started >= 0.1
    assert number in sandbox.inventory_numbers()


def test_stopping_the_sandbox_cuts_a_long_hang_short(
    sandbox: SandboxServer, sandbox_as: SandboxClientFactory
) -> None:
    sandbox.inject("list_numbers", "hang", seconds=60)
    patient = sandbox_as(timeout=30.0)  # a timeout would mean the hang ran on: the server must hang up first
    stopper = threading.Timer(0.1, sandbox.stop)
    stopper.start()
    with pytest.raises(httpx.TransportError) as cut:
        patient.get(LIST)
    stopper.join()
    assert not isinstance(cut.value, httpx.TimeoutException), repr(cut.value)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"route": "buy", "kind": "drop"}, "unknown route 'buy'"),
        ({"route": "purchase", "kind": "explode"}, "unknown fault kind 'explode'"),
        ({"route": "purchase", "kind": "drop", "count": 0}, "count must be a whole number, 1 or more"),
        ({"route": "purchase", "kind": "hang"}, "a hang fault needs seconds > 0"),
        ({"route": "purchase", "kind": "429", "retry_after": -1}, "retry_after must be a whole number"),
    ],
)
def test_bad_fault_requests_are_refused_with_a_reason(
    sandbox: SandboxServer, arguments: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sandbox.inject(**arguments)
    assert sandbox.pending_faults() == []


# Latency -------------------------------------------------------------------------------------------------


class RecordedWaits(threading.Event):
    """The gateway's stop event, noting every wait it is asked for (and waiting for none)."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0.0)
        return False


def test_latency_delays_an_api_answer_by_at_least_the_configured_time(
    sandbox_client_for: SandboxClientFactory,
) -> None:
    with SandboxServer(latency_ms=120) as slow:
        client = sandbox_client_for(slow)
        started = time.monotonic()
        assert client.get(LIST).status_code == 200
        assert time.monotonic() - started >= 0.12


def test_latency_waits_once_per_api_request_and_not_at_all_when_zero() -> None:
    state = SandboxState(modes=Modes(latency_ms=120))
    waits = RecordedWaits()
    gateway = Gateway(state, FaultPlan(), RequestLog(), waits)
    headers = {"x-auth-id": MASTER_AUTH_ID, "x-auth-token": MASTER_TOKEN}

    assert gateway.handle("GET", LIST, headers, b"").status == 200
    assert waits.waits == [0.12]
    state.configure(latency_ms=0)
    gateway.handle("GET", LIST, headers, b"")
    assert waits.waits == [0.12]  # latency 0 adds no wait


def test_latency_leaves_the_control_api_alone(sandbox_client_for: SandboxClientFactory) -> None:
    with SandboxServer(latency_ms=60_000) as slow:  # far beyond the client's timeout
        client = sandbox_client_for(slow, timeout=10.0)
        assert client.get("/_sandbox/state").status_code == 200
        slow.configure(latency_ms=0)
        assert client.get(LIST).status_code == 200


# Casing and encoding tolerance (§6.3-6.4) -----------------------------------------------------------------


def test_both_casings_work_on_every_number_route(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    assert sandbox_http.get(f"/api/v1/account/{MA}/numbers").status_code == 200
    assert sandbox_http.get(f"/api/v1/account/{MA}/inventory/numbers").status_code == 200
    bought = sandbox.inventory_numbers("IN")[0]
    lower_purchase = f"/api/v1/account/{MA}/numbers/purchase-from-inventory"
    assert sandbox_http.post(lower_purchase, json={"e164": bought}).status_code == 200
    assert sandbox_http.delete(f"/api/v1/account/{MA}/numbers/{enc(bought)}").status_code == 200
    assert sandbox_http.post(f"/api/v1/Account/{MA}/numbers/{enc(bought)}/cancel-release").status_code == 200
    assigned = f"/api/v1/Account/{MA}/numbers/{enc(bought)}/assign-subaccount"
    assert sandbox_http.post(assigned, json={"sub_account_id": SALES}).status_code == 200
    assert sandbox_http.delete(assigned).status_code == 200


@pytest.mark.parametrize("spelling", ["%2B{digits}", "+{digits}", "{digits}", "%20{digits}", "%2b{digits}"])
def test_a_path_number_may_be_encoded_literal_bare_or_spaced(
    sandbox: SandboxServer, sandbox_http: httpx.Client, spelling: str
) -> None:
    number = sandbox.owned_numbers(MA)[0]
    path = f"/api/v1/Account/{MA}/numbers/{spelling.format(digits=number[1:])}"
    response = sandbox_http.delete(path)
    assert response.status_code == 200
    assert response.json()["cancel_url"] == f"/api/v1/account/{MA}/numbers/{number}/cancel-release"
    assert sandbox.requests("release")[-1]["path"] == path  # the raw path, as sent


def test_an_unencoded_plus_in_search_is_read_as_plus(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    """`search=+44` arrives as " 44" once decoded: read as "+44" it finds only UK numbers, while a bare
    "44" (what dropping the space would give) also finds numbers with 44 in the middle."""
    plus = sandbox_http.get(f"{LIST}?per_page=100&search=+44").json()["items"]
    assert sandbox.requests("list_numbers")[-1]["path"].endswith("search=+44")  # sent unencoded
    bare = sandbox_http.get(f"{LIST}?per_page=100&search=44").json()["items"]

    listed = sorted(item["e164"] for item in sandbox_http.get(f"{LIST}?per_page=100").json()["items"])
    found = sorted(item["e164"] for item in plus)
    assert found and found == [n for n in listed if n.startswith("+44")]
    assert any(not item["e164"].startswith("+44") for item in bare)  # the test can tell the two apart


def test_a_trailing_slash_is_optional(sandbox_http: httpx.Client) -> None:
    assert sandbox_http.get(LIST + "/").status_code == 200
    assert sandbox_http.get(f"/api/v1/accounts/{MA}/sub-accounts").status_code == 200


def test_strict_casing_404s_the_undocumented_casing_and_serves_the_documented_one(
    sandbox_client_for: SandboxClientFactory,
) -> None:
    with SandboxServer(strict_casing=True) as strict:
        http = sandbox_client_for(strict)
        number = strict.owned_numbers(MA)[0]
        wrong = {
            ("GET", f"/api/v1/account/{MA}/numbers"),
            ("GET", f"/api/v1/account/{MA}/inventory/numbers"),
            ("POST", f"/api/v1/account/{MA}/numbers/purchase-from-inventory"),
            ("DELETE", f"/api/v1/account/{MA}/numbers/{enc(number)}"),
            ("POST", f"/api/v1/Account/{MA}/numbers/{enc(number)}/cancel-release"),
            ("POST", f"/api/v1/Account/{MA}/numbers/{enc(number)}/assign-subaccount"),
            ("DELETE", f"/api/v1/Account/{MA}/numbers/{enc(number)}/assign-subaccount"),
        }
        for method, path in wrong:
            response = http.request(method, path, json={"sub_account_id": SALES, "e164": number})
            assert response.status_code == 404, (method, path)
        assert strict.describe(number)["where"] == "owned"
        assert http.get(f"/api/v1/Account/{MA}/numbers").status_code == 200
        assigned = f"/api/v1/account/{MA}/numbers/{enc(number)}/assign-subaccount"
        assert http.post(assigned, json={"sub_account_id": SALES}).status_code == 200


# Older-API behaviour modes ---------------------------------------------------------------------------


def test_legacy_204_release_is_immediate_permanent_and_free(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    sandbox.configure(release_mode="legacy_204")
    number = sandbox.owned_numbers(MA)[0]
    start = sandbox.balance
    response = sandbox_http.delete(f"{LIST}/{number[1:]}")
    assert response.status_code == 204 and response.content == b""
    assert number in sandbox.inventory_numbers() and sandbox.balance == start


def test_legacy_message_release(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    sandbox.configure(release_mode="legacy_message")
    number = sandbox.owned_numbers(MA)[0]
    response = sandbox_http.delete(f"{LIST}/{enc(number)}")
    assert response.status_code == 200 and response.json() == {"message": "number returned to inventory"}
    assert number in sandbox.inventory_numbers()


def test_refund_failed_cancel_restores_the_number_but_keeps_the_fee(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    sandbox.configure(refund_fails=True)
    number = sandbox.owned_numbers(MA)[0]
    start = sandbox.balance
    sandbox_http.delete(f"{LIST}/{enc(number)}")
    response = sandbox_http.post(f"/api/v1/account/{MA}/numbers/{enc(number)}/cancel-release")
    assert response.status_code == 200
    assert response.json() == {
        "message": "release cancelled, number restored to active status",
        "status": "active",
        "refund_status": "failed",
        "refund_error": "could not process refund, please contact support",
    }
    assert sandbox.describe(number)["where"] == "owned" and sandbox.balance == start - 700


def test_assign_and_unassign_can_answer_204(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    sandbox.configure(assign_status=204)
    number = next(n for n in sandbox.owned_numbers(MA) if sandbox.describe(n)["last_call_at"] is None)
    path = f"/api/v1/account/{MA}/numbers/{enc(number)}/assign-subaccount"
    assigned = sandbox_http.post(path, json={"sub_account_id": SALES})
    unassigned = sandbox_http.delete(path)
    assert (assigned.status_code, assigned.content) == (204, b"")
    assert (unassigned.status_code, unassigned.content) == (204, b"")
    assert sandbox.describe(number)["owner"] == MA


@pytest.mark.parametrize(
    ("modes", "message"),
    [
        ({"release_mode": "gone"}, "release_mode must be one of"),
        ({"assign_status": 201}, "assign_status must be 200 or 204"),
        ({"insufficient_balance_status": 400}, "insufficient_balance_status must be 402 or 500"),
        ({"latency_ms": -5}, "latency_ms must be a whole number"),
        ({"volume": 11}, "unknown mode 'volume'"),
    ],
)
def test_bad_modes_are_refused_and_change_nothing(sandbox: SandboxServer, modes: dict, message: str) -> None:
    before = sandbox.snapshot()["modes"]
    with pytest.raises(ValueError, match=message):
        sandbox.configure(**modes)
    assert sandbox.snapshot()["modes"] == before
