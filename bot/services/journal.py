"""Writing what happened: one audit row (plus its `history` outbox item) per event, and the outbox items
that tell Slack a request changed. Always called inside the unit that makes the change, so the change, its
audit row and its notifications commit together or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.records import BOT_USER_ID, Actor, ApprovalRequest, Quote
from bot.services.rows import actor_columns, db_value, quote_columns
from bot.store import Connection, audit, outbox
from bot.store.outbox import OutboxKind

SYSTEM = Actor(BOT_USER_ID, BOT_USER_ID)


@dataclass(frozen=True)
class Event:
    actor: Actor
    event: str  # requested, approved, denied, cancelled, expired, refused, executed, settled, undone, done ...
    action: str  # purchase, release, release_now, force_unassign, assign, unassign, undo_release
    outcome: str
    e164: str | None = None
    sub_account_id: str | None = None
    request_id: str | None = None
    reason: str | None = None
    quote: Quote | None = None
    vobiz_error: str | None = None
    detail: str | None = None
    cool_off_until: datetime | None = None


def about(request: ApprovalRequest, actor: Actor, event: str, outcome: str, **extra: object) -> Event:
    """An event about a request, carrying its number, sub-account and id."""
    fields: dict[str, object] = {
        "actor": actor,
        "event": event,
        "action": request.kind.value,
        "outcome": outcome,
        # A bulk purchase's own rows name no number (each number has its rows, so the drift check and a
        # number's trail read what happened to that number, never the request's summary as its purchase).
        "e164": None if request.is_bulk else request.e164,
        "sub_account_id": request.sub_account_id,
        "request_id": request.id,
    }
    fields.update(extra)
    return Event(**fields)  # type: ignore[arg-type]


def record(db: Connection, now: datetime, event: Event, *, notify: OutboxKind | None = OutboxKind.HISTORY) -> int:
    """Append the audit row and queue its notification (`notify`: the outbox kind, ref = the audit id; by
    default its history line; None for none); returns the audit id."""
    row = {"at": db_value(now), **actor_columns("actor", event.actor), **quote_columns("quote", event.quote)}
    # every other column of the row (bot.store.audit.COLUMNS) is the Event field of the same name
    row.update({column: db_value(getattr(event, column)) for column in audit.COLUMNS if column not in row})
    audit_id = audit.append(db, row)
    if notify is not None:
        outbox.enqueue(db, notify, audit_id, now)
    return audit_id


def announce(db: Connection, now: datetime, request_id: str, *, tell_requester: bool) -> None:
    """The request's state changed: re-draw its approval message, and tell the requester if it concerns them."""
    outbox.enqueue(db, OutboxKind.APPROVAL_MESSAGE, request_id, now)
    if tell_requester:
        outbox.enqueue(db, OutboxKind.REQUESTER_NOTICE, request_id, now)
