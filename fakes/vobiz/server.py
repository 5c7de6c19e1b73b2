"""SandboxServer: the fake Vobiz over real HTTP, in a daemon thread, plus a Python mirror of the control
API for tests and the demo; and `run_standalone`, behind `numbers-bot sandbox`.

    with SandboxServer() as sandbox:
        client = VobizClient(sandbox.auth_id, sandbox.auth_token, base_url=sandbox.base_url)
        sandbox.inject("purchase", "drop")
        sandbox.advance(24 * 3600)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from fakes.vobiz.control import ControlApi
from fakes.vobiz.faults import FaultPlan
from fakes.vobiz.gateway import Gateway
from fakes.vobiz.handler import SandboxHTTPServer
from fakes.vobiz.model import COOL_OFF_PERIOD
from fakes.vobiz.requestlog import Entry, RequestLog
from fakes.vobiz.seed import MASTER_AUTH_ID, MASTER_TOKEN, SEED, SUB_ACCOUNTS
from fakes.vobiz.state import Modes, SandboxState


class SandboxServer:
    """A seeded fake Vobiz. `start()` serves on `host:port` (0 picks a free port) in a daemon thread."""

    auth_id = MASTER_AUTH_ID
    auth_token = MASTER_TOKEN

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: int = 0,
        strict_casing: bool = False,
        seed: int = SEED,
        on_request: Callable[[Entry], None] | None = None,
        on_control: Callable[[Entry], None] | None = None,
    ) -> None:
        """`on_request` hears of every API request as it is logged; `on_control` of every `/_sandbox/`
        control request (which the request log leaves out)."""
        self.host = host
        self._requested_port = port
        self._state = SandboxState(seed=seed, modes=Modes(strict_casing=strict_casing, latency_ms=latency_ms))
        self._faults = FaultPlan()
        self._log = RequestLog(on_add=on_request)
        self._stopping = threading.Event()
        self._gateway = Gateway(self._state, self._faults, self._log, self._stopping)
        self._control = ControlApi(self._state, self._faults, self._log, on_request=on_control)
        self._httpd: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.root_url if self._httpd else "not started"
        return f"SandboxServer({where}, seed={self._state.seed})"

    # Lifecycle ---------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            raise RuntimeError("the sandbox is already running")
        self._stopping.clear()
        self._httpd = SandboxHTTPServer((self.host, self._requested_port), self._gateway, self._control)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="vobiz-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: hanging requests are cut short and open connections closed."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Block while serving (until `stop()` from another thread)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Where and who -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What `VobizClient(base_url=...)` takes: the client adds `/v1/...`."""
        return f"{self.root_url}/api"

    @property
    def control_url(self) -> str:
        return f"{self.root_url}/_sandbox"

    @property
    def sub_account_ids(self) -> tuple[str, ...]:
        return tuple(auth_id for auth_id, *_ in SUB_ACCOUNTS)

    def credentials(self, auth_id: str | None = None) -> tuple[str, str]:
        """(auth_id, token) of the master (default) or of one of the seeded sub-accounts."""
        account = self._state.accounts.get(auth_id or self.auth_id)
        if account is None:
            raise KeyError(f"no sandbox account {auth_id!r}")
        return account.auth_id, account.auth_token

    @property
    def state(self) -> SandboxState:
        """The live in-memory model. Hold `state.lock` while reading several things that must agree."""
        return self._state

    # Control (mirrors /_sandbox/) ----------------------------------------------------------------

    def now(self) -> datetime:
        return self._state.now()

    def advance(self, seconds: float) -> datetime:
        return self._state.advance(seconds)

    def set_now(self, when: datetime) -> datetime:
        return self._state.set_now(when)

    def set_balance(self, amount: Decimal | int | float) -> None:
        self._state.set_balance(amount)

    @property
    def balance(self) -> Decimal:
        """The master account's balance, in INR."""
        with self._state.lock:
            return self._state.master.balance

    def set_admin(self, flag: bool) -> None:
        self._state.set_admin(flag)

    def set_last_call(self, e164: str, when: datetime | None) -> None:
        self._state.set_last_call(e164, when)

    def set_fees(self, e164: str, setup_fee: Decimal | int | float, monthly_fee: Decimal | int | float) -> None:
        self._state.set_fees(e164, setup_fee, monthly_fee)

    def sell_elsewhere(self, e164: str) -> None:
        self._state.sell_elsewhere(e164)

    def set_terms(self, e164: str, *, minimum_commitment_months: int, aadhaar_verification_required: bool) -> None:
        self._state.set_terms(e164, minimum_commitment_months, aadhaar_verification_required)

    def stock(self, country: str, count: int) -> int:
        """Add `count` fresh inventory numbers of `country` (seeded); answers the inventory size after."""
        return self._state.stock(country, count)

    def configure(self, **modes: Any) -> Modes:
        """Switch behaviours: strict_casing, latency_ms, release_mode ("current" | "legacy_204" |
        "legacy_message"), refund_fails, assign_status (200 | 204), insufficient_balance_status (500 | 402)."""
        return self._state.configure(**modes)

    def inject(self, route: str, kind: str, count: int = 1, retry_after: int = 1, seconds: float = 0) -> None:
        """The next `count` requests to `route` fail as `kind` (see fakes.vobiz.faults)."""
        self._faults.inject(route, kind, count=count, retry_after=retry_after, seconds=seconds)

    def clear_faults(self) -> None:
        self._faults.clear()

    def pending_faults(self) -> list[dict[str, Any]]:
        return self._faults.pending()

    def requests(self, route: str | None = None) -> list[Entry]:
        """The request log (optionally one route's): seq, time, method, path, route, status, fault, auth_id."""
        return self._log.entries(route)

    def clear_requests(self) -> None:
        self._log.clear()

    def reset(self) -> None:
        """Back to the seeded world, the start clock and the constructor's modes; faults and log cleared."""
        self._state.reset()
        self._faults.clear()
        self._log.clear()

    def snapshot(self) -> dict[str, Any]:
        return self._state.snapshot()

    def describe(self, e164: str) -> dict[str, Any]:
        """One number's sandbox record: where it is (inventory, owned ...), owner, timers, last call."""
        return self._state.describe(e164)

    # Picking numbers for tests ---------------------------------------------------------------------

    def owned_numbers(self, owner: str | None = None, *, recent_call: bool | None = None) -> list[str]:
        """Active owned numbers (of `owner`, if given), sorted. `recent_call`: True for a call in the
        last 15 days (cool-off), False for none in the last 15 days (including never)."""
        with self._state.lock:
            self._state.settle()
            now = self._state.now()
            found = []
            for number in self._state.numbers.values():
                if number.status != "active" or number.owner not in self._state.accounts:
                    continue
                if owner is not None and number.owner != owner:
                    continue
                recent = number.last_call_at is not None and now < number.last_call_at + COOL_OFF_PERIOD
                if recent_call is not None and recent != recent_call:
                    continue
                found.append(number.e164)
            return sorted(found)

    def inventory_numbers(self, country: str | None = None) -> list[str]:
        """Numbers available to buy (of `country`, if given), sorted."""
        with self._state.lock:
            self._state.settle()
            numbers = self._state.numbers.values()
            return sorted(n.e164 for n in numbers if n.in_inventory and (country is None or n.country == country))


def run_standalone(host: str = "127.0.0.1", port: int = 8765, latency_ms: int = 0, strict_casing: bool = False) -> None:
    """Serve until Ctrl-C, printing the base URL, the (sandbox-only) credentials and one line per request,
    control requests included."""
    server = SandboxServer(
        host=host,
        port=port,
        latency_ms=latency_ms,
        strict_casing=strict_casing,
        on_request=_print_request,
        on_control=_print_request,
    )
    server.start()
    try:
        print(f"Vobiz sandbox serving at {server.base_url}", flush=True)
        print(f"  VOBIZ_BASE_URL={server.base_url}", flush=True)
        print(f"  VOBIZ_AUTH_ID={server.auth_id}", flush=True)
        print(f"  VOBIZ_AUTH_TOKEN={server.auth_token}   (a fixed sandbox credential, not a secret)", flush=True)
        for auth_id in server.sub_account_ids:
            sub_id, token = server.credentials(auth_id)
            print(f"  sub-account {sub_id}: token {token}", flush=True)
        options = f"latency {latency_ms} ms, {'strict' if strict_casing else 'tolerant'} path casing"
        print(f"  control API: {server.control_url}/state  ({options}); Ctrl-C stops", flush=True)
        while server.running:
            server.wait(timeout=0.5)
    finally:
        server.stop()


def request_line(entry: Entry, wall: datetime) -> str:
    """One request as the standalone sandbox prints it: the wall-clock time it was answered (local, to the
    millisecond), then the sandbox's own clock (which tests and the demo move), then what was asked and
    answered."""
    status = entry["status"] if entry["status"] is not None else "dropped"
    fault = f" fault={entry['fault']}" if entry["fault"] else ""
    route = entry["route"] or "no route"
    stamp = wall.strftime("%Y-%m-%d %H:%M:%S.") + f"{wall.microsecond // 1000:03d}"
    return f"{stamp} [sandbox {entry['time']}] {entry['method']} {entry['path']} -> {status} ({route}){fault}"


def _print_request(entry: Entry) -> None:
    print(request_line(entry, datetime.now().astimezone()), flush=True)
