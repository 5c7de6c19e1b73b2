"""An AUDITORS user group Slack will not tell us about lets nobody in past the short window: its members
see only their own rows, as anyone else does, until Slack answers again (the approvers' rule, finding F5)."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Settings
from bot.services import policy
from bot.services.audit_query import AuditFilter, AuditQueries, Visibility
from bot.services.policy import GroupMembers, Policy
from bot.store import Store
from tests.audit.audit_helpers import BOB, CAROL, NOW, write_varied_events
from tests.services.fakes import FakeClock, FakeDirectory

AUDITOR_GROUP = "SAUDITORS"


def settings() -> Settings:
    return Settings(
        slack_bot_token="xoxb-not-secret",  # type: ignore[arg-type]
        slack_signing_secret="not-secret",  # type: ignore[arg-type]
        vobiz_auth_id="MA_TEST",
        vobiz_auth_token="not-secret",  # type: ignore[arg-type]
        approvers=(CAROL.user_id,),
        approval_channel="C0APPROVALS",
        history_channel="C0HISTORY",
    )


def test_a_group_auditor_sees_only_their_own_rows_once_the_group_cannot_be_read(store: Store) -> None:
    write_varied_events(store, 6)  # Alice and Bob by turns
    clock = FakeClock(NOW + timedelta(hours=1))
    directory = FakeDirectory({AUDITOR_GROUP: {BOB.user_id}})
    visibility = Visibility(
        policy=Policy(settings(), directory, clock), auditors=(AUDITOR_GROUP,), groups=GroupMembers(directory, clock)
    )
    queries = AuditQueries(store=store, visibility=visibility, clock=clock)

    def seen_by_bob() -> set[str]:
        return {e.actor.user_id for e in queries.search(AuditFilter(), viewer=BOB.user_id).entries}

    assert seen_by_bob() == {"UALICE001", BOB.user_id}  # an auditor through the group
    directory.groups[AUDITOR_GROUP] = set()  # removed in Slack, and Slack stops answering
    directory.failing = True
    clock.advance(seconds=policy.GROUP_STALE_LIMIT.total_seconds() + 1)

    assert seen_by_bob() == {BOB.user_id}
    assert not queries.may_see_all(BOB.user_id)
