"""The project's Vobiz client against the sandbox over real HTTP: every operation, its documented
refusals mapped to the error tree, the retry rules seen from the server's side, and strict casing."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from api import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequest,
    CoolOffInEffect,
    NotFound,
    PermissionDenied,
    PurchaseDebitFailed,
    RateLimited,
    VobizClient,
)
from fakes.vobiz import START, SandboxServer

MA = "MA_SANDBOX01"
SALES, SUPPORT, ENGINEERING = "SA_SALES0001", "SA_SUPPORT001", "SA_ENGINEER01"
ClientFactory = Callable[..., VobizClient]


@pytest.fixture
def vobiz(sandbox: SandboxServer, vobiz_for: ClientFactory) -> VobizClient:
    return vobiz_for(sandbox)


def writes(sandbox: SandboxServer, route: str) -> int:
    return len(sandbox.requests(route))


# Reads ------------------------------------------------------------------------------------------------


def test_list_page_and_iter_all_cover_every_owned_number(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    first = vobiz.numbers.list_page(page=1, per_page=10)
    assert (first.page, first.per_page, len(first.items)) == (1, 10, 10) and first.has_next
    everything = list(vobiz.numbers.iter_all(per_page=7))
    state = sandbox.snapshot()["numbers"]
    owned = {n["e164"]: n["owner"] for n in state if n["where"] in ("owned", "pending_release")}
    assert {n.e164: n.account_id for n in everything} == owned
    assert first.total == len(everything) == len(owned)
    assert len(sandbox.requests("list_numbers")) == 1 + -(-len(owned) // 7)  # one page per request


def test_list_page_search_and_get_exact(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = sandbox.owned_numbers(SUPPORT)[0]
    page = vobiz.numbers.list_page(search=number)
    assert [n.e164 for n in page.items] == [number]
    found = vobiz.numbers.get(number)
    assert found is not None and found.account_id == SUPPORT and found.status == "active"
    assert vobiz.numbers.get(sandbox.inventory_numbers()[0]) is None


def test_a_sub_account_client_sees_only_its_numbers(sandbox: SandboxServer, vobiz_for: ClientFactory) -> None:
    sales = vobiz_for(sandbox, SALES)
    numbers = list(sales.numbers.iter_all())
    assert numbers and {n.account_id for n in numbers} == {SALES}
    assert sorted(n.e164 for n in numbers) == sandbox.owned_numbers(SALES)


def test_inventory_paging_and_filters(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    assert len(list(vobiz.numbers.iter_inventory())) == 320
    gb = list(vobiz.numbers.iter_inventory(country="gb", per_page=25))
    assert len(gb) == 60 and {n.currency for n in gb} == {"GBP"}
    india = vobiz.numbers.inventory_page(country="IN", exclude=["9180", "+9122"], per_page=100)
    assert india.items and not any(n.e164.startswith(("+9180", "+9122")) for n in india.items)
    assert india.total == len(
        [n for n in sandbox.inventory_numbers("IN") if not n.startswith(("+9180", "+9122"))]
    )
    london = vobiz.numbers.inventory_page(search="+4420", per_page=100)
    assert london.items and all(n.e164.startswith("+4420") for n in london.items)


def test_find_in_inventory_quotes_the_current_fees(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = sandbox.inventory_numbers("US")[0]
    sandbox.set_fees(number, 2, 3)
    found = vobiz.numbers.find_in_inventory(number)
    assert found is not None
    assert (found.setup_fee, found.monthly_fee, found.currency) == (Decimal(2), Decimal(3), "USD")
    assert found.account_id == "" and found.owner is None
    assert vobiz.numbers.find_in_inventory(sandbox.owned_numbers(MA)[0]) is None


def test_sub_accounts_list_get_and_active_only(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    page = vobiz.subaccounts.list_page(size=2)
    assert [s.auth_id for s in page.sub_accounts] == [ENGINEERING, SUPPORT] and page.total == 3 and page.has_next
    assert [s.auth_id for s in vobiz.subaccounts.iter_all()] == [ENGINEERING, SUPPORT, SALES]
    support = vobiz.subaccounts.get(SUPPORT)
    assert support is not None and support.name == "Support" and support.parent_auth_id == MA
    assert vobiz.subaccounts.get("SA_NOBODY0001") is None
    with sandbox.state.lock:
        sandbox.state.accounts[SALES].is_active = False
    assert [s.auth_id for s in vobiz.subaccounts.iter_all(active_only=True)] == [ENGINEERING, SUPPORT]


# Purchase ----------------------------------------------------------------------------------------------


def test_purchase_buys_and_debits_the_master(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    quote = vobiz.numbers.find_in_inventory(number)
    assert quote is not None and quote.setup_fee is not None and quote.monthly_fee is not None
    start = sandbox.balance
    result = vobiz.numbers.purchase(number)
    assert result.number.e164 == number and result.number.account_id == MA
    assert result.number.source == "inventory" and result.number.purchased_at == START
    assert sandbox.balance == start - quote.setup_fee - quote.monthly_fee
    assert vobiz.numbers.get(number) is not None


def test_buying_the_same_number_twice_the_second_is_not_found(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = sandbox.inventory_numbers("IN")[1]
    vobiz.numbers.purchase(number)
    after_first = sandbox.balance
    with pytest.raises(NotFound) as raised:
        vobiz.numbers.purchase(number)
    assert raised.value.message == "number not found in inventory"
    assert sandbox.balance == after_first and writes(sandbox, "purchase") == 2


@pytest.mark.parametrize("status", [500, 402])
def test_insufficient_balance_is_purchase_debit_failed_and_changes_nothing(
    sandbox: SandboxServer, vobiz: VobizClient, status: int
) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.configure(insufficient_balance_status=status)
    sandbox.set_balance(50)
    before = sandbox.snapshot()
    with pytest.raises(PurchaseDebitFailed) as raised:
        vobiz.numbers.purchase(number)
    assert raised.value.status_code == status
    assert sandbox.snapshot() == before and sandbox.balance == 50
    assert vobiz.numbers.find_in_inventory(number) is not None
    assert writes(sandbox, "purchase") == 1  # never retried


def test_a_number_sold_elsewhere_is_not_found(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = sandbox.inventory_numbers("GB")[0]
    sandbox.sell_elsewhere(number)
    with pytest.raises(NotFound):
        vobiz.numbers.purchase(number)


# Release and cancel --------------------------------------------------------------------------------------


def test_release_then_cancel_charges_then_refunds_the_fee(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = sandbox.owned_numbers(MA)[0]
    start = sandbox.balance
    released = vobiz.numbers.release(number)
    assert released.status == "pending_release" and released.cancellable
    assert released.release_fee == Decimal(700)
    assert released.cooldown_ends_at == START + timedelta(hours=24)
    assert released.cancel_url == f"/api/v1/account/{MA}/numbers/{number}/cancel-release"
    assert sandbox.balance == start - 700
    listed = vobiz.numbers.get(number)
    assert listed is not None and listed.status == "pending_release"

    cancelled = vobiz.numbers.cancel_release(number)
    assert cancelled.status == "active" and cancelled.refunded
    assert (cancelled.refund_amount, cancelled.currency) == (Decimal(700), "INR")
    assert sandbox.balance == start


def test_a_failed_refund_is_reported(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    sandbox.configure(refund_fails=True)
    number = sandbox.owned_numbers(MA)[0]
    vobiz.numbers.release(number)
    cancelled = vobiz.numbers.cancel_release(number)
    assert cancelled.status == "active" and not cancelled.refunded
    assert cancelled.refund_error == "could not process refund, please contact support"


def test_release_immediate_is_final(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = sandbox.owned_numbers(MA)[0]
    released = vobiz.numbers.release(number, immediate=True)
    assert released.status == "released" and not released.cancellable
    assert vobiz.numbers.get(number) is None
    with pytest.raises(BadRequest) as raised:
        vobiz.numbers.cancel_release(number)
    assert raised.value.message == "number is not pending release"


def test_after_the_cooldown_the_release_cannot_be_cancelled(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = sandbox.owned_numbers(MA)[0]
    vobiz.numbers.release(number)
    sandbox.advance(24 * 3600)
    assert vobiz.numbers.get(number) is None
    with pytest.raises(BadRequest) as raised:
        vobiz.numbers.cancel_release(number)
    assert raised.value.status_code == 400 and raised.value.message == "number is not pending release"


@pytest.mark.parametrize("mode", ["legacy_204", "legacy_message"])
def test_older_release_answers_read_as_released(sandbox: SandboxServer, vobiz: VobizClient, mode: str) -> None:
    sandbox.configure(release_mode=mode)
    number = sandbox.owned_numbers(MA)[0]
    released = vobiz.numbers.release(number)
    assert released.status == "released" and not released.cancellable
    assert number in sandbox.inventory_numbers()


def test_release_refusals_map_to_the_error_tree(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    with pytest.raises(PermissionDenied) as denied:
        vobiz.numbers.release(sandbox.inventory_numbers()[0])
    assert denied.value.message == "account does not own this number"
    with pytest.raises(NotFound):
        vobiz.numbers.release("+919999999999")
    with pytest.raises(PermissionDenied):
        vobiz.numbers.cancel_release(sandbox.inventory_numbers()[0])


# Sub-account assignment and the cool-off ------------------------------------------------------------------


def test_assign_and_unassign_a_never_used_number(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = next(n for n in sandbox.owned_numbers(MA) if sandbox.describe(n)["last_call_at"] is None)
    assert vobiz.numbers.assign_subaccount(number, SALES) is None
    assert sandbox.describe(number)["owner"] == SALES
    vobiz.numbers.unassign_subaccount(number)  # never used: back at once
    assert sandbox.describe(number)["owner"] == MA


def test_assign_and_unassign_accept_204(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    sandbox.configure(assign_status=204)
    number = next(n for n in sandbox.owned_numbers(MA) if sandbox.describe(n)["last_call_at"] is None)
    vobiz.numbers.assign_subaccount(number, SUPPORT)
    vobiz.numbers.unassign_subaccount(number)
    assert sandbox.describe(number)["owner"] == MA


def test_assign_to_an_unknown_sub_account_is_not_found(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    with pytest.raises(NotFound) as raised:
        vobiz.numbers.assign_subaccount(sandbox.owned_numbers(MA)[0], "SA_NOBODY0001")
    assert raised.value.message == "number or sub-account not found"


def test_cool_off_carries_when_it_ends_and_how_long_remains(sandbox: SandboxServer, vobiz: VobizClient) -> None:
    number = sandbox.owned_numbers(SALES)[0]
    last_call = START - timedelta(days=4, hours=6)
    sandbox.set_last_call(number, last_call)
    with pytest.raises(CoolOffInEffect) as raised:
        vobiz.numbers.unassign_subaccount(number)
    assert raised.value.status_code == 409
    assert raised.value.cool_off_until == last_call + timedelta(days=15)
    assert raised.value.remaining_seconds == int(timedelta(days=10, hours=18).total_seconds())
    assert sandbox.describe(number)["owner"] == SALES
    assert writes(sandbox, "unassign") == 1


def test_force_unassign_works_for_an_admin_and_is_denied_otherwise(
    sandbox: SandboxServer, vobiz: VobizClient
) -> None:
    number = sandbox.owned_numbers(SALES, recent_call=True)[0]
    sandbox.set_admin(False)
    with pytest.raises(PermissionDenied) as denied:
        vobiz.numbers.unassign_subaccount(number, force=True)
    assert denied.value.message == "force requires an admin-role account"
    assert sandbox.describe(number)["owner"] == SALES
    sandbox.set_admin(True)
    vobiz.numbers.unassign_subaccount(number, force=True)
    assert sandbox.describe(number)["owner"] == MA
    assert sandbox.snapshot()["audit"][-1]["action"] == "force_unassign"


# Credentials, retries and faults, seen from the server ------------------------------------------------------


def test_wrong_credentials_are_an_authentication_error(sandbox: SandboxServer) -> None:
    with VobizClient(MA, "wrong-token", base_url=sandbox.base_url) as client:
        with pytest.raises(AuthenticationError) as raised:
            client.numbers.list_page()
    assert raised.value.status_code == 401 and "wrong-token" not in repr(raised.value) + str(raised.value)


def test_reads_retry_after_429_honouring_retry_after(sandbox: SandboxServer, vobiz_for: ClientFactory) -> None:
    slept: list[float] = []
    client = vobiz_for(sandbox, sleep=slept.append, max_retries=2)
    sandbox.inject("list_numbers", "rate_limit", count=2, retry_after=2)
    page = client.numbers.list_page()
    assert page.items and slept == [2.0, 2.0]
    assert [e["status"] for e in sandbox.requests("list_numbers")] == [429, 429, 200]


def test_reads_give_up_after_max_retries(sandbox: SandboxServer, vobiz_for: ClientFactory) -> None:
    client = vobiz_for(sandbox, sleep=lambda seconds: None, max_retries=1)
    sandbox.inject("list_inventory", "rate_limit", count=3)
    with pytest.raises(RateLimited) as raised:
        client.numbers.inventory_page()
    assert raised.value.retry_after == 1.0 and len(sandbox.requests("list_inventory")) == 2


def test_a_dropped_purchase_is_not_retried_and_did_not_happen(
    sandbox: SandboxServer, vobiz_for: ClientFactory
) -> None:
    client = vobiz_for(sandbox, sleep=lambda seconds: None, max_retries=2)
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.inject("purchase", "drop")
    with pytest.raises(APIConnectionError) as raised:
        client.numbers.purchase(number)
    assert raised.value.request_sent
    assert writes(sandbox, "purchase") == 1 and number in sandbox.inventory_numbers()


def test_a_purchase_applied_then_dropped_is_settled_by_re_reading(
    sandbox: SandboxServer, vobiz_for: ClientFactory
) -> None:
    client = vobiz_for(sandbox, sleep=lambda seconds: None, max_retries=2)
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.inject("purchase", "drop_after")
    with pytest.raises(APIConnectionError):
        client.numbers.purchase(number)
    assert writes(sandbox, "purchase") == 1
    owned = client.numbers.get(number)  # what the services do to settle an unknown outcome
    assert owned is not None and owned.account_id == MA


def test_a_purchase_that_outlasts_the_timeout_is_unknown_and_happened(
    sandbox: SandboxServer, vobiz_for: ClientFactory
) -> None:
    client = vobiz_for(sandbox, timeout=0.1, sleep=lambda seconds: None, max_retries=2)
    number = sandbox.inventory_numbers("IN")[0]
    sandbox.inject("purchase", "hang", seconds=0.3)
    with pytest.raises(APITimeoutError):
        client.numbers.purchase(number)
    deadline = time.monotonic() + 3
    while not sandbox.requests("purchase") and time.monotonic() < deadline:
        time.sleep(0.01)  # the hanging request is logged when the sandbox finishes it
    assert [(e["status"], e["fault"]) for e in sandbox.requests("purchase")] == [(200, "hang")]
    assert client.numbers.get(number) is not None


def test_reads_retry_a_dropped_connection(sandbox: SandboxServer, vobiz_for: ClientFactory) -> None:
    client = vobiz_for(sandbox, sleep=lambda seconds: None, max_retries=2)
    sandbox.inject("list_numbers", "drop")
    assert client.numbers.list_page().items
    assert [e["status"] for e in sandbox.requests("list_numbers")] == [None, 200]


# Strict casing: the client's casing is the documented one --------------------------------------------------


def test_every_operation_works_under_strict_casing(vobiz_for: ClientFactory) -> None:
    with SandboxServer(strict_casing=True) as strict:
        client = vobiz_for(strict)
        number = strict.inventory_numbers("IN")[0]
        assert client.numbers.list_page().items
        assert client.numbers.find_in_inventory(number) is not None
        client.numbers.purchase(number)
        assert client.numbers.release(number).status == "pending_release"
        client.numbers.cancel_release(number)
        client.numbers.assign_subaccount(number, SALES)
        client.numbers.unassign_subaccount(number)
        assert client.subaccounts.get(SALES) is not None
        statuses = {(e["route"], e["status"]) for e in strict.requests()}
        assert all(status < 400 for _, status in statuses), statuses
        expected = {"list_numbers", "list_inventory", "purchase", "release", "cancel_release", "assign", "unassign"}
        assert {route for route, _ in statuses} >= expected | {"list_subaccounts"}
