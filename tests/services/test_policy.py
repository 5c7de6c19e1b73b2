"""Who may decide what: the pure rules, and group membership resolved through the Directory port."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.config import Settings
from bot.services.policy import GROUP_STALE_LIMIT, Policy, Roles, cancel_refusal, decision_refusal, undo_refusal
from bot.services.records import Kind
from tests.services.fakes import FakeClock, FakeDirectory

APPROVER = Roles(is_approver=True)
ADMIN = Roles(is_admin=True)
NOBODY = Roles()


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("roles", [APPROVER, ADMIN, Roles(is_approver=True, is_admin=True)])
def test_nobody_decides_their_own_request_whatever_their_role(kind: Kind, roles: Roles) -> None:
    refusal = decision_refusal(kind, "U1", "U1", roles)
    assert refusal is not None and "yourself" in refusal


@pytest.mark.parametrize("kind", [Kind.PURCHASE, Kind.RELEASE])
def test_approvers_and_admins_decide_ordinary_requests(kind: Kind) -> None:
    assert decision_refusal(kind, "U1", "U2", APPROVER) is None
    assert decision_refusal(kind, "U1", "U2", ADMIN) is None
    refusal = decision_refusal(kind, "U1", "U2", NOBODY)
    assert refusal is not None and "APPROVERS" in refusal


@pytest.mark.parametrize("kind", [Kind.RELEASE_NOW, Kind.FORCE_UNASSIGN])
def test_force_operations_need_an_admin(kind: Kind) -> None:
    refusal = decision_refusal(kind, "U1", "U2", APPROVER)
    assert refusal is not None and "admin" in refusal
    assert decision_refusal(kind, "U1", "U2", ADMIN) is None


def test_only_the_requester_cancels() -> None:
    assert cancel_refusal("U1", "U1") is None
    assert cancel_refusal("U1", "U2") is not None


def test_requester_approver_or_admin_may_undo_a_release() -> None:
    assert undo_refusal("U1", "U1", NOBODY) is None
    assert undo_refusal("U1", "U2", APPROVER) is None
    assert undo_refusal("U1", "U2", ADMIN) is None
    assert undo_refusal("U1", "U2", NOBODY) is not None


def make_policy(directory: FakeDirectory, clock: FakeClock) -> Policy:
    settings = Settings(
        slack_bot_token="xoxb-x",
        slack_signing_secret="y",
        vobiz_auth_id="MA_TEST",
        vobiz_auth_token="t",
        approval_channel="C0APPROVALS",
        history_channel="C0HISTORY",
        approvers="UAPPROVE1,SAPPROVERS",
        admins="SADMINS",
    )
    return Policy(settings, directory, clock)


def test_user_groups_are_resolved_and_cached_for_a_minute() -> None:
    directory = FakeDirectory({"SAPPROVERS": {"UGROUP1"}, "SADMINS": {"UBOSS"}})
    clock = FakeClock(datetime(2026, 9, 1, 9, tzinfo=timezone.utc))
    policy = make_policy(directory, clock)

    assert policy.roles_of("UGROUP1") == Roles(is_approver=True)
    assert policy.roles_of("UBOSS").is_admin
    assert policy.is_approver("UBOSS")  # admins may decide ordinary requests
    assert policy.roles_of("UAPPROVE1") == Roles(is_approver=True)
    lookups = len(directory.lookups)

    directory.groups["SAPPROVERS"] = {"UGROUP2"}  # membership changes in Slack
    clock.advance(seconds=59)
    assert policy.is_approver("UGROUP1") and not policy.is_approver("UGROUP2")
    assert len(directory.lookups) == lookups  # served from the cache
    clock.advance(seconds=2)
    assert policy.is_approver("UGROUP2") and not policy.is_approver("UGROUP1")


def test_a_failing_directory_lets_nobody_in_through_the_group_and_says_so() -> None:
    directory = FakeDirectory({"SAPPROVERS": {"UGROUP1"}})
    directory.failing = True
    clock = FakeClock(datetime(2026, 9, 1, 9, tzinfo=timezone.utc))
    policy = make_policy(directory, clock)

    roles = policy.roles_of("UGROUP1")
    assert not roles.is_approver and roles.unresolved_groups == ("SADMINS", "SAPPROVERS")
    assert decision_refusal(Kind.PURCHASE, "U1", "UGROUP1", roles) == (
        "I could not confirm you are an approver: Slack did not answer who is in SADMINS or SAPPROVERS. "
        "Nothing was changed; try again in a minute."
    )
    assert decision_refusal(Kind.RELEASE_NOW, "U1", "UGROUP1", roles) == (
        "I could not confirm you are an admin: Slack did not answer who is in SADMINS. "
        "Nothing was changed; try again in a minute."
    )
    undo = undo_refusal("U1", "UGROUP1", roles)
    assert undo is not None and undo.startswith("I could not confirm you are an approver")
    # users listed by id are unaffected
    assert policy.is_approver("UAPPROVE1")


def test_an_unreadable_admins_group_does_not_stop_an_approver_deciding_an_ordinary_request() -> None:
    directory = FakeDirectory({"SAPPROVERS": {"UGROUP1"}})
    directory.failing = True
    policy = make_policy(directory, FakeClock(datetime(2026, 9, 1, 9, tzinfo=timezone.utc)))
    roles = policy.roles_of("UAPPROVE1")
    assert decision_refusal(Kind.PURCHASE, "U1", "UAPPROVE1", roles) is None
    force = decision_refusal(Kind.RELEASE_NOW, "U1", "UAPPROVE1", roles)
    assert force is not None and force.startswith("I could not confirm you are an admin")


def test_a_stale_membership_stands_in_for_a_failing_directory_only_within_the_limit() -> None:
    directory = FakeDirectory({"SAPPROVERS": {"UGROUP1"}})
    clock = FakeClock(datetime(2026, 9, 1, 9, tzinfo=timezone.utc))
    policy = make_policy(directory, clock)
    assert policy.is_approver("UGROUP1")
    directory.failing = True
    clock.advance(seconds=GROUP_STALE_LIMIT.total_seconds() - 1)
    assert policy.is_approver("UGROUP1")
    clock.advance(seconds=1)
    roles = policy.roles_of("UGROUP1")
    assert not roles.is_approver and "SAPPROVERS" in roles.unresolved_groups
    directory.failing = False  # Slack answers again
    assert policy.is_approver("UGROUP1")
