"""Records to and from the store's rows. The one place that knows the column names of requests and audit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from bot.services.records import Actor, ApprovalRequest, AuditEntry, ItemStatus, Kind, Quote, RequestItem, Status
from bot.store import Connection, request_items
from bot.store.timestamps import from_db, to_db

Row = dict[str, Any]


def db_value(value: Any) -> Any:
    """A Python value as the store keeps it: instants as UTC ISO text, money as exact decimal text."""
    if isinstance(value, datetime):
        return to_db(value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, Enum):
        return value.value
    return value


def db_values(changes: dict[str, Any]) -> Row:
    return {column: db_value(value) for column, value in changes.items()}


def actor_columns(prefix: str, actor: Actor | None) -> Row:
    return {f"{prefix}_id": actor.user_id if actor else None, f"{prefix}_name": actor.name if actor else None}


def quote_columns(prefix: str, quote: Quote | None) -> Row:
    return {
        f"{prefix}_setup_fee": db_value(quote.setup_fee) if quote else None,
        f"{prefix}_monthly_fee": db_value(quote.monthly_fee) if quote else None,
        f"{prefix}_currency": quote.currency if quote else None,
    }


def terms_columns(prefix: str, quote: Quote | None) -> Row:
    """The terms beside a request's quote (requests only: the audit row keeps the fees)."""
    months = quote.commitment_months if quote else None
    aadhaar = quote.aadhaar_required if quote else None
    return {
        f"{prefix}_commitment_months": None if months is None else str(months),
        f"{prefix}_aadhaar_required": None if aadhaar is None else ("1" if aadhaar else "0"),
    }


def request_to_row(request: ApprovalRequest, *, now: datetime) -> Row:
    row: Row = {
        "id": request.id,
        "kind": request.kind.value,
        "e164": request.e164,
        "status": request.status.value,
        "requester_id": request.requester.user_id,
        "requester_name": request.requester.name,
        "reason": request.reason,
        "created_at": to_db(request.created_at),
        "expires_at": to_db(request.expires_at),
        "sub_account_id": request.sub_account_id,
        "cool_off_until": db_value(request.cool_off_until),
        "updated_at": to_db(now),
        "approvals_required": request.approvals_required,
    }
    row.update(quote_columns("quote", request.quote))
    row.update(terms_columns("quote", request.quote))
    return row


def request_with_items(db: Connection, row: Row) -> ApprovalRequest:
    """The request of `row` with its bulk items (none for a single-number request)."""
    return request_from_row(row, request_items.of_request(db, row["id"]))


def requests_with_items(db: Connection, rows: list[Row]) -> list[ApprovalRequest]:
    items = request_items.of_requests(db, [row["id"] for row in rows])
    return [request_from_row(row, items.get(row["id"], [])) for row in rows]


def item_to_values(item: RequestItem) -> Row:
    return {
        "e164": item.e164,
        "setup_fee": db_value(item.quote.setup_fee),
        "monthly_fee": db_value(item.quote.monthly_fee),
        "currency": item.quote.currency,
        **{k.removeprefix("q_"): v for k, v in terms_columns("q", item.quote).items()},
    }


def item_from_row(row: Row) -> RequestItem:
    months, aadhaar = row["commitment_months"], row["aadhaar_required"]
    quote = Quote(
        Decimal(row["setup_fee"]),
        Decimal(row["monthly_fee"]),
        row["currency"],
        None if months is None else int(months),
        None if aadhaar is None else aadhaar == "1",
    )
    return RequestItem(
        position=int(row["position"]),
        e164=row["e164"],
        quote=quote,
        status=ItemStatus(row["status"]),
        detail=row["detail"],
        called_at=from_db(row["called_at"]),
    )


def request_from_row(row: Row, item_rows: list[Row] | None = None) -> ApprovalRequest:
    return ApprovalRequest(
        id=row["id"],
        kind=Kind(row["kind"]),
        e164=row["e164"],
        status=Status(row["status"]),
        requester=Actor(row["requester_id"], row["requester_name"] or ""),
        reason=row["reason"],
        created_at=_instant(row["created_at"]),
        expires_at=_instant(row["expires_at"]),
        quote=_quote(row, "quote", with_terms=True),
        sub_account_id=row["sub_account_id"],
        cool_off_until=from_db(row["cool_off_until"]),
        decided_by=_actor(row, "decided_by"),
        decided_at=from_db(row["decided_at"]),
        decision_reason=row["decision_reason"],
        outcome_detail=row["outcome_detail"],
        new_quote=_quote(row, "new_quote"),
        release_fee=_decimal(row["release_fee"]),
        release_currency=row["release_currency"],
        cooldown_ends_at=from_db(row["cooldown_ends_at"]),
        undone_at=from_db(row["undone_at"]),
        undone_by=_actor(row, "undone_by"),
        approval_channel=row["approval_channel"],
        approval_ts=row["approval_ts"],
        finished_at=from_db(row["finished_at"]),
        vobiz_error=row["vobiz_error"],
        refund_amount=_decimal(row["refund_amount"]),
        refund_currency=row["refund_currency"],
        refund_status=row["refund_status"],
        refund_error=row["refund_error"],
        undo_state=row["undo_state"],
        lease_owner=row["lease_owner"],
        called_at=from_db(row["called_at"]),
        approvals_required=int(row.get("approvals_required") or 1),
        items=tuple(item_from_row(r) for r in item_rows or []),
    )


def audit_from_row(row: Row) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=_instant(row["at"]),
        actor=Actor(row["actor_id"], row["actor_name"] or ""),
        event=row["event"],
        action=row["action"],
        outcome=row["outcome"],
        e164=row["e164"],
        sub_account_id=row["sub_account_id"],
        request_id=row["request_id"],
        reason=row["reason"],
        quote=_quote(row, "quote"),
        vobiz_error=row["vobiz_error"],
        detail=row["detail"],
        cool_off_until=from_db(row["cool_off_until"]),
    )


def _instant(text: str) -> datetime:
    moment = from_db(text)
    assert moment is not None
    return moment


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _actor(row: Row, prefix: str) -> Actor | None:
    user_id = row[f"{prefix}_id"]
    return None if user_id is None else Actor(user_id, row[f"{prefix}_name"] or "")


def _quote(row: Row, prefix: str, *, with_terms: bool = False) -> Quote | None:
    setup, monthly, currency = row[f"{prefix}_setup_fee"], row[f"{prefix}_monthly_fee"], row[f"{prefix}_currency"]
    if setup is None or monthly is None or currency is None:
        return None
    if not with_terms:
        return Quote(Decimal(setup), Decimal(monthly), currency)
    return Quote(Decimal(setup), Decimal(monthly), currency, *terms_from(row, prefix))


def terms_from(row: Row, prefix: str) -> tuple[int | None, bool | None]:
    months, aadhaar = row.get(f"{prefix}_commitment_months"), row.get(f"{prefix}_aadhaar_required")
    return (None if months is None else int(months)), (None if aadhaar is None else aadhaar == "1")
