"""The sandbox's state model over real HTTP: money, ownership and timers on the controllable clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import httpx

from fakes.vobiz import START, SandboxServer

MA = "MA_SANDBOX01"
SALES, SUPPORT = "SA_SALES0001", "SA_SUPPORT001"
DAY = 86400
SandboxClientFactory = Callable[..., httpx.Client]


def enc(e164: str) -> str:
    return e164.replace("+", "%2B")


def buy(http: httpx.Client, e164: str, account: str = MA) -> httpx.Response:
    return http.post(f"/api/v1/Account/{account}/numbers/purchase-from-inventory", json={"e164": e164})


def release(http: httpx.Client, e164: str, **params: str) -> httpx.Response:
    return http.delete(f"/api/v1/Account/{MA}/numbers/{enc(e164)}", params=params)


def cancel(http: httpx.Client, e164: str) -> httpx.Response:
    return http.post(f"/api/v1/account/{MA}/numbers/{enc(e164)}/cancel-release")


def unassign(http: httpx.Client, e164: str, **params: str) -> httpx.Response:
    return http.delete(f"/api/v1/account/{MA}/numbers/{enc(e164)}/assign-subaccount", params=params)


def listed(http: httpx.Client, e164: str) -> list[dict]:
    return http.get(f"/api/v1/Account/{MA}/numbers", params={"search": e164}).json()["items"]


def in_inventory(http: httpx.Client, e164: str) -> bool:
    items = http.get(f"/api/v1/Account/{MA}/inventory/numbers", params={"search": e164}).json()["items"]
    return [item["e164"] for item in items] == [e164]


# Release: 24 h pending_release -> 45 days of quarantine -> inventory ------------------------------------


def test_a_release_moves_through_pending_quarantine_and_back_to_inventory(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.owned_numbers(MA)[0]
    assert release(sandbox_http, number).status_code == 200

    sandbox.advance(DAY - 1)  # one second before the cooldown ends: still cancellable
    assert listed(sandbox_http, number)[0]["status"] == "pending_release"

    sandbox.advance(1)  # the cooldown is over: quarantined, owner cleared
    assert listed(sandbox_http, number) == []
    assert not in_inventory(sandbox_http, number)
    assert cancel(sandbox_http, number).json() == {"error": "number is not pending release"}
    assert buy(sandbox_http, number).status_code == 404
    record = sandbox.describe(number)
    assert record["where"] == "quarantined" and record["released_at"] == "2026-09-02T09:00:00Z"
    assert record["quarantine_ends_at"] == "2026-10-17T09:00:00Z"

    sandbox.advance(45 * DAY - 1)
    assert not in_inventory(sandbox_http, number)
    sandbox.advance(1)
    assert in_inventory(sandbox_http, number)
    assert buy(sandbox_http, number).status_code == 200


def test_a_clock_jump_settles_every_timer_on_the_way(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(MA)[0]
    release(sandbox_http, number)
    sandbox.set_now(START + timedelta(days=47))
    assert in_inventory(sandbox_http, number)


def test_an_immediate_release_cannot_be_cancelled_and_its_fee_stays_charged(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.owned_numbers(MA)[0]
    before = sandbox.balance
    release(sandbox_http, number, immediate="true")
    refused = cancel(sandbox_http, number)
    assert (refused.status_code, refused.json()) == (400, {"error": "number is not pending release"})
    assert sandbox.balance == before - 700


def test_release_then_cancel_charges_then_refunds_the_fee(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(MA)[0]
    start = sandbox.balance
    assert release(sandbox_http, number).json()["release_fee"] == 700
    assert sandbox.balance == start - 700
    refund = cancel(sandbox_http, number).json()
    assert refund["refund_amount"] == 700 and refund["currency"] == "INR"
    assert sandbox.balance == start
    sandbox.advance(2 * DAY)  # a cancelled release never comes due
    assert listed(sandbox_http, number)[0]["status"] == "active"


def test_cancel_keeps_the_routing_the_release_removed(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = next(n for n in sandbox.owned_numbers(MA) if sandbox.describe(n)["application_id"])
    release(sandbox_http, number)
    cancel(sandbox_http, number)
    item = listed(sandbox_http, number)[0]
    assert "application_id" not in item and "trunk_group_id" not in item


def test_a_release_the_balance_cannot_pay_for_changes_nothing(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.owned_numbers(MA)[0]
    sandbox.set_balance(100)
    response = release(sandbox_http, number)
    assert response.status_code == 500
    assert response.json() == {"error": "internal_server_error", "message": "failed to charge release fee"}
    assert sandbox.describe(number)["where"] == "owned" and sandbox.balance == 100


# Purchase: money and exactly-once --------------------------------------------------------------------


def test_insufficient_balance_is_a_500_and_leaves_state_and_balance_untouched(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.set_balance(10)
    before = sandbox.snapshot()
    response = buy(sandbox_http, number)
    assert response.status_code == 500
    assert response.json() == {"error": "internal_server_error", "message": "failed to purchase number"}
    assert sandbox.snapshot() == before
    assert sandbox.balance == 10 and in_inventory(sandbox_http, number)


def test_insufficient_balance_can_answer_402_with_the_generic_error_envelope(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.inventory_numbers("US")[0]
    fees = sandbox.describe(number)
    cost = (fees["setup_fee"] + fees["monthly_fee"]) * 84
    sandbox.set_balance(cost - 1)
    sandbox.configure(insufficient_balance_status=402)
    response = buy(sandbox_http, number)
    assert response.status_code == 402
    body = response.json()
    assert body["status"] == "error" and body["requestId"] and body["timestamp"] == "2026-09-01T09:00:00Z"
    assert body["error"] == {
        "code": "INSUFFICIENT_BALANCE",
        "message": "Insufficient balance to purchase phone number",
        "details": {"required": cost, "available": cost - 1, "currency": "INR", "shortfall": 1},
    }
    assert in_inventory(sandbox_http, number) and sandbox.balance == cost - 1


def test_an_exact_balance_is_enough(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.inventory_numbers("GB")[0]
    fees = sandbox.describe(number)
    sandbox.set_balance((fees["setup_fee"] + fees["monthly_fee"]) * 107)
    assert buy(sandbox_http, number).status_code == 200
    assert sandbox.balance == 0


def test_buying_the_same_number_twice_debits_once_and_the_second_is_404(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.inventory_numbers("IN")[5]
    fees = sandbox.describe(number)
    start = sandbox.balance
    assert buy(sandbox_http, number).status_code == 200
    again = buy(sandbox_http, number)
    assert again.status_code == 404 and again.json()["message"] == "number not found in inventory"
    assert sandbox.balance == start - fees["setup_fee"] - fees["monthly_fee"]


def test_concurrent_purchases_of_one_number_sell_it_exactly_once(
    sandbox: SandboxServer, sandbox_as: SandboxClientFactory
) -> None:
    number = sandbox.inventory_numbers("IN")[7]
    fees = sandbox.describe(number)
    start = sandbox.balance
    clients = [sandbox_as() for _ in range(8)]
    statuses: list[int] = []
    barrier = threading.Barrier(len(clients))

    def attempt(client: httpx.Client) -> None:
        barrier.wait()
        statuses.append(buy(client, number).status_code)

    threads = [threading.Thread(target=attempt, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert sorted(statuses) == [200] + [404] * 7
    assert sandbox.balance == start - fees["setup_fee"] - fees["monthly_fee"]


def test_new_fees_apply_to_the_next_purchase(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.set_fees(number, 1000, 2000)
    item = sandbox_http.get(f"/api/v1/Account/{MA}/inventory/numbers", params={"search": number}).json()["items"][0]
    assert (item["setup_fee"], item["monthly_fee"]) == (1000, 2000)
    start = sandbox.balance
    buy(sandbox_http, number)
    assert sandbox.balance == start - 3000


def test_a_number_sold_elsewhere_is_gone_from_inventory(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.inventory_numbers("US")[0]
    sandbox.sell_elsewhere(number)
    assert not in_inventory(sandbox_http, number)
    assert buy(sandbox_http, number).status_code == 404
    assert listed(sandbox_http, number) == []  # nor is it ours
    assert release(sandbox_http, number).status_code == 403


# Sub-account cool-off --------------------------------------------------------------------------------


def test_the_cool_off_counts_down_and_then_lets_the_number_go(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.owned_numbers(SALES)[0]
    sandbox.set_last_call(number, START - timedelta(days=3))
    first = unassign(sandbox_http, number)
    assert first.status_code == 409
    assert first.json()["cool_off_until"] == "2026-09-13T09:00:00Z"
    assert first.json()["cool_off_remaining_seconds"] == 12 * DAY

    sandbox.advance(12 * DAY - 10)
    assert unassign(sandbox_http, number).json()["cool_off_remaining_seconds"] == 10
    sandbox.advance(10)  # exactly 15 days after the call
    assert unassign(sandbox_http, number).status_code == 200
    assert sandbox.describe(number)["owner"] == MA


def test_a_call_more_than_15_days_ago_or_never_does_not_block(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    old, never = sandbox.owned_numbers(SUPPORT)[:2]
    sandbox.set_last_call(old, START - timedelta(days=15, seconds=1))
    sandbox.set_last_call(never, None)
    assert unassign(sandbox_http, old).status_code == 200
    assert unassign(sandbox_http, never).status_code == 200


def test_the_seeded_recent_calls_are_in_cool_off(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    recent = sandbox.owned_numbers(SALES, recent_call=True)
    calm = sandbox.owned_numbers(SALES, recent_call=False)
    assert recent and calm
    assert {unassign(sandbox_http, n).status_code for n in recent} == {409}
    assert {unassign(sandbox_http, n).status_code for n in calm} == {200}


def test_force_skips_the_cool_off_for_an_admin_only(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(SALES, recent_call=True)[0]
    sandbox.set_admin(False)
    assert unassign(sandbox_http, number, force="true").status_code == 403
    assert sandbox.describe(number)["owner"] == SALES
    sandbox.set_admin(True)
    assert unassign(sandbox_http, number, force="true").status_code == 200
    assert sandbox.describe(number)["owner"] == MA


def test_assign_then_unassign_round_trip(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = next(n for n in sandbox.owned_numbers(MA) if sandbox.describe(n)["last_call_at"] is None)
    path = f"/api/v1/account/{MA}/numbers/{enc(number)}/assign-subaccount"
    assert sandbox_http.post(path, json={"sub_account_id": SUPPORT}).status_code == 200
    assert listed(sandbox_http, number)[0]["account_id"] == SUPPORT
    assert sandbox_http.delete(path).status_code == 200
    assert listed(sandbox_http, number)[0]["account_id"] == MA


def test_a_pending_release_cannot_change_hands(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(MA)[0]
    release(sandbox_http, number)
    path = f"/api/v1/account/{MA}/numbers/{enc(number)}/assign-subaccount"
    response = sandbox_http.post(path, json={"sub_account_id": SALES})
    assert response.status_code == 409
    assert response.json() == {"error": "conflict", "message": "number is pending release"}


def test_balance_is_kept_exactly_in_rupees(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    sandbox.set_balance(Decimal("1234.50"))
    number = sandbox.inventory_numbers("IN")[0]
    fees = sandbox.describe(number)
    buy(sandbox_http, number)
    assert sandbox.balance == Decimal("1234.50") - fees["setup_fee"] - fees["monthly_fee"]
    assert sandbox.snapshot()["accounts"][0]["balance"] == float(sandbox.balance)
