"""Copying a SQLite store into PostgreSQL (bot/store/copy.py) against a real server: every table, the audit
chain verbatim, audit_parties rebuilt the same, the sequences past the copied ids, and a refused target."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.services.integrity import Integrity
from bot.store import Store, allowances, audit, away, freeze, labels, locks, nudges, outbox, ratelimits, request_approvals, request_items
from bot.store import requests as requests_table
from bot.store.postgres import ENGINE_COLUMNS
from bot.store.copy import TABLES, TargetNotEmpty, compare, copy_store, target_tallies
from bot.store.postgres import PostgresStore
from tests.audit.audit_helpers import write_varied_events

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)
KEY_ORDER = {
    "requests": "id",
    "request_items": "request_id, position",
    "audit": "id",
    "audit_parties": "role, user_id, audit_id",
    "checkpoints": "id",
    "outbox": "id",
    "rate_limit_takes": "id",
    "rate_limit_bursts": "actor_id",
    "number_labels": "e164",
    "number_locks": "e164",
    "requested_labels": "request_id",
    "request_approvals": "request_id, approver_id",
    "allowance_counts": "requester_id, month",
    "freeze_state": "id",
    "request_nudges": "request_id, nudge",
    "approvers_away": "user_id",
}


def a_request(request_id: str, requester: str, at: datetime) -> dict[str, Any]:
    stamp = at.isoformat(timespec="microseconds")
    return {
        "id": request_id, "kind": "purchase", "e164": "+911121546828", "status": "pending", "requester_id": requester,
        "requester_name": "Asha Ñ", "reason": "new line\nand ünïcode", "created_at": stamp, "expires_at": stamp,
        "quote_setup_fee": "100.50", "quote_currency": "INR", "updated_at": stamp,
    }


def build_sqlite_store(path: Path) -> Store:
    """A store with every table filled: requests and their audit rows (a decision among them, so
    audit_parties holds approver rows), the journal's varied events, a checkpoint in the middle of the chain
    (and its outbox item), outbox items done and due, and rate-limit takes and a burst."""
    store = Store(path)
    write_varied_events(store, 7)  # through the journal: quotes, NULLs, non-ASCII text, newlines
    with store.unit() as db:
        for n, (requester, approver) in enumerate([("U_ASHA", "U_BOSS"), ("U_RAVI", "U_BOSS"), ("U_ASHA", "U_CFO")]):
            request_id = f"R{n}"
            requests_table.insert(db, a_request(request_id, requester, NOW + timedelta(minutes=n)))
            for position in range(2):
                request_items.insert(db, request_id, position, {
                    "e164": f"+91112154682{position}", "setup_fee": "100", "monthly_fee": "250.50", "currency": "INR",
                    "commitment_months": "12" if position else None, "aadhaar_required": "1",
                })
            common = {"at": (NOW + timedelta(minutes=n)).isoformat(), "action": "purchase", "e164": "+911121546828", "request_id": request_id}
            audit.append(db, {**common, "actor_id": requester, "event": "requested", "outcome": "pending"})
            audit.append(db, {**common, "actor_id": approver, "event": "approved" if n != 1 else "denied", "outcome": "executing"})
            audit.append(db, {**common, "actor_id": "numbers-bot", "event": "done", "outcome": "succeeded", "detail": "ok ✓"})
        outbox.enqueue(db, outbox.OutboxKind.HISTORY, 1, NOW)
        done = outbox.enqueue(db, outbox.OutboxKind.REQUESTER_NOTICE, "R0", NOW)
        outbox.mark_done(db, done, NOW)
        for minute in range(3):  # a limit of 2: two takes, then a burst
            ratelimits.take(db, "U_ASHA", NOW + timedelta(seconds=minute), timedelta(minutes=1), 2)
        ratelimits.take(db, "U_RAVI", NOW, timedelta(minutes=1), 2)
        stamp = NOW.isoformat(timespec="microseconds")
        labels.put(db, {"e164": "+911121546828", "team": "support", "purpose": "Delhi ✓", "labelled_by_id": "U_ASHA", "labelled_by_name": "Asha Ñ", "labelled_at": stamp, "request_id": "R0"})
        labels.put(db, {"e164": "+912040686462", "team": "sales", "labelled_by_id": "U_RAVI", "labelled_by_name": "Ravi", "labelled_at": stamp})
        labels.request(db, "R1", "billing", None)
        locks.put(db, {"e164": "+911121546828", "reason": "legal hold", "locked_by_id": "U_CFO", "locked_by_name": "", "locked_at": stamp})
        request_approvals.add(db, "R0", "U_BOSS", "Boss Ñ", NOW)  # quorum, allowances and the freeze (issue 14)
        request_approvals.add(db, "R2", "U_CFO", "", NOW)
        allowances.take(db, "U_ASHA", "2026-11", 2, 3)
        freeze.start(db, "U_BOSS", "Boss", "audit “week”", NOW.isoformat())
        nudges.record(db, "R0", "reminder-1", NOW + timedelta(hours=1), ["U_BOSS", "S_TEAM"])
        nudges.record(db, "R0", "escalation", NOW + timedelta(hours=4), ["U_CFO"])
        outbox.enqueue(db, outbox.OutboxKind.APPROVAL_NUDGE, "R0:reminder-1", NOW + timedelta(hours=1))
        away.put(db, "U_BOSS", "Bóss", "2026-12-08", NOW + timedelta(days=3), NOW)
    assert Integrity(store=store, clock=lambda: NOW).checkpoint() is not None
    with store.unit() as db:
        audit.append(db, {"at": NOW.isoformat(), "actor_id": "U_RAVI", "event": "done", "action": "assign", "outcome": "failed"})
    return store


def rows(db: Any, table: str) -> list[dict[str, Any]]:
    internal = ENGINE_COLUMNS.get(table, frozenset())  # PostgreSQL's own insertion counter, not row content
    return [{k: v for k, v in row.items() if k not in internal} for row in db.query(f"SELECT * FROM {table} ORDER BY {KEY_ORDER[table]}")]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    return build_sqlite_store(tmp_path / "numbers-bot.db")


@pytest.fixture
def target(postgres_url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(postgres_url, max_size=2)
    yield opened
    opened.close()


def test_every_table_arrives_with_the_same_rows_and_the_chain_verbatim(sqlite_store: Store, target: PostgresStore) -> None:
    copied = copy_store(sqlite_store, target, chunk=3)  # several chunks per table
    with sqlite_store.read() as src, target.read() as dst:
        for table in TABLES:
            before, after = rows(src, table), rows(dst, table)
            assert before, f"the test store should have rows in {table}"
            assert after == before, table
            assert copied[table].rows == len(before)
    with sqlite_store.read() as src, target.read() as dst:
        hashes = [(r["id"], r["prev_hash"], r["hash"]) for r in rows(src, "audit")]
        assert [(r["id"], r["prev_hash"], r["hash"]) for r in rows(dst, "audit")] == hashes
    assert all(c.same for c in compare(copied, target_tallies(target)))
    report = Integrity(store=target, clock=lambda: NOW).verify()  # type: ignore[arg-type]
    assert report.ok and report.rows_checked == copied["audit"].rows and report.checkpoints_checked == 1


def test_new_rows_on_the_target_continue_after_the_copied_ids(sqlite_store: Store, target: PostgresStore) -> None:
    copy_store(sqlite_store, target)
    with sqlite_store.read() as src:
        last = {t: src.execute(f"SELECT max(id) FROM {t}").fetchone()[0] for t in ("audit", "outbox", "checkpoints", "rate_limit_takes")}
    with target.unit() as db:
        assert outbox.enqueue(db, outbox.OutboxKind.HISTORY, 2, NOW) == last["outbox"] + 1
        assert audit.append(db, {"at": NOW.isoformat(), "actor_id": "U1", "event": "done", "action": "assign", "outcome": "succeeded"}) == last["audit"] + 1
        ratelimits.take(db, "U_NEW", NOW + timedelta(hours=1), timedelta(minutes=1), 5)
        assert db.execute("SELECT max(id) FROM rate_limit_takes").fetchone()[0] == last["rate_limit_takes"] + 1
    made = Integrity(store=target, clock=lambda: NOW).checkpoint()  # type: ignore[arg-type]
    assert made is not None and made.id == last["checkpoints"] + 1


def test_an_outbox_id_sqlite_gave_and_deleted_is_not_given_again(tmp_path: Path, target: PostgresStore) -> None:
    store = Store(tmp_path / "gaps.db")
    with store.unit() as db:
        for ref in range(3):
            outbox.enqueue(db, outbox.OutboxKind.HISTORY, ref, NOW)
        db.execute("DELETE FROM outbox WHERE id = 3")  # AUTOINCREMENT never gives 3 again
    copy_store(store, target)
    with target.unit() as db:
        assert outbox.enqueue(db, outbox.OutboxKind.HISTORY, 9, NOW) == 4


def test_a_target_with_any_row_is_refused_and_left_as_it_was(sqlite_store: Store, target: PostgresStore) -> None:
    with target.unit() as db:
        ratelimits.take(db, "U_OTHER", NOW, timedelta(minutes=1), 5)  # one row, in the least likely table
    before = target_tallies(target)
    with pytest.raises(TargetNotEmpty) as refused:
        copy_store(sqlite_store, target)
    assert refused.value.tables == ("rate_limit_takes",)
    after = target_tallies(target)
    assert {t: (x.rows, x.digest) for t, x in after.items()} == {t: (x.rows, x.digest) for t, x in before.items()}


def test_a_second_copy_is_refused_and_changes_nothing(sqlite_store: Store, target: PostgresStore) -> None:
    copy_store(sqlite_store, target)
    before = target_tallies(target)
    with pytest.raises(TargetNotEmpty):
        copy_store(sqlite_store, target)
    assert {t: x.digest for t, x in target_tallies(target).items()} == {t: x.digest for t, x in before.items()}


def test_a_copy_that_fails_half_way_leaves_the_target_empty(tmp_path: Path, target: PostgresStore) -> None:
    """A gap in the SQLite chain (a removed row) is refused by the target's chain trigger: nothing stays."""
    import psycopg

    from tests.audit.audit_helpers import attacker

    store = build_sqlite_store(tmp_path / "gap.db")
    with attacker(store) as conn:
        conn.execute("DELETE FROM audit WHERE id = 5")
    with pytest.raises(psycopg.errors.RaiseException, match="extend the hash chain"):
        copy_store(store, target, chunk=2)
    assert all(t.rows == 0 for t in target_tallies(target).values())
