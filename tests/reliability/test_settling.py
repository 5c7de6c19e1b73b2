"""Settling is not only a start-up job: the maintenance worker re-reads Vobiz for unknown outcomes on its
own, periodically, without anyone clicking anything."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from bot.services.records import ApprovalRequest, Status
from bot.runtime import Workers
from tests.scenarios.scenario_world import APPROVER, World


class PassCounter:
    """The real approvals, counting the maintenance passes that reach settle_unknown."""

    def __init__(self, approvals: Any) -> None:
        self._approvals = approvals
        self.passes = 0
        self.changed = threading.Event()

    def settle_unknown(self) -> list[ApprovalRequest]:
        try:
            return self._approvals.settle_unknown()
        finally:
            self.passes += 1
            self.changed.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._approvals, name)


def test_the_maintenance_worker_settles_an_unknown_outcome_by_itself(world: World) -> None:
    sandbox = world.sandbox
    request_id = world.ask_to_buy(sandbox.inventory_numbers("IN")[0])
    sandbox.inject("purchase", "drop")  # the connection drops before Vobiz acts: unknown for a while
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.UNKNOWN

    counter = PassCounter(world.bot.services.approvals)
    services = dataclasses.replace(world.bot.services, approvals=counter)
    workers = Workers(services, world.bot.delivery, delivery_interval_s=0.05, maintenance_interval_s=0.05)
    workers.start()
    try:
        assert counter.changed.wait(5)  # the start-up pass ran, within the grace: it proves nothing yet
        assert world.request(request_id).status is Status.UNKNOWN
        at_start = counter.passes
        world.clock.advance(minutes=2)  # past the grace: a later, periodic pass may conclude
        world.slack.wait_for(lambda: world.request(request_id).status is Status.FAILED, timeout=5)
        # the pass that settled it counts itself only after settle_unknown returns: wait for that too
        world.slack.wait_for(lambda: counter.passes > at_start, timeout=5)
        world.slack.wait_for(lambda: "failed" in world.approval_message(request_id).as_text(), timeout=5)
    finally:
        workers.stop()
    assert len(sandbox.requests("purchase")) == 1
    assert sandbox.describe(world.request(request_id).e164)["owner"] is None
