"""Every sandbox route over real HTTP with plain httpx: what it answers, and every refusal it documents."""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from fakes.vobiz import START, SandboxServer

MA = "MA_SANDBOX01"
SALES, SUPPORT, ENGINEERING = "SA_SALES0001", "SA_SUPPORT001", "SA_ENGINEER01"
SandboxClientFactory = Callable[..., httpx.Client]
RATE = {"INR": Decimal(1), "USD": Decimal(84), "GBP": Decimal(107)}


def enc(e164: str) -> str:
    return e164.replace("+", "%2B")


def numbers_path(account: str = MA) -> str:
    return f"/api/v1/Account/{account}/numbers"


def inventory_path(account: str = MA) -> str:
    return f"/api/v1/Account/{account}/inventory/numbers"


def purchase_path(account: str = MA) -> str:
    return f"/api/v1/Account/{account}/numbers/purchase-from-inventory"


def release_path(e164: str, account: str = MA) -> str:
    return f"/api/v1/Account/{account}/numbers/{enc(e164)}"


def cancel_path(e164: str, account: str = MA) -> str:
    return f"/api/v1/account/{account}/numbers/{enc(e164)}/cancel-release"


def assign_path(e164: str, account: str = MA) -> str:
    return f"/api/v1/account/{account}/numbers/{enc(e164)}/assign-subaccount"


def all_items(http: httpx.Client, path: str, **params: object) -> list[dict]:
    items: list[dict] = []
    page = 1
    while True:
        body = http.get(path, params={**params, "page": page, "per_page": 100}).json()
        items += body["items"]
        if not body["items"] or page * body["per_page"] >= body["total"]:
            return items
        page += 1


# Authentication and the account in the path (§6.1-2) ----------------------------------------------


def test_missing_or_wrong_credentials_get_401_with_a_flat_error(
    sandbox: SandboxServer, sandbox_as: SandboxClientFactory
) -> None:
    anonymous = sandbox_as(authenticated=False)
    missing = anonymous.get(numbers_path())
    wrong = anonymous.get(numbers_path(), headers={"X-Auth-ID": MA, "X-Auth-Token": "not-the-token"})
    only_bearer = anonymous.get(numbers_path(), headers={"Authorization": f"Bearer {sandbox.auth_token}"})
    for response in (missing, wrong, only_bearer):
        assert response.status_code == 401
        assert response.json() == {"error": "unauthorized", "message": "invalid credentials"}


def test_cancel_release_accepts_http_basic_and_answers_its_own_401_shape(
    sandbox: SandboxServer, sandbox_as: SandboxClientFactory, sandbox_http: httpx.Client
) -> None:
    number = sandbox.owned_numbers(MA)[0]
    assert sandbox_http.delete(release_path(number)).status_code == 200
    anonymous = sandbox_as(authenticated=False)
    bearer = anonymous.post(cancel_path(number), headers={"Authorization": f"Bearer {sandbox.auth_token}"})
    basic = anonymous.post(cancel_path(number), auth=(sandbox.auth_id, sandbox.auth_token))
    assert bearer.status_code == 401
    assert bearer.json() == {"error": {"code": 401, "message": "Invalid token"}}
    assert basic.status_code == 200
    assert basic.json()["status"] == "active"


def test_basic_auth_is_not_accepted_on_other_routes(sandbox: SandboxServer, sandbox_as: SandboxClientFactory) -> None:
    token = base64.b64encode(f"{sandbox.auth_id}:{sandbox.auth_token}".encode()).decode()
    anonymous = sandbox_as(authenticated=False)
    response = anonymous.get(numbers_path(), headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401


def test_a_path_naming_someone_elses_account_is_403(
    sandbox: SandboxServer, sandbox_as: SandboxClientFactory, sandbox_http: httpx.Client
) -> None:
    assert sandbox_http.get(numbers_path("MA_SOMEONEELSE")).status_code == 403
    sales = sandbox_as(SALES)
    master = sales.get(numbers_path(MA))
    sibling = sales.get(numbers_path(SUPPORT))
    cancel = sales.post(cancel_path(sandbox.owned_numbers(SUPPORT)[0], SUPPORT))
    assert master.status_code == sibling.status_code == 403
    assert master.json()["error"] == "forbidden" and master.json()["message"]
    assert cancel.status_code == 403 and cancel.json() == {"error": "access denied"}


def test_unknown_route_is_404_and_wrong_method_is_405(sandbox_http: httpx.Client) -> None:
    unknown = sandbox_http.get("/api/v1/Account/MA_SANDBOX01/telephones")
    wrong_method = sandbox_http.put(numbers_path())
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET"


# 5. List account numbers ------------------------------------------------------------------------------


def test_master_list_includes_sub_account_numbers_with_their_owner(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    items = all_items(sandbox_http, numbers_path())
    owners = {item["account_id"] for item in items}
    assert owners == {MA, SALES, SUPPORT, ENGINEERING}
    state = sandbox.snapshot()
    owned = {n["e164"] for n in state["numbers"] if n["where"] in ("owned", "pending_release")}
    assert {item["e164"] for item in items} == owned
    assert sandbox_http.get(numbers_path()).json()["total"] == len(owned)


def test_a_sub_account_lists_only_its_own_numbers(
    sandbox: SandboxServer, sandbox_as: SandboxClientFactory, sandbox_http: httpx.Client
) -> None:
    sales = sandbox_as(SALES)
    own = all_items(sales, numbers_path(SALES))
    via_master = all_items(sandbox_http, numbers_path(SALES))
    assert own and {item["account_id"] for item in own} == {SALES}
    assert own == via_master


def test_include_subaccounts_false_limits_the_master_list_to_its_own(sandbox_http: httpx.Client) -> None:
    items = all_items(sandbox_http, numbers_path(), include_subaccounts="false")
    assert items and {item["account_id"] for item in items} == {MA}


def test_paging_covers_every_number_once_and_past_the_end_is_empty(sandbox_http: httpx.Client) -> None:
    total = sandbox_http.get(numbers_path()).json()["total"]
    seen: list[str] = []
    for page in range(1, total // 7 + 2):
        body = sandbox_http.get(numbers_path(), params={"page": page, "per_page": 7}).json()
        assert body["page"] == page and body["per_page"] == 7 and body["total"] == total
        seen += [item["e164"] for item in body["items"]]
    assert len(seen) == len(set(seen)) == total
    past = sandbox_http.get(numbers_path(), params={"page": 99, "per_page": 7}).json()
    assert past == {"items": [], "page": 99, "per_page": 7, "total": total}


def test_per_page_is_clamped_to_1_through_100(sandbox_http: httpx.Client) -> None:
    big = sandbox_http.get(inventory_path(), params={"per_page": 500}).json()
    small = sandbox_http.get(inventory_path(), params={"per_page": 0}).json()
    assert big["per_page"] == 100 and len(big["items"]) == 100
    assert small["per_page"] == 1 and len(small["items"]) == 1


def test_non_numeric_paging_is_a_400(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get(numbers_path(), params={"page": "two"})
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "message": "page must be a whole number"}


def test_search_is_a_substring_match_on_e164(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(SUPPORT)[0]
    exact = sandbox_http.get(numbers_path(), params={"search": number}).json()
    partial = sandbox_http.get(numbers_path(), params={"search": number[3:9]}).json()
    assert [item["e164"] for item in exact["items"]] == [number] and exact["total"] == 1
    assert number in [item["e164"] for item in partial["items"]]
    assert all(number[3:9] in item["e164"] for item in partial["items"])


def test_the_seeded_pending_release_shows_in_the_list_with_its_status(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    pending = [n["e164"] for n in sandbox.snapshot()["numbers"] if n["where"] == "pending_release"]
    assert len(pending) == 1
    item = sandbox_http.get(numbers_path(), params={"search": pending[0]}).json()["items"][0]
    assert item["status"] == "pending_release"


# 6. Inventory ---------------------------------------------------------------------------------------


def test_inventory_lists_only_unowned_numbers_in_the_inventory_shape(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    items = all_items(sandbox_http, inventory_path())
    assert {item["e164"] for item in items} == set(sandbox.inventory_numbers())
    assert len(items) == 320
    for item in items:
        assert item["account_id"] == "" and item["tags"] is None and item["status"] == "active"
        assert "purchased_at" not in item and "provider_ref" not in item and "auth_id" not in item


def test_inventory_filters_by_country_and_search(sandbox_http: httpx.Client) -> None:
    gb = sandbox_http.get(inventory_path(), params={"country": "GB", "per_page": 100}).json()
    assert gb["total"] == 60 and {item["country"] for item in gb["items"]} == {"GB"}
    assert {item["currency"] for item in gb["items"]} == {"GBP"}
    lower = sandbox_http.get(inventory_path(), params={"country": "gb"}).json()
    assert lower["total"] == 60
    london = all_items(sandbox_http, inventory_path(), search="+4420")
    assert london and all(item["e164"].startswith("+4420") for item in london)


def test_inventory_exclude_takes_comma_lists_repeats_and_plus_and_beats_search(
    sandbox_http: httpx.Client,
) -> None:
    everything = all_items(sandbox_http, inventory_path(), country="IN")
    excluded = all_items(sandbox_http, inventory_path(), country="IN", exclude=["9180,+9122", "9180", "9111"])
    expected = [i for i in everything if not i["e164"].startswith(("+9180", "+9122", "+9111"))]
    assert excluded == expected and len(expected) < len(everything)
    total = sandbox_http.get(
        inventory_path(), params=[("country", "IN"), ("exclude", "9180,+9122"), ("exclude", "9111")]
    ).json()["total"]
    assert total == len(expected)
    beats_search = sandbox_http.get(inventory_path(), params={"search": "+9180", "exclude": "9180"}).json()
    assert beats_search["total"] == 0 and beats_search["items"] == []
    bare = sandbox_http.get(inventory_path(), params={"country": "IN", "exclude": "80"}).json()
    assert bare["total"] == len(everything)  # "80" means +80..., which matches nothing in India


# 7. Purchase ------------------------------------------------------------------------------------------


def test_purchase_moves_the_number_to_the_buyer_and_debits_the_master(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.inventory_numbers("US")[0]
    quote = sandbox.describe(number)
    before = sandbox.balance
    response = sandbox_http.post(purchase_path(), json={"e164": number})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Number purchased successfully"
    bought = body["number"]
    assert bought["e164"] == number and bought["account_id"] == MA and bought["source"] == "inventory"
    assert bought["purchased_at"] == "2026-09-01T09:00:00Z"
    assert bought["next_billing_date"] == "2026-10-01T09:00:00Z"
    assert body["items"] == [
        {key: bought[key] for key in ("id", "account_id", "e164", "country", "region", "capabilities", "status",
                                      "monthly_fee", "currency")}
    ]
    cost = (Decimal(quote["setup_fee"]) + Decimal(quote["monthly_fee"])) * RATE["USD"]
    assert sandbox.balance == before - cost
    assert number not in sandbox.inventory_numbers()
    assert number in [i["e164"] for i in all_items(sandbox_http, numbers_path())]


def test_a_sub_account_purchase_is_owned_by_it_and_paid_by_the_master(
    sandbox: SandboxServer, sandbox_as: SandboxClientFactory
) -> None:
    number = sandbox.inventory_numbers("IN")[3]
    quote = sandbox.describe(number)
    before = sandbox.balance
    engineering = sandbox_as(ENGINEERING)
    response = engineering.post(purchase_path(ENGINEERING), json={"e164": number, "currency": "INR"})
    assert response.status_code == 200
    assert response.json()["number"]["account_id"] == ENGINEERING
    assert sandbox.balance == before - quote["setup_fee"] - quote["monthly_fee"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the request body must be a JSON object such as {\"e164\": \"+919876543210\"}"),
        (b"not json", "the request body must be a JSON object such as {\"e164\": \"+919876543210\"}"),
        (b"{}", "e164 is required: the number to buy, e.g. +919876543210"),
        (b'{"e164": 919876543210}', "e164 is required: the number to buy, e.g. +919876543210"),
        (b'{"e164": "call me"}', "e164 must be a phone number in E.164 form, e.g. +919876543210"),
        (b'{"e164": "+919876543210", "currency": "XYZ"}', "unsupported currency 'XYZ'; use one of INR, USD, GBP"),
    ],
)
def test_a_malformed_purchase_is_a_400_and_changes_nothing(
    sandbox: SandboxServer, sandbox_http: httpx.Client, content: bytes, message: str
) -> None:
    before = sandbox.snapshot()
    response = sandbox_http.post(purchase_path(), content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "message": message}
    assert sandbox.snapshot() == before


def test_purchase_tolerates_a_number_without_plus_or_with_spaces(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    first, second = sandbox.inventory_numbers("GB")[:2]
    assert sandbox_http.post(purchase_path(), json={"e164": first[1:]}).json()["number"]["e164"] == first
    spaced = f"{second[:3]} {second[3:6]} {second[6:]}"
    assert sandbox_http.post(purchase_path(), json={"e164": spaced}).json()["number"]["e164"] == second


@pytest.mark.parametrize("which", ["owned", "unknown", "pending_release"])
def test_a_number_not_in_inventory_is_404(sandbox: SandboxServer, sandbox_http: httpx.Client, which: str) -> None:
    numbers = {
        "owned": sandbox.owned_numbers(SALES)[0],
        "unknown": "+919999999999",
        "pending_release": next(n["e164"] for n in sandbox.snapshot()["numbers"] if n["where"] == "pending_release"),
    }
    before = sandbox.balance
    response = sandbox_http.post(purchase_path(), json={"e164": numbers[which]})
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "number not found in inventory"}
    assert sandbox.balance == before


# 8. Release -------------------------------------------------------------------------------------------


def test_release_starts_a_24h_pending_release_and_charges_the_fee(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.owned_numbers(MA)[0]
    before = sandbox.balance
    response = sandbox_http.delete(release_path(number))
    assert response.status_code == 200
    assert response.json() == {
        "cancel_url": f"/api/v1/account/{MA}/numbers/{number}/cancel-release",
        "cooldown_ends_at": "2026-09-02T09:00:00Z",
        "message": "number release initiated",
        "note": "Number will be in pending_release for 24 hours (cancellable), then quarantined for 45 days "
        "before becoming available.",
        "release_fee": 700,
        "status": "pending_release",
    }
    assert sandbox.balance == before - 700
    record = sandbox.describe(number)
    assert record["where"] == "pending_release" and record["application_id"] is None
    assert record["trunk_group_id"] is None


def test_the_release_fee_is_the_releasing_accounts(sandbox: SandboxServer, sandbox_as: SandboxClientFactory) -> None:
    number = sandbox.owned_numbers(SUPPORT)[0]
    before = sandbox.balance
    support = sandbox_as(SUPPORT)
    response = support.delete(release_path(number, SUPPORT))
    assert response.json()["release_fee"] == 500
    assert sandbox.balance == before - 500


def test_release_with_immediate_true_skips_the_cooldown(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(MA)[1]
    response = sandbox_http.delete(release_path(number), params={"immediate": "true"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "released" and body["cooldown_ends_at"] == "2026-09-01T09:00:00Z"
    assert sandbox.describe(number)["where"] == "quarantined"
    assert number not in [i["e164"] for i in all_items(sandbox_http, numbers_path())]
    assert number not in sandbox.inventory_numbers()


def test_release_refusals(sandbox: SandboxServer, sandbox_as: SandboxClientFactory, sandbox_http: httpx.Client) -> None:
    inventory = sandbox.inventory_numbers()[0]
    not_owned = sandbox_http.delete(release_path(inventory))
    assert not_owned.status_code == 403
    assert not_owned.json() == {"error": "forbidden", "message": "account does not own this number"}
    sales = sandbox_as(SALES)
    masters = sales.delete(release_path(sandbox.owned_numbers(MA)[0], SALES))
    assert masters.status_code == 403
    unknown = sandbox_http.delete(release_path("+919999999999"))
    assert unknown.status_code == 404 and unknown.json() == {"error": "not_found", "message": "number not found"}
    number = sandbox.owned_numbers(MA)[2]
    sandbox_http.delete(release_path(number))
    before = sandbox.balance
    again = sandbox_http.delete(release_path(number))
    assert again.status_code == 400
    assert again.json() == {"error": "bad_request", "message": "number is already pending release"}
    assert sandbox.balance == before
    bad_flag = sandbox_http.delete(release_path(sandbox.owned_numbers(MA)[3]), params={"immediate": "soon"})
    assert bad_flag.status_code == 400


def test_master_may_release_a_sub_accounts_number(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(ENGINEERING)[0]
    assert sandbox_http.delete(release_path(number)).status_code == 200
    assert sandbox.describe(number)["where"] == "pending_release"


# 9. Cancel release ------------------------------------------------------------------------------------


def test_cancel_release_restores_the_number_and_refunds(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(MA)[0]
    before = sandbox.balance
    sandbox_http.delete(release_path(number))
    response = sandbox_http.post(cancel_path(number))
    assert response.status_code == 200
    assert response.json() == {
        "message": "release cancelled, number restored to active status",
        "status": "active",
        "currency": "INR",
        "refund_amount": 700,
        "refund_status": "success",
    }
    assert sandbox.balance == before
    assert sandbox.describe(number)["where"] == "owned"


def test_cancel_release_refusals_carry_only_an_error(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    unknown = sandbox_http.post(cancel_path("+919999999999"))
    not_pending = sandbox_http.post(cancel_path(sandbox.owned_numbers(MA)[0]))
    not_owned = sandbox_http.post(cancel_path(sandbox.inventory_numbers()[0]))
    assert (unknown.status_code, unknown.json()) == (404, {"error": "number not found"})
    assert (not_pending.status_code, not_pending.json()) == (400, {"error": "number is not pending release"})
    assert (not_owned.status_code, not_owned.json()) == (403, {"error": "access denied"})


# 10-11. Assign / unassign a sub-account ------------------------------------------------------------------


def test_assign_moves_a_master_number_to_a_sub_account(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(MA)[0]
    response = sandbox_http.post(assign_path(number), json={"sub_account_id": SALES})
    assert response.status_code == 200 and response.content == b""
    assert sandbox.describe(number)["owner"] == SALES
    listed = sandbox_http.get(numbers_path(), params={"search": number}).json()["items"][0]
    assert listed["account_id"] == SALES


def test_assign_refusals(sandbox: SandboxServer, sandbox_as: SandboxClientFactory, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(MA)[0]
    not_found = {"error": "not_found", "message": "number or sub-account not found"}
    cases = {
        "unknown sub-account": (assign_path(number), {"sub_account_id": "SA_NOBODY0001"}),
        "already a sub-account's": (assign_path(sandbox.owned_numbers(SALES)[0]), {"sub_account_id": SUPPORT}),
        "inventory number": (assign_path(sandbox.inventory_numbers()[0]), {"sub_account_id": SALES}),
        "unknown number": (assign_path("+919999999999"), {"sub_account_id": SALES}),
    }
    for label, (path, body) in cases.items():
        response = sandbox_http.post(path, json=body)
        assert (response.status_code, response.json()) == (404, not_found), label
    missing = sandbox_http.post(assign_path(number), json={})
    assert missing.status_code == 400 and missing.json()["error"] == "bad_request"
    assert sandbox.describe(number)["owner"] == MA


@pytest.mark.parametrize("sub_account_id", [SALES, SUPPORT])
def test_a_sub_account_calling_assign_gets_the_documented_404(
    sandbox: SandboxServer, sandbox_as: SandboxClientFactory, sub_account_id: str
) -> None:
    """§6.10: only a master may assign; anyone else gets the one documented 404, not a 403."""
    sales = sandbox_as(SALES)
    own = sandbox.owned_numbers(SALES)[0]
    answer = sales.post(assign_path(own, SALES), json={"sub_account_id": sub_account_id})
    assert (answer.status_code, answer.json()) == (404, {"error": "not_found", "message": "number or sub-account not found"})
    assert sandbox.describe(own)["owner"] == SALES
    assert not [entry for entry in sandbox.snapshot()["audit"] if entry["action"] == "assign_subaccount"]


def test_unassign_moves_a_never_used_number_back_at_once(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = next(n for n in sandbox.owned_numbers(SUPPORT) if sandbox.describe(n)["last_call_at"] is None)
    response = sandbox_http.delete(assign_path(number))
    assert response.status_code == 200 and response.content == b""
    assert sandbox.describe(number)["owner"] == MA


def test_unassign_within_15_days_of_a_call_is_409_with_the_documented_body(
    sandbox: SandboxServer, sandbox_http: httpx.Client
) -> None:
    number = sandbox.owned_numbers(SALES, recent_call=True)[0]
    sandbox.set_last_call(number, START - timedelta(hours=1))
    response = sandbox_http.delete(assign_path(number))
    assert response.status_code == 409
    assert response.json() == {
        "error": "did_cool_off_in_effect",
        "cool_off_until": "2026-09-16T08:00:00Z",
        "cool_off_remaining_seconds": 15 * 86400 - 3600,
    }
    assert sandbox.describe(number)["owner"] == SALES


def test_unassign_force_needs_an_admin(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(SALES, recent_call=True)[0]
    sandbox.set_admin(False)
    refused = sandbox_http.delete(assign_path(number), params={"force": "true"})
    assert refused.status_code == 403
    assert refused.json() == {"error": "forbidden", "message": "force requires an admin-role account"}
    assert sandbox.describe(number)["owner"] == SALES
    sandbox.set_admin(True)
    forced = sandbox_http.delete(assign_path(number), params={"force": "true"})
    assert forced.status_code == 200
    assert sandbox.describe(number)["owner"] == MA
    assert sandbox.snapshot()["audit"][-1] == {
        "at": "2026-09-01T09:00:00Z",
        "action": "force_unassign",
        "e164": number,
        "sub_account_id": SALES,
        "by": MA,
    }


def test_unassign_of_a_number_not_with_a_sub_account_is_404(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    for number in (sandbox.owned_numbers(MA)[0], sandbox.inventory_numbers()[0], "+919999999999"):
        response = sandbox_http.delete(assign_path(number))
        assert response.status_code == 404 and response.json()["error"] == "not_found"


# 12. Sub-accounts ------------------------------------------------------------------------------------------


def test_sub_accounts_are_listed_newest_first_with_the_token_redacted(sandbox_http: httpx.Client) -> None:
    response = sandbox_http.get(f"/api/v1/accounts/{MA}/sub-accounts/")
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["page"], body["size"]) == (3, 1, 25)
    assert [s["auth_id"] for s in body["sub_accounts"]] == [ENGINEERING, SUPPORT, SALES]
    assert [s["name"] for s in body["sub_accounts"]] == ["Engineering", "Support", "Sales"]
    for sub in body["sub_accounts"]:
        assert sub["auth_token"] == "<redacted>" and sub["parent_auth_id"] == MA and sub["rate_limit"] == 1000
    second_page = sandbox_http.get(f"/api/v1/accounts/{MA}/sub-accounts/", params={"page": 2, "size": 2}).json()
    assert [s["auth_id"] for s in second_page["sub_accounts"]] == [SALES] and second_page["total"] == 3


def test_active_only_leaves_out_disabled_sub_accounts(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    with sandbox.state.lock:
        sandbox.state.accounts[SUPPORT].is_active = False
    active = sandbox_http.get(f"/api/v1/accounts/{MA}/sub-accounts/", params={"active_only": "true"}).json()
    everyone = sandbox_http.get(f"/api/v1/accounts/{MA}/sub-accounts/", params={"active_only": "false"}).json()
    assert [s["auth_id"] for s in active["sub_accounts"]] == [ENGINEERING, SALES] and active["total"] == 2
    assert everyone["total"] == 3


def test_one_sub_account_or_404(sandbox_http: httpx.Client) -> None:
    found = sandbox_http.get(f"/api/v1/accounts/{MA}/sub-accounts/{SUPPORT}/")
    missing = sandbox_http.get(f"/api/v1/accounts/{MA}/sub-accounts/SA_NOBODY0001/")
    assert found.status_code == 200 and found.json()["auth_id"] == SUPPORT and found.json()["name"] == "Support"
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "message": "sub-account not found"}


# 13. Trunk assignment (optional in the contract) ----------------------------------------------------------


def test_trunk_assign_and_unassign(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(MA)[0]
    trunk = "0e5c2a8e-7d1f-4a57-9b43-2f0c9d8e1a11"
    path = f"/api/v1/Account/{MA}/numbers/{enc(number)}/assign"
    assigned = sandbox_http.post(path, json={"trunk_group_id": trunk})
    assert assigned.status_code == 200 and sandbox.describe(number)["trunk_group_id"] == trunk
    assert sandbox_http.delete(path).status_code == 200
    assert sandbox.describe(number)["trunk_group_id"] is None
    unknown = sandbox_http.post(f"/api/v1/Account/{MA}/numbers/%2B919999999999/assign", json={"trunk_group_id": trunk})
    assert unknown.status_code == 404
    assert sandbox_http.post(path, json={}).status_code == 400


def test_an_unreadable_content_length_is_a_400_not_a_hang_up(sandbox: SandboxServer) -> None:
    request = (
        f"POST {purchase_path()} HTTP/1.1\r\nHost: sandbox\r\nX-Auth-ID: {MA}\r\n"
        f"X-Auth-Token: {sandbox.auth_token}\r\nContent-Length: lots\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5) as connection:
        connection.sendall(request.encode())
        received = b""
        while chunk := connection.recv(4096):  # the sandbox closes the connection after this answer
            received += chunk
    answer = received.decode()
    assert answer.startswith("HTTP/1.1 400 ")
    assert answer.endswith('{"error": "bad_request", "message": "the request body\'s length is unreadable"}')
