"""Every sandbox answer of the seven documented endpoints, success and documented error, validated against
the project's own contract of them (`vobiz_contract.json`, read by `vobiz_contract.py`), so a clone alone
runs it. Whether that contract still agrees with the vendor's published OpenAPI fragments is checked by
test_vobiz_contract_agreement.py when they are present.

- A status the contract gives a body is validated against the JSON Schema its entry translates to: types,
  required keys, nullability, enums, `date-time` strings, and (cancel-release 200) at least one whole set
  of a documented example's keys.
- A status documented without a body (assign/unassign 200 and 204) must have an empty body.
- A status the contract does not list fails: every answer the sandbox gives here is written down there,
  with where it comes from when Vobiz does not document it (401, release 403/404/400 ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from vobiz_contract import CONTRACT

from fakes.vobiz import START, SandboxServer

MA = "MA_SANDBOX01"
SALES = "SA_SALES0001"


def enc(e164: str) -> str:
    return e164.replace("+", "%2B")


LIST = "list_numbers"
INVENTORY = "list_inventory"
PURCHASE = "purchase"
RELEASE = "release"
CANCEL = "cancel_release"
ASSIGN = "assign_subaccount"
UNASSIGN = "unassign_subaccount"
SEVEN = (LIST, INVENTORY, PURCHASE, RELEASE, CANCEL, ASSIGN, UNASSIGN)


# Scenarios: each makes one sandbox answer, registered with the endpoint and status it must satisfy ------

Scenario = Callable[[SandboxServer, httpx.Client], httpx.Response]


@dataclass(frozen=True)
class Case:
    endpoint: str
    status: int
    make: Scenario


CASES: dict[str, Case] = {}


def case(endpoint: str, status: int, label: str) -> Callable[[Scenario], Scenario]:
    def register(make: Scenario) -> Scenario:
        CASES[f"{endpoint} {status} {label}".strip()] = Case(endpoint, status, make)
        return make

    return register


def _numbers(account: str = MA) -> str:
    return f"/api/v1/Account/{account}/numbers"


def _purchase(http: httpx.Client, e164: str, account: str = MA, **extra: str) -> httpx.Response:
    return http.post(f"/api/v1/Account/{account}/numbers/purchase-from-inventory", json={"e164": e164, **extra})


def _release(http: httpx.Client, e164: str, **params: str) -> httpx.Response:
    return http.delete(f"/api/v1/Account/{MA}/numbers/{enc(e164)}", params=params)


def _cancel(http: httpx.Client, e164: str, **kwargs: Any) -> httpx.Response:
    return http.post(f"/api/v1/account/{MA}/numbers/{enc(e164)}/cancel-release", **kwargs)


def _assignment(http: httpx.Client, method: str, e164: str, **kwargs: Any) -> httpx.Response:
    return http.request(method, f"/api/v1/account/{MA}/numbers/{enc(e164)}/assign-subaccount", **kwargs)


@case(LIST, 200, "master, every number (sub-accounts', routed, pending)")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(), params={"per_page": 100})


@case(LIST, 200, "after a purchase, a release and an assignment")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    bought = sandbox.inventory_numbers("GB")[0]
    _purchase(http, bought)
    _release(http, sandbox.owned_numbers(MA)[0])
    _assignment(http, "POST", bought, json={"sub_account_id": SALES})
    return http.get(_numbers(), params={"per_page": 100})


@case(LIST, 200, "a sub-account's numbers")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(SALES))


@case(LIST, 200, "a page past the end")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(), params={"page": 50})


@case(LIST, 401, "wrong token")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(), headers={"X-Auth-Token": "wrong"})


@case(LIST, 403, "another account")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers("MA_SOMEONEELSE"))


@case(LIST, 400, "bad paging")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(_numbers(), params={"per_page": "many"})


@case(INVENTORY, 200, "India, all of it")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.get(f"/api/v1/Account/{MA}/inventory/numbers", params={"country": "IN", "per_page": 100})


@case(INVENTORY, 200, "US and GB, filtered")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    params = [("exclude", "9"), ("search", "4"), ("per_page", "100")]
    return http.get(f"/api/v1/Account/{MA}/inventory/numbers", params=params)


@case(INVENTORY, 200, "a number back from quarantine")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    number = sandbox.owned_numbers(MA)[0]
    _release(http, number)
    sandbox.advance(int(timedelta(days=46).total_seconds()))
    return http.get(f"/api/v1/Account/{MA}/inventory/numbers", params={"search": number})


@case(PURCHASE, 200, "by the master")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _purchase(http, sandbox.inventory_numbers("IN")[0])


@case(PURCHASE, 200, "by a sub-account, currency given")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _purchase(http, sandbox.inventory_numbers("US")[0], SALES, currency="USD")


@case(PURCHASE, 404, "not in inventory")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _purchase(http, sandbox.owned_numbers(SALES)[0])


@case(PURCHASE, 500, "failed debit")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.set_balance(0)
    return _purchase(http, sandbox.inventory_numbers("IN")[0])


@case(PURCHASE, 400, "malformed")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return http.post(f"/api/v1/Account/{MA}/numbers/purchase-from-inventory", json={"number": "+91"})


@case(RELEASE, 200, "pending_release")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _release(http, sandbox.owned_numbers(MA)[0])


@case(RELEASE, 200, "immediate")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _release(http, sandbox.owned_numbers(MA)[0], immediate="true")


@case(RELEASE, 403, "not owned")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _release(http, sandbox.inventory_numbers()[0])


@case(RELEASE, 404, "unknown")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _release(http, "+919999999999")


@case(RELEASE, 400, "already pending")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    pending = next(n["e164"] for n in sandbox.snapshot()["numbers"] if n["where"] == "pending_release")
    return _release(http, pending)


@case(CANCEL, 200, "refunded")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    number = sandbox.owned_numbers(MA)[0]
    _release(http, number)
    return _cancel(http, number)


@case(CANCEL, 200, "refund failed")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.configure(refund_fails=True)
    number = sandbox.owned_numbers(MA)[0]
    _release(http, number)
    return _cancel(http, number)


@case(CANCEL, 400, "not pending")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _cancel(http, sandbox.owned_numbers(MA)[0])


@case(CANCEL, 400, "after the cooldown")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    number = sandbox.owned_numbers(MA)[0]
    _release(http, number)
    sandbox.advance(86400)
    return _cancel(http, number)


@case(CANCEL, 401, "wrong token")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _cancel(http, sandbox.owned_numbers(MA)[0], headers={"X-Auth-Token": "wrong"})


@case(CANCEL, 403, "not owned")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _cancel(http, sandbox.inventory_numbers()[0])


@case(CANCEL, 404, "unknown")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _cancel(http, "+919999999999")


@case(ASSIGN, 200, "")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "POST", sandbox.owned_numbers(MA)[0], json={"sub_account_id": SALES})


@case(ASSIGN, 204, "switched on")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.configure(assign_status=204)
    return _assignment(http, "POST", sandbox.owned_numbers(MA)[0], json={"sub_account_id": SALES})


@case(ASSIGN, 404, "unknown sub-account")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "POST", sandbox.owned_numbers(MA)[0], json={"sub_account_id": "SA_NOBODY"})


@case(ASSIGN, 400, "without sub_account_id")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "POST", sandbox.owned_numbers(MA)[0], json={})


@case(UNASSIGN, 200, "")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "DELETE", sandbox.owned_numbers(SALES, recent_call=False)[0])


@case(UNASSIGN, 204, "switched on")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.configure(assign_status=204)
    return _assignment(http, "DELETE", sandbox.owned_numbers(SALES, recent_call=False)[0])


@case(UNASSIGN, 200, "forced by an admin")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "DELETE", sandbox.owned_numbers(SALES, recent_call=True)[0], params={"force": "true"})


@case(UNASSIGN, 403, "force without admin")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    sandbox.set_admin(False)
    return _assignment(http, "DELETE", sandbox.owned_numbers(SALES, recent_call=True)[0], params={"force": "true"})


@case(UNASSIGN, 409, "cool-off")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    number = sandbox.owned_numbers(SALES)[0]
    sandbox.set_last_call(number, START - timedelta(days=1))
    return _assignment(http, "DELETE", number)


@case(UNASSIGN, 404, "not with a sub-account")
def _(sandbox: SandboxServer, http: httpx.Client) -> httpx.Response:
    return _assignment(http, "DELETE", sandbox.owned_numbers(MA)[0])


@pytest.mark.parametrize("name", list(CASES))
def test_sandbox_answers_match_the_contract(name: str, sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    spec = CASES[name]
    response = spec.make(sandbox, sandbox_http)
    assert response.status_code == spec.status, response.text
    CONTRACT.endpoint(spec.endpoint).validate(spec.status, response)


def test_every_status_the_contract_lists_for_the_seven_endpoints_is_exercised() -> None:
    assert set(CONTRACT.endpoints) == set(SEVEN)
    listed = {(name, status) for name in SEVEN for status in CONTRACT.endpoint(name).statuses}
    exercised = {(c.endpoint, c.status) for c in CASES.values()}
    assert listed == exercised


# The harness really does reject what the contract forbids ------------------------------------------------


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda item: item.update(setup_fee=1.5), "1.5 is not of type 'integer'"),
        (lambda item: item.update(application_id=None), "application_id: None is not of type 'string'"),
        (lambda item: item.update(status="gone"), "'gone' is not one of"),
        (lambda item: item.pop("purchased_at"), "'purchased_at' is a required property"),
        (lambda item: item["capabilities"].pop("fax"), "'fax' is a required property"),
    ],
)
def test_the_harness_rejects_a_broken_number(
    sandbox_http: httpx.Client, change: Callable[[dict], Any], complaint: str
) -> None:
    body = sandbox_http.get(_numbers(), params={"per_page": 1}).json()
    CONTRACT.endpoint(LIST).validate(200, httpx.Response(200, json=body))
    change(body["items"][0])
    with pytest.raises(AssertionError, match=complaint):
        CONTRACT.endpoint(LIST).validate(200, httpx.Response(200, json=body))


def test_the_harness_rejects_undocumented_shapes() -> None:
    with pytest.raises(AssertionError, match="'error' is a required property"):
        CONTRACT.endpoint(CANCEL).validate(404, httpx.Response(404, json={"message": "number not found"}))
    body = {"cancel_url": "/x", "cooldown_ends_at": "tomorrow", "message": "m", "note": "n", "release_fee": 1}
    body["status"] = "pending_release"
    with pytest.raises(AssertionError, match="is not a 'date-time'"):
        CONTRACT.endpoint(RELEASE).validate(200, httpx.Response(200, json=body))
    with pytest.raises(AssertionError, match="documented without a body"):
        CONTRACT.endpoint(ASSIGN).validate(200, httpx.Response(200, json={"ok": True}))
    with pytest.raises(AssertionError, match="is not of type 'string'"):
        CONTRACT.endpoint(RELEASE).validate(403, httpx.Response(403, json={"error": {"code": 403}}))
    with pytest.raises(AssertionError, match="418 is not in the contract"):
        CONTRACT.endpoint(RELEASE).validate(418, httpx.Response(418, json={"error": "teapot"}))


@pytest.mark.parametrize("missing", ["cool_off_until", "cool_off_remaining_seconds"])
def test_the_harness_requires_the_keys_of_a_documented_example_beside_its_schema(missing: str) -> None:
    """The cool-off 409's vendor schema is the loose `Error`; its example is what clients rely on."""
    body = {"error": "did_cool_off_in_effect", "cool_off_until": "2026-06-09T10:00:00Z"}
    body["cool_off_remaining_seconds"] = 5
    CONTRACT.endpoint(UNASSIGN).validate(409, httpx.Response(409, json=body))
    del body[missing]
    with pytest.raises(AssertionError, match=f"'{missing}' is a required property"):
        CONTRACT.endpoint(UNASSIGN).validate(409, httpx.Response(409, json=body))


CANCELLED = {
    "message": "release cancelled, number restored to active status",
    "status": "active",
    "currency": "INR",
    "refund_amount": 700,
    "refund_status": "failed",
    "refund_error": "could not process refund, please contact support",
}


@pytest.mark.parametrize("variant", [("currency", "refund_amount"), ("refund_status", "refund_error")])
def test_the_harness_requires_one_whole_documented_variant(variant: tuple[str, str]) -> None:
    """Cancel-release 200 has two documented examples (refunded, refund failed): a body carries all the keys
    of at least one of them."""
    body = {"message": CANCELLED["message"], "status": "active", **{key: CANCELLED[key] for key in variant}}
    CONTRACT.endpoint(CANCEL).validate(200, httpx.Response(200, json=body))
    del body[variant[0]]
    with pytest.raises(AssertionError, match="is not valid under any of the given schemas"):
        CONTRACT.endpoint(CANCEL).validate(200, httpx.Response(200, json=body))
