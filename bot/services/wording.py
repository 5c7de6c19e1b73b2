"""Small helpers that write amounts, numbers, instants and people into sentences for people."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from api.phone import display

from bot.services.records import Actor, Quote


def money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "an unknown amount"
    return f"{amount:f} {currency or ''}".strip()


def quote(q: Quote) -> str:
    fees = f"setup {money(q.setup_fee, q.currency)} + monthly {money(q.monthly_fee, q.currency)}"
    return "; ".join([fees, *q.notes])


def number(e164: str) -> str:
    return display(e164)


def when(moment: datetime | None) -> str:
    if moment is None:
        return "an unknown time"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def who(actor: Actor | None) -> str:
    if actor is None:
        return "someone"
    return actor.name or actor.user_id
