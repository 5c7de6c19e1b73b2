"""The lease that keeps an executing request its owner's while it works (bot/services/leases.py)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.services.leases import MAX_TTL, MIN_TTL, Leases, lease_ttl
from bot.store import Store, requests
from bot.store.timestamps import to_db

START = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def executing_request(store: Store, request_id: str, owner: str, until: datetime) -> None:
    with store.unit() as db:
        requests.insert(
            db,
            {
                "id": request_id, "kind": "purchase", "e164": "+911121546828", "status": "executing",
                "requester_id": "U1", "reason": "test", "created_at": to_db(START), "expires_at": to_db(START),
                "updated_at": to_db(START), "lease_owner": owner, "lease_until": to_db(until),
            },
        )


def lease_until(store: Store, request_id: str) -> str:
    with store.read() as db:
        row = requests.get(db, request_id)
    assert row is not None
    return str(row["lease_until"])


def wait_until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_the_lease_is_half_the_grace_within_bounds() -> None:
    assert lease_ttl(timedelta(seconds=60)) == timedelta(seconds=30)
    assert lease_ttl(timedelta(hours=1)) == MAX_TTL
    assert lease_ttl(timedelta(0)) == MIN_TTL


def test_a_held_lease_is_renewed_in_the_store_and_only_while_held(tmp_path: Path) -> None:
    store, clock = Store(tmp_path / "bot.db"), Clock()
    leases = Leases(store=store, clock=clock, ttl=timedelta(seconds=0.3))
    executing_request(store, "R1", leases.owner, START + leases.ttl)
    other = Leases(store=store, clock=clock, ttl=timedelta(seconds=0.3))
    executing_request(store, "R2", other.owner, START)  # someone else's: never renewed by this process

    with leases.holding("R1"):
        assert leases.is_live_here("R1", leases.owner)
        assert not leases.is_live_here("R1", other.owner)
        clock.now = START + timedelta(minutes=5)
        wait_until(lambda: lease_until(store, "R1") == to_db(clock.now + leases.ttl))
        assert lease_until(store, "R2") == to_db(START)

    assert not leases.is_live_here("R1", leases.owner)
    clock.now = START + timedelta(minutes=10)
    time.sleep(0.3)  # three renewal intervals: nothing held, nothing renewed
    assert lease_until(store, "R1") == to_db(START + timedelta(minutes=5) + leases.ttl)


def test_the_renewer_starts_again_for_the_next_hold(tmp_path: Path) -> None:
    store, clock = Store(tmp_path / "bot.db"), Clock()
    leases = Leases(store=store, clock=clock, ttl=timedelta(seconds=0.3))
    executing_request(store, "R1", leases.owner, START)
    with leases.holding("R1"):
        pass
    time.sleep(0.2)  # the renewer has seen nothing held and stopped
    with leases.holding("R1"):
        clock.now = START + timedelta(minutes=1)
        wait_until(lambda: lease_until(store, "R1") == to_db(clock.now + leases.ttl))


def test_a_killed_process_not_yet_reaped_counts_as_gone() -> None:
    """A SIGKILLed worker stays a zombie until its parent reaps it; it answers signal 0 but holds nothing."""
    import os
    import socket
    import subprocess

    from bot.services.leases import is_dead_here

    child = subprocess.Popen(["sleep", "30"])
    owner = f"{socket.gethostname()}/{child.pid}/abcd"
    assert not is_dead_here(owner)  # alive
    child.kill()
    deadline = time.monotonic() + 5
    while not is_dead_here(owner):  # killed, not reaped: a zombie
        assert time.monotonic() < deadline, "a killed, unreaped process still counts as alive"
        time.sleep(0.01)
    child.wait()
    assert is_dead_here(owner)  # reaped: gone
    assert not is_dead_here(f"another-host/{child.pid}/abcd")
    assert not is_dead_here(f"{socket.gethostname()}/{os.getpid()}/abcd")
