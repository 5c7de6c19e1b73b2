"""Filtered history: the Slack filter syntax, what each filter matches, who sees what, keyset paging, and
hostile values that must stay values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.config import Settings
from bot.services.audit_query import AuditFilter, AuditQueries, Visibility, parse_query
from bot.services.errors import InvalidInput
from bot.services.integrity import Integrity
from bot.services.journal import SYSTEM
from bot.services.policy import GroupMembers, Policy
from bot.store import Store, audit
from tests.audit.audit_helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    NOW,
    NUMBER_A,
    NUMBER_B,
    add_request,
    ids,
    record,
    rows,
    write_varied_events,
)
from tests.services.fakes import FakeClock, FakeDirectory

AUDITOR = "UAUDIT001"
GROUP_AUDITOR = "UGROUPAUD"
EVE = "UEVE00001"
START = NOW - timedelta(days=10)


# ------------------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    "text, expected",
    [
        ("+918012345678", AuditFilter(e164=NUMBER_A)),
        ("<tel:+918012345678|+91 80123 45678>", AuditFilter(e164=NUMBER_A)),
        ("<@UALICE001|alice>", AuditFilter(actor="UALICE001")),
        ("<@UALICE001>", AuditFilter(actor="UALICE001")),
        ("@ualice001", AuditFilter(actor="UALICE001")),
        ("approver:<@UCAROL001|carol>", AuditFilter(approver="UCAROL001")),
        ("approver:@UCAROL001", AuditFilter(approver="UCAROL001")),
        ("action:purchase", AuditFilter(action="purchase")),
        ("ACTION:Force", AuditFilter(action="force")),
        ("outcome:failed", AuditFilter(outcome="failed")),
        ("outcome:unknown", AuditFilter(outcome="outcome_unknown")),
        ("request:r1aaaaa", AuditFilter(request_id="R1AAAAA")),
        ("since:2026-11-01", AuditFilter(since=datetime(2026, 11, 1, tzinfo=timezone.utc))),
        ("until:2026-11-01", AuditFilter(until=datetime(2026, 11, 2, tzinfo=timezone.utc))),  # the whole day
        ("since:2026-11-01T09:30Z", AuditFilter(since=datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc))),
        ("since:30d", AuditFilter(since=NOW - timedelta(days=30))),
        ("until:12h", AuditFilter(until=NOW - timedelta(hours=12))),
        ("since:2w until:45m", AuditFilter(since=NOW - timedelta(weeks=2), until=NOW - timedelta(minutes=45))),
        ("", AuditFilter()),
    ],
)
def test_good_filters_parse(text: str, expected: AuditFilter) -> None:
    assert parse_query(text, now=NOW).filter == expected


def test_everything_together_with_an_export_format() -> None:
    query = parse_query(" +918012345678  <@UBOB00001|bob> action:release outcome:succeeded since:7d jsonl ", now=NOW)
    assert query.export_format == "jsonl"
    assert query.filter == AuditFilter(e164=NUMBER_A, actor="UBOB00001", action="release", outcome="succeeded", since=NOW - timedelta(days=7))
    assert parse_query("csv", now=NOW).export_format == "csv"


@pytest.mark.parametrize(
    "text, shown",
    [
        ("hello", "action:"),
        ("colour:red", "since:2026-11-01"),
        ("action:buy", "purchase"),
        ("outcome:meh", "succeeded"),
        ("since:yesterday", "since:2026-11-01"),
        ("until:2026-13-45", "until:2026-11-01"),
        ("since:99999999d", "since:2026-11-01"),
        ("since:1d until:2d", "earlier than"),
        ("+918012345678 +918087654321", "only one e164"),
        ("@alice", "<@U123ABC>"),
        ("approver:", "needs a value"),
        ("request:R'; DROP TABLE audit; --", "R7K2QX9"),
        ("+91' OR '1'='1", "+"),
        ("csv jsonl", "csv or jsonl"),
    ],
)
def test_bad_filters_say_what_the_right_syntax_is(text: str, shown: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_query(text, now=NOW)
    assert shown in caught.value.user_message
    assert "Traceback" not in caught.value.user_message


def test_the_filter_model_refuses_unknown_actions_and_naive_times() -> None:
    with pytest.raises(InvalidInput, match="no action"):
        AuditFilter(action="drop")
    with pytest.raises(InvalidInput, match="time zone"):
        AuditFilter(since=datetime(2026, 1, 1))


# ------------------------------------------------------------------------------------ the seeded log


@pytest.fixture
def store(empty_store: Store) -> Store:
    """Five requests and two direct operations, an hour apart (see each line), in the test's store."""
    made = empty_store
    at = iter(START + timedelta(hours=h) for h in range(100))
    add_request(made, "R1AAAAA", ALICE, kind="purchase", e164=NUMBER_A)
    record(made, next(at), ALICE, "requested", "purchase", "pending", e164=NUMBER_A, request_id="R1AAAAA")  # 1
    record(made, next(at), CAROL, "approved", "purchase", "executing", e164=NUMBER_A, request_id="R1AAAAA")  # 2
    record(made, next(at), CAROL, "executed", "purchase", "succeeded", e164=NUMBER_A, request_id="R1AAAAA")  # 3
    add_request(made, "R2BBBBB", BOB, kind="release", e164=NUMBER_B)
    record(made, next(at), BOB, "requested", "release", "pending", e164=NUMBER_B, request_id="R2BBBBB")  # 4
    record(made, next(at), CAROL, "denied", "release", "denied", e164=NUMBER_B, request_id="R2BBBBB")  # 5
    add_request(made, "R3CCCCC", ALICE, kind="release_now", e164=NUMBER_B)
    record(made, next(at), ALICE, "requested", "release_now", "pending", e164=NUMBER_B, request_id="R3CCCCC")  # 6
    record(made, next(at), DAVE, "approved", "release_now", "executing", e164=NUMBER_B, request_id="R3CCCCC")  # 7
    record(made, next(at), DAVE, "executed", "release_now", "failed", e164=NUMBER_B, request_id="R3CCCCC")  # 8
    add_request(made, "R4DDDDD", BOB, kind="force_unassign", e164=NUMBER_A)
    record(made, next(at), BOB, "requested", "force_unassign", "pending", e164=NUMBER_A, request_id="R4DDDDD")  # 9
    record(made, next(at), SYSTEM, "expired", "force_unassign", "expired", e164=NUMBER_A, request_id="R4DDDDD")  # 10
    record(made, next(at), BOB, "done", "assign", "succeeded", e164=NUMBER_A, sub_account_id="SA_SALES0001")  # 11
    record(made, next(at), ALICE, "done", "unassign", "cool_off", e164=NUMBER_A, sub_account_id="SA_SALES0001")  # 12
    add_request(made, "R5EEEEE", ALICE, kind="release", e164=NUMBER_A)
    record(made, next(at), ALICE, "requested", "release", "pending", e164=NUMBER_A, request_id="R5EEEEE")  # 13
    record(made, next(at), CAROL, "approved", "release", "executing", e164=NUMBER_A, request_id="R5EEEEE")  # 14
    record(made, next(at), CAROL, "executed", "release", "succeeded", e164=NUMBER_A, request_id="R5EEEEE")  # 15
    record(made, next(at), ALICE, "undone", "undo_release", "succeeded", e164=NUMBER_A, request_id="R5EEEEE")  # 16
    return made


def settings() -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-not-secret",  # type: ignore[arg-type]
        slack_signing_secret="not-secret",  # type: ignore[arg-type]
        vobiz_auth_id="MA_TEST0001",
        vobiz_auth_token="not-secret",  # type: ignore[arg-type]
        approvers=(CAROL.user_id,),
        admins=(DAVE.user_id,),
        approval_channel="C0APPROVALS",
        history_channel="C0HISTORY",
    )


def queries(store: Store, directory: FakeDirectory | None = None) -> AuditQueries:
    clock = FakeClock(NOW)
    directory = directory or FakeDirectory({"SAUDITORS": {GROUP_AUDITOR}})
    visibility = Visibility(
        policy=Policy(settings(), directory, clock), auditors=(AUDITOR, "SAUDITORS"), groups=GroupMembers(directory, clock)
    )
    return AuditQueries(store=store, visibility=visibility, clock=clock)


def found(store: Store, text: str, *, viewer: str | None = AUDITOR) -> list[int]:
    q = queries(store)
    return ids(q.search(q.parse(text).filter, viewer=viewer, limit=200).entries)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", list(range(16, 0, -1))),
        ("+918087654321", [8, 7, 6, 5, 4]),
        ("<@UALICE001>", [16, 15, 14, 13, 12, 8, 7, 6, 3, 2, 1]),  # her actions and everything on her requests
        ("@UBOB00001", [11, 10, 9, 5, 4]),
        ("approver:@UCAROL001", [16, 15, 14, 13, 5, 4, 3, 2, 1]),  # the requests she approved or denied
        ("approver:@UDAVE0001", [8, 7, 6]),
        ("action:force", [10, 9, 8, 7, 6]),
        ("action:force_unassign", [10, 9]),
        ("action:undo", [16]),
        ("action:purchase outcome:succeeded", [3]),
        ("outcome:failed", [8]),
        ("request:R2BBBBB", [5, 4]),
        (f"since:{(START + timedelta(hours=13)).isoformat()}", [16, 15, 14]),
        (f"until:{(START + timedelta(hours=2)).isoformat()}", [2, 1]),
        ("+918012345678 @UBOB00001 action:assign", [11]),
        ("approver:@UCAROL001 <@UBOB00001>", [5, 4]),
    ],
)
def test_each_filter_matches_what_it_says(store: Store, text: str, expected: list[int]) -> None:
    assert found(store, text) == expected


@pytest.mark.parametrize(
    "viewer, expected",
    [
        (AUDITOR, list(range(16, 0, -1))),  # AUDITORS
        (GROUP_AUDITOR, list(range(16, 0, -1))),  # a member of an auditors user group
        (CAROL.user_id, list(range(16, 0, -1))),  # an approver
        (DAVE.user_id, list(range(16, 0, -1))),  # an admin
        (BOB.user_id, [11, 10, 9, 5, 4]),  # only where he acted or what he asked for
        (EVE, []),
    ],
)
def test_people_see_only_what_they_may(store: Store, viewer: str, expected: list[int]) -> None:
    assert found(store, "", viewer=viewer) == expected


def test_a_restricted_viewer_cannot_widen_their_view_with_a_filter(store: Store) -> None:
    assert found(store, "@UALICE001", viewer=BOB.user_id) == []
    assert found(store, "approver:@UCAROL001", viewer=BOB.user_id) == [5, 4]


def test_may_see_all_and_an_unreadable_auditor_group_lets_nobody_in(store: Store) -> None:
    q = queries(store)
    assert q.may_see_all(AUDITOR) and q.may_see_all(CAROL) and not q.may_see_all(BOB.user_id)
    broken = FakeDirectory({"SAUDITORS": {GROUP_AUDITOR}})
    broken.failing = True
    assert not queries(store, broken).may_see_all(GROUP_AUDITOR)


def test_trail_is_one_numbers_whole_life_oldest_first(store: Store) -> None:
    q = queries(store)
    assert ids(q.trail("+91 80 8765 4321", viewer=AUDITOR)) == [4, 5, 6, 7, 8]
    assert ids(q.trail(NUMBER_B, viewer=BOB.user_id)) == [4, 5]
    with pytest.raises(InvalidInput):
        q.trail("not a number", viewer=AUDITOR)


# ------------------------------------------------------------------------------------------- paging


def test_keyset_pages_cover_every_row_once_even_while_rows_are_appended(empty_store: Store) -> None:
    store = empty_store
    write_varied_events(store, 120)
    q = queries(store)
    first = q.search(AuditFilter(), viewer=AUDITOR, limit=50)
    assert ids(first.entries) == list(range(120, 70, -1)) and first.next_before_id == 71
    write_varied_events(store, 5, start=NOW + timedelta(days=1))  # new rows arrive between pages
    second = q.search(AuditFilter(), viewer=AUDITOR, before_id=first.next_before_id, limit=50)
    third = q.search(AuditFilter(), viewer=AUDITOR, before_id=second.next_before_id, limit=50)
    assert ids(second.entries) == list(range(70, 20, -1))
    assert ids(third.entries) == list(range(20, 0, -1)) and third.next_before_id is None
    filtered = q.search(AuditFilter(e164=NUMBER_A), viewer=AUDITOR, limit=7)
    assert ids(filtered.entries) == list(range(125, 111, -2)) and filtered.next_before_id == 113


@pytest.mark.parametrize("limit, before_id", [(0, None), (201, None), (True, None), (10, 0), (10, "5")])
def test_bad_paging_is_refused_plainly(store: Store, limit: object, before_id: object) -> None:
    with pytest.raises(InvalidInput):
        queries(store).search(AuditFilter(), viewer=AUDITOR, limit=limit, before_id=before_id)  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------- hostile input

HOSTILE = [
    "' OR '1'='1",
    "x') OR 1=1 --",
    "R1AAAAA' UNION SELECT * FROM requests --",
    "'; DROP TABLE audit; --",
    "%",
    "\" OR \"\"=\"",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_only_ever_values(store: Store, value: str) -> None:
    q = queries(store)
    for audit_filter in (
        AuditFilter(e164=value),
        AuditFilter(actor=value),
        AuditFilter(approver=value),
        AuditFilter(request_id=value),
        AuditFilter(outcome="failed", e164=value),
    ):
        assert q.search(audit_filter, viewer=AUDITOR).entries == []
        assert q.search(audit_filter, viewer=value).entries == []
    assert len(rows(store)) == 16
    assert Integrity(store=store, clock=lambda: NOW).verify().ok


def test_a_stored_hostile_value_matches_itself_exactly(empty_store: Store) -> None:
    store = empty_store
    hostile = "U' OR '1'='1"
    record(store, NOW, BOB, "done", "assign", "succeeded", e164=NUMBER_A)
    record(store, NOW, BOB, "done", "assign", "succeeded", e164=hostile)
    q = queries(store)
    assert ids(q.search(AuditFilter(e164=hostile), viewer=AUDITOR).entries) == [2]


# ------------------------------------------------------------------------------------------ indexes


# SQLite alone: EXPLAIN QUERY PLAN and its wording are SQLite's (PostgreSQL's planner picks by table size).
@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "criteria",
    [
        audit.Criteria(e164=NUMBER_A),
        audit.Criteria(party_id="UALICE001"),
        audit.Criteria(approver_id="UCAROL001"),
        audit.Criteria(actions=("release_now", "force_unassign")),
        audit.Criteria(actions=("purchase",), since="2026-11-01"),
        audit.Criteria(outcome="failed"),
        audit.Criteria(request_id="R1AAAAA"),
    ],
)
def test_each_filter_is_answered_from_an_index_not_a_table_scan(store: Store, criteria: audit.Criteria) -> None:
    sql, params = audit.page_ids_sql(criteria, before_id=None, limit=51)  # what a page runs
    with store.read() as db:
        plan = [r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert not any(step.startswith("SCAN audit") for step in plan), plan
    assert any("INDEX" in step or "USING PRIMARY KEY" in step for step in plan), plan  # audit_parties: its key
