"""A user group whose members Slack will not tell us is no yes: past a short bounded window the last
membership read does not stand in for it, so a decision through that group is refused, audited and buys
nothing (finding F5: someone removed from the group hours earlier still approved a purchase)."""

from __future__ import annotations

import logging

import pytest

from bot.services.errors import NotAllowed
from bot.services import policy
from bot.services.records import Actor, Status
from tests.services.world import ADMIN, APPROVER_GROUP, GROUP_MEMBER, REQUESTER, World

REFUSAL = (
    f"I could not confirm you are an approver: Slack did not answer who is in {APPROVER_GROUP}. "
    "Nothing was changed; try again in a minute."
)


def test_a_removed_group_approver_is_refused_once_slack_stops_answering_and_nothing_is_bought(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    first_number, second_number = world.sandbox.inventory_numbers("IN")[:2]
    first = world.services.approvals.request_purchase(REQUESTER, first_number, "the Pune desk")
    assert world.services.approvals.approve(first.id, GROUP_MEMBER).status is Status.SUCCEEDED
    second = world.services.approvals.request_purchase(REQUESTER, second_number, "the Delhi desk")

    world.directory.groups[APPROVER_GROUP] = set()  # removed from the group in Slack ...
    world.directory.failing = True  # ... and Slack stops answering who is in it
    world.advance(seconds=5 * 3600)  # the finding: five hours later

    with caplog.at_level(logging.WARNING, logger="bot.services.policy"):
        with pytest.raises(NotAllowed) as refused:
            world.services.approvals.approve(second.id, GROUP_MEMBER)

    assert refused.value.user_message == REFUSAL
    assert world.services.approvals.get(second.id).status is Status.PENDING
    assert len(world.calls("purchase")) == 1  # only the first, approved while the membership was known
    refusal_row = world.audit_rows(second.id)[-1]
    assert (refusal_row["event"], refusal_row["outcome"], refusal_row["actor_id"]) == ("refused", "refused", GROUP_MEMBER.user_id)
    assert REFUSAL in refusal_row["detail"]
    logged = [r.getMessage() for r in caplog.records]
    assert any(APPROVER_GROUP in line and "ConnectionError" in line for line in logged), logged
    assert not any(world.settings.slack_bot_token.get_secret_value() in line for line in logged)


def test_a_stale_membership_stands_in_only_within_the_window(world: World) -> None:
    numbers = world.sandbox.inventory_numbers("IN")[:2]
    early, late = (world.services.approvals.request_purchase(REQUESTER, n, "a line") for n in numbers)
    world.services.approvals.check_may_decide(early.id, GROUP_MEMBER, verb="approve")  # membership read now
    world.directory.failing = True

    world.advance(seconds=policy.GROUP_STALE_LIMIT.total_seconds() - 1)  # a brief Slack outage: still trusted
    assert world.services.approvals.approve(early.id, GROUP_MEMBER).status is Status.SUCCEEDED

    world.advance(seconds=2)  # past the window: the old answer is no answer
    with pytest.raises(NotAllowed, match="I could not confirm you are an approver"):
        world.services.approvals.approve(late.id, GROUP_MEMBER)
    assert world.services.approvals.get(late.id).status is Status.PENDING

    world.directory.failing = False  # Slack answers again: the member decides as before
    assert world.services.approvals.approve(late.id, GROUP_MEMBER).status is Status.SUCCEEDED


def test_an_admin_through_an_unreadable_admins_group_cannot_decide_a_force_operation(world: World) -> None:
    boss = Actor("UBOSS0001", "Bo Boss")
    world.directory.groups["SADMINS"] = {boss.user_id}
    world.rebuild(admins=(ADMIN.user_id, "SADMINS"))
    number = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    first = world.services.approvals.request_release(REQUESTER, number, "no longer needed", immediate=True)
    world.services.approvals.check_may_decide(first.id, boss, verb="approve")  # an admin while Slack answers

    world.directory.failing = True
    world.advance(seconds=policy.GROUP_STALE_LIMIT.total_seconds() + 1)
    with pytest.raises(NotAllowed) as refused:
        world.services.approvals.approve(first.id, boss)

    assert refused.value.user_message == (
        "I could not confirm you are an admin: Slack did not answer who is in SADMINS. "
        "Nothing was changed; try again in a minute."
    )
    assert world.services.approvals.get(first.id).status is Status.PENDING
    assert world.calls("release") == []
