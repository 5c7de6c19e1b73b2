"""Outbox claims (issue 13): processes sharing one store never deliver one item at once, history lines are
claimed strictly in audit order by one process at a time, and a dead process's claim runs out. On both
engines, through `database_url`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.services.outbox import Outbox
from bot.store import open_store, outbox

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
TTL = timedelta(seconds=60)
A, B = "host-a/1/aaaa", "host-b/2/bbbb"


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Any]:
    opened = open_store(sqlite_path=tmp_path / "bot.db", database_url=database_url)
    yield opened
    opened.close()


def claim(store: Any, owner: str, now: datetime, limit: int = 10) -> list[int]:
    with store.unit() as db:
        return [r["id"] for r in outbox.claim_due(db, owner, now, now + TTL, limit)]


def test_a_claimed_item_is_not_claimed_by_another_process_until_its_claim_runs_out(store: Any) -> None:
    with store.unit() as db:
        message = outbox.enqueue(db, "approval_message", "R0000AA", NOW)
        notice = outbox.enqueue(db, "requester_notice", "R0000AB", NOW)
    assert claim(store, A, NOW, limit=1) == [message]
    assert claim(store, B, NOW) == [notice]
    assert claim(store, B, NOW + timedelta(seconds=30)) == [notice]  # its own, renewed; A's is still A's
    assert claim(store, A, NOW + timedelta(seconds=30)) == [message]  # renewed to +90 s
    assert claim(store, B, NOW + timedelta(seconds=89)) == [notice]
    assert claim(store, B, NOW + timedelta(seconds=91)) == [message, notice]  # A's claim ran out
    with store.unit() as db:
        assert not outbox.hold(db, message, A, NOW + TTL)  # A lost it: A leaves it alone
        assert outbox.hold(db, message, B, NOW + TTL)
        assert not outbox.retry_later(db, message, "late", timedelta(seconds=5), NOW, owner=A)  # not A's to move
        assert outbox.mark_done(db, message, NOW)
        assert not outbox.hold(db, message, B, NOW + TTL)  # done
        row = db.execute("SELECT claimed_by, claim_until, attempted_by FROM outbox WHERE id = ?", [message]).fetchone()
    assert tuple(row) == (None, None, B)


def test_a_second_item_of_the_same_message_waits_while_another_process_holds_the_first(store: Any) -> None:
    with store.unit() as db:
        first = outbox.enqueue(db, "approval_message", "R0000AA", NOW)
    assert claim(store, A, NOW) == [first]
    with store.unit() as db:
        second = outbox.enqueue(db, "approval_message", "R0000AA", NOW)  # a state change meanwhile
        other = outbox.enqueue(db, "approval_message", "R0000AB", NOW)
    assert claim(store, B, NOW) == [other]  # B would draw R0000AA at the same time as A
    assert claim(store, A, NOW) == [first, second]
    with store.unit() as db:
        outbox.mark_done(db, first, NOW)
        outbox.release_claims(db, A, [second])
    assert claim(store, B, NOW) == [second, other]


def test_history_is_claimed_in_audit_order_by_one_process_at_a_time(store: Any) -> None:
    with store.unit() as db:
        h1, h2, h3 = (outbox.enqueue(db, "history", n, NOW) for n in (1, 2, 3))
        message = outbox.enqueue(db, "approval_message", "R0000AA", NOW)
    assert claim(store, A, NOW, limit=2) == [message, h1]
    assert claim(store, B, NOW) == []  # h1 is A's: B may not post h2 before it
    with store.unit() as db:
        outbox.mark_done(db, h1, NOW)
    assert claim(store, B, NOW, limit=1) == [h2]
    assert claim(store, A, NOW) == [message]  # h3 waits behind B's h2
    with store.unit() as db:
        assert outbox.retry_later(db, h2, "internal_error", timedelta(seconds=30), NOW, owner=B)  # releases it
    assert claim(store, A, NOW) == [message]  # h2 waits for its retry, holding h3 back
    assert claim(store, A, NOW + timedelta(seconds=30)) == [message, h2, h3]
    assert claim(store, B, NOW + timedelta(seconds=89)) == []
    assert claim(store, B, NOW + timedelta(seconds=91)) == [message, h2, h3]  # A died holding them


def test_concurrent_claims_never_hand_one_item_to_two_processes(store: Any, tmp_path: Path, database_url: str | None) -> None:
    with store.unit() as db:
        for n in range(40):
            outbox.enqueue(db, "history" if n % 2 else "requester_notice", n if n % 2 else f"R{n:06d}", NOW)
    stores = [open_store(sqlite_path=tmp_path / "bot.db", database_url=database_url) for _ in range(3)]
    outboxes = [Outbox(store=s, clock=lambda: NOW) for s in stores]
    taken: list[tuple[int, str]] = []  # in the order the items were handed out
    guard = threading.Lock()
    start = threading.Barrier(len(outboxes))

    def work(index: int) -> None:
        # Until every item went out (not a fixed number of rounds: under load one process may find nothing
        # due for many rounds while another holds the next history line, which must go out first).
        start.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with guard:
                if len(taken) >= 40:
                    return
            items = outboxes[index].due(3)
            with guard:
                taken.extend((item.id, item.kind) for item in items)
            for item in items:
                outboxes[index].done(item.id)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(outboxes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for opened in stores:
        opened.close()
    assert sorted(item for item, _ in taken) == list(range(1, 41))  # each once
    history = [item for item, kind in taken if kind == "history"]
    assert history == sorted(history)  # handed out in audit order, whichever process took them
