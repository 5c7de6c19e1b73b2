"""What the account's numbers cost: per group (team, sub-account or country), how many numbers and their
monthly fees per currency, read from Vobiz's list of owned numbers (every page, through the API wrapper; a
master account's list includes its sub-accounts' numbers), and the setup fees the bot paid this calendar
month (UTC), read from its own audit log (the succeeded purchases and the quotes approved for them).

Amounts are Decimal and never added across currencies. A number whose fee or currency Vobiz leaves out is
counted in its group as "unpriced", never as zero.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING, Literal

from api.errors import VobizError
from api.models import PhoneNumber

from bot.services.clock import Clock
from bot.services.errors import InvalidInput
from bot.services.vobiz_failures import read_failure
from bot.store import Store, audit, csv_cells, labels

if TYPE_CHECKING:
    from api.client import VobizClient

GroupBy = Literal["team", "sub-account", "country"]
GROUPINGS: tuple[GroupBy, ...] = ("team", "sub-account", "country")
NO_TEAM = "(no team)"
MASTER = "(master account)"
NO_COUNTRY = "(unknown country)"
Amounts = tuple[tuple[str, Decimal], ...]  # (currency, amount), by currency


@dataclass(frozen=True)
class CostGroup:
    name: str
    numbers: int
    monthly: Amounts  # per currency
    unpriced: int = 0  # numbers whose monthly fee or currency Vobiz did not give


@dataclass(frozen=True)
class CostReport:
    by: GroupBy
    groups: tuple[CostGroup, ...]  # largest first, then by name
    numbers: int
    monthly: Amounts  # every group together, per currency
    unpriced: int
    month: str  # YYYY-MM (UTC), the month the setup fees were paid in
    setup_fees: Amounts  # paid this month, per currency
    purchases: int  # succeeded purchases this month
    unquoted_purchases: int  # of those, how many had no quoted setup fee in the log
    as_of: datetime


def grouping(raw: str | None) -> GroupBy:
    text = (raw or "team").strip().lower().replace("_", "-")
    text = {"subaccount": "sub-account", "sub": "sub-account", "account": "sub-account"}.get(text, text)
    if text not in GROUPINGS:
        raise InvalidInput(f"Costs can be grouped by:{'|by:'.join(GROUPINGS)}; “{(raw or '')[:30]}” is not one of them.")
    return text  # type: ignore[return-value]


class Costs:
    def __init__(self, *, vobiz: VobizClient, store: Store, clock: Clock) -> None:
        self._vobiz = vobiz
        self._store = store
        self._clock = clock

    def report(self, by: str | None = None) -> CostReport:
        group_by = grouping(by)
        now = self._clock()
        try:
            owned = list(self._vobiz.numbers.iter_all())
        except VobizError as exc:
            raise read_failure(exc, "listing the account's numbers") from None
        start, end = month_bounds(now)
        with self._store.read() as db:
            teams = {row["e164"]: str(row["team"]) for row in labels.every(db)} if group_by == "team" else {}
            paid = audit.purchases_paid(db, start, end)
        groups = _group(owned, lambda n: self._group_of(n, group_by, teams))
        setup: dict[str, Decimal] = defaultdict(Decimal)
        unquoted = 0
        for row in paid:
            fee = _decimal(row.get("quote_setup_fee"))
            if fee is None or not row.get("quote_currency"):
                unquoted += 1
            else:
                setup[str(row["quote_currency"])] += fee
        everything = _group(owned, lambda n: "all")
        total = everything[0] if everything else CostGroup("all", 0, ())
        return CostReport(
            by=group_by,
            groups=tuple(groups),
            numbers=total.numbers,
            monthly=total.monthly,
            unpriced=total.unpriced,
            month=f"{start:%Y-%m}",
            setup_fees=_sorted(setup),
            purchases=len(paid),
            unquoted_purchases=unquoted,
            as_of=now,
        )

    def _group_of(self, number: PhoneNumber, by: GroupBy, teams: dict[str, str]) -> str:
        if by == "team":
            return teams.get(number.e164, NO_TEAM)
        if by == "sub-account":
            owner = number.account_id
            return MASTER if not owner or owner == self._vobiz.auth_id else owner
        return (number.country or "").upper() or NO_COUNTRY


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month (UTC) `now` falls in: its first instant, and the next month's."""
    utc = now.astimezone(timezone.utc)
    start = datetime(utc.year, utc.month, 1, tzinfo=timezone.utc)
    end = datetime(utc.year + (utc.month == 12), utc.month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


CSV_HEADER = ("what", "group", "numbers", "currency", "amount")


def csv_rows(report: CostReport) -> list[tuple[str, ...]]:
    """The report as CSV rows (header first): a row per group and currency, the totals, the setup fees."""
    rows: list[tuple[str, ...]] = [CSV_HEADER]
    what = f"monthly fees by {report.by}"
    for group in report.groups:
        for currency, amount in group.monthly:
            rows.append((what, group.name, str(group.numbers), currency, f"{amount:f}"))
        if group.unpriced:
            rows.append((what, group.name, str(group.unpriced), "", "unpriced"))
    for currency, amount in report.monthly:
        rows.append(("monthly fees, all numbers", "(all)", str(report.numbers), currency, f"{amount:f}"))
    for currency, amount in report.setup_fees:
        rows.append((f"setup fees paid {report.month}", "(all)", str(report.purchases), currency, f"{amount:f}"))
    return rows


def write_csv(report: CostReport, out: IO[bytes]) -> int:
    """Write the report as CSV (every cell through the export's spreadsheet guard); returns the data rows."""
    rows = csv_rows(report)
    text = io.StringIO()
    for row in rows:
        text.write(",".join(csv_cells.cell(value) for value in row) + "\r\n")
    out.write(text.getvalue().encode("utf-8"))
    return len(rows) - 1


def _group(numbers: Iterable[PhoneNumber], key: object) -> list[CostGroup]:
    counts: dict[str, int] = defaultdict(int)
    unpriced: dict[str, int] = defaultdict(int)
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for number in numbers:
        name = key(number)  # type: ignore[operator]
        counts[name] += 1
        if number.monthly_fee is None or not number.currency:
            unpriced[name] += 1
        else:
            sums[name][number.currency.upper()] += number.monthly_fee
    order = sorted(counts, key=lambda name: (-counts[name], name))
    return [CostGroup(name, counts[name], _sorted(sums.get(name, {})), unpriced.get(name, 0)) for name in order]


def _sorted(amounts: dict[str, Decimal]) -> Amounts:
    return tuple(sorted(amounts.items()))


def _decimal(text: object) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


__all__ = ["CostGroup", "CostReport", "Costs", "GROUPINGS", "grouping", "month_bounds", "write_csv"]
