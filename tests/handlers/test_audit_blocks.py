"""The auditors' builders as data: history pages and their buttons, a number's trail, exports, checkpoint
lines; within Slack's limits with 50+ long entries, hostile text defused, and the filter text round trip."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.audit_cli import parse_witness
from bot.services.audit_filters import ACTIONS, OUTCOMES, AuditFilter, filter_text, parse_query
from bot.services.records import Actor, AuditEntry, AuditPage, Checkpoint
from handlers import ids
from handlers.render.history import (
    HISTORY_PAGE_SIZE,
    OWN_ROWS_NOTE,
    TRAIL_ENDS,
    checkpoint_line,
    export_comment,
    export_sent,
    history_page,
    trail_message,
)
from handlers.render.history_cursor import HistoryCursor
from handlers.parsing import UsageError
from records_for_tests import NOW, QUOTE
from slack_checks import all_text, assert_no_injected_markup, assert_within_limits, buttons

HOSTILE = "<!channel> <https://evil.example|approve me> &amp; *bold* <@U0ADMIN>"
NUMBER = "+918012345678"


def entry(i: int = 1, **changes: object) -> AuditEntry:
    base = AuditEntry(
        id=i, at=NOW + timedelta(minutes=i), actor=Actor("U0APPROVE", "arjun"), event="approved", action="purchase",
        outcome="succeeded", e164=NUMBER, request_id="R7K2QX", reason="a new line", quote=QUOTE,
    )
    return replace(base, **changes)


def long_entry(i: int) -> AuditEntry:
    return entry(
        i, reason=HOSTILE * 20, detail="<" * 600, vobiz_error="&" * 400, sub_account_id="SA_" + "X" * 40,
        actor=Actor("numbers-bot", "<!here> " * 30), cool_off_until=NOW + timedelta(days=3),
    )


# ------------------------------------------------------------------------------------------ history


def test_a_history_page_of_long_hostile_entries_stays_within_limits() -> None:
    entries = [long_entry(i) for i in range(HISTORY_PAGE_SIZE, 0, -1)]
    msg = history_page(AuditPage(entries, 1), AuditFilter(e164=NUMBER), sees_all=True, first_page=False)
    assert_within_limits(msg)
    assert_no_injected_markup(msg)
    assert "&lt;!channel&gt;" in all_text(msg)


def test_even_fifty_entries_fit_one_message() -> None:
    entries = [long_entry(i) for i in range(60, 0, -1)]
    msg = history_page(AuditPage(entries, None), AuditFilter(), sees_all=True, first_page=True)
    assert_within_limits(msg)
    assert_no_injected_markup(msg)


def test_the_first_page_offers_older_entries_and_says_what_was_asked() -> None:
    audit_filter = AuditFilter(e164=NUMBER, action="purchase", since=datetime(2026, 11, 1, tzinfo=timezone.utc))
    msg = history_page(AuditPage([entry(9), entry(8)], 8), audit_filter, sees_all=True, first_page=True)
    text = all_text(msg)
    assert "History of +91 80123 45678" in text
    assert "Filters: `+918012345678 action:purchase since:2026-11-01T00:00:00+00:00`" in text
    assert "ids 9–8" in text and OWN_ROWS_NOTE not in text
    [older] = buttons(msg)
    assert (older["action_id"], older["text"]["text"]) == (ids.HISTORY_OLDER, "Older ▶")
    assert HistoryCursor.from_value(older["value"]) == HistoryCursor(filter_text(audit_filter), 8)


def test_a_later_page_goes_back_to_the_newest_and_the_last_page_has_no_older_button() -> None:
    msg = history_page(AuditPage([entry(3)], None), AuditFilter(), sees_all=True, first_page=False)
    [newest] = buttons(msg)
    assert newest["action_id"] == ids.HISTORY_NEWEST
    assert HistoryCursor.from_value(newest["value"]) == HistoryCursor("", None)


def test_someone_who_sees_only_their_own_rows_is_told_so() -> None:
    text = all_text(history_page(AuditPage([], None), AuditFilter(), sees_all=False, first_page=True))
    assert "Nothing matches. (Only your own rows were searched.)" in text
    assert OWN_ROWS_NOTE in text


def test_a_page_button_value_is_small_whatever_the_filter() -> None:
    widest = AuditFilter(
        e164="+" + "9" * 15, actor="U" + "Z" * 20, approver="W" + "Z" * 20, action="force_unassign",
        outcome="outcome_unknown", since=datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=timezone.utc),
        until=datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc), request_id="R7K2QX",
    )
    value = HistoryCursor(filter_text(widest), 2**62).to_value()
    assert len(value) < 400


@pytest.mark.parametrize(
    "value",
    ["", "not json", "[]", '{"q": 5}', '{"q": "", "b": 0}', '{"q": "", "b": -3}', '{"q": "", "b": true}',
     '{"q": "", "b": "7"}', json.dumps({"q": "x" * 5000}), '{"q": "", "b": 99999999999999999999999}'],
)
def test_a_forged_or_mangled_page_value_is_a_clear_usage_error(value: str) -> None:
    with pytest.raises(UsageError, match="out of date"):
        HistoryCursor.from_value(value)


FILTERS = st.builds(
    AuditFilter,
    e164=st.none() | st.just(NUMBER),
    actor=st.none() | st.from_regex(r"U[A-Z0-9]{8}", fullmatch=True),
    approver=st.none() | st.from_regex(r"W[A-Z0-9]{8}", fullmatch=True),
    action=st.none() | st.sampled_from(list(ACTIONS)),
    outcome=st.none() | st.sampled_from(OUTCOMES),
    since=st.none() | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2050, 1, 1), timezones=st.just(timezone.utc)),
    until=st.none(),
    request_id=st.none() | st.from_regex(r"R[0-9A-HJKMNP-TV-Z]{6}", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(audit_filter=FILTERS, until_after=st.none() | st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=999)))
def test_the_canonical_filter_text_reads_back_as_the_same_filter(audit_filter: AuditFilter, until_after: timedelta | None) -> None:
    if until_after is not None:
        start = audit_filter.since or NOW
        audit_filter = replace(audit_filter, until=start + until_after)
    later = NOW + timedelta(days=400)  # relative times must not survive: any `now` reads the same filter
    assert parse_query(filter_text(audit_filter), now=later).filter == audit_filter


def test_relative_times_become_the_instants_they_meant() -> None:
    asked = parse_query("since:30d", now=NOW).filter
    assert filter_text(asked) == f"since:{(NOW - timedelta(days=30)).isoformat()}"


# ------------------------------------------------------------------------------------------ trail


def test_a_trail_reads_oldest_first_without_repeating_the_number() -> None:
    entries = [
        entry(1, event="requested", outcome="pending", actor=Actor("U0REQUEST", "riya")),
        entry(2, event="approved", outcome="executing"),
        entry(3, event="executed", outcome="succeeded", actor=Actor("numbers-bot", "numbers-bot")),
        entry(4, event="attempted", action="unassign", outcome="cool_off", request_id=None, quote=None,
              sub_account_id="SA_SALES0001", cool_off_until=NOW + timedelta(days=12)),
    ]
    msg = trail_message(NUMBER, entries, sees_all=True)
    text = all_text(msg)
    assert "Trail of +91 80123 45678" in text and "4 entries" in text
    assert text.index("*requested*") < text.index("*approved*") < text.index("*executed*") < text.index("*attempted*")
    assert "riya (`U0REQUEST`) *requested* purchase [R7K2QX]" in text
    assert "setup 100 INR, then 300 INR/month" in text
    assert "(sub-account SA_SALES0001)" in text and "cool-off until <!date^" in text
    assert "*+91 80123 45678*" not in text  # the number is the title, not on every line
    assert_no_injected_markup(msg)


def test_a_very_long_trail_shows_both_ends_and_how_to_get_everything() -> None:
    entries = [entry(i, reason=f"reason number {i}") for i in range(1, 301)]
    msg = trail_message(NUMBER, entries, sees_all=False)
    assert_within_limits(msg)
    text = all_text(msg)
    left_out = 300 - 2 * TRAIL_ENDS
    assert f"… {left_out} entries in between are not shown" in text and f"/numbers export {NUMBER}" in text
    assert "reason number 1”" in text and f"reason number {TRAIL_ENDS}”" in text
    assert f"reason number {TRAIL_ENDS + 1}”" not in text and f"reason number {300 - TRAIL_ENDS}”" not in text
    assert f"reason number {300 - TRAIL_ENDS + 1}”" in text and "reason number 300”" in text
    assert OWN_ROWS_NOTE in text and "300 entries" in text
    assert "more blocks not shown" not in text


@pytest.mark.parametrize("count", [2, 30, 79, 80, 81, 300])
def test_a_trail_of_very_long_entries_shows_fewer_of_each_end_but_always_both_ends_and_the_notes(count: int) -> None:
    entries = [replace(long_entry(i), reason=f"first{i}end " + HOSTILE * 20) for i in range(1, count + 1)]
    msg = trail_message(NUMBER, entries, sees_all=False)
    assert_within_limits(msg)
    assert_no_injected_markup(msg)
    text = all_text(msg)
    assert "first1end" in text and f"first{count}end" in text
    assert OWN_ROWS_NOTE in text and "outside the bot is not in this trail" in text
    assert "more blocks not shown" not in text


def test_an_empty_trail_says_nothing_was_recorded() -> None:
    assert "recorded nothing about this number" in all_text(trail_message(NUMBER, [], sees_all=True))


# ------------------------------------------------------------------------------------------ exports


def test_export_messages_say_how_many_rows_where_and_whose() -> None:
    audit_filter = AuditFilter(outcome="failed")
    sent = all_text(export_sent(1234, "csv", "numbers-audit-20261127T120000Z.csv", audit_filter, sees_all=False))
    assert "Sent 1,234 rows as `numbers-audit-20261127T120000Z.csv` to our direct messages" in sent
    assert "Filters: `outcome:failed`" in sent and OWN_ROWS_NOTE in sent
    assert "No rows match, so nothing was sent" in all_text(export_sent(0, "csv", "f.csv", audit_filter, sees_all=True))
    assert "5 rows as JSONL, oldest first (every row you may see)" in export_comment(5, "jsonl", AuditFilter(), sees_all=True)


# ------------------------------------------------------------------------------------------ checkpoints


def test_the_checkpoint_line_carries_a_witness_the_cli_reads_back() -> None:
    checkpoint = Checkpoint(id=3, at=NOW, head_id=1234, head_hash="ab" * 32, row_count=1234)
    line = checkpoint_line(checkpoint)
    assert "*Audit checkpoint #3*" in line and "1,234 rows, head row 1234" in line and "ab" * 32 in line
    witness = line.rsplit("--witness ", 1)[1].rstrip("`")
    assert parse_witness(witness) == replace(checkpoint, id=0, at=None)
    assert_no_injected_markup({"text": line})
