"""The named operations on the `requests` table, against a real file: each guard and each selection says
what its name says, at its edges (the services' tests cover them through the bot)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.store import audit, open_store, request_items, requests
from bot.store.timestamps import to_db

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def row(request_id: str, **columns: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": request_id,
        "kind": "purchase",
        "e164": "+918012345678",
        "status": "pending",
        "requester_id": "U1",
        "reason": "new team line",
        "created_at": to_db(NOW),
        "expires_at": to_db(NOW + timedelta(hours=24)),
        "updated_at": to_db(NOW),
    }
    base.update({k: to_db(v) if isinstance(v, datetime) else v for k, v in columns.items()})
    return base


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Any]:
    """The store on each engine (see `database_url` in tests/conftest.py)."""
    opened = open_store(sqlite_path=tmp_path / "bot.db", database_url=database_url)
    yield opened
    opened.close()


def add(store: Any, *rows: dict[str, Any]) -> None:
    with store.unit() as db:
        for r in rows:
            requests.insert(db, r)


def test_a_taken_id_undoes_only_its_own_insert(store: Any) -> None:
    add(store, row("R1"))
    with store.unit() as db:
        requests.insert(db, row("R2"))
        with pytest.raises(requests.DuplicateId):
            requests.insert(db, row("R1", reason="again"))
        requests.insert(db, row("R3"))
    with store.read() as db:
        assert [r["id"] for r in requests.mine(db, "U1", 10)] == ["R3", "R2", "R1"]  # same instant: insertion order
        assert requests.get(db, "R1")["reason"] == "new team line"  # type: ignore[index]


def test_changes_name_columns_only(store: Any) -> None:
    add(store, row("R1"))
    with store.unit() as db, pytest.raises(ValueError, match="not request columns"):
        requests.leave_pending(db, "R1", NOW, {"status = 'denied' --": "x"})


def test_open_for_number_is_the_newest_open_request_of_that_kind(store: Any) -> None:
    add(
        store,
        row("R1", status="denied"),
        row("R2", status="outcome_unknown", created_at=NOW - MINUTE),
        row("R3", status="executing"),
        row("R4", kind="release"),
        row("R5", e164="+918000000000"),
    )
    with store.read() as db:
        assert requests.open_for_number(db, "+918012345678", "purchase")["id"] == "R3"  # type: ignore[index]
        assert requests.open_for_number(db, "+918012345678", "release")["id"] == "R4"  # type: ignore[index]
        assert requests.open_for_number(db, "+918012345678", "force_unassign") is None


def test_pending_and_due_to_expire(store: Any) -> None:
    add(
        store,
        row("R1", created_at=NOW, expires_at=NOW + MINUTE),
        row("R2", created_at=NOW - MINUTE, expires_at=NOW),
        row("R3", status="executing", expires_at=NOW - MINUTE),
    )
    with store.read() as db:
        assert [r["id"] for r in requests.pending(db)] == ["R2", "R1"]
        assert [r["id"] for r in requests.due_to_expire(db, NOW)] == ["R2"]
        assert [r["id"] for r in requests.due_to_expire(db, NOW + MINUTE)] == ["R2", "R1"]


def test_leave_pending_and_expire_split_at_the_expiry(store: Any) -> None:
    add(store, row("R1", expires_at=NOW), row("R2", expires_at=NOW))
    with store.unit() as db:
        assert not requests.leave_pending(db, "R1", NOW, {"status": "executing"})  # its time is over
        assert requests.leave_pending(db, "R2", NOW - MINUTE, {"status": "executing"})
        assert not requests.expire(db, "R2", NOW, {"status": "expired"})  # decided already
        assert requests.expire(db, "R1", NOW, {"status": "expired"})
        assert not requests.expire(db, "R1", NOW, {"status": "expired"})


def test_releases_in_cooldown_and_windows_ending(store: Any) -> None:
    release = {"kind": "release", "status": "succeeded", "approval_ts": "1.2"}
    add(
        store,
        row("R1", **release, cooldown_ends_at=NOW),
        row("R2", **release, cooldown_ends_at=NOW + MINUTE, requester_id="U2"),
        row("R3", **release, cooldown_ends_at=NOW + MINUTE, undone_at=NOW),
        row("R4", **{**release, "approval_ts": None}, cooldown_ends_at=NOW + MINUTE),
        row("R5", kind="release", status="failed", cooldown_ends_at=NOW + MINUTE),
    )
    with store.read() as db:
        assert [r["id"] for r in requests.releases_in_cooldown(db, NOW)] == ["R2", "R4"]
        assert [r["id"] for r in requests.releases_in_cooldown(db, NOW, requester_id="U2")] == ["R2"]
        assert requests.release_windows_ending(db, NOW - MINUTE, NOW) == ["R1"]  # after since, up to until
        assert requests.release_windows_ending(db, NOW, NOW + MINUTE) == ["R2"]  # R4's message was never posted


def test_record_message_needs_the_request(store: Any) -> None:
    add(store, row("R1"))
    with store.unit() as db:
        assert requests.record_message(db, "R1", "C1", "1.2", NOW)
        assert not requests.record_message(db, "R9", "C1", "1.2", NOW)
        found = requests.get(db, "R1")
    assert found is not None and (found["approval_channel"], found["approval_ts"]) == ("C1", "1.2")


def test_take_over_only_from_an_owner_whose_lease_ran_out(store: Any) -> None:
    add(
        store,
        row("R1", status="executing"),  # from before leases: no owner, no lease
        row("R2", status="executing", lease_owner="old", lease_until=NOW),
        row("R3", status="executing", lease_owner="old", lease_until=NOW + MINUTE),
    )
    with store.unit() as db:
        assert not requests.take_over(db, "R1", "someone", None, "new", NOW, NOW + MINUTE)
        assert requests.take_over(db, "R1", None, None, "new", NOW, NOW + MINUTE)
        assert not requests.take_over(db, "R2", None, None, "new", NOW, NOW + MINUTE)
        assert requests.take_over(db, "R2", "old", None, "new", NOW, NOW + MINUTE)
        assert not requests.take_over(db, "R3", "old", None, "new", NOW, NOW + MINUTE)  # still alive
        assert requests.record_call(db, "R2", "new", NOW, NOW + 2 * MINUTE)
        assert not requests.record_call(db, "R3", "new", NOW, NOW + 2 * MINUTE)
        assert requests.renew_leases(db, "new", ["R1", "R2", "R3"], NOW + 3 * MINUTE) == 2


def test_to_settle(store: Any) -> None:
    add(
        store,
        row("R1", status="outcome_unknown"),
        row("R2", status="executing", lease_owner="a", lease_until=NOW),
        row("R3", status="executing", lease_owner="a", lease_until=NOW + MINUTE),
        row("R4", status="executing", decided_at=NOW - 2 * MINUTE),
        row("R5", status="executing", decided_at=NOW),
    )
    with store.read() as db:
        assert sorted(r["id"] for r in requests.to_settle(db, NOW, NOW - MINUTE)) == ["R1", "R2", "R4"]


def test_a_stale_undo_claim_is_old_and_its_owner_gone(store: Any) -> None:
    claimed = NOW - 2 * MINUTE
    undoing = {"kind": "release", "status": "succeeded", "undo_state": "undoing", "undo_claimed_at": claimed}
    add(
        store,
        row("R1", **undoing),  # no lease (from before leases)
        row("R2", **undoing, lease_owner="a", lease_until=NOW),  # its lease ran out
        row("R3", **undoing, lease_owner="a", lease_until=NOW + MINUTE),  # still renewed: alive
        row("R4", **undoing, lease_owner="a", lease_until=claimed - MINUTE),  # an older lease, not the claim's
        row("R5", **{**undoing, "undo_claimed_at": NOW}),  # a new click
        row("R6", **{**undoing, "undo_claimed_at": None}, updated_at=claimed),  # claimed before the column: timed by updated_at
        row("R7", kind="release", status="succeeded", undo_state="unknown"),
        row("R8", kind="release", status="succeeded"),
    )
    cutoff = NOW - MINUTE
    with store.read() as db:
        assert sorted(r["id"] for r in requests.undos_to_settle(db, NOW, cutoff)) == ["R1", "R2", "R4", "R6", "R7"]
        assert requests.has_stale_undo_claim(db, "R2", NOW, cutoff)
        assert not requests.has_stale_undo_claim(db, "R3", NOW, cutoff)
        assert not requests.has_stale_undo_claim(db, "R7", NOW, cutoff)
    with store.unit() as db:
        assert not requests.change_undo(db, "R3", requests.StaleUndoClaim(NOW, cutoff), {"undo_state": None})
        assert requests.change_undo(db, "R2", requests.StaleUndoClaim(NOW, cutoff), {"undo_state": None})
        assert not requests.change_undo(db, "R7", requests.InUndoState("undoing"), {"undo_state": None})
        assert requests.change_undo(db, "R7", requests.InUndoState("unknown"), {"undo_state": "done"})
        assert not requests.claim_undo(db, "R3", {"undo_state": "undoing"})
        assert requests.claim_undo(db, "R8", {"undo_state": "undoing"})


def test_latest_cool_off_and_latest_event(store: Any) -> None:
    def append(**columns: str) -> int:
        with store.unit() as db:
            return audit.append(db, {"at": to_db(NOW), "actor_id": "U1", "event": "x", "action": "unassign", "outcome": "x", **columns})

    first = append(e164="+918012345678", outcome="cool_off", cool_off_until=to_db(NOW + MINUTE))
    append(e164="+918012345678", outcome="cool_off", cool_off_until=to_db(NOW))  # already over at NOW
    append(e164="+918000000000", outcome="cool_off", cool_off_until=to_db(NOW + MINUTE))
    add(store, row("R1"))
    append(request_id="R1", event="undo_unknown", detail="first")
    last = append(request_id="R1", event="undo_unknown", detail="second")
    with store.read() as db:
        assert audit.latest_cool_off(db, "+918012345678", NOW)["id"] == first  # type: ignore[index]
        assert audit.latest_cool_off(db, "+918012345678", NOW + MINUTE) is None
        assert audit.latest_event(db, "R1", "undo_unknown")["id"] == last  # type: ignore[index]
        assert audit.latest_event(db, "R1", "undone") is None


def test_a_settler_cannot_take_over_from_a_read_older_than_the_owners_recorded_call(store: Any) -> None:
    """The settler read the row before the owner recorded its call; its claim on that stale read fails."""
    start = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)
    with store.unit() as db:
        requests.insert(
            db,
            {
                "id": "R1", "kind": "purchase", "e164": "+911121546828", "status": "executing", "requester_id": "U1",
                "reason": "r", "created_at": to_db(start), "expires_at": to_db(start), "updated_at": to_db(start),
                "lease_owner": "owner", "lease_until": to_db(start + timedelta(seconds=30)),
            },
        )
        assert requests.record_call(db, "R1", "owner", start, start + timedelta(seconds=30))
        later = start + timedelta(minutes=5)
        assert not requests.take_over(db, "R1", "owner", None, "settler", later, later)  # read before the call
        assert requests.take_over(db, "R1", "owner", start, "settler", later, later)  # read after it


def test_a_bulk_number_still_unknown_is_recorded_unknown_once(store: Any) -> None:
    """Review finding: two settlers that both read a number as calling and could not tell what happened each
    recorded it unknown, so its audit row and history line came twice. Only the first wins now; a final
    outcome still replaces unknown."""
    add(store, row("R1"))
    with store.unit() as db:
        request_items.insert(db, "R1", 0, {"e164": "+911121546820", "setup_fee": "100", "monthly_fee": "250", "currency": "INR"})
        assert request_items.start_call(db, "R1", 0, NOW)
    with store.unit() as db:
        assert request_items.finish(db, "R1", 0, request_items.UNKNOWN, "answer lost", None)
        assert not request_items.finish(db, "R1", 0, request_items.UNKNOWN, "answer lost", None)
        assert request_items.finish(db, "R1", 0, request_items.BOUGHT, "found among the account's numbers", NOW)
        assert not request_items.finish(db, "R1", 0, request_items.FAILED, "too late", NOW)
