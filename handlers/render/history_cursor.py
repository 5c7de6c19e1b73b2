"""Audit filters as text, and what a history paging button carries.

`filter_text(f)` writes an `AuditFilter` back in the filter syntax, canonically: relative times (`since:30d`)
become the instants they meant when the command ran, so every page of one answer covers the same window.
The audit service's own parser reads it back to the same filter (a test holds the two to that).

A paging button carries that text and the cursor (`before_id`), nothing else: about 300 characters at
most whatever was typed, far under Slack's 2000 for a button value. No query state is kept on the server,
so a restart or a second worker changes nothing. On a click the text is parsed again by the audit service
and the search runs for whoever clicked, so a forged or stale value can show no more than that person may
see with a command of their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.services.audit_query import AuditFilter
from handlers.listeners.parsing import UsageError

MAX_CURSOR = 2**62
MAX_FILTER_TEXT = 600


def filter_text(audit_filter: AuditFilter) -> str:
    """The filter in the syntax people type, canonical and with absolute times; "" for no filter."""
    parts: list[str] = []
    if audit_filter.e164:
        parts.append(audit_filter.e164)
    if audit_filter.actor:
        parts.append(f"@{audit_filter.actor}")
    if audit_filter.approver:
        parts.append(f"approver:@{audit_filter.approver}")
    if audit_filter.action:
        parts.append(f"action:{audit_filter.action}")
    if audit_filter.outcome:
        parts.append(f"outcome:{audit_filter.outcome}")
    if audit_filter.since:
        parts.append(f"since:{_instant(audit_filter.since)}")
    if audit_filter.until:
        parts.append(f"until:{_instant(audit_filter.until)}")
    if audit_filter.request_id:
        parts.append(f"request:{audit_filter.request_id}")
    return " ".join(parts)


def _instant(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


@dataclass(frozen=True)
class HistoryCursor:
    """Which page of which question: the canonical filter text, and the id to start below (None: newest)."""

    filters: str
    before_id: int | None = None

    def to_value(self) -> str:
        data: dict[str, object] = {"q": self.filters}
        if self.before_id is not None:
            data["b"] = self.before_id
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_value(cls, value: str) -> HistoryCursor:
        """Read a button value; anything that is not one of ours is a UsageError a person can act on."""
        stale = UsageError("That page button is out of date; run `/numbers history` again.", subcommand="history")
        try:
            data = json.loads(value)
        except (TypeError, ValueError):
            raise stale from None
        if not isinstance(data, dict):
            raise stale
        filters, before_id = data.get("q", ""), data.get("b")
        if not isinstance(filters, str) or len(filters) > MAX_FILTER_TEXT:
            raise stale
        if before_id is not None and (
            isinstance(before_id, bool) or not isinstance(before_id, int) or not 1 <= before_id <= MAX_CURSOR
        ):
            raise stale
        return cls(filters, before_id)
