"""The control API under `/_sandbox/` (JSON, no auth): read the state, move the clock, set balances,
last calls, fees and modes, inject faults, read the request log, reset.

| method and path              | body / query                                           | answers          |
|------------------------------|--------------------------------------------------------|------------------|
| GET  /_sandbox/state         |                                                        | the whole state  |
| POST /_sandbox/clock         | {"advance_seconds": N} or {"now": ISO}                 | {"now"}          |
| POST /_sandbox/balance       | {"amount": N}  (the master's INR balance)              | {"balance"}      |
| POST /_sandbox/last-call     | {"e164", "at": ISO or null}                            | {"e164", "last_call_at"} |
| POST /_sandbox/faults        | {"route", "kind", "count", "retry_after", "seconds"}   | {"pending"}      |
| GET / DELETE /_sandbox/faults|                                                        | {"pending"}      |
| POST /_sandbox/admin         | {"admin": bool}                                        | {"admin"}        |
| POST /_sandbox/fees          | {"e164", "setup_fee", "monthly_fee"}                   | the number       |
| POST /_sandbox/sell-elsewhere| {"e164"}                                               | the number       |
| POST /_sandbox/terms         | {"e164", "minimum_commitment_months", "aadhaar_verification_required"} | the number |
| POST /_sandbox/stock         | {"country", "count"} (1..10,000 more inventory numbers) | {"inventory"}   |
| GET / POST /_sandbox/modes   | any of the Modes fields                                | the modes        |
| GET / DELETE /_sandbox/requests | ?route=NAME                                         | {"requests"}     |
| POST /_sandbox/reset         |                                                        | {"now"}          |
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs

from fakes.vobiz.faults import FaultPlan
from fakes.vobiz.replies import Reply
from fakes.vobiz.requestlog import Entry, RequestLog
from fakes.vobiz.routes import split_target
from fakes.vobiz.state import ControlError, SandboxState
from fakes.vobiz.wire import amount, error, iso, parse_iso

PREFIX = "/_sandbox/"

Handler = Callable[[dict[str, Any], dict[str, list[str]]], Any]


CONTROL_ROUTE = "control"


class ControlApi:
    """`on_request`, when given, hears of every control request (time on the sandbox clock, method, path,
    route "control", status) after it is answered; control requests stay out of the API request log."""

    def __init__(
        self,
        state: SandboxState,
        faults: FaultPlan,
        log: RequestLog,
        on_request: Callable[[Entry], None] | None = None,
    ) -> None:
        self.state = state
        self.faults = faults
        self.log = log
        self._on_request = on_request
        self._table: dict[tuple[str, str], Handler] = {
            ("GET", "state"): lambda body, query: self.state.snapshot(),
            ("POST", "clock"): self._clock,
            ("POST", "balance"): self._balance,
            ("POST", "last-call"): self._last_call,
            ("POST", "faults"): self._inject,
            ("GET", "faults"): lambda body, query: {"pending": self.faults.pending()},
            ("DELETE", "faults"): self._clear_faults,
            ("POST", "admin"): self._admin,
            ("POST", "fees"): self._fees,
            ("POST", "sell-elsewhere"): self._sell_elsewhere,
            ("POST", "terms"): self._terms,
            ("POST", "stock"): self._stock,
            ("GET", "modes"): lambda body, query: asdict(self.state.modes),
            ("POST", "modes"): lambda body, query: asdict(self.state.configure(**body)),
            ("GET", "requests"): self._requests,
            ("DELETE", "requests"): self._clear_requests,
            ("POST", "reset"): self._reset,
        }

    def handle(self, method: str, target: str, body: bytes) -> Reply:
        reply = self._dispatch(method, target, body)
        if self._on_request is not None:
            self._on_request(
                {
                    "time": iso(self.state.now()),
                    "method": method,
                    "path": target,
                    "route": CONTROL_ROUTE,
                    "status": reply.status,
                    "fault": None,
                    "auth_id": None,
                }
            )
        return reply

    def _dispatch(self, method: str, target: str, body: bytes) -> Reply:
        path, query_text = split_target(target)
        name = path[len(PREFIX) :].strip("/")
        handler = self._table.get((method, name))
        if handler is None:
            known = sorted({f"{m} {PREFIX}{n}" for m, n in self._table})
            return Reply(404, error("not_found", f"no such control route; known: {', '.join(known)}"))
        try:
            data = _json_object(body) if method == "POST" else {}
            return Reply(200, handler(data, parse_qs(query_text)))
        except ControlError as problem:
            return Reply(400, error("bad_request", str(problem)))

    def _clock(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        if "advance_seconds" in body:
            now = self.state.advance(body["advance_seconds"])
        elif "now" in body:
            now = self.state.set_now(_time(body["now"], "now"))
        else:
            raise ControlError('send {"advance_seconds": N} or {"now": "2026-09-02T09:00:00Z"}')
        return {"now": iso(now)}

    def _balance(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        if "amount" not in body:
            raise ControlError('send {"amount": N}')
        return {"balance": amount(self.state.set_balance(body["amount"]))}

    def _last_call(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        if "e164" not in body or "at" not in body:
            raise ControlError('send {"e164": "+91...", "at": "2026-09-01T08:00:00Z"} (or "at": null to clear)')
        when = None if body["at"] is None else _time(body["at"], "at")
        self.state.set_last_call(body["e164"], when)
        return {"e164": body["e164"], "last_call_at": iso(when) if when else None}

    def _inject(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        if "route" not in body or "kind" not in body:
            raise ControlError('send {"route": "purchase", "kind": "drop", "count": 1}')
        self.faults.inject(
            body["route"],
            body["kind"],
            count=body.get("count", 1),
            retry_after=body.get("retry_after", 1),
            seconds=body.get("seconds", 0),
        )
        return {"pending": self.faults.pending()}

    def _clear_faults(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        self.faults.clear()
        return {"pending": []}

    def _admin(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        self.state.set_admin(body.get("admin"))
        return {"admin": self.state.master.admin}

    def _fees(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        if not {"e164", "setup_fee", "monthly_fee"} <= set(body):
            raise ControlError('send {"e164": "+91...", "setup_fee": 100, "monthly_fee": 300}')
        self.state.set_fees(body["e164"], body["setup_fee"], body["monthly_fee"])
        return self.state.describe(body["e164"])

    def _sell_elsewhere(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        self.state.sell_elsewhere(body.get("e164"))
        return self.state.describe(body["e164"])

    def _terms(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        if not {"e164", "minimum_commitment_months", "aadhaar_verification_required"} <= set(body):
            raise ControlError(
                'send {"e164": "+91...", "minimum_commitment_months": 12, "aadhaar_verification_required": true}'
            )
        self.state.set_terms(body["e164"], body["minimum_commitment_months"], body["aadhaar_verification_required"])
        return self.state.describe(body["e164"])

    def _stock(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        if not {"country", "count"} <= set(body):
            raise ControlError('send {"country": "IN", "count": 4000}')
        return {"inventory": self.state.stock(body["country"], body["count"])}

    def _requests(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        route = query.get("route", [None])[-1]
        return {"requests": self.log.entries(route)}

    def _clear_requests(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        self.log.clear()
        return {"requests": []}

    def _reset(self, body: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        self.state.reset()
        self.faults.clear()
        self.log.clear()
        return {"now": iso(self.state.now())}


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ControlError("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object")
    return data


def _time(value: Any, name: str) -> Any:
    if not isinstance(value, str):
        raise ControlError(f"{name} must be an ISO-8601 time such as 2026-09-02T09:00:00Z")
    try:
        return parse_iso(value)
    except ValueError:
        raise ControlError(f"{name} must be an ISO-8601 time such as 2026-09-02T09:00:00Z") from None
