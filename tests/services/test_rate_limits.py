"""The per-person rate limit (finding F11): at most RATE_LIMIT_PER_MINUTE counted commands a person in any
minute, the rest refused with a "slow down" they can act on, and one audit row per burst, not per refusal."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.services.errors import ServiceError, SlowDown
from tests.services.world import OUTSIDER, REQUESTER, World


def _rate_rows(world: World) -> list[dict[str, object]]:
    return [row for row in world.audit_rows() if row["action"] == "rate_limit"]


def test_the_eleventh_command_in_a_minute_is_refused_until_the_window_clears(world: World) -> None:
    limits = world.services.rate_limits
    for _ in range(10):
        limits.admit(OUTSIDER, "/numbers buy")
    world.advance(5)
    with pytest.raises(SlowDown) as refused:
        limits.admit(OUTSIDER, "/numbers buy")
    assert isinstance(refused.value, ServiceError)  # shown by the one error handler like every refusal
    first_at = world.clock() - timedelta(seconds=5)
    again = first_at + timedelta(minutes=1)
    if again.microsecond:  # "after" a whole second that is no longer refused
        again = again.replace(microsecond=0) + timedelta(seconds=1)
    again_at = again.strftime("%H:%M:%S")
    assert refused.value.user_message == (
        "You have made 10 requests in the last minute, the most the bot takes from one person; "
        f"nothing was done. Try again after {again_at} UTC."
    )
    limits.admit(REQUESTER, "/numbers list")  # someone else is not held back

    world.advance(54)
    with pytest.raises(SlowDown):
        limits.admit(OUTSIDER, "/numbers list")
    world.advance(1)  # a minute after the first ten
    limits.admit(OUTSIDER, "/numbers list")


def test_one_audit_row_per_burst(world: World) -> None:
    limits = world.services.rate_limits
    for _ in range(10):
        limits.admit(OUTSIDER, "/numbers buy")
    for _ in range(5):
        with pytest.raises(SlowDown):
            limits.admit(OUTSIDER, "/numbers buy")
    rows = _rate_rows(world)
    assert len(rows) == 1
    row = rows[0]
    assert (row["actor_id"], row["event"], row["outcome"]) == (OUTSIDER.user_id, "refused", "refused")
    assert "10 requests within a minute" in str(row["detail"]) and "/numbers buy" in str(row["detail"])
    assert world.outbox_rows("history", row["id"])  # a line in the history channel, like other refusals

    world.advance(120)  # quiet for more than a window: the next excess is a new burst
    for _ in range(10):
        limits.admit(OUTSIDER, "/numbers show")
    with pytest.raises(SlowDown):
        limits.admit(OUTSIDER, "/numbers show")
    assert len(_rate_rows(world)) == 2


def test_zero_turns_the_limit_off(world: World) -> None:
    limits = world.rebuild(rate_limit_per_minute=0).rate_limits
    for _ in range(200):
        limits.admit(OUTSIDER, "/numbers buy")
    assert _rate_rows(world) == []


def test_concurrent_takers_never_exceed_the_limit(world: World) -> None:
    limits = world.services.rate_limits
    admitted: list[int] = []
    refused: list[int] = []
    start = threading.Barrier(8)

    def taker() -> None:
        start.wait()
        for _ in range(5):
            try:
                limits.admit(OUTSIDER, "/numbers buy")
                admitted.append(1)
            except SlowDown:
                refused.append(1)

    threads = [threading.Thread(target=taker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert (len(admitted), len(refused)) == (10, 30)
    assert len(_rate_rows(world)) == 1
