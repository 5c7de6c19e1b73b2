"""Finding F11: someone with no rights could file 120 requests (120 approval messages) in a second. Through
the real app with really signed requests: a person gets RATE_LIMIT_PER_MINUTE (10) counted commands a
minute, the rest are answered "slow down" and the burst is audited once, while approvers' clicks are never
limited."""

from __future__ import annotations

import re
from pathlib import Path

from fakes.vobiz import SandboxServer
from bot.services.records import Status
from fakes.slack.webapi import FakeSlack
from handlers import ids
from tests.handlers.slack_checks import assert_no_injected_markup, assert_no_traceback
from tests.scenarios.scenario_world import APPROVALS, APPROVER, OTHER, World, build_world

SLOW_DOWN = "the most the bot takes from one person"
FILED = "waiting for an approver"


def _buy_twelve(world: World, user: str) -> None:
    for e164 in world.sandbox.inventory_numbers("IN")[:12]:
        world.command(user, f"buy {e164} A line for the new office")
    world.drain()


def _rate_limit_rows(world: World) -> list[dict[str, object]]:
    with world.bot.services.store.read() as db:
        return list(db.query("SELECT * FROM audit WHERE action = 'rate_limit' ORDER BY id"))


def test_twelve_buys_in_a_minute_file_ten_and_approvers_still_decide(world: World) -> None:
    # The approver is over the limit too (11 reads), which must not hold back their decisions.
    for _ in range(11):
        world.command(APPROVER, "list")
    world.reply_to(APPROVER, SLOW_DOWN)

    _buy_twelve(world, OTHER)

    approvals = world.slack.messages(APPROVALS)
    assert len(approvals) == 10
    assert len(world.replies(OTHER, FILED)) == 10
    refusals = world.replies(OTHER, SLOW_DOWN)
    assert len(refusals) == 2
    assert re.search(r"You have made 10 requests in the last minute, .*nothing was done\. "
                     r"Try again after \d\d:\d\d:\d\d UTC\.", refusals[0].text)
    assert len(world.requests_of(OTHER)) == 10

    # A submission that files a request is counted too: the purchase modal is refused while over the limit.
    world.command(OTHER, f"buy {world.sandbox.inventory_numbers('IN')[20]}")
    assert world.modal_of(OTHER).callback_id == ids.PURCHASE_REASON_VIEW
    world.submit(OTHER, {"reason": "One more"})
    world.reply_to(OTHER, SLOW_DOWN, after=2)
    assert len(world.requests_of(OTHER)) == 10

    [burst] = [row for row in _rate_limit_rows(world) if row["actor_id"] == OTHER]
    assert burst["event"] == "refused" and burst["outcome"] == "refused"

    for message in approvals:
        world.click(APPROVER, message, "Approve")
    world.idle()
    assert [r.status for r in world.requests_of(OTHER)] == [Status.SUCCEEDED] * 10
    assert len(world.sandbox.requests("purchase")) == 10
    assert len(world.replies(APPROVER, SLOW_DOWN)) == 1

    world.drain()
    assert sum("rate_limit" in line for line in world.history_lines()) == 2  # one line per burst: theirs, the approver's
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)
        assert_no_traceback(payload)


def test_with_the_limit_off_every_request_is_filed(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> None:
    world = build_world(slack, sandbox, tmp_path / "numbers-bot.db", database_url=database_url, rate_limit_per_minute=0)
    try:
        _buy_twelve(world, OTHER)
        assert len(world.slack.messages(APPROVALS)) == 12
        assert world.replies(OTHER, SLOW_DOWN) == []
        assert _rate_limit_rows(world) == []
    finally:
        world.bot.stop()
