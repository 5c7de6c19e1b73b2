"""A change Vobiz has made is never reported as "nothing was changed" when the bot cannot record it, and
someone who may not undo a release learns nothing about it (review findings on issue 10)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from bot.services.errors import NotAllowed, OutcomeUnknown
from bot.services.number_filters import parse_filters
from bot.services.records import Status
from tests.services.world import APPROVER, OUTSIDER, REQUESTER, World

SALES = "SA_SALES0001"


def wait_until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def delete_database(world: World) -> None:
    for suffix in ("", "-wal", "-shm"):
        world.db_path.with_name(world.db_path.name + suffix).unlink(missing_ok=True)


@pytest.mark.sqlite_only  # deletes or rewrites the SQLite file
def test_an_assign_vobiz_made_but_the_bot_could_not_record_says_so(world: World) -> None:
    number = next(n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if world.sandbox.describe(n)["owner"] in (None, world.sandbox.auth_id))
    reads_before = len(world.calls("list_numbers"))
    world.sandbox.inject("assign", "hang", seconds=1.0)
    result: dict[str, Any] = {}

    def assign() -> None:
        try:
            result["done"] = world.services.direct.assign(REQUESTER, number, SALES)
        except Exception as exc:
            result["error"] = exc

    thread = threading.Thread(target=assign)
    thread.start()
    wait_until(lambda: len(world.calls("list_numbers")) > reads_before)  # the last read before the assign call
    time.sleep(0.2)
    delete_database(world)
    thread.join(timeout=30)

    error = result.get("error")
    assert isinstance(error, OutcomeUnknown), result
    assert "Vobiz assigned" in error.user_message and "could not record it" in error.user_message
    assert "nothing was changed" not in error.user_message.lower()
    assert world.sandbox.describe(number)["owner"] == SALES


def test_someone_who_may_not_undo_hears_nothing_of_who_undid_it(world: World) -> None:
    owned = next(n for n in world.sandbox.owned_numbers(world.sandbox.auth_id) if n.startswith("+91"))
    request = world.services.approvals.request_release(REQUESTER, owned, "team moved")
    assert world.services.approvals.approve(request.id, APPROVER).status is Status.SUCCEEDED
    world.services.approvals.undo_release(request.id, APPROVER)

    with pytest.raises(NotAllowed) as refused:
        world.services.approvals.undo_release(request.id, OUTSIDER)

    assert APPROVER.name not in refused.value.user_message and "undid" not in refused.value.user_message
    assert world.audit_rows(request.id)[-1]["event"] == "refused"


@pytest.mark.sqlite_only  # deletes the SQLite file
def test_a_bulk_purchase_whose_bought_number_could_not_be_recorded_says_so(world: World) -> None:
    """Review finding (issue 15): the first number of a bulk purchase was bought, then its outcome could not
    be recorded; the answer said "nothing was changed", inviting a second `buy N` and numbers bought twice."""
    request = world.services.approvals.request_bulk_purchase(REQUESTER, 2, parse_filters("IN region:karnataka"), "support")
    reads_before = len(world.calls("list_inventory"))
    world.sandbox.inject("purchase", "hang", seconds=1.0)
    result: dict[str, Any] = {}

    def approve() -> None:
        try:
            result["done"] = world.services.approvals.approve(request.id, APPROVER)
        except Exception as exc:
            result["error"] = exc

    thread = threading.Thread(target=approve)
    thread.start()
    wait_until(lambda: len(world.calls("list_inventory")) > reads_before)  # the re-read before the first call
    time.sleep(0.2)
    delete_database(world)
    thread.join(timeout=30)

    error = result.get("error")
    assert isinstance(error, OutcomeUnknown), result
    assert "nothing was changed" not in error.user_message.lower() and "do not repeat it" in error.user_message
    assert world.sandbox.describe(request.items[0].e164)["where"] == "owned"
