"""`verify()` against a real database that someone has tampered with: with the SQLite file, or on PostgreSQL
as a superuser who switched the append-only triggers off (`attacker` in audit_helpers)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.services.integrity import Integrity
from bot.services.records import Checkpoint
from bot.store import Store, chain
from bot.store.timestamps import to_db
from tests.audit.audit_helpers import NOW, attacker, audit_row, independent_hash, rehash_from, rows, swap_rows, write_varied_events

ROWS = 10


@pytest.fixture
def store(empty_store: Store) -> Store:
    write_varied_events(empty_store, ROWS)
    return empty_store


def integrity(store: Store) -> Integrity:
    return Integrity(store=store, clock=lambda: NOW)


def test_an_intact_log_verifies(store: Store) -> None:
    report = integrity(store).verify()
    assert report.ok and report.bad_row_id is None and report.problem is None
    assert (report.rows_checked, report.head_id, report.head_hash) == (ROWS, ROWS, rows(store)[-1]["hash"])
    assert report.summary().startswith("Audit log intact: 10 rows")


def test_an_empty_log_verifies(empty_store: Store) -> None:
    store = empty_store
    with store.unit() as db:  # the checkpoint of an empty log that earlier versions took at start-up
        chain.add_checkpoint(db, at=to_db(NOW), link=chain.Link(0, chain.GENESIS), row_count=0)
    report = integrity(store).verify()
    assert report.ok and report.rows_checked == 0 and report.checkpoints_checked == 1


def test_an_edited_field_is_caught_at_that_row(store: Store) -> None:
    with attacker(store) as conn:
        conn.execute("UPDATE audit SET outcome = 'succeeded', vobiz_error = NULL WHERE id = 3")
    report = integrity(store).verify()
    assert not report.ok and report.bad_row_id == 3
    assert "contents do not match its hash" in (report.problem or "")
    assert report.rows_checked == 2  # rows 1 and 2 were fine


def test_an_edited_and_rehashed_row_is_caught_at_the_next_row(store: Store) -> None:
    with attacker(store) as conn:
        row = audit_row(conn, 4)
        row["detail"] = "nothing happened here"
        conn.execute("UPDATE audit SET detail = ?, hash = ? WHERE id = 4", [row["detail"], independent_hash(row)])
    report = integrity(store).verify()
    assert not report.ok and report.bad_row_id == 5
    assert "prev_hash is not the hash of row 4" in (report.problem or "")


def test_a_deleted_row_in_the_middle_is_caught(store: Store) -> None:
    with attacker(store) as conn:
        conn.execute("DELETE FROM audit WHERE id = 6")
    report = integrity(store).verify()
    assert not report.ok and report.bad_row_id == 7
    assert "row 6 is missing after row 5" in (report.problem or "")


def test_a_deleted_row_is_caught_even_when_the_rest_is_rechained(store: Store) -> None:
    with attacker(store) as conn:
        conn.execute("DELETE FROM audit WHERE id = 4")
        rehash_from(conn, 5)
    report = integrity(store).verify()
    assert not report.ok and report.bad_row_id == 5
    assert "row 4 is missing after row 3" in (report.problem or "")


def test_a_deleted_first_row_is_caught(store: Store) -> None:
    with attacker(store) as conn:
        conn.execute("DELETE FROM audit WHERE id = 1")
    report = integrity(store).verify()
    assert not report.ok and report.bad_row_id == 2


def test_an_inserted_row_is_caught(store: Store) -> None:
    """Make room after row 5 by moving later rows up one id, then slip in a forged row correctly chained
    to row 5: the first moved row no longer matches its own hash."""
    with attacker(store) as conn:
        for row_id in range(ROWS, 5, -1):
            conn.execute("UPDATE audit SET id = id + 1 WHERE id = ?", [row_id])
        prev = conn.execute("SELECT hash FROM audit WHERE id = 5").fetchone()[0]
        forged = {"id": 6, "at": "2026-11-27T12:05:30.000000+00:00", "actor_id": "UEVE00001", "actor_name": "Eve",
                  "event": "done", "action": "assign", "outcome": "succeeded", "prev_hash": prev}
        forged["hash"] = independent_hash(forged)
        conn.execute(f"INSERT INTO audit ({', '.join(forged)}) VALUES ({', '.join('?' * len(forged))})", list(forged.values()))
    report = integrity(store).verify()
    assert not report.ok and report.bad_row_id == 7


def test_reordered_rows_are_caught(store: Store) -> None:
    with attacker(store) as conn:
        swap_rows(conn, 3, 8)
    report = integrity(store).verify()
    assert not report.ok and report.bad_row_id == 3


def test_a_truncated_tail_is_caught_by_the_checkpoint(store: Store) -> None:
    checkpoint = integrity(store).checkpoint()
    assert (checkpoint.head_id, checkpoint.row_count) == (ROWS, ROWS)
    with attacker(store) as conn:
        conn.execute("DELETE FROM audit WHERE id > 7")
    report = integrity(store).verify()
    assert not report.ok and report.bad_row_id == 8
    assert "rows 8 to 10 were removed" in (report.problem or "")


def test_a_truncated_tail_without_any_checkpoint_is_not_caught(store: Store) -> None:
    """What the chain alone cannot prove (docs/audit-schema.md): the end of the log."""
    with attacker(store) as conn:
        conn.execute("DELETE FROM audit WHERE id > 7")
    assert integrity(store).verify().ok


def test_a_rewritten_chain_is_caught_by_the_checkpoint_in_the_database(store: Store) -> None:
    integrity(store).checkpoint()
    with attacker(store) as conn:
        conn.execute("UPDATE audit SET reason = 'routine' WHERE id = 4")
        rehash_from(conn, 4)
    report = integrity(store).verify()
    assert not report.ok and report.bad_row_id == ROWS
    assert "head hash of checkpoint #1" in (report.problem or "")


def test_a_rewrite_that_also_rewrites_the_checkpoints_is_caught_only_by_the_outside_witness(store: Store) -> None:
    posted = integrity(store).checkpoint()  # what the history channel received
    with attacker(store) as conn:
        conn.execute("UPDATE audit SET reason = 'routine' WHERE id = 4")
        rehash_from(conn, 4)
        new_head = conn.execute("SELECT hash FROM audit WHERE id = ?", [ROWS]).fetchone()[0]
        conn.execute("UPDATE checkpoints SET head_hash = ? WHERE id = ?", [new_head, posted.id])
    assert integrity(store).verify().ok  # the database agrees with itself
    report = integrity(store).verify(witness=posted)
    assert not report.ok and report.bad_row_id == ROWS and report.witness_checked
    assert "witness" in (report.problem or "") and "checkpoints table was edited" in (report.problem or "")


def test_a_witness_from_earlier_still_agrees_after_more_rows_are_appended(store: Store) -> None:
    earlier = integrity(store).checkpoint()
    write_varied_events(store, 3)
    typed_in = Checkpoint(id=0, at=None, head_id=earlier.head_id, head_hash=earlier.head_hash, row_count=earlier.row_count)
    report = integrity(store).verify(witness=typed_in)
    assert report.ok and report.rows_checked == ROWS + 3 and report.witness_checked


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"head_hash": "f" * 64}, "head hash of the witness"),
        ({"row_count": ROWS - 1}, "rows up to here"),
        ({"head_id": ROWS + 5, "row_count": ROWS + 5}, "rows 11 to 15 were removed"),
    ],
)
def test_a_witness_that_does_not_match_the_log_fails(store: Store, change: dict[str, object], expected: str) -> None:
    good = Checkpoint(id=0, at=None, head_id=ROWS, head_hash=rows(store)[-1]["hash"], row_count=ROWS)
    report = integrity(store).verify(witness=replace(good, **change))  # type: ignore[arg-type]
    assert not report.ok and expected in (report.problem or "")
    assert report.summary().startswith("Audit log NOT intact")
