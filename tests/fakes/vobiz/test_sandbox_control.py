"""The control API under /_sandbox/ over real HTTP (no auth), and `numbers-bot sandbox` as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fakes.vobiz import SandboxServer
from fakes.vobiz.server import request_line

MA = "MA_SANDBOX01"
SALES = "SA_SALES0001"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def control(sandbox: SandboxServer, sandbox_as: Callable[..., httpx.Client]) -> httpx.Client:
    """No credentials: the control API needs none."""
    return sandbox_as(authenticated=False, base_url=sandbox.control_url)


def enc(e164: str) -> str:
    return e164.replace("+", "%2B")


def test_state_shows_clock_accounts_counts_and_numbers(control: httpx.Client) -> None:
    state = control.get("/state").json()
    assert state["now"] == "2026-09-01T09:00:00Z"
    assert state["counts"] == {"inventory": 320, "owned": 29, "pending_release": 1}
    master = state["accounts"][0]
    assert (master["auth_id"], master["balance"], master["currency"], master["admin"]) == (MA, 25000, "INR", True)
    assert [a["auth_id"] for a in state["accounts"][1:]] == ["SA_SALES0001", "SA_SUPPORT001", "SA_ENGINEER01"]
    assert all(a["parent"] == MA for a in state["accounts"][1:])
    assert "auth_token" not in str(state) and "sandbox-token" not in str(state)
    assert len(state["numbers"]) == 350


def test_clock_advances_or_jumps_forward_only(control: httpx.Client) -> None:
    assert control.post("/clock", json={"advance_seconds": 90}).json() == {"now": "2026-09-01T09:01:30Z"}
    assert control.post("/clock", json={"now": "2026-09-03T00:00:00Z"}).json() == {"now": "2026-09-03T00:00:00Z"}
    backwards = control.post("/clock", json={"now": "2026-09-01T00:00:00Z"})
    assert backwards.status_code == 400 and "only moves forward" in backwards.json()["message"]
    for body in ({}, {"advance_seconds": -1}, {"advance_seconds": "soon"}, {"now": "tuesday"}):
        response = control.post("/clock", json=body)
        assert response.status_code == 400 and response.json()["error"] == "bad_request", body
    assert control.get("/state").json()["now"] == "2026-09-03T00:00:00Z"


def test_balance_sets_the_master_balance(sandbox: SandboxServer, control: httpx.Client) -> None:
    assert control.post("/balance", json={"amount": 150}).json() == {"balance": 150}
    assert sandbox.balance == 150
    assert control.post("/balance", json={"amount": "lots"}).status_code == 400
    assert control.post("/balance", json={}).status_code == 400


def test_last_call_set_and_clear_decides_the_cool_off(
    sandbox: SandboxServer, control: httpx.Client, sandbox_http: httpx.Client
) -> None:
    number = sandbox.owned_numbers(SALES, recent_call=False)[0]
    set_response = control.post("/last-call", json={"e164": number, "at": "2026-09-01T08:00:00Z"})
    assert set_response.json() == {"e164": number, "last_call_at": "2026-09-01T08:00:00Z"}
    unassign = f"/api/v1/account/{MA}/numbers/{enc(number)}/assign-subaccount"
    assert sandbox_http.delete(unassign).status_code == 409
    assert control.post("/last-call", json={"e164": number, "at": None}).json()["last_call_at"] is None
    assert sandbox_http.delete(unassign).status_code == 200
    unknown = control.post("/last-call", json={"e164": "+10000000000", "at": None})
    assert unknown.status_code == 400 and "no such number" in unknown.json()["message"]


def test_faults_are_queued_listed_used_and_cleared(control: httpx.Client, sandbox_http: httpx.Client) -> None:
    queued = control.post("/faults", json={"route": "list_numbers", "kind": "429", "count": 2, "retry_after": 5})
    assert queued.json()["pending"] == [
        {"route": "list_numbers", "kind": "rate_limit", "retry_after": 5, "seconds": 0.0}
    ] * 2
    assert sandbox_http.get(f"/api/v1/Account/{MA}/numbers").headers["Retry-After"] == "5"
    assert len(control.get("/faults").json()["pending"]) == 1
    assert control.delete("/faults").json() == {"pending": []}
    assert sandbox_http.get(f"/api/v1/Account/{MA}/numbers").status_code == 200
    refused = control.post("/faults", json={"route": "list_numbers", "kind": "melt"})
    assert refused.status_code == 400 and "unknown fault kind" in refused.json()["message"]


def test_admin_switch(sandbox: SandboxServer, control: httpx.Client, sandbox_http: httpx.Client) -> None:
    number = sandbox.owned_numbers(SALES, recent_call=True)[0]
    assert control.post("/admin", json={"admin": False}).json() == {"admin": False}
    forced = sandbox_http.delete(f"/api/v1/account/{MA}/numbers/{enc(number)}/assign-subaccount?force=true")
    assert forced.status_code == 403
    assert control.post("/admin", json={"admin": "yes"}).status_code == 400


def test_fees_change_what_inventory_quotes(
    sandbox: SandboxServer, control: httpx.Client, sandbox_http: httpx.Client
) -> None:
    number = sandbox.inventory_numbers("US")[0]
    changed = control.post("/fees", json={"e164": number, "setup_fee": 5, "monthly_fee": 7}).json()
    assert (changed["setup_fee"], changed["monthly_fee"], changed["where"]) == (5, 7, "inventory")
    item = sandbox_http.get(f"/api/v1/Account/{MA}/inventory/numbers", params={"search": number}).json()["items"][0]
    assert (item["setup_fee"], item["monthly_fee"]) == (5, 7)
    assert control.post("/fees", json={"e164": number, "setup_fee": -1, "monthly_fee": 7}).status_code == 400


def test_sell_elsewhere_takes_a_number_out_of_inventory(sandbox: SandboxServer, control: httpx.Client) -> None:
    number = sandbox.inventory_numbers("GB")[0]
    assert control.post("/sell-elsewhere", json={"e164": number}).json()["where"] == "sold_elsewhere"
    assert number not in sandbox.inventory_numbers()
    again = control.post("/sell-elsewhere", json={"e164": number})
    assert again.status_code == 400 and again.json()["message"] == f"{number} is not in inventory"


def test_modes_read_and_write(control: httpx.Client) -> None:
    assert control.get("/modes").json()["release_mode"] == "current"
    changed = control.post("/modes", json={"release_mode": "legacy_204", "assign_status": 204}).json()
    assert (changed["release_mode"], changed["assign_status"], changed["strict_casing"]) == ("legacy_204", 204, False)
    assert control.post("/modes", json={"release_mode": "old"}).status_code == 400


def test_request_log_records_api_calls_not_control_calls(
    sandbox: SandboxServer, control: httpx.Client, sandbox_http: httpx.Client
) -> None:
    number = sandbox.inventory_numbers("IN")[0]
    sandbox_http.get(f"/api/v1/Account/{MA}/numbers?page=2")
    sandbox_http.post(f"/api/v1/Account/{MA}/numbers/purchase-from-inventory", json={"e164": number})
    sandbox_http.get("/api/v1/nowhere")
    log = control.get("/requests").json()["requests"]
    assert [(e["method"], e["path"], e["route"], e["status"]) for e in log] == [
        ("GET", f"/api/v1/Account/{MA}/numbers?page=2", "list_numbers", 200),
        ("POST", f"/api/v1/Account/{MA}/numbers/purchase-from-inventory", "purchase", 200),
        ("GET", "/api/v1/nowhere", None, 404),
    ]
    assert all(e["time"] == "2026-09-01T09:00:00Z" and e["auth_id"] == MA for e in log)
    assert "sandbox-token" not in str(log)
    only = control.get("/requests", params={"route": "purchase"}).json()["requests"]
    assert [e["route"] for e in only] == ["purchase"] == [e["route"] for e in sandbox.requests("purchase")]
    assert control.delete("/requests").json() == {"requests": []}
    assert sandbox.requests() == []


def test_reset_restores_the_seeded_world(
    sandbox: SandboxServer, control: httpx.Client, sandbox_http: httpx.Client
) -> None:
    pristine = control.get("/state").json()
    number = sandbox.inventory_numbers("IN")[0]
    sandbox_http.post(f"/api/v1/Account/{MA}/numbers/purchase-from-inventory", json={"e164": number})
    control.post("/clock", json={"advance_seconds": 3600})
    control.post("/modes", json={"refund_fails": True})
    control.post("/faults", json={"route": "purchase", "kind": "drop"})
    assert control.post("/reset").json() == {"now": "2026-09-01T09:00:00Z"}
    assert control.get("/state").json() == pristine
    assert control.get("/faults").json() == {"pending": []} and sandbox.requests() == []


def test_unknown_control_routes_and_bad_bodies(control: httpx.Client) -> None:
    missing = control.get("/weather")
    assert missing.status_code == 404 and "POST /_sandbox/clock" in missing.json()["message"]
    not_json = control.post("/balance", content=b"{oops", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["message"] == "the body must be a JSON object"


def test_the_python_api_mirrors_the_control_api(sandbox: SandboxServer, control: httpx.Client) -> None:
    sandbox.advance(60)
    sandbox.set_balance(999)
    sandbox.set_admin(False)
    state = control.get("/state").json()
    assert state["now"] == "2026-09-01T09:01:00Z" and state["accounts"][0]["balance"] == 999
    assert state["accounts"][0]["admin"] is False
    assert sandbox.snapshot() == state
    assert sandbox.base_url == f"http://127.0.0.1:{sandbox.port}/api"
    assert (sandbox.auth_id, sandbox.auth_token) == ("MA_SANDBOX01", "sandbox-token-not-secret")


def test_numbers_bot_sandbox_prints_where_and_who_then_one_line_per_request_control_included() -> None:
    started = datetime.now().astimezone()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", "--latency-ms", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Vobiz sandbox serving at http://127.0.0.1:"), first
        base_url = first.split(" at ", 1)[1].strip()
        banner = [process.stdout.readline() for _ in range(7)]
        assert f"  VOBIZ_AUTH_ID={MA}\n" in banner
        assert any("VOBIZ_AUTH_TOKEN=sandbox-token-not-secret" in line for line in banner)
        response = httpx.get(
            f"{base_url}/v1/Account/{MA}/numbers",
            headers={"X-Auth-ID": MA, "X-Auth-Token": "sandbox-token-not-secret"},
        )
        assert response.status_code == 200
        api_line = process.stdout.readline().rstrip("\n")
        root = base_url.removesuffix("/api")
        assert httpx.post(f"{root}/_sandbox/clock", json={"advance_seconds": 3600}).status_code == 200
        clock_line = process.stdout.readline().rstrip("\n")
        assert httpx.get(f"{root}/_sandbox/nothing").status_code == 404
        missing_line = process.stdout.readline().rstrip("\n")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=5)
        finally:
            if process.poll() is None:
                process.kill()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
    assert process.returncode == 130  # Ctrl-C, as the CLI reports it

    expected = [
        (api_line, f"[sandbox 2026-09-01T09:00:00Z] GET /api/v1/Account/{MA}/numbers -> 200 (list_numbers)"),
        (clock_line, "[sandbox 2026-09-01T10:00:00Z] POST /_sandbox/clock -> 200 (control)"),
        (missing_line, "[sandbox 2026-09-01T10:00:00Z] GET /_sandbox/nothing -> 404 (control)"),
    ]
    for line, rest in expected:
        wall, _, shown = line.partition(" [")
        assert "[" + shown == rest, line
        printed_at = datetime.strptime(wall, "%Y-%m-%d %H:%M:%S.%f").astimezone()
        assert abs(printed_at - started) < timedelta(minutes=1), line  # the wall clock, not the sandbox's


def test_a_request_line_shows_wall_clock_then_sandbox_clock() -> None:
    entry = {
        "time": "2026-09-01T09:00:00Z",
        "method": "POST",
        "path": "/api/v1/x",
        "route": "purchase",
        "status": None,
        "fault": "drop",
        "auth_id": MA,
    }
    wall = datetime(2031, 2, 3, 4, 5, 6, 789012)
    assert request_line(entry, wall) == (
        "2031-02-03 04:05:06.789 [sandbox 2026-09-01T09:00:00Z] POST /api/v1/x -> dropped (purchase) fault=drop"
    )
