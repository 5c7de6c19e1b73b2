"""Date filters at the calendar's ends: every `since:`/`until:` text is either refused with the syntax or
answered (search, paging text, CSV and JSON Lines export), never an OverflowError or any other exception.

The grammar has dates (2026-11-01, also 20261101 and ISO weeks), datetimes with or without seconds,
fractions and a zone (Z or +/-HH:MM, +HHMM, +HH), and relative times (30d, 12h, 45m, 2w); there is no
month or day filter. The generated texts lean on years 1 and 9999 and on the widest offsets, where an
instant given with its zone lies outside what a UTC datetime can hold.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.services.audit_export import AuditExport
from bot.services.audit_filters import AuditFilter, AuditQuery, filter_text, parse_query
from bot.services.audit_query import AuditQueries, Visibility
from bot.services.errors import InvalidInput, ServiceError
from bot.store import Store
from bot.store.timestamps import from_db
from tests.audit.audit_helpers import ALICE, BOB, NOW, NUMBER_A, record, rows

FIRST = datetime.min.replace(tzinfo=timezone.utc)
LAST = datetime.max.replace(tzinfo=timezone.utc)
# Rows at both ends of the calendar and in between, so a bound moved by a microsecond would show.
ROW_TIMES = (FIRST, FIRST + timedelta(hours=1), NOW, LAST - timedelta(hours=1), LAST)


@pytest.fixture
def store(empty_store: Store) -> Store:
    made = empty_store
    for index, when in enumerate(ROW_TIMES):
        record(made, when, (ALICE, BOB)[index % 2], "done", "assign", "succeeded", e164=NUMBER_A, reason=f"row {index}")
    return made


def queries(store: Store) -> AuditQueries:
    return AuditQueries(store=store, visibility=Visibility(policy=None), clock=lambda: NOW)


# ------------------------------------------------------------------------------------ the grammar

DAYS = st.sampled_from([date.min, date.min + timedelta(days=1), date(2026, 11, 1), date.max - timedelta(days=1), date.max]) | st.dates()
# Fields out of range now and then (month 13, day 32, hour 24), at the calendar's ends too.
ODD_FIELDS = st.tuples(st.sampled_from([1, 2026, 9999]), st.integers(0, 13), st.integers(0, 32), st.integers(0, 24), st.integers(0, 60))


@st.composite
def dates(draw: st.DrawFn) -> str:
    day = draw(DAYS)
    form = draw(st.sampled_from(["extended", "basic", "week", "odd"]))
    if form == "week":
        year, week, weekday = day.isocalendar()
        return f"{year:04d}-W{week:02d}-{weekday}"
    if form == "odd":
        year, month, mday, _, _ = draw(ODD_FIELDS)
        return f"{year:04d}-{month:02d}-{mday:02d}"
    return day.isoformat() if form == "extended" else day.strftime("%Y%m%d").rjust(8, "0")


@st.composite
def offsets(draw: st.DrawFn) -> str:
    form = draw(st.sampled_from(["none", "Z", "z", "+HH:MM", "+HH:MM", "+HHMM", "+HH"]))
    if form in ("none", "Z", "z"):
        return "" if form == "none" else form
    sign = draw(st.sampled_from("+-"))
    hours, minutes = draw(st.sampled_from([(0, 0), (1, 0), (23, 59), (14, 0)]) | st.tuples(st.integers(0, 23), st.integers(0, 59)))
    return {"+HH:MM": f"{sign}{hours:02d}:{minutes:02d}", "+HHMM": f"{sign}{hours:02d}{minutes:02d}", "+HH": f"{sign}{hours:02d}"}[form]


@st.composite
def datetimes(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        year, month, mday, hour, minute = draw(ODD_FIELDS)
        return f"{year:04d}-{month:02d}-{mday:02d}T{hour:02d}:{minute:02d}{draw(offsets())}"
    moment = datetime.combine(draw(DAYS), draw(st.sampled_from([time(0), time(23, 59, 59, 999999)]) | st.times()))
    shown = moment.isoformat(timespec=draw(st.sampled_from(["minutes", "seconds", "microseconds", "auto"])))
    return f"{shown}{draw(offsets())}"


RELATIVE = st.builds(lambda n, unit: f"{n}{unit}", st.sampled_from([0, 1, 30, 5217, 36600, 999999]) | st.integers(0, 999999), st.sampled_from("mhdwMHDW"))
DATE_VALUES = dates() | datetimes() | RELATIVE | st.text(alphabet="0123456789-+:TZW.", min_size=1, max_size=30)
DATE_TOKENS = st.builds(lambda key, value: f"{key}:{value}", st.sampled_from(["since", "until", "SINCE", "Until"]), DATE_VALUES)
OTHER_TOKENS = st.sampled_from([NUMBER_A, "action:assign", "outcome:succeeded", "@UALICE001", "csv", "jsonl"])
FILTER_TEXTS = st.lists(DATE_TOKENS, min_size=1, max_size=2).flatmap(
    lambda dated: st.lists(OTHER_TOKENS, max_size=2, unique=True).map(lambda other: " ".join(dated + other))
)

# The texts of the finding, and the dates at the calendar's ends.
FINDING = ["since:0001-01-01T00:00:00+01:00", "until:9999-12-31T23:59:59-01:00"]
ENDS = ["until:9999-12-31", "since:9999-12-31", "until:0001-01-01", "since:0001-01-01", "since:9999-12-31T23:59:59-01:00",
        "until:0001-01-01T00:00:00+01:00", "since:0001-01-01T00:59:59.999999+01:00 until:9999-12-31T23:00-23:59"]


def read(text: str) -> AuditQuery | None:
    """The parsed query, or None when it was refused the way a person is told (InvalidInput with the syntax)."""
    try:
        return parse_query(text, now=NOW)
    except InvalidInput as refused:
        assert refused.user_message and "Traceback" not in refused.user_message
        return None


def expected_ids(store: Store, audit_filter: AuditFilter) -> list[int]:
    """What the filter means, checked in Python on the stored instants."""
    return [
        r["id"]
        for r in rows(store)
        if (audit_filter.since is None or from_db(r["at"]) >= audit_filter.since)  # type: ignore[operator]
        and (audit_filter.until is None or from_db(r["at"]) < audit_filter.until)  # type: ignore[operator]
        and (audit_filter.actor is None or r["actor_id"] == audit_filter.actor)
        and (audit_filter.e164 is None or r["e164"] == audit_filter.e164)
        and (audit_filter.action is None or r["action"] == audit_filter.action)
        and (audit_filter.outcome is None or r["outcome"] == audit_filter.outcome)
    ]


def answer(store: Store, audit_filter: AuditFilter) -> None:
    """Everything a history or export answer does with the filter, checked against what it means."""
    wanted = expected_ids(store, audit_filter)
    page = queries(store).search(audit_filter, viewer=None, limit=200)
    assert sorted(e.id for e in page.entries) == wanted
    queries(store).search(audit_filter, viewer=ALICE)  # a restricted viewer narrows the same filter
    assert parse_query(filter_text(audit_filter), now=NOW + timedelta(days=9)).filter == audit_filter  # Older/Newest
    export = AuditExport(store=store, queries=queries(store))
    jsonl, csv_text = io.StringIO(), io.StringIO()
    assert export.export(audit_filter, "jsonl", jsonl, viewer=None) == len(wanted)
    assert [json.loads(line)["id"] for line in jsonl.getvalue().splitlines()] == wanted
    assert export.export(audit_filter, "csv", csv_text, viewer=ALICE) <= len(wanted)


@pytest.mark.parametrize("text", FINDING + ENDS)
def test_the_calendars_ends_are_answered_or_refused_with_the_syntax(store: Store, text: str) -> None:
    query = read(text)
    if query is not None:
        answer(store, query.filter)


@pytest.mark.parametrize("text", FINDING)
def test_an_instant_beyond_the_calendar_on_the_open_side_bounds_nothing(store: Store, text: str) -> None:
    """Before year 1 there is nothing to leave out, and after 9999 neither: every row matches."""
    query = read(text)
    assert query is not None and query.filter == AuditFilter()
    assert expected_ids(store, query.filter) == [r["id"] for r in rows(store)]


@pytest.mark.parametrize(
    "text, said",
    [("since:9999-12-31T23:59:59-01:00", "after the last day"), ("until:0001-01-01T00:00:00+01:00", "before the first day")],
)
def test_an_instant_beyond_the_calendar_on_the_closed_side_is_refused_with_the_syntax(text: str, said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_query(text, now=NOW)
    assert said in refused.value.user_message and "since:2026-11-01" in refused.value.user_message


def test_a_date_in_any_iso_form_means_the_whole_day() -> None:
    for typed in ("2026-11-01", "20261101", "2026-W44-7"):
        assert parse_query(f"until:{typed}", now=NOW).filter.until == datetime(2026, 11, 2, tzinfo=timezone.utc), typed
        assert parse_query(f"since:{typed}", now=NOW).filter.since == datetime(2026, 11, 1, tzinfo=timezone.utc), typed
    assert parse_query("until:9999-12-31", now=NOW).filter.until is None  # the last day's end is past the calendar


def test_a_filter_built_in_code_is_held_in_utc_within_the_calendar() -> None:
    late = AuditFilter(until=datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=5))))
    assert late.until is None
    early = AuditFilter(since=datetime(2026, 11, 1, 9, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    assert early.since == datetime(2026, 11, 1, 3, 30, tzinfo=timezone.utc) and early.since.tzinfo == timezone.utc
    with pytest.raises(InvalidInput, match="after the last day"):
        AuditFilter(since=datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=5))))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=FILTER_TEXTS)
@example(text=FINDING[0]).via("the finding")
@example(text=FINDING[1]).via("the finding")
@example(text=f"{FINDING[0]} {FINDING[1]} csv").via("the finding")
def test_any_date_filter_is_answered_or_refused_never_an_exception(store: Store, text: str) -> None:
    try:
        query = parse_query(text, now=NOW)
    except ServiceError as refused:  # InvalidInput, with the syntax a person can act on
        assert isinstance(refused, InvalidInput) and refused.user_message
        return
    for moment in (query.filter.since, query.filter.until):
        assert moment is None or (moment.utcoffset() == timedelta(0) and FIRST <= moment <= LAST)
    answer(store, query.filter)
