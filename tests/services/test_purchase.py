"""Buying a number: request with a quote, decide, one purchase call, honest outcomes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.records import Kind, Quote, Status
from tests.services.world import APPROVER, GROUP_MEMBER, OUTSIDER, REQUESTER, SECOND_APPROVER, World


def test_approved_purchase_buys_the_number_and_debits_the_balance(world: World, in_number: str) -> None:
    fees = world.sandbox.describe(in_number)
    balance_before = world.sandbox.balance

    request = world.services.approvals.request_purchase(REQUESTER, in_number, "  line for the Pune support desk ")
    assert request.status is Status.PENDING and request.kind is Kind.PURCHASE
    assert request.quote == Quote(Decimal(fees["setup_fee"]), Decimal(fees["monthly_fee"]), "INR")
    assert request.reason == "line for the Pune support desk"
    assert request.created_at == world.clock() and (request.expires_at - request.created_at).total_seconds() == 24 * 3600

    done = world.services.approvals.approve(request.id, APPROVER)

    assert done.status is Status.SUCCEEDED
    assert done.decided_by == APPROVER and done.finished_at is not None
    assert "Bought" in (done.outcome_detail or "")
    state = world.sandbox.describe(in_number)
    assert state["where"] == "owned" and state["owner"] == world.sandbox.auth_id
    assert world.sandbox.balance == balance_before - Decimal(fees["setup_fee"]) - Decimal(fees["monthly_fee"])
    assert len(world.calls("purchase")) == 1
    assert [(r["event"], r["outcome"]) for r in world.audit_rows(request.id)] == [
        ("requested", "pending"),
        ("approved", "executing"),
        ("executed", "succeeded"),
    ]
    assert world.services.approvals.get(request.id) == done


def test_request_ids_are_short_uppercase_crockford(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "why not")
    assert len(request.id) == 7 and request.id.startswith("R") and request.id == request.id.upper()
    assert world.services.approvals.get(request.id.lower()).id == request.id


def test_a_number_not_in_inventory_creates_no_request(world: World) -> None:
    owned = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    with pytest.raises(NotFound, match="not in Vobiz's inventory"):
        world.services.approvals.request_purchase(REQUESTER, owned, "mine already")
    with pytest.raises(InvalidInput, match="E.164"):
        world.services.approvals.request_purchase(REQUESTER, "12ab", "typo")
    with pytest.raises(InvalidInput, match="reason"):
        world.services.approvals.request_purchase(REQUESTER, world.sandbox.inventory_numbers("IN")[0], "   ")
    assert world.audit_rows() == [] and world.outbox_rows() == []


def test_a_second_open_request_for_the_same_number_is_refused(world: World, in_number: str) -> None:
    first = world.services.approvals.request_purchase(REQUESTER, in_number, "first")
    with pytest.raises(Conflict, match=first.id):
        world.services.approvals.request_purchase(SECOND_APPROVER, in_number, "second")


def test_denied_with_a_reason_buys_nothing_and_tells_the_requester(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "vanity number")
    with pytest.raises(InvalidInput, match="reason"):
        world.services.approvals.deny(request.id, APPROVER, " ")

    denied = world.services.approvals.deny(request.id, APPROVER, "we have spare numbers in Pune")

    assert denied.status is Status.DENIED
    assert denied.decided_by == APPROVER and denied.decision_reason == "we have spare numbers in Pune"
    assert world.calls("purchase") == []
    assert world.outbox_rows("requester_notice", request.id) != []
    denial = world.audit_rows(request.id)[-1]
    assert (denial["event"], denial["reason"], denial["actor_id"]) == ("denied", "we have spare numbers in Pune", APPROVER.user_id)
    with pytest.raises(Conflict, match="Arun Approver already denied this"):
        world.services.approvals.approve(request.id, SECOND_APPROVER)


def test_the_requester_cannot_approve_their_own_request_even_as_an_approver(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(APPROVER, in_number, "for my team")
    with pytest.raises(NotAllowed, match="yourself"):
        world.services.approvals.approve(request.id, APPROVER)
    with pytest.raises(NotAllowed, match="yourself"):
        world.services.approvals.deny(request.id, APPROVER, "changed my mind")
    assert world.services.approvals.get(request.id).status is Status.PENDING
    assert world.calls("purchase") == []
    refused = [r for r in world.audit_rows(request.id) if r["event"] == "refused"]
    assert len(refused) == 2 and refused[0]["actor_id"] == APPROVER.user_id


def test_a_non_approver_is_refused_audited_and_nothing_changes(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for sales")
    messages_before = len(world.outbox_rows("approval_message", request.id))

    with pytest.raises(NotAllowed, match="APPROVERS") as refused:
        world.services.approvals.approve(request.id, OUTSIDER)

    assert refused.value.user_message.startswith("Only approvers")
    assert world.services.approvals.get(request.id).status is Status.PENDING
    assert world.calls("purchase") == []
    last = world.audit_rows(request.id)[-1]
    assert (last["event"], last["outcome"], last["actor_id"]) == ("refused", "refused", OUTSIDER.user_id)
    assert "tried to approve" in last["detail"]
    assert len(world.outbox_rows("history", last["id"])) == 1
    assert len(world.outbox_rows("approval_message", request.id)) == messages_before


def test_a_member_of_an_approver_user_group_may_approve(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for support")
    done = world.services.approvals.approve(request.id, GROUP_MEMBER)
    assert done.status is Status.SUCCEEDED and done.decided_by == GROUP_MEMBER
    assert "SAPPROVERS" in world.directory.lookups


def test_the_requester_can_cancel_but_nobody_else(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "maybe")
    with pytest.raises(NotAllowed, match="Only the person who asked"):
        world.services.approvals.cancel(request.id, APPROVER)
    cancelled = world.services.approvals.cancel(request.id, REQUESTER)
    assert cancelled.status is Status.CANCELLED
    with pytest.raises(Conflict, match="cancelled"):
        world.services.approvals.approve(request.id, APPROVER)
    assert world.calls("purchase") == []


def test_unknown_and_malformed_request_ids(world: World) -> None:
    with pytest.raises(NotFound, match="no request R000000"):
        world.services.approvals.approve("r00000o", APPROVER)
    with pytest.raises(InvalidInput, match="request id"):
        world.services.approvals.approve("<script>", APPROVER)


def test_number_gone_before_approval_fails_without_a_purchase_call(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")
    world.sandbox.sell_elsewhere(in_number)

    failed = world.services.approvals.approve(request.id, APPROVER)

    assert failed.status is Status.FAILED
    assert "no longer available" in (failed.outcome_detail or "")
    assert world.calls("purchase") == []


def test_price_change_fails_with_the_new_quote_and_no_purchase_call(world: World, in_number: str) -> None:
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")
    balance = world.sandbox.balance
    world.sandbox.set_fees(in_number, 999, 1999)

    failed = world.services.approvals.approve(request.id, APPROVER)

    assert failed.status is Status.FAILED
    assert failed.new_quote == Quote(Decimal(999), Decimal(1999), "INR")
    assert "setup 999 INR + monthly 1999 INR" in (failed.outcome_detail or "")
    assert world.calls("purchase") == [] and world.sandbox.balance == balance


@pytest.mark.parametrize("status", [500, 402])
def test_a_failed_debit_fails_honestly_and_charges_nothing(world: World, in_number: str, status: int) -> None:
    world.sandbox.configure(insufficient_balance_status=status)
    world.sandbox.set_balance(10)
    request = world.services.approvals.request_purchase(REQUESTER, in_number, "for ops")

    failed = world.services.approvals.approve(request.id, APPROVER)

    assert failed.status is Status.FAILED
    assert "the debit failed (insufficient balance?); nothing was charged" in (failed.outcome_detail or "")
    assert (failed.vobiz_error or "").startswith("PurchaseDebitFailed")
    assert world.sandbox.balance == Decimal(10)
    assert world.sandbox.describe(in_number)["where"] == "inventory"
    assert len(world.calls("purchase")) == 1
