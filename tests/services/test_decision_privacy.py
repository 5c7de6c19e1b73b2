"""Permission before detail (issue 10, F9): someone who may not decide a request learns nothing about how,
by whom or why it was decided; they get the refusal, audited, as for a pending request."""

from __future__ import annotations

import pytest

from bot.services.errors import Conflict, NotAllowed
from tests.services.world import APPROVER, OUTSIDER, REQUESTER, SECOND_APPROVER, World

PRIVATE_REASON = "vendor dispute, keep quiet"


def denied_request(world: World, in_number: str) -> str:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for the support line")
    world.services.approvals.deny(request.id, APPROVER, PRIVATE_REASON)
    return request.id


@pytest.mark.parametrize("verb", ["approve", "deny", "check"])
def test_an_outsider_is_refused_without_hearing_how_it_was_decided(world: World, in_number: str, verb: str) -> None:
    request_id = denied_request(world, in_number)
    approvals = world.services.approvals
    decide = {
        "approve": lambda: approvals.approve(request_id, OUTSIDER),
        "deny": lambda: approvals.deny(request_id, OUTSIDER, "no"),
        "check": lambda: approvals.check_may_decide(request_id, OUTSIDER),
    }[verb]

    with pytest.raises(NotAllowed) as refused:
        decide()

    said = refused.value.user_message
    assert PRIVATE_REASON not in said and APPROVER.name not in said and "denied" not in said
    assert world.audit_rows(request_id)[-1]["event"] == "refused"


def test_someone_else_cannot_learn_the_outcome_by_cancelling(world: World, in_number: str) -> None:
    request_id = denied_request(world, in_number)

    with pytest.raises(NotAllowed) as refused:
        world.services.approvals.cancel(request_id, OUTSIDER)

    assert PRIVATE_REASON not in refused.value.user_message


def test_an_approver_still_hears_who_got_there_first(world: World, in_number: str) -> None:
    request_id = denied_request(world, in_number)

    with pytest.raises(Conflict, match=PRIVATE_REASON):
        world.services.approvals.approve(request_id, SECOND_APPROVER)
