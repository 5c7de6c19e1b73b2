"""The sandbox's route table and path matching, tolerant as the contract's §6.3-6.4 asks.

- `/Account/` and `/account/` are interchangeable on number routes, unless `strict_casing` is on: then
  only the documented casing matches and the other one 404s.
- A number in a path may be `%2B9198...`, `+9198...`, `9198...` or (from a client that decoded `+` as
  a space) ` 9198...`; it is handed on as `+9198...`.
- A trailing slash is optional everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

from fakes.vobiz.replies import Reply
from fakes.vobiz.wire import error

API_PREFIX = "/api/v1/"


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    segments: tuple[str, ...]  # after /api/v1/; "{auth}", "{e164}" and "{sub}" are parameters
    casing_tolerant: bool = True  # the first segment is the account literal, matched by casing rules


ROUTES: tuple[Route, ...] = (
    Route("list_numbers", "GET", ("Account", "{auth}", "numbers")),
    Route("list_inventory", "GET", ("Account", "{auth}", "inventory", "numbers")),
    Route("purchase", "POST", ("Account", "{auth}", "numbers", "purchase-from-inventory")),
    Route("release", "DELETE", ("Account", "{auth}", "numbers", "{e164}")),
    Route("cancel_release", "POST", ("account", "{auth}", "numbers", "{e164}", "cancel-release")),
    Route("assign", "POST", ("account", "{auth}", "numbers", "{e164}", "assign-subaccount")),
    Route("unassign", "DELETE", ("account", "{auth}", "numbers", "{e164}", "assign-subaccount")),
    Route("assign_trunk", "POST", ("Account", "{auth}", "numbers", "{e164}", "assign")),
    Route("unassign_trunk", "DELETE", ("Account", "{auth}", "numbers", "{e164}", "assign")),
    Route("list_subaccounts", "GET", ("accounts", "{auth}", "sub-accounts"), casing_tolerant=False),
    Route("get_subaccount", "GET", ("accounts", "{auth}", "sub-accounts", "{sub}"), casing_tolerant=False),
)
ROUTE_NAMES: tuple[str, ...] = tuple(route.name for route in ROUTES)


@dataclass(frozen=True)
class Match:
    route: str
    auth_id: str
    e164: str | None = None
    sub_auth_id: str | None = None
    query: dict[str, list[str]] = field(default_factory=dict)


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of a request target; a fragment is dropped."""
    target = target.split("#", 1)[0]
    path, _, query = target.partition("?")
    return path, query


def match(method: str, target: str, *, strict_casing: bool) -> Match | Reply:
    """The route for this request, or the 404/405 answer."""
    path, query = split_target(target)
    if not path.startswith(API_PREFIX):
        return Reply(404, error("not_found", "no such route"))
    segments = path[len(API_PREFIX) :].split("/")
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()
    allowed: list[str] = []
    for route in ROUTES:
        params = _match_segments(route, segments, strict_casing)
        if params is None:
            continue
        if route.method != method:
            allowed.append(route.method)
            continue
        return Match(
            route=route.name,
            auth_id=params.get("auth", ""),
            e164=path_number(params["e164"]) if "e164" in params else None,
            sub_auth_id=params.get("sub"),
            query=parse_qs(query, keep_blank_values=True),
        )
    if allowed:
        methods = ", ".join(sorted(set(allowed)))
        return Reply(405, error("method_not_allowed", f"use {methods} on this path"), (("Allow", methods),))
    return Reply(404, error("not_found", "no such route"))


def _match_segments(route: Route, segments: list[str], strict_casing: bool) -> dict[str, str] | None:
    if len(segments) != len(route.segments):
        return None
    params: dict[str, str] = {}
    for index, (template, actual) in enumerate(zip(route.segments, segments, strict=True)):
        if template.startswith("{"):
            if not actual:
                return None
            params[template[1:-1]] = unquote(actual)
        elif index == 0 and route.casing_tolerant and not strict_casing:
            if actual.lower() != template.lower():
                return None
        elif actual != template:
            return None
    return params


def path_number(decoded: str) -> str:
    """`+9198...` from any tolerated spelling; garbage stays garbage (and is then not found)."""
    text = decoded
    if text.startswith(" "):  # a `+` that was decoded as a space on the way
        text = "+" + text.lstrip(" ")
    text = text.strip()
    return text if text.startswith("+") else "+" + text
