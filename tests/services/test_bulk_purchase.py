"""Bulk purchases in the services, on both engines: cheapest first, one request, one decision, exactly one
purchase call per listed number, gone or re-priced numbers skipped (never replaced), one audit row per
number, and a crash or a lost answer settled number by number without buying anything twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.models import PhoneNumber
from bot.services.bulk import pick
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.inventory_search import Cursor, SearchResult
from bot.services.number_filters import parse_filters
from bot.services.records import ItemStatus, Kind, Status
from tests.services.world import APPROVER, REQUESTER, SECOND_APPROVER, World

KARNATAKA = parse_filters("IN region:karnataka")


def karnataka_by_price(world: World) -> list[dict]:
    found = [n for n in world.sandbox.snapshot()["numbers"] if n["where"] == "inventory" and n["region"] == "Karnataka"]
    return sorted(found, key=lambda n: (n["monthly_fee"], n["setup_fee"], n["e164"]))


def test_one_request_quotes_the_cheapest_matches_and_approval_buys_each_once(world: World) -> None:
    cheapest = karnataka_by_price(world)[:3]
    request = world.services.approvals.request_bulk_purchase(REQUESTER, 3, KARNATAKA, "new support team")
    assert request.kind is Kind.PURCHASE and request.status is Status.PENDING and request.purchase_count == 3
    assert [i.e164 for i in request.items] == [n["e164"] for n in cheapest]
    setup = sum(Decimal(n["setup_fee"]) for n in cheapest)
    monthly = sum(Decimal(n["monthly_fee"]) for n in cheapest)
    assert request.totals() == {"INR": (setup, monthly)}
    assert [r["event"] for r in world.audit_rows(request.id)] == ["requested"]

    done = world.services.approvals.approve(request.id, APPROVER)

    assert done.status is Status.SUCCEEDED and [i.status for i in done.items] == [ItemStatus.BOUGHT] * 3
    assert sorted(c["path"] for c in world.calls("purchase")) == sorted(
        f"/api/v1/Account/{world.sandbox.auth_id}/numbers/purchase-from-inventory" for _ in cheapest
    )
    assert all(world.sandbox.describe(n["e164"])["where"] == "owned" for n in cheapest)
    rows = world.audit_rows(request.id)
    per_number = [r for r in rows if r["event"] == "executed"]
    assert sorted(r["e164"] for r in per_number) == sorted(n["e164"] for n in cheapest)
    assert {r["outcome"] for r in per_number} == {"succeeded"} and rows[-1]["event"] == "finished"
    history_refs = {int(r["ref"]) for r in world.outbox_rows("history")}
    assert {r["id"] for r in per_number} <= history_refs  # one history line per number


def test_a_number_gone_or_re_priced_is_skipped_and_never_replaced(world: World) -> None:
    request = world.services.approvals.request_bulk_purchase(REQUESTER, 4, KARNATAKA, "new support team")
    gone, repriced, *rest = [i.e164 for i in request.items]
    world.sandbox.sell_elsewhere(gone)
    world.sandbox.set_fees(repriced, 999, 999)
    done = world.services.approvals.approve(request.id, APPROVER)
    statuses = {i.e164: i.status for i in done.items}
    assert statuses[gone] is ItemStatus.SKIPPED and statuses[repriced] is ItemStatus.SKIPPED
    assert all(statuses[e] is ItemStatus.BOUGHT for e in rest)
    assert len(world.calls("purchase")) == 2  # no purchase call for either skipped number, and no substitute
    assert "re-priced" in next(i.detail for i in done.items if i.e164 == repriced)
    assert done.status is Status.SUCCEEDED and "Bought 2 of 4" in (done.outcome_detail or "")
    assert world.sandbox.describe(repriced)["where"] == "inventory"


def test_fewer_matches_than_asked_is_said_before_anything_is_filed(world: World) -> None:
    with pytest.raises(NotFound, match="Only 0 numbers match .* you asked for 2"):
        world.services.approvals.request_bulk_purchase(REQUESTER, 2, parse_filters("IN max-monthly:10"), "cheap lines")
    with pytest.raises(InvalidInput, match="2 to 20"):
        world.services.approvals.request_bulk_purchase(REQUESTER, 21, KARNATAKA, "too many")
    assert world.audit_rows() == []


def test_numbers_held_by_an_open_request_are_not_picked_again(world: World) -> None:
    first = world.services.approvals.request_bulk_purchase(REQUESTER, 2, KARNATAKA, "team one")
    second = world.services.approvals.request_bulk_purchase(REQUESTER, 2, KARNATAKA, "team two")
    assert not {i.e164 for i in first.items} & {i.e164 for i in second.items}
    with pytest.raises(Conflict, match="open bulk purchase"):
        world.services.approvals.request_purchase(REQUESTER, first.items[1].e164, "just this one")
    world.services.approvals.deny(first.id, APPROVER, "not now")
    assert world.services.approvals.request_purchase(REQUESTER, first.items[1].e164, "just this one")


def test_a_lost_answer_is_settled_per_number_and_nothing_is_bought_twice(world: World) -> None:
    request = world.services.approvals.request_bulk_purchase(REQUESTER, 3, KARNATAKA, "new support team")
    world.sandbox.inject("purchase", "drop_after")  # the first purchase happens, its answer is lost
    after = world.services.approvals.approve(request.id, APPROVER)
    first = after.items[0]
    assert first.status is ItemStatus.BOUGHT  # settled at once by re-reading: it is the account's
    assert [i.status for i in after.items[1:]] == [ItemStatus.BOUGHT, ItemStatus.BOUGHT]
    assert after.status is Status.SUCCEEDED
    assert len(world.calls("purchase")) == 3
    world.services.approvals.settle_unknown()
    assert len(world.calls("purchase")) == 3


def test_quorum_applies_to_a_bulk_purchase_as_to_any_purchase(world: World) -> None:
    world.rebuild(approvals_required="purchase:2")
    request = world.services.approvals.request_bulk_purchase(REQUESTER, 2, KARNATAKA, "two approvers")
    assert request.approvals_required == 2
    assert world.services.approvals.approve(request.id, APPROVER).status is Status.PENDING
    assert world.calls("purchase") == []
    done = world.services.approvals.approve(request.id, SECOND_APPROVER)
    assert done.status is Status.SUCCEEDED and len(world.calls("purchase")) == 2


def test_the_allowance_counts_every_number_and_the_monthly_total(world: World) -> None:
    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=2)
    too_many = world.services.approvals.request_bulk_purchase(REQUESTER, 3, KARNATAKA, "three is more than two")
    assert too_many.status is Status.PENDING and world.calls("purchase") == []
    world.services.approvals.cancel(too_many.id, REQUESTER)

    world.rebuild(auto_approve_monthly_fee="300 INR", auto_approve_per_person=5)
    dear = world.services.approvals.request_bulk_purchase(REQUESTER, 3, KARNATAKA, "each cheap, together dear")
    assert all(i.quote.monthly_fee <= 300 for i in dear.items) and dear.status is Status.PENDING
    world.services.approvals.cancel(dear.id, REQUESTER)

    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=5)
    picked = karnataka_by_price(world)[:3]
    world.sandbox.sell_elsewhere(picked[1]["e164"])  # gone before the bot looks: the search skips it
    auto = world.services.approvals.request_bulk_purchase(REQUESTER, 3, KARNATAKA, "covered")
    assert auto.by_allowance and auto.status is Status.SUCCEEDED and len(world.calls("purchase")) == 3
    assert auto.allowance_left == 2 and world.services.approvals.allowance_left(REQUESTER) == 2


def test_a_number_skipped_gives_its_share_of_the_allowance_back(world: World) -> None:
    world.rebuild(auto_approve_monthly_fee="100000 INR", auto_approve_per_person=5)
    world.sandbox.inject("purchase", "rate_limit")  # Vobiz refuses the first purchase: not bought
    done = world.services.approvals.request_bulk_purchase(REQUESTER, 3, KARNATAKA, "covered")
    assert done.by_allowance and done.status is Status.SUCCEEDED
    bought = sum(1 for i in done.items if i.status is ItemStatus.BOUGHT)
    assert bought == 2 and world.services.approvals.allowance_left(REQUESTER) == 5 - bought
    assert done.allowance_left == 5 - bought


def test_an_expired_bulk_request_names_none_of_its_numbers(world: World) -> None:
    """Review finding: the expiry job read the request without its numbers, so its audit row (and the first
    number's trail) named the first number as if it alone had expired."""
    request = world.services.approvals.request_bulk_purchase(REQUESTER, 3, KARNATAKA, "new support team")
    world.advance(25 * 3600)  # past APPROVAL_TTL_HOURS (24)
    [expired] = world.services.approvals.expire_due()
    assert expired.id == request.id and expired.status is Status.EXPIRED
    rows = world.audit_rows(request.id)
    assert [r["event"] for r in rows] == ["requested", "expired"]
    assert [r["e164"] for r in rows] == [None, None]
    assert world.calls("purchase") == []


def test_a_number_listed_twice_by_the_search_is_picked_once() -> None:
    """Review finding: pages read by offset show a number twice when the inventory moves between them; the
    request must not quote (and count against the allowance) one number twice."""
    def number(e164: str, monthly: str) -> PhoneNumber:
        return PhoneNumber.model_validate(
            {"e164": e164, "country": "IN", "setup_fee": "100", "monthly_fee": monthly, "currency": "INR"}
        )

    matches = [number("+918000000001", "50"), number("+918000000002", "60"), number("+918000000001", "50")]
    result = SearchResult(
        filter=KARNATAKA, matches=matches, start=Cursor(), looked_at=3, total=3, total_known=True, next=None
    )
    with pytest.raises(NotFound, match="Only 2 numbers match"):
        pick(result, 3, set())
    assert [item.e164 for item in pick(result, 2, set())] == ["+918000000001", "+918000000002"]
