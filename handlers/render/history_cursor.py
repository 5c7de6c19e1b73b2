"""What a history paging button carries: the Slack side of the audit-filter grammar
(bot.services.audit_filters), whose `filter_text` writes a filter canonically, with absolute times, so every
page of one answer covers the same window.

A paging button carries that text and the cursor (`before_id`), nothing else: about 300 characters at
most whatever was typed, far under Slack's 2000 for a button value. No query state is kept on the server,
so a restart or a second worker changes nothing. On a click the text is parsed again by the audit service
and the search runs for whoever clicked, so a forged or stale value can show no more than that person may
see with a command of their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from handlers.parsing import UsageError

MAX_CURSOR = 2**62
MAX_FILTER_TEXT = 600


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
