"""The audit log is a hash chain, built by every write that goes through the services' journal."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from fakes.vobiz import SandboxServer
from bot.services.integrity import Integrity
from bot.services.records import Status
from bot.store import Store, audit, chain
from bot.store.timestamps import to_db
from tests.audit.audit_helpers import ALICE, BOB, GENESIS, NOW, independent_hash, raw, record, refusal, rows, write_varied_events
from tests.services.fakes import FakeClock, FakeDirectory
from tests.services.world import APPROVER, REQUESTER, World, make_settings


def test_every_journal_write_extends_the_chain_with_the_documented_hash(store: Store) -> None:
    write_varied_events(store, 12)
    written = rows(store)
    assert [r["id"] for r in written] == list(range(1, 13))
    assert written[0]["prev_hash"] == GENESIS
    for before, row in zip(written, written[1:]):
        assert row["prev_hash"] == before["hash"]
    # an auditor's own implementation of the encoding in docs/audit-schema.md gives the same digests
    assert [r["hash"] for r in written] == [independent_hash(r) for r in written]
    # fees are hashed as the exact text stored, never as floats
    quoted = next(r for r in written if r["quote_setup_fee"] is not None)
    assert (quoted["quote_setup_fee"], quoted["quote_monthly_fee"]) == ("100.50", "10")


def test_concurrent_writers_on_threads_form_one_unbroken_chain(store: Store) -> None:
    writers, each = 6, 10
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                record(store, NOW + timedelta(seconds=i), ALICE, "done", "assign", "succeeded", detail=f"writer {n} #{i}")
        except BaseException as exc:  # surfaced below: a thread's exception would otherwise vanish
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    written = rows(store)
    assert [r["id"] for r in written] == list(range(1, writers * each + 1))
    assert len({r["hash"] for r in written}) == writers * each
    report = Integrity(store=store, clock=lambda: NOW).verify()
    assert report.ok and report.rows_checked == writers * each


def test_a_writer_holding_a_stale_head_is_refused_rather_than_forking_the_chain(store: Store) -> None:
    """What BEGIN IMMEDIATE (PostgreSQL: the unit's advisory lock) prevents, shown without it: two
    connections read the same head; the one that appends second is refused by the trigger, so the chain
    never forks."""
    record(store, NOW, ALICE, "done", "assign", "succeeded")
    with raw(store) as late:
        stale_head = late.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        record(store, NOW, BOB, "done", "unassign", "succeeded")  # someone else appends meanwhile
        forged = {"id": stale_head[0] + 1, "at": to_db(NOW), "actor_id": "UEVE00001", "actor_name": "", "event": "done",
                  "action": "assign", "outcome": "succeeded", "prev_hash": stale_head[1]}
        forged["hash"] = independent_hash(forged)
        with pytest.raises(refusal(store), match="extend the hash chain"):
            late.execute(f"INSERT INTO audit ({', '.join(forged)}) VALUES ({', '.join('?' * len(forged))})", list(forged.values()))
    assert [r["actor_id"] for r in rows(store)] == [ALICE.user_id, BOB.user_id]


def test_rows_written_without_the_chain_are_refused(store: Store) -> None:
    record(store, NOW, ALICE, "done", "assign", "succeeded")
    with raw(store) as conn, pytest.raises(refusal(store)):
        conn.execute("INSERT INTO audit (at, actor_id, event, action, outcome) VALUES ('x', 'U1', 'done', 'assign', 'succeeded')")
    assert len(rows(store)) == 1


def test_append_refuses_values_the_hash_could_not_pin_and_writes_nothing(store: Store) -> None:
    base = {"at": to_db(NOW), "actor_id": "U1", "event": "done", "action": "assign", "outcome": "succeeded"}
    for bad in ({"quote_setup_fee": 1.5}, {"detail": 7}):
        with pytest.raises(TypeError, match="must be text"):
            with store.unit() as db:
                audit.append(db, {**base, **bad})
    assert rows(store) == []


def test_append_outside_a_unit_is_refused(store: Store) -> None:
    with store.read() as db:
        with pytest.raises(RuntimeError, match="Store.unit"):
            audit.append(db, {"at": to_db(NOW), "actor_id": "U1", "event": "done", "action": "assign", "outcome": "succeeded"})


def test_the_canonical_encoding_is_pinned() -> None:
    """A change here would orphan every hash already written: this is the contract with auditors."""
    row = {"id": 7, "at": "2026-11-27T12:00:00.000000+00:00", "actor_id": "U1", "reason": "Grüße, \"team\"\n",
           "e164": None, "prev_hash": GENESIS, "hash": "ignored"}
    assert chain.canonical(row) == (
        '{"actor_id":"U1","at":"2026-11-27T12:00:00.000000+00:00","id":7,'
        f'"prev_hash":"{GENESIS}","reason":"Grüße, \\"team\\"\\n"}}'
    ).encode("utf-8")
    assert chain.row_hash(row) == "f380648a8a4df2f2bccc3fe466cca00c4faffecd6620d56b36024e2d0e580f1b"


def test_a_real_approval_flow_leaves_a_verifiable_chain(db_path: Path, database_url: str | None, sandbox: SandboxServer) -> None:
    world = World(sandbox=sandbox, db_path=db_path, clock=FakeClock(sandbox.now()), directory=FakeDirectory({}),
                  settings=make_settings(db_path, sandbox), database_url=database_url)
    try:
        number = sandbox.inventory_numbers("IN")[0]
        request = world.services.approvals.request_purchase(REQUESTER, number, "for the launch")
        assert world.services.approvals.approve(request.id, APPROVER).status is Status.SUCCEEDED
        denied = world.services.approvals.request_purchase(REQUESTER, sandbox.inventory_numbers("IN")[1], "spare")
        world.services.approvals.deny(denied.id, APPROVER, "not now")
        written = world.audit_rows()
        assert [r["event"] for r in written] == ["requested", "approved", "executed", "requested", "denied"]
        assert [r["hash"] for r in written] == [independent_hash(r) for r in written]
        report = world.services.integrity.verify()
        assert report.ok and report.rows_checked == 5 and report.head_hash == written[-1]["hash"]
    finally:
        world.close()  # its Vobiz clients and its store
