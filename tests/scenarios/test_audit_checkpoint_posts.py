"""Checkpoints of the audit chain reach the history channel: the periodic worker takes one a day when the
log grew (the injected clock makes it due; a fresh start or a quiet day posts nothing), `numbers-bot audit
checkpoint` queues one too, and delivery posts each as one line that `numbers-bot audit verify --witness`
can check the database against."""

from __future__ import annotations

import re
from typing import Any

from bot.audit_cli import parse_witness
from tests.scenarios.scenario_world import APPROVER, World


def rows(world: World, sql: str) -> list[dict[str, Any]]:
    return world.rows(sql)


def checkpoint_lines(world: World) -> list[str]:
    return [line for line in world.history_lines() if "Audit checkpoint" in line]


def witness_in(line: str) -> str:
    found = re.search(r"--witness (\d+:\d+:[0-9a-f]{64})", line)
    assert found, line
    return found.group(1)


def test_the_worker_posts_a_checkpoint_a_day_to_the_history_channel(world: World) -> None:
    bought = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    world.click(APPROVER, world.approval_message(bought), "Approve")
    world.drain()
    head = rows(world, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")[0]

    world.bot.workers.maintain()  # no checkpoint yet: one is due at once
    world.drain()

    [line] = checkpoint_lines(world)
    assert "*Audit checkpoint #1*" in line and f"head row {head['id']}" in line and head["hash"] in line
    assert f"{head['id']} rows" in line
    witness = parse_witness(witness_in(line))
    assert (witness.head_id, witness.row_count, witness.head_hash) == (head["id"], head["id"], head["hash"])
    assert world.bot.services.integrity.verify(witness=witness).ok
    assert not rows(world, "SELECT id FROM outbox WHERE kind = 'checkpoint' AND done_at IS NULL")  # delivered, not retried

    world.bot.workers.maintain()  # the next one is a day away
    world.ask_to_buy(world.sandbox.inventory_numbers("IN")[1])
    world.clock.advance(hours=23)
    world.bot.workers.maintain()
    world.drain()
    assert len(checkpoint_lines(world)) == 1

    world.clock.advance(hours=1)
    world.bot.workers.maintain()
    world.drain()
    assert len(checkpoint_lines(world)) == 2 and "*Audit checkpoint #2*" in checkpoint_lines(world)[1]


def test_a_checkpoint_taken_on_demand_is_posted_between_the_lines_of_the_rows_around_it(world: World) -> None:
    world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    made = world.bot.services.integrity.checkpoint()  # what `numbers-bot audit checkpoint` does
    assert made is not None
    world.ask_to_buy(world.sandbox.inventory_numbers("IN")[1])
    world.drain()

    lines = world.history_lines()
    assert len(lines) == 3 and "Audit checkpoint" in lines[1]  # after the row it covers, before the next
    assert witness_in(lines[1]) == f"{made.head_id}:{made.row_count}:{made.head_hash}"


def approved_purchase(world: World, index: int) -> None:
    """Rows in the log that bring no later rows of their own (an approved purchase does not expire)."""
    bought = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[index])
    world.click(APPROVER, world.approval_message(bought), "Approve")


def pass_a_day(world: World) -> None:
    world.clock.advance(days=1)
    world.bot.workers.maintain()  # what the maintenance loop does at start-up and every minute
    world.drain()


def test_a_fresh_start_posts_no_checkpoint_and_a_quiet_day_posts_none(world: World) -> None:
    world.bot.workers.maintain()  # the start-up pass, on a fresh database
    world.drain()
    assert checkpoint_lines(world) == [] and rows(world, "SELECT id FROM checkpoints") == []
    assert world.history_lines() == []

    approved_purchase(world, 2)
    pass_a_day(world)
    assert len(checkpoint_lines(world)) == 1 and "*Audit checkpoint #1*" in checkpoint_lines(world)[0]

    pass_a_day(world)  # nothing happened: nothing new to pin
    assert len(checkpoint_lines(world)) == 1 and len(rows(world, "SELECT id FROM checkpoints")) == 1

    approved_purchase(world, 3)
    pass_a_day(world)
    assert len(checkpoint_lines(world)) == 2 and "*Audit checkpoint #2*" in checkpoint_lines(world)[1]
    head = rows(world, "SELECT id FROM audit ORDER BY id DESC LIMIT 1")[0]
    assert f"head row {head['id']}" in checkpoint_lines(world)[1]
