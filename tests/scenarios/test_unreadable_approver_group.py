"""An approver through a user group approved fine; later Slack stops saying who is in the group
(`missing_scope`) and the last answer is older than the bot may trust: the Approve click is refused with a
clear message, audited like any refusal, and nothing is bought (finding F5)."""

from __future__ import annotations

import logging

import pytest

from bot.services import policy
from bot.services.records import Status
from tests.scenarios.scenario_world import APPROVER_GROUP, BOT_TOKEN, GROUPIE, World

REFUSAL = (
    f"I could not confirm you are an approver: Slack did not answer who is in {APPROVER_GROUP}. "
    "Nothing was changed; try again in a minute."
)


def audit_events(world: World, request_id: str) -> list[tuple[str, str, str]]:
    with world.bot.services.store.read() as db:
        rows = db.query("SELECT event, outcome, actor_id FROM audit WHERE request_id = ? ORDER BY id", [request_id])
        return [(r["event"], r["outcome"], r["actor_id"]) for r in rows]


def test_a_group_approver_is_refused_when_slack_will_not_say_who_is_in_the_group(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    first_number, second_number = world.sandbox.inventory_numbers("IN")[:2]
    first = world.ask_to_buy(first_number)
    world.click(GROUPIE, world.approval_message(first), "Approve")
    assert world.settled(first).status is Status.SUCCEEDED
    second = world.ask_to_buy(second_number, "A second line for Bengaluru")

    world.slack.fail_next("usergroups.users.list", "error:missing_scope", count=50)
    world.clock.advance(seconds=policy.GROUP_STALE_LIMIT.total_seconds() + 60)
    with caplog.at_level(logging.WARNING):
        world.click(GROUPIE, world.approval_message(second), "Approve")
        world.reply_to(GROUPIE, REFUSAL)

    assert world.settled(second).status is Status.PENDING
    assert [w["route"] for w in world.vobiz_writes()] == ["purchase"]  # the first request's, nothing since
    assert audit_events(world, second)[-1] == ("refused", "refused", GROUPIE)
    assert world.slack.calls("usergroups.users.list")[-1].fault == "error:missing_scope"
    world.drain()
    assert "Approve" in world.approval_message(second).as_text()  # still waiting for a decision
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.services.policy"]
    assert any(APPROVER_GROUP in line and "missing_scope" in line for line in logged), logged
    assert not any(BOT_TOKEN in r.getMessage() for r in caplog.records)
