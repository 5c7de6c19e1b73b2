"""The seeded world: deterministic for a seed, and realistic enough to demo and to test against."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import phonenumbers

from fakes.vobiz import START, SandboxServer
from fakes.vobiz import seed
from fakes.vobiz.wire import parse_iso

MA = "MA_SANDBOX01"
SUBS = ("SA_SALES0001", "SA_SUPPORT001", "SA_ENGINEER01")
CURRENCY = {"IN": "INR", "US": "USD", "GB": "GBP"}
REPO = Path(__file__).resolve().parents[3]
SandboxClientFactory = Callable[..., httpx.Client]


def everything(http: httpx.Client) -> tuple[list[dict], list[dict], dict]:
    """(owned list, inventory list, sub-accounts) as the API answers them, all pages."""

    def pages(path: str) -> list[dict]:
        items: list[dict] = []
        for page in range(1, 10):
            body = http.get(path, params={"page": page, "per_page": 100}).json()
            items += body["items"]
            if page * 100 >= body["total"]:
                return items
        raise AssertionError("more than 900 numbers?")

    owned = pages(f"/api/v1/Account/{MA}/numbers")
    inventory = pages(f"/api/v1/Account/{MA}/inventory/numbers")
    subs = http.get(f"/api/v1/accounts/{MA}/sub-accounts/").json()
    return owned, inventory, subs


def test_two_servers_with_one_seed_answer_identically(sandbox_client_for: SandboxClientFactory) -> None:
    with SandboxServer(seed=7) as first:
        seed.clear_cache()  # so the second server builds its world from scratch
        with SandboxServer(seed=7) as second:
            assert first.port != second.port
            assert everything(sandbox_client_for(first)) == everything(sandbox_client_for(second))
            assert first.snapshot() == second.snapshot()


def test_another_seed_gives_another_world(sandbox: SandboxServer) -> None:
    with SandboxServer(seed=8) as other:
        assert set(sandbox.inventory_numbers()) != set(other.inventory_numbers())
        assert sandbox.now() == other.now() == START


def test_the_seed_alone_decides_the_world_even_in_another_process(sandbox: SandboxServer) -> None:
    """A fresh interpreter (another hash seed, no shared cache) builds the same world for the same seed."""
    script = (
        "import hashlib, json; from fakes.vobiz.state import SandboxState; "
        "print(hashlib.sha256(json.dumps(SandboxState().snapshot(), sort_keys=True).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    here = hashlib.sha256(json.dumps(sandbox.snapshot(), sort_keys=True).encode()).hexdigest()
    assert other.stdout.strip() == here


def test_inventory_has_hundreds_of_valid_numbers_in_three_countries(sandbox_http: httpx.Client) -> None:
    _, inventory, _ = everything(sandbox_http)
    assert len(inventory) >= 300
    assert Counter(item["country"] for item in inventory) == {"IN": 160, "US": 100, "GB": 60}
    for item in inventory:
        parsed = phonenumbers.parse(item["e164"], None)
        assert phonenumbers.is_possible_number(parsed) and phonenumbers.is_valid_number(parsed), item["e164"]
        assert phonenumbers.region_code_for_number(parsed) == item["country"]
        assert item["currency"] == CURRENCY[item["country"]]
        assert item["region"]
    assert len({item["e164"] for item in inventory}) == len({item["id"] for item in inventory}) == len(inventory)


def test_fees_are_whole_and_plausible_per_currency(sandbox_http: httpx.Client) -> None:
    owned, inventory, _ = everything(sandbox_http)
    monthly_range = {"INR": (100, 1000), "USD": (1, 5), "GBP": (1, 5)}
    for item in owned + inventory:
        assert type(item["setup_fee"]) is int and type(item["monthly_fee"]) is int
        low, high = monthly_range[item["currency"]]
        assert low <= item["monthly_fee"] <= high, item
        assert 0 <= item["setup_fee"] <= high
    assert len({item["monthly_fee"] for item in inventory if item["currency"] == "INR"}) > 3


def test_owned_numbers_are_spread_over_the_master_and_every_team(sandbox_http: httpx.Client) -> None:
    owned, _, subs = everything(sandbox_http)
    assert len(owned) >= 25
    owners = Counter(item["account_id"] for item in owned)
    assert set(owners) == {MA, *SUBS} and all(owners[sub] >= 3 for sub in SUBS)
    assert {item["country"] for item in owned} == {"IN", "US", "GB"}
    assert [s["auth_id"] for s in subs["sub_accounts"]] == list(reversed(SUBS))
    for item in owned:
        assert parse_iso(item["purchased_at"]) < START
        assert parse_iso(item["created_at"]) <= parse_iso(item["purchased_at"])


def test_some_owned_numbers_had_a_call_in_the_last_15_days(sandbox: SandboxServer) -> None:
    for owner in (MA, *SUBS):
        recent = sandbox.owned_numbers(owner, recent_call=True)
        assert recent, owner
        for number in recent:
            last_call = parse_iso(sandbox.describe(number)["last_call_at"])
            assert START - timedelta(days=15) < last_call < START
        never = [n for n in sandbox.owned_numbers(owner) if sandbox.describe(n)["last_call_at"] is None]
        assert never, owner


def test_the_documented_credentials_and_accounts(sandbox: SandboxServer) -> None:
    assert sandbox.credentials() == ("MA_SANDBOX01", "sandbox-token-not-secret")
    assert sandbox.sub_account_ids == SUBS
    names = {a["auth_id"]: a["name"] for a in sandbox.snapshot()["accounts"]}
    assert [names[sub] for sub in SUBS] == ["Sales", "Support", "Engineering"]
    for sub in SUBS:
        auth_id, token = sandbox.credentials(sub)
        assert auth_id == sub and token and token != sandbox.auth_token
