"""Every filter combination gives exactly what a plain reading of the rules gives, page after page, on a few
thousand random rows: the `audit_parties` index table (kept by triggers, or filled by migration m010 for an
older file) and the page queries that walk it change speed, never results or visibility."""

from __future__ import annotations

import itertools
import random
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from bot.store import Store, audit, requests
from bot.store.migrations import MIGRATIONS
from bot.store.timestamps import to_db
from tests.audit.audit_helpers import NOW

PEOPLE = [f"U0P{i:04d}" for i in range(12)]
NUMBERS = [f"+91801234{i:04d}" for i in range(30)]
ACTIONS = ["purchase", "release", "assign", "unassign", "force_unassign"]
OUTCOMES = ["pending", "succeeded", "failed", "denied", "executing"]
EVENTS = ["requested", "approved", "denied", "executed", "done", "settled"]
ROWS = 2500
FIELDS = ("e164", "party_id", "approver_id", "actions", "outcome", "window", "request_id", "visible_to")


def _fill(db: Database, rng: random.Random, rows: int, *, first: int = 0) -> None:
    """Requests and audit rows in random order: decisions after, and sometimes long after, earlier rows
    (of the requests already in the file too)."""
    request_ids = [r[0] for r in db.execute("SELECT id FROM requests").fetchall()]
    for i in range(first, first + rows):
        request_id = None
        if rng.random() < 0.15 or not request_ids:
            request_id = f"R{i:06d}"
            requests.insert(
                db,
                {"id": request_id, "kind": "purchase", "e164": rng.choice(NUMBERS), "status": "pending",
                 "requester_id": rng.choice(PEOPLE), "requester_name": "", "reason": "", "created_at": to_db(NOW),
                 "expires_at": to_db(NOW), "updated_at": to_db(NOW)},
            )
            request_ids.append(request_id)
        elif rng.random() < 0.7:
            request_id = rng.choice(request_ids)
        audit.append(
            db,
            {"at": to_db(NOW + timedelta(minutes=i + rng.randrange(-30, 30))), "actor_id": rng.choice(PEOPLE),
             "event": rng.choice(EVENTS), "action": rng.choice(ACTIONS), "outcome": rng.choice(OUTCOMES),
             "e164": rng.choice(NUMBERS) if rng.random() < 0.9 else None, "request_id": request_id},
        )


def _matches(row: dict[str, Any], c: audit.Criteria, requester: dict[str, str], decided: dict[str, set[str]]) -> bool:
    """The documented rules, in Python, from the rows and requests alone."""

    def party(user_id: str) -> bool:
        return row["actor_id"] == user_id or requester.get(row["request_id"]) == user_id

    return (
        (c.e164 is None or row["e164"] == c.e164)
        and (c.party_id is None or party(c.party_id))
        and (c.visible_to is None or party(c.visible_to))
        and (c.approver_id is None or row["request_id"] in decided.get(c.approver_id, set()))
        and (not c.actions or row["action"] in c.actions)
        and (c.outcome is None or row["outcome"] == c.outcome)
        and (c.since is None or row["at"] >= c.since)
        and (c.until is None or row["at"] < c.until)
        and (c.request_id is None or row["request_id"] == c.request_id)
    )


def _criteria(rng: random.Random, fields: tuple[str, ...], request_ids: list[str]) -> audit.Criteria:
    start = NOW + timedelta(minutes=rng.randrange(0, ROWS))
    chosen: dict[str, Any] = {
        "e164": rng.choice(NUMBERS),
        "party_id": rng.choice(PEOPLE),
        "approver_id": rng.choice(PEOPLE),
        "actions": tuple(rng.sample(ACTIONS, rng.choice((1, 2)))),
        "outcome": rng.choice(OUTCOMES),
        "request_id": rng.choice(request_ids),
        "visible_to": rng.choice(PEOPLE),
    }
    made = audit.Criteria(**{k: v for k, v in chosen.items() if k in fields})
    if "window" in fields:
        made = replace(made, since=to_db(start), until=to_db(start + timedelta(minutes=rng.randrange(60, 1500))))
    return made


def _check_every_combination(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    with store.read() as db:
        all_rows = list(db.query("SELECT * FROM audit ORDER BY id DESC"))
        requester = {r["id"]: r["requester_id"] for r in db.query("SELECT id, requester_id FROM requests")}
        decided: dict[str, set[str]] = {}
        for r in all_rows:
            if r["event"] in ("approved", "denied") and r["request_id"] is not None:
                decided.setdefault(r["actor_id"], set()).add(r["request_id"])
        request_ids = sorted(requester)
        for size in range(len(FIELDS) + 1):
            for fields in itertools.combinations(FIELDS, size):
                for _ in range(2):
                    criteria = _criteria(rng, fields, request_ids)
                    if "visible_to" in fields and "party_id" in fields and rng.random() < 0.5:
                        criteria = replace(criteria, visible_to=criteria.party_id)  # a person asking about themselves
                    expected = [r["id"] for r in all_rows if _matches(r, criteria, requester, decided)]
                    limit = rng.choice((1, 7, 50))
                    got: list[int] = []
                    before = None
                    while True:
                        found = [r["id"] for r in audit.page(db, criteria, before_id=before, limit=limit)]
                        got += found
                        if len(found) < limit or len(got) > len(expected):
                            break
                        before = found[-1]
                    assert got == expected, criteria
                    assert [r["id"] for r in audit.iter_matching(db, criteria, newest_first=True)] == expected, criteria


def test_every_filter_combination_pages_exactly_like_the_reference(store: Store) -> None:
    with store.unit() as db:
        _fill(db, random.Random(11), ROWS)
    _check_every_combination(store, seed=12)


# SQLite alone (not parametrized): an old SQLite schema and its migration m010; PostgreSQL starts at p001.
def test_an_older_file_gets_its_parties_from_the_migration_and_new_rows_from_the_triggers(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    MIGRATIONS.apply(Database(conn), stop_before="m010_audit_parties")
    conn.commit()
    conn.close()
    conn = sqlite3.connect(path, isolation_level=None)  # Store() would migrate: fill the old file raw
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    _fill(Database(conn), random.Random(21), ROWS // 2)
    conn.execute("COMMIT")
    conn.close()
    migrated = Store(path)  # applies m010: fills audit_parties from the rows as they stand
    with migrated.unit() as db:
        _fill(db, random.Random(22), ROWS // 2, first=ROWS)  # continues through the triggers
    with migrated.read() as db:
        assert db.execute("SELECT count(*) FROM audit").fetchone()[0] == ROWS
    _check_every_combination(migrated, seed=23)


# SQLite alone: EXPLAIN QUERY PLAN and its wording are SQLite's.
@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "criteria",
    [
        audit.Criteria(party_id="U0P0001"),
        audit.Criteria(visible_to="U0P0001"),
        audit.Criteria(approver_id="U0P0002"),
        audit.Criteria(party_id="U0P0001", actions=("purchase",), since="2026-11-01", until="2026-12-01"),
        audit.Criteria(approver_id="U0P0002", visible_to="U0P0003", outcome="failed"),
    ],
)
def test_a_persons_or_approvers_page_walks_an_index_in_id_order_without_sorting(store: Store, criteria: audit.Criteria) -> None:
    sql, params = audit.page_ids_sql(criteria, before_id=1000, limit=51)
    with store.read() as db:
        plan = [r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert not any(step.startswith("SCAN") for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
    assert any(step.startswith("SEARCH p USING PRIMARY KEY") for step in plan), plan
