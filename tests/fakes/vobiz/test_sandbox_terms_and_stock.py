"""The inventory carries what Vobiz reports beyond fees (regions, capabilities, the minimum commitment and
the Aadhaar flag), every answer still valid under the contract, and a test can stock thousands more
numbers to page through."""

from __future__ import annotations

from collections import Counter

import httpx
from vobiz_contract import CONTRACT

from fakes.vobiz import SandboxServer

MA = "MA_SANDBOX01"
INVENTORY_PATH = f"/api/v1/Account/{MA}/inventory/numbers"


def all_inventory(http: httpx.Client, **params: str) -> list[dict]:
    items: list[dict] = []
    page = 1
    while True:
        response = http.get(INVENTORY_PATH, params={**params, "page": page, "per_page": 100})
        CONTRACT.endpoint("list_inventory").validate(200, response)
        body = response.json()
        items += body["items"]
        if page * 100 >= body["total"]:
            return items
        page += 1


def test_inventory_reports_commitments_aadhaar_and_capabilities_like_vobiz(sandbox_http: httpx.Client) -> None:
    india = all_inventory(sandbox_http, country="IN")
    months = Counter(item["minimum_commitment_months"] for item in india)
    assert set(months) == {0, 3, 12} and months[0] > len(india) / 2  # most numbers commit to nothing
    kyc = Counter(item["aadhaar_verification_required"] for item in india)
    assert kyc[True] > 20 and kyc[False] > 20
    assert not any(item["aadhaar_verified"] for item in india)  # nobody verified a number not yet bought
    assert Counter(item["capabilities"]["sms"] for item in india)[True] > 10
    assert {item["region"] for item in india} >= {"Karnataka", "Maharashtra", "Delhi", "Tamil Nadu"}
    us = all_inventory(sandbox_http, country="US")
    assert not any(item["aadhaar_verification_required"] for item in us)
    assert any(item["capabilities"]["mms"] for item in us)
    assert all(item["capabilities"]["sms"] for item in us if item["capabilities"]["mms"])


def test_set_terms_through_the_control_api(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    e164 = sandbox.inventory_numbers("IN")[0]
    control = httpx.post(
        f"{sandbox.control_url}/terms",
        json={"e164": e164, "minimum_commitment_months": 12, "aadhaar_verification_required": True},
    )
    assert control.status_code == 200 and control.json()["minimum_commitment_months"] == 12
    [item] = sandbox_http.get(INVENTORY_PATH, params={"search": e164[1:]}).json()["items"]
    assert item["minimum_commitment_months"] == 12 and item["aadhaar_verification_required"] is True
    bad = httpx.post(
        f"{sandbox.control_url}/terms",
        json={"e164": e164, "minimum_commitment_months": -1, "aadhaar_verification_required": True},
    )
    assert bad.status_code == 400 and "0 or more" in bad.json()["message"]


def test_a_purchase_keeps_the_numbers_terms(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    e164 = sandbox.inventory_numbers("IN")[1]
    sandbox.set_terms(e164, minimum_commitment_months=3, aadhaar_verification_required=True)
    bought = sandbox_http.post(f"/api/v1/Account/{MA}/numbers/purchase-from-inventory", json={"e164": e164})
    CONTRACT.endpoint("purchase").validate(200, bought)
    number = bought.json()["number"]
    assert number["minimum_commitment_months"] == 3 and number["aadhaar_verification_required"] is True


def test_stocking_thousands_of_numbers_to_page_through(sandbox: SandboxServer, sandbox_http: httpx.Client) -> None:
    before = len(sandbox.inventory_numbers("IN"))
    answer = httpx.post(f"{sandbox.control_url}/stock", json={"country": "IN", "count": 4000})
    assert answer.status_code == 200
    assert len(sandbox.inventory_numbers("IN")) == before + 4000
    first = sandbox_http.get(INVENTORY_PATH, params={"country": "IN", "per_page": 100}).json()
    assert first["total"] == before + 4000 and len(first["items"]) == 100
    assert len({item["e164"] for item in all_inventory(sandbox_http, country="IN")}) == before + 4000
    refused = httpx.post(f"{sandbox.control_url}/stock", json={"country": "XX", "count": 5})
    assert refused.status_code == 400 and "IN" in refused.json()["message"]
    too_many = httpx.post(f"{sandbox.control_url}/stock", json={"country": "IN", "count": 10_001})
    assert too_many.status_code == 400


def test_the_same_seed_stocks_the_same_numbers() -> None:
    with SandboxServer(seed=11) as first, SandboxServer(seed=11) as second:
        first.stock("GB", 50)
        second.stock("GB", 50)
        assert first.inventory_numbers("GB") == second.inventory_numbers("GB")
        assert first.snapshot()["numbers"] == second.snapshot()["numbers"]
