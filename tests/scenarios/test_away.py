"""`/numbers away until YYYY-MM-DD` and `/numbers back` through the real app (issue 14), on both engines:
approvers who are away are left out of reminders; when everyone who may decide a request is away its approval
message says who and until when; `back` (or the period running out) undoes that. Both are audited; mistakes
get a clear answer and change nothing."""

from __future__ import annotations

from datetime import timedelta

from handlers import ids
from tests.handlers.slack_checks import assert_no_injected_markup
from tests.scenarios.scenario_world import ADMIN, APPROVER, APPROVER_GROUP, GROUPIE, OTHER, REQUESTER, World

APPROVER_PING, GROUP_PING, ADMIN_PING = f"<@{APPROVER}>", f"<!subteam^{APPROVER_GROUP}>", f"<@{ADMIN}>"
AWAY_NOTE = "Everyone who may decide this is away"


def tick(world: World, **delta: float) -> None:
    world.advance(**delta)
    world.bot.workers.maintain()
    world.drain()


def day(world: World, days: int) -> str:
    return (world.clock() + timedelta(days=days)).date().isoformat()


def away_rows(world: World) -> list[dict[str, object]]:
    return world.rows("SELECT event, actor_id, detail FROM audit WHERE action = 'away' ORDER BY id")


def test_approvers_away_are_left_out_and_the_message_says_so_when_nobody_is_left(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    until = day(world, 3)

    world.command(APPROVER, f"away until {until}")
    assert f"You are away through {until}" in world.reply_to(APPROVER, "You are away").as_text()
    world.drain()
    assert any("*away*" in line and APPROVER in line and until in line for line in world.history_lines())

    tick(world, minutes=61)
    [first] = [m.as_text() for m in world.thread(request_id)]
    assert GROUP_PING in first and APPROVER_PING not in first  # the away approver is left out
    assert AWAY_NOTE not in world.approval_message(request_id).as_text()  # the group and the admin remain

    world.command(GROUPIE, f"away until {day(world, 1)}")
    world.command(ADMIN, f"away until {day(world, 2)}")
    world.drain()
    message = world.approval_message(request_id).as_text()
    assert AWAY_NOTE in message  # re-drawn: nobody who may decide is present
    assert f"arjun (`{APPROVER}`) until {until}" in message and f"`{ADMIN}`" in message and f"`{GROUPIE}`" in message
    assert [b.action_id for b in world.approval_message(request_id).buttons()] == [ids.APPROVE, ids.DENY]

    tick(world, minutes=60)
    second = world.thread(request_id)[1].as_text()
    assert "Everyone who may decide it is away" in second and "<@" not in second and "<!subteam" not in second

    world.command(APPROVER, "back")
    assert "Welcome back" in world.reply_to(APPROVER, "Welcome back").as_text()
    world.drain()
    assert AWAY_NOTE not in world.approval_message(request_id).as_text()
    tick(world, minutes=60)
    third = world.thread(request_id)[2].as_text()
    assert APPROVER_PING in third and GROUP_PING not in third
    assert [row["event"] for row in away_rows(world)] == ["away", "away", "away", "back"]
    for payload in world.slack_bound():
        assert_no_injected_markup(payload)


def test_an_away_period_ends_after_its_last_day_by_itself(world: World) -> None:
    request_id = world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    today = day(world, 0)
    for person in (APPROVER, GROUPIE, ADMIN):
        world.command(person, f"away until {today}")  # today counts: away for the rest of it
    world.drain()
    assert AWAY_NOTE in world.approval_message(request_id).as_text()

    midnight = (world.clock() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    tick(world, seconds=(midnight - world.clock()).total_seconds() + 5)
    assert AWAY_NOTE not in world.approval_message(request_id).as_text()


def test_away_mistakes_get_a_clear_answer_and_change_nothing(world: World) -> None:
    world.command(APPROVER, f"away until {day(world, -1)}")
    assert "is in the past" in world.reply_to(APPROVER, "is in the past").as_text()
    world.command(APPROVER, "away until next tuesday")
    assert "away until YYYY-MM-DD" in world.reply_to(APPROVER, "YYYY-MM-DD").as_text()
    world.command(APPROVER, "away until 2026-02-30")
    assert "not a day of the calendar" in world.reply_to(APPROVER, "calendar").as_text()
    world.command(APPROVER, f"away until {day(world, 800)}")
    assert "more than 365 days ahead" in world.reply_to(APPROVER, "365 days").as_text()
    world.command(OTHER, f"away until {day(world, 2)}")
    assert "Only approvers" in world.reply_to(OTHER, "Only approvers").as_text()
    world.command(REQUESTER, "back")
    world.command(APPROVER, "back")
    assert "not marked away" in world.reply_to(APPROVER, "not marked away").as_text()
    world.drain()
    assert away_rows(world) == []
    assert world.rows("SELECT * FROM approvers_away") == []
    for user in (APPROVER, OTHER):
        for reply in world.slack.ephemerals(user):
            assert "Traceback" not in reply.as_text()
