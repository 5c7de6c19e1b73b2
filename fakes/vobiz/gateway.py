"""The API pipeline for one request: route -> latency -> fault -> authentication -> the path's account
-> input parsing -> the operation -> the request log. Returns what to send (or to drop)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Mapping
from typing import Any

from fakes.vobiz import routes
from fakes.vobiz.faults import Fault, FaultPlan
from fakes.vobiz.model import Account
from fakes.vobiz.operations import NumbersApi
from fakes.vobiz.replies import Drop, Outcome, Refusal, Reply, bad_request
from fakes.vobiz.requestlog import RequestLog
from fakes.vobiz.state import SandboxState
from fakes.vobiz.wire import error, iso

MAX_PER_PAGE = 100
_E164_BODY = re.compile(r"^\+?\d{6,15}$")
_FORMATTING = re.compile(r"[\s\-().]")

UNAUTHORIZED = error("unauthorized", "invalid credentials")
# cancel-release documents its own 401 body (§3.5); the other routes document none (§6.1).
CANCEL_UNAUTHORIZED = {"error": {"code": 401, "message": "Invalid token"}}
# What a proxy in front of Vobiz answers (API-gateway style): not Vobiz's own {error, message} body.
BAD_GATEWAY = Reply(502, {"message": "Bad Gateway"})
GATEWAY_TIMEOUT = Reply(504, {"message": "Endpoint request timed out"})


class Gateway:
    def __init__(self, state: SandboxState, faults: FaultPlan, log: RequestLog, stopping: threading.Event) -> None:
        self.state = state
        self.faults = faults
        self.log = log
        self.stopping = stopping
        self.api = NumbersApi(state)

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        """`headers` keys are lowercase."""
        found = routes.match(method, target, strict_casing=self.state.modes.strict_casing)
        route = found.route if isinstance(found, routes.Match) else None
        fault: Fault | None = None
        if isinstance(found, Reply):
            outcome: Outcome = found
        else:
            self._wait(self.state.modes.latency_ms / 1000)
            fault = self.faults.take(found.route)
            outcome = self._answer(found, fault, headers, body)
        self.log.add(
            time=iso(self.state.now()),
            method=method,
            path=target,
            route=route,
            status=outcome.status if isinstance(outcome, Reply) else None,
            fault=fault.kind if fault else None,
            auth_id=_credentials(headers, basic_allowed=True)[0],
        )
        return outcome

    def _answer(self, found: routes.Match, fault: Fault | None, headers: Mapping[str, str], body: bytes) -> Outcome:
        if fault is not None:
            if fault.kind == "rate_limit":
                return _rate_limited(fault.retry_after)
            if fault.kind == "server_error":
                return Reply(500, error("internal_server_error", "internal server error (injected fault)"))
            if fault.kind == "drop":
                return Drop()
            if fault.kind == "bad_gateway":
                return BAD_GATEWAY
            if fault.kind == "gateway_timeout":
                if fault.seconds > 0:
                    self._apply_later(fault.seconds, found, headers, body)
                return GATEWAY_TIMEOUT
            if fault.kind in ("hang", "hang_drop"):
                self._wait(fault.seconds)
                if fault.kind == "hang_drop" or self.stopping.is_set():
                    return Drop()
        try:
            reply = self._authorized(found, headers, body)
        except Refusal as refusal:
            reply = refusal.reply
        if fault is not None and fault.kind == "drop_after":
            return Drop()
        if fault is not None and fault.kind == "bad_gateway_after":
            return BAD_GATEWAY
        return reply

    def _apply_later(self, seconds: float, found: routes.Match, headers: Mapping[str, str], body: bytes) -> None:
        """The backend behind a proxy that gave up: the operation happens `seconds` after the proxy answered."""

        def apply() -> None:
            self._wait(seconds)
            if self.stopping.is_set():
                return
            try:
                self._authorized(found, headers, body)
            except Refusal:
                pass  # the backend refused it: nothing changed, and nobody is listening for the answer

        threading.Thread(target=apply, name="sandbox-late-apply", daemon=True).start()

    def _authorized(self, found: routes.Match, headers: Mapping[str, str], body: bytes) -> Reply:
        is_cancel = found.route == "cancel_release"
        auth_id, token = _credentials(headers, basic_allowed=is_cancel)
        caller = self.state.authenticate(auth_id, token)
        if caller is None:
            raise Refusal(401, CANCEL_UNAUTHORIZED if is_cancel else UNAUTHORIZED)
        acting = self.state.acting_account(caller, found.auth_id)
        if acting is None:
            if is_cancel:
                raise Refusal(403, {"error": "access denied"})
            raise Refusal(403, error("forbidden", "the account in the path is not yours or one of your sub-accounts"))
        return self._dispatch(found, acting, body)

    def _dispatch(self, found: routes.Match, acting: Account, body: bytes) -> Reply:
        query = found.query
        e164 = found.e164 or ""
        api = self.api
        if found.route == "list_numbers":
            return api.list_numbers(
                acting,
                page=_int_param(query, "page", 1),
                per_page=_int_param(query, "per_page", 25, maximum=MAX_PER_PAGE),
                search=_search(query),
                include_subaccounts=_bool_param(query, "include_subaccounts") is not False,
            )
        if found.route == "list_inventory":
            return api.list_inventory(
                country=(_last(query, "country") or "").strip() or None,
                search=_search(query),
                exclude=_exclude(query),
                page=_int_param(query, "page", 1),
                per_page=_int_param(query, "per_page", 25, maximum=MAX_PER_PAGE),
            )
        if found.route == "purchase":
            data = _json_object(body, example='{"e164": "+919876543210"}')
            return api.purchase(acting, e164=_body_e164(data.get("e164")), currency=_currency(data.get("currency")))
        if found.route == "release":
            return api.release(acting, e164=e164, immediate=bool(_bool_param(query, "immediate")))
        if found.route == "cancel_release":
            return api.cancel_release(acting, e164=e164)
        if found.route == "assign":
            data = _json_object(body, example='{"sub_account_id": "SA_XXXXXX"}')
            return api.assign(acting, e164=e164, sub_account_id=data.get("sub_account_id"))
        if found.route == "unassign":
            return api.unassign(acting, e164=e164, force=bool(_bool_param(query, "force")))
        if found.route == "assign_trunk":
            data = _json_object(body, example='{"trunk_group_id": "<uuid>"}')
            return api.assign_trunk(acting, e164=e164, trunk_group_id=data.get("trunk_group_id"))
        if found.route == "unassign_trunk":
            return api.unassign_trunk(acting, e164=e164)
        if found.route == "list_subaccounts":
            return api.list_subaccounts(
                acting,
                page=_int_param(query, "page", 1),
                size=_int_param(query, "size", 25, maximum=MAX_PER_PAGE),
                active_only=_bool_param(query, "active_only"),
            )
        if found.route == "get_subaccount":
            return api.get_subaccount(acting, sub_auth_id=found.sub_auth_id or "")
        raise AssertionError(f"route {found.route} has no operation")  # the route table and this list disagree

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.stopping.wait(seconds)


def _rate_limited(retry_after: int) -> Reply:
    body = {
        "status": "error",
        "error": {
            "code": "RATE_LIMIT_EXCEEDED",
            "message": "rate limit exceeded",
            "details": {"retryAfter": retry_after},
        },
    }
    return Reply(429, body, (("Retry-After", str(retry_after)),))


def _credentials(headers: Mapping[str, str], *, basic_allowed: bool) -> tuple[str | None, str | None]:
    auth_id, token = headers.get("x-auth-id"), headers.get("x-auth-token")
    if (auth_id is None or token is None) and basic_allowed:
        scheme, _, encoded = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None, None
            return user, password
    return (auth_id.strip() if auth_id else auth_id), token


def _last(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _int_param(query: dict[str, list[str]], name: str, default: int, *, maximum: int | None = None) -> int:
    raw = _last(query, name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise bad_request(f"{name} must be a whole number") from None
    value = max(1, value)
    return min(value, maximum) if maximum is not None else value


def _bool_param(query: dict[str, list[str]], name: str) -> bool | None:
    raw = _last(query, name)
    if raw is None:
        return None
    text = raw.strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise bad_request(f"{name} must be true or false")


def _search(query: dict[str, list[str]]) -> str | None:
    raw = _last(query, "search")
    if raw is None:
        return None
    if raw.startswith(" "):  # an unencoded leading `+` arrives as a space
        raw = "+" + raw.lstrip(" ")
    return raw.strip() or None


def _exclude(query: dict[str, list[str]]) -> list[str]:
    prefixes: dict[str, None] = {}
    for value in query.get("exclude", []):
        for part in value.split(","):
            prefix = part.strip().lstrip("+").strip()
            if prefix:
                prefixes.setdefault(prefix, None)
    return list(prefixes)


def _json_object(body: bytes, *, example: str) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise bad_request(f"the request body must be a JSON object such as {example}")
    return data


def _body_e164(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request("e164 is required: the number to buy, e.g. +919876543210")
    text = _FORMATTING.sub("", value)
    if not _E164_BODY.match(text):
        raise bad_request("e164 must be a phone number in E.164 form, e.g. +919876543210")
    return text if text.startswith("+") else "+" + text


def _currency(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request("currency must be a currency code such as INR or USD")
    return value.strip().upper()
