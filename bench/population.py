"""A realistic audit log, made up deterministically: two years of approval requests (purchases,
releases, denials, expiries, force operations, failures) and direct assign/unassign, by a few hundred
people, about 25,000 telephone numbers. Each request is a row of `requests` (the audit's foreign key
and the `@user` filter need it) and the audit rows of its story, in the order the bot writes them.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.services.validation import CROCKFORD, REQUEST_ID_LENGTH
from bot.store.timestamps import to_db

Row = dict[str, Any]

END = datetime(2026, 11, 1, tzinfo=timezone.utc)
SPAN = timedelta(days=730)
REQUESTERS = 400
APPROVERS = 12
NUMBERS = 25_000
SUB_ACCOUNTS = ("SA_SALES0001", "SA_SUPPORT001", "SA_ENGINEER01")
BOT = ("numbers-bot", "numbers-bot")

# (weight, kind, ending) of a request's story; None kind = a direct assign/unassign (no request)
STORIES: tuple[tuple[int, str | None, str], ...] = (
    (45, "purchase", "succeeded"),
    (14, "release", "succeeded"),
    (10, "purchase", "denied"),
    (5, "purchase", "expired"),
    (3, "release_now", "succeeded"),
    (2, "force_unassign", "succeeded"),
    (3, "purchase", "failed"),
    (1, "purchase", "cancelled"),
    (17, None, "direct"),
)
_WEIGHTS = [w for w, *_ in STORIES]


@dataclass
class Population:
    """Who and what the made-up log is about (for choosing query parameters), and its time span."""

    seed: int = 20261127
    requesters: list[str] = field(default_factory=list)
    approvers: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    start: datetime = END - SPAN
    end: datetime = END

    def __post_init__(self) -> None:
        self.requesters = [f"U0REQ{i:05d}" for i in range(REQUESTERS)]
        self.approvers = [f"U0APR{i:05d}" for i in range(APPROVERS)]
        self.numbers = [f"+9180{3 + i // 10_000_000}{(i * 7_919) % 10_000_000:07d}" for i in range(NUMBERS)]

    def stories(self, rows: int) -> Iterator[tuple[Row | None, list[Row]]]:
        """(request row or None, its audit rows) until `rows` audit rows were made; instants grow evenly
        from `start` to `end`."""
        rng = random.Random(self.seed)
        step = SPAN / rows
        made = 0
        serial = 0
        while made < rows:
            _, kind, ending = rng.choices(STORIES, weights=_WEIGHTS)[0]
            requester = rng.choice(self.requesters)
            approver = rng.choice(self.approvers)
            e164 = rng.choice(self.numbers)
            at = functools.partial(self._instant, step, made)
            if kind is None:
                story = [_direct(rng, requester, e164, at(0))]
                request = None
            else:
                serial += 1
                request_id = _request_id(serial)
                story = _request_story(rng, kind, ending, request_id, requester, approver, e164, at)
                request = _request_row(request_id, kind, ending, requester, e164, story)
            story = story[: rows - made]
            made += len(story)
            yield request, story


    def _instant(self, step: timedelta, base: int, offset: int) -> str:
        return to_db(self.start + step * (base + offset))


def _request_id(serial: int) -> str:
    digits = []
    for _ in range(REQUEST_ID_LENGTH):
        serial, digit = divmod(serial, len(CROCKFORD))
        digits.append(CROCKFORD[digit])
    return "R" + "".join(reversed(digits))


def _audit(at: str, actor: tuple[str, str], event: str, action: str, outcome: str, e164: str, **extra: Any) -> Row:
    row = {"at": at, "actor_id": actor[0], "actor_name": actor[1], "event": event, "action": action, "outcome": outcome, "e164": e164}
    row.update({k: v for k, v in extra.items() if v is not None})
    return row


def _person(user_id: str) -> tuple[str, str]:
    return user_id, "person-" + user_id[-5:]


def _request_story(
    rng: random.Random, kind: str, ending: str, request_id: str, requester: str, approver: str, e164: str, at: Any
) -> list[Row]:
    asker, decider = _person(requester), _person(approver)
    quote = {"quote_setup_fee": "100", "quote_monthly_fee": str(rng.choice((150, 200, 300))), "quote_currency": "INR"} if kind == "purchase" else {}
    reason = rng.choice(("for the sales campaign", "support line", "IVR for billing", "no longer used", "on-call rota"))
    rows = [_audit(at(0), asker, "requested", kind, "pending", e164, request_id=request_id, reason=reason, **quote)]
    if ending == "denied":
        rows.append(_audit(at(1), decider, "denied", kind, "denied", e164, request_id=request_id, reason="not in budget"))
    elif ending == "expired":
        rows.append(_audit(at(1), BOT, "expired", kind, "expired", e164, request_id=request_id, detail="nobody decided in 24 hours"))
    elif ending == "cancelled":
        rows.append(_audit(at(1), asker, "cancelled", kind, "cancelled", e164, request_id=request_id))
    else:
        rows.append(_audit(at(1), decider, "approved", kind, "executing", e164, request_id=request_id, **quote))
        if ending == "failed":
            rows.append(_audit(at(2), decider, "executed", kind, "failed", e164, request_id=request_id, vobiz_error="not_found", detail="no longer in inventory"))
        else:
            rows.append(_audit(at(2), decider, "executed", kind, "succeeded", e164, request_id=request_id, detail=f"{kind} done"))
    return rows


def _direct(rng: random.Random, actor: str, e164: str, at: str) -> Row:
    action = rng.choice(("assign", "unassign"))
    outcome = "cool_off" if action == "unassign" and rng.random() < 0.3 else "succeeded"
    return _audit(at, _person(actor), "done", action, outcome, e164, sub_account_id=rng.choice(SUB_ACCOUNTS))


_STATUS = {"succeeded": "succeeded", "failed": "failed", "denied": "denied", "expired": "expired", "cancelled": "cancelled"}


def _request_row(request_id: str, kind: str, ending: str, requester: str, e164: str, story: list[Row]) -> Row:
    first, last = story[0], story[-1]
    created = datetime.fromisoformat(first["at"])
    decided = story[1] if len(story) > 1 and story[1]["event"] in ("approved", "denied") else None
    return {
        "id": request_id,
        "kind": kind,
        "e164": e164,
        "status": _STATUS[ending],
        "requester_id": requester,
        "requester_name": _person(requester)[1],
        "reason": first.get("reason") or "",
        "created_at": first["at"],
        "expires_at": to_db(created + timedelta(hours=24)),
        "decided_by_id": decided["actor_id"] if decided else None,
        "decided_at": decided["at"] if decided else None,
        "finished_at": last["at"],
        "updated_at": last["at"],
    }
