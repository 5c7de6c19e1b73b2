"""Recording how an approved request ended: the guarded move out of EXECUTING (or OUTCOME_UNKNOWN) with its
audit row and notifications, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.services import journal
from bot.services.errors import NotFound, OutcomeUnknown, ServiceError
from bot.services.labels import label_bought
from bot.services.records import Actor, Approval, ApprovalRequest, Status
from bot.services.rows import db_values, request_with_items
from bot.store import Connection, Store, allowances, request_approvals, request_items, requests
from bot.store.timestamps import from_db


log = logging.getLogger(__name__)


@contextmanager
def recording_what_vobiz_did(done: str) -> Iterator[None]:
    """Around recording a change Vobiz has already made (`done`, e.g. "Vobiz assigned +91 ... to SA_1"): if
    it cannot be recorded (the database is gone, locked, ...), the person must not read "nothing was
    changed" or "Something went wrong"; they hear what happened and that the log does not show it yet."""
    try:
        yield
    except ServiceError:
        raise
    except Exception as exc:
        log.error("%s, but recording it failed (%s)", done, type(exc).__name__)
        raise OutcomeUnknown(
            f"{done}, but the bot could not record it: its database could not be written just now. The audit "
            "log does not show it yet (the bot reconciles it with Vobiz once the database is back). Do not repeat it."
        ) from None


@dataclass(frozen=True)
class Outcome:
    status: Status
    detail: str
    vobiz_error: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)  # extra request columns (new quote, release fee ...)


def load(store: Store, request_id: str) -> ApprovalRequest:
    """The request as stored, with its approvals (quorum)."""
    with store.read() as db:
        row = requests.get(db, request_id)
        if row is None:
            raise NotFound(f"There is no request {request_id}.")
        return with_approvals(request_with_items(db, row), request_approvals.of(db, request_id))


def _not_bought(db: Connection, request: ApprovalRequest, status: Status) -> int:
    """How many of the purchases a request counted were not bought, once it ended as `status`: all of them
    for a failed one; for a bulk purchase that succeeded, its numbers skipped or not bought."""
    if status is Status.FAILED:
        return request.purchase_count
    if status is Status.SUCCEEDED and request.is_bulk:
        return sum(1 for row in request_items.of_request(db, request.id) if row["status"] != request_items.BOUGHT)
    return 0


def with_approvals(request: ApprovalRequest, given: list[dict[str, Any]]) -> ApprovalRequest:
    approvals = tuple(Approval(Actor(r["approver_id"], r["approver_name"] or ""), from_db(r["at"]) or request.created_at) for r in given)
    return replace(request, approvals=approvals)


def finish(
    store: Store,
    now: datetime,
    request: ApprovalRequest,
    outcome: Outcome,
    *,
    from_statuses: Iterable[Status],
    event: str,
    actor: Actor,
    owner: str | None = None,
) -> ApprovalRequest | None:
    """Move the request to its outcome if it is still in `from_statuses` (and, with `owner`, still leased by
    that owner); None if someone else already did."""
    changes = {
        "status": outcome.status,
        "outcome_detail": outcome.detail,
        "vobiz_error": outcome.vobiz_error,
        "finished_at": now if outcome.status.is_terminal else None,
        "updated_at": now,
        **outcome.changes,
    }
    with store.unit() as db:
        won = requests.transition(db, request.id, [s.value for s in from_statuses], db_values(changes), owner=owner)
        if not won:
            return None
        journal.record(
            db,
            now,
            journal.about(
                request,
                actor,
                event,
                outcome.status.value,
                detail=outcome.detail,
                vobiz_error=outcome.vobiz_error,
                quote=request.quote,
            ),
        )
        if outcome.status is Status.SUCCEEDED:
            label_bought(db, now, request)  # the team the purchase request asked for, in the same transaction
        journal.announce(db, now, request.id, tell_requester=True)
        unbought = _not_bought(db, request, outcome.status)
        if unbought and request.by_allowance and request.decided_at is not None:
            # what was not bought does not count against the requester's allowance
            allowances.give_back(db, request.requester.user_id, request.decided_at.strftime("%Y-%m"), unbought)
        row = requests.get(db, request.id)
        assert row is not None
        return with_approvals(request_with_items(db, row), request_approvals.of(db, request.id))
