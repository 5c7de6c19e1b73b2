"""The cost table's CSV and month: cells a spreadsheet would run are kept as text, amounts stay exact, and
the month the setup fees are counted in ends where the calendar says (UTC)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.services.costs import CostGroup, CostReport, grouping, month_bounds, write_csv
from bot.services.errors import InvalidInput

NOW = datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def report(*groups: CostGroup) -> CostReport:
    return CostReport(
        by="country",
        groups=groups,
        numbers=sum(g.numbers for g in groups),
        monthly=(("INR", Decimal("300.125")),),
        unpriced=0,
        month="2026-12",
        setup_fees=(("USD", Decimal("1.10")),),
        purchases=1,
        unquoted_purchases=0,
        as_of=NOW,
    )


def test_a_group_name_that_a_spreadsheet_would_run_is_kept_as_text() -> None:
    hostile = CostGroup('=HYPERLINK("https://evil.example","x")', 2, (("INR", Decimal("300.125")),))
    out = io.BytesIO()
    rows = write_csv(report(hostile, CostGroup("GB", 1, (), unpriced=1)), out)
    parsed = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    assert rows == len(parsed) == 4  # hostile group, GB unpriced, the INR total, the setup fees
    assert parsed[0]["group"].startswith("'=HYPERLINK(")
    assert parsed[0]["amount"] == "300.125"  # exact, never rounded through a float
    assert (parsed[1]["group"], parsed[1]["numbers"], parsed[1]["amount"]) == ("GB", "1", "unpriced")
    assert parsed[-1]["what"] == "setup fees paid 2026-12" and parsed[-1]["amount"] == "1.10"


def test_the_month_ends_at_the_next_months_first_instant_in_utc() -> None:
    start, end = month_bounds(NOW)
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc))
    ist = timezone(timedelta(hours=5, minutes=30))
    assert month_bounds(datetime(2027, 1, 1, 4, 0, tzinfo=ist))[0] == datetime(2026, 12, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, want", [(None, "team"), ("TEAM", "team"), ("subaccount", "sub-account"), ("country", "country")])
def test_groupings_people_type(raw: str | None, want: str) -> None:
    assert grouping(raw) == want


def test_an_unknown_grouping_is_refused() -> None:
    with pytest.raises(InvalidInput, match="by:team"):
        grouping("planet")
