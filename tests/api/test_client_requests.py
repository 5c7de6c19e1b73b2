"""What each operation puts on the wire (method, path casing, raw %2B encoding, query, headers, body)
and how it reads the answer."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest

from api import InvalidNumber, UnexpectedResponse, VobizClient
from client_helpers import (
    AUTH_ID,
    AUTH_TOKEN,
    json_reply,
    number_json,
    page_json,
    scripted_client,
)

NUMBER = "+918012345678"
EMPTY_PAGE = page_json([], page=1, per_page=25, total=0)


def test_every_request_carries_auth_accept_and_user_agent() -> None:
    client, script, _ = scripted_client(json_reply(200, EMPTY_PAGE))
    client.numbers.list_page()
    headers = script.last.headers
    assert headers["X-Auth-ID"] == AUTH_ID
    assert headers["X-Auth-Token"] == AUTH_TOKEN
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("numbers-bot/")
    assert "Content-Type" not in headers  # no body, no content type


def test_base_url_keeps_its_api_prefix_with_or_without_trailing_slash() -> None:
    for base in ("https://vobiz.test/api", "https://vobiz.test/api/"):
        client, script, _ = scripted_client(json_reply(200, EMPTY_PAGE), base_url=base)
        client.numbers.list_page()
        assert script.last.path == f"/api/v1/Account/{AUTH_ID}/numbers"


def test_list_page_sends_paging_and_encodes_a_leading_plus_in_search() -> None:
    body = page_json([number_json(NUMBER)], page=2, per_page=10, total=11)
    client, script, _ = scripted_client(json_reply(200, body))

    page = client.numbers.list_page(page=2, per_page=10, search="+9180")

    assert script.last.method == "GET"
    assert script.last.raw_path == f"/api/v1/Account/{AUTH_ID}/numbers?page=2&per_page=10&search=%2B9180"
    assert script.last.query["search"] == ["+9180"]
    assert [n.e164 for n in page.items] == [NUMBER]
    assert (page.page, page.per_page, page.total) == (2, 10, 11)
    assert page.items[0].monthly_fee == Decimal("300")
    assert page.items[0].updated_at == datetime(2026, 3, 25, 6, 58, 54, 752187, tzinfo=timezone.utc)


def test_list_page_rejects_a_page_below_one_without_a_request() -> None:
    client, script, _ = scripted_client(json_reply(200, EMPTY_PAGE))
    with pytest.raises(ValueError, match="page"):
        client.numbers.list_page(page=0)
    assert script.seen == []


def test_get_normalises_searches_exactly_and_ignores_longer_matches() -> None:
    longer = number_json(NUMBER + "9")
    exact = number_json(NUMBER, account_id="SA_CHILD")
    client, script, _ = scripted_client(json_reply(200, page_json([longer, exact], page=1, per_page=100, total=2)))

    found = client.numbers.get("+91 80-1234 5678")

    assert found is not None and found.e164 == NUMBER and found.owner == "SA_CHILD"
    assert script.last.query["search"] == [NUMBER]
    assert "search=%2B918012345678" in script.last.raw_path


def test_get_returns_none_when_only_other_numbers_match() -> None:
    client, _, _ = scripted_client(json_reply(200, page_json([number_json(NUMBER + "9")], page=1, per_page=100, total=1)))
    assert client.numbers.get(NUMBER) is None


def test_inventory_page_sends_country_search_and_comma_separated_exclude() -> None:
    item = number_json("+918065550000", account_id="", tags=None)
    client, script, _ = scripted_client(json_reply(200, page_json([item], page=1, per_page=25, total=1)))

    page = client.numbers.inventory_page(country="in", search="80", exclude=["+9180", "1415", "+9180"], page=1)

    seen = script.last
    assert seen.method == "GET"
    assert seen.path == f"/api/v1/Account/{AUTH_ID}/inventory/numbers"
    assert seen.query == {
        "country": ["IN"],
        "search": ["80"],
        "exclude": ["+9180,1415"],
        "page": ["1"],
        "per_page": ["25"],
    }
    assert "exclude=%2B9180%2C1415" in seen.raw_path
    assert page.items[0].owner is None  # an inventory number has no owner


def test_inventory_page_accepts_exclude_as_one_string() -> None:
    client, script, _ = scripted_client(json_reply(200, EMPTY_PAGE))
    client.numbers.inventory_page(exclude="9180, 1415")
    assert script.last.query["exclude"] == ["9180,1415"]


def test_find_in_inventory_returns_the_exact_entry_with_fees() -> None:
    entry = number_json(NUMBER, account_id="", setup_fee=150, monthly_fee=250)
    client, script, _ = scripted_client(json_reply(200, page_json([entry], page=1, per_page=100, total=1)))

    found = client.numbers.find_in_inventory("918012345678")

    assert found is not None and (found.setup_fee, found.monthly_fee) == (Decimal(150), Decimal(250))
    assert script.last.path.endswith("/inventory/numbers")
    assert script.last.query["search"] == [NUMBER]


def test_purchase_posts_the_literal_plus_in_json_to_the_capitalised_path() -> None:
    body = {"message": "Number purchased successfully", "number": number_json(NUMBER, source="inventory")}
    client, script, _ = scripted_client(json_reply(200, body))

    result = client.numbers.purchase("+91 8012 345678", currency="inr")

    seen = script.last
    assert (seen.method, seen.raw_path) == ("POST", f"/api/v1/Account/{AUTH_ID}/numbers/purchase-from-inventory")
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.json() == {"e164": NUMBER, "currency": "INR"}
    assert b'"+918012345678"' in seen.body
    assert result.number.e164 == NUMBER and result.number.source == "inventory"
    assert result.message == "Number purchased successfully"


def test_purchase_without_currency_sends_only_the_number() -> None:
    client, script, _ = scripted_client(json_reply(200, {"number": number_json(NUMBER)}))
    client.numbers.purchase(NUMBER)
    assert script.last.json() == {"e164": NUMBER}


def test_purchase_answered_2xx_without_a_number_still_reports_the_bought_number() -> None:
    client, _, _ = scripted_client(json_reply(200, {"message": "purchased from inventory"}))
    result = client.numbers.purchase(NUMBER)
    assert result.number.e164 == NUMBER
    assert result.message == "purchased from inventory"


def test_release_deletes_with_percent_encoded_plus_and_no_immediate_flag() -> None:
    body = {
        "cancel_url": f"/api/v1/account/{AUTH_ID}/numbers/{NUMBER}/cancel-release",
        "cooldown_ends_at": "2026-07-21T09:18:26.785758533Z",
        "message": "number release initiated",
        "note": "Number will be in pending_release for 24 hours (cancellable)",
        "release_fee": 700,
        "status": "pending_release",
    }
    client, script, _ = scripted_client(json_reply(200, body))

    result = client.numbers.release(NUMBER)

    assert (script.last.method, script.last.raw_path) == ("DELETE", f"/api/v1/Account/{AUTH_ID}/numbers/%2B918012345678")
    assert script.last.body == b""
    assert result.status == "pending_release" and result.cancellable
    assert result.release_fee == Decimal(700)
    assert result.cooldown_ends_at == datetime(2026, 7, 21, 9, 18, 26, 785758, tzinfo=timezone.utc)


def test_release_immediately_adds_immediate_true() -> None:
    client, script, _ = scripted_client(json_reply(200, {"status": "released", "message": "number released"}))
    result = client.numbers.release(NUMBER, immediate=True)
    assert script.last.raw_path == f"/api/v1/Account/{AUTH_ID}/numbers/%2B918012345678?immediate=true"
    assert result.status == "released" and not result.cancellable


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (httpx.Response(204), None),
        (json_reply(200, {"message": "number returned to inventory"}), "number returned to inventory"),
        (httpx.Response(200, content=b""), None),
    ],
    ids=["204-empty", "200-message-only", "200-empty"],
)
def test_release_reads_the_older_answers_as_released(reply: httpx.Response, message: str | None) -> None:
    client, _, _ = scripted_client(reply)
    result = client.numbers.release(NUMBER)
    assert result.status == "released" and not result.cancellable
    assert result.message == message


def test_release_with_an_unreadable_body_says_so() -> None:
    client, _, _ = scripted_client(httpx.Response(200, content=b"<html>ok</html>"))
    with pytest.raises(UnexpectedResponse) as caught:
        client.numbers.release(NUMBER)
    assert caught.value.status_code == 200


def test_cancel_release_posts_to_the_lowercase_path() -> None:
    body = {"message": "release cancelled", "status": "active", "currency": "INR", "refund_amount": 700}
    client, script, _ = scripted_client(json_reply(200, body))

    result = client.numbers.cancel_release(NUMBER)

    seen = script.last
    assert (seen.method, seen.raw_path) == ("POST", f"/api/v1/account/{AUTH_ID}/numbers/%2B918012345678/cancel-release")
    assert seen.body == b""
    assert result.status == "active" and result.refund_amount == Decimal(700) and result.refunded


def test_cancel_release_reports_a_failed_refund() -> None:
    body = {"message": "release cancelled", "status": "active", "refund_status": "failed", "refund_error": "contact support"}
    client, _, _ = scripted_client(json_reply(200, body))
    result = client.numbers.cancel_release(NUMBER)
    assert not result.refunded and result.refund_error == "contact support"


@pytest.mark.parametrize(
    "reply",
    [httpx.Response(200), httpx.Response(204), json_reply(200, {"message": "assigned"})],
    ids=["200-empty", "204", "200-body"],
)
def test_assign_subaccount_posts_the_sub_account_to_the_lowercase_path(reply: httpx.Response) -> None:
    client, script, _ = scripted_client(reply)

    assert client.numbers.assign_subaccount(NUMBER, "SA_CHILD") is None

    seen = script.last
    assert (seen.method, seen.raw_path) == ("POST", f"/api/v1/account/{AUTH_ID}/numbers/%2B918012345678/assign-subaccount")
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.json() == {"sub_account_id": "SA_CHILD"}


def test_assign_subaccount_refuses_an_empty_sub_account_without_a_request() -> None:
    client, script, _ = scripted_client(httpx.Response(204))
    with pytest.raises(ValueError, match="sub_account_id"):
        client.numbers.assign_subaccount(NUMBER, "  ")
    assert script.seen == []


@pytest.mark.parametrize(
    "reply",
    [httpx.Response(200), httpx.Response(204), json_reply(200, {"message": "unassigned"})],
    ids=["200-empty", "204", "200-body"],
)
def test_unassign_subaccount_deletes_without_force(reply: httpx.Response) -> None:
    client, script, _ = scripted_client(reply)

    assert client.numbers.unassign_subaccount(NUMBER) is None

    seen = script.last
    assert (seen.method, seen.raw_path) == ("DELETE", f"/api/v1/account/{AUTH_ID}/numbers/%2B918012345678/assign-subaccount")
    assert seen.body == b""


def test_unassign_subaccount_with_force_adds_force_true() -> None:
    client, script, _ = scripted_client(httpx.Response(204))
    client.numbers.unassign_subaccount(NUMBER, force=True)
    assert script.last.raw_path.endswith("/numbers/%2B918012345678/assign-subaccount?force=true")


@pytest.mark.parametrize("bad", ["12", "abc", "", "+91 80 1234 5678 9999 1234", None])
@pytest.mark.parametrize(
    "call",
    [
        lambda c, n: c.numbers.get(n),
        lambda c, n: c.numbers.find_in_inventory(n),
        lambda c, n: c.numbers.purchase(n),
        lambda c, n: c.numbers.release(n),
        lambda c, n: c.numbers.cancel_release(n),
        lambda c, n: c.numbers.assign_subaccount(n, "SA_CHILD"),
        lambda c, n: c.numbers.unassign_subaccount(n),
    ],
    ids=["get", "find_in_inventory", "purchase", "release", "cancel_release", "assign", "unassign"],
)
def test_invalid_numbers_raise_before_any_request(call, bad) -> None:  # type: ignore[no-untyped-def]
    client, script, _ = scripted_client(httpx.Response(204))
    with pytest.raises(InvalidNumber) as caught:
        call(client, bad)
    assert isinstance(caught.value, ValueError)
    assert "E.164" in str(caught.value)
    assert script.seen == []


def test_subaccounts_list_page_uses_the_plural_lowercase_path_with_trailing_slash() -> None:
    body = {
        "sub_accounts": [
            {"auth_id": "SA_ONE", "name": "Support", "auth_token": "<redacted>", "is_active": True,
             "created_at": "2026-05-01T10:00:00Z"},
        ],
        "total": 1,
        "page": 1,
        "size": 10,
    }
    client, script, _ = scripted_client(json_reply(200, body))

    page = client.subaccounts.list_page(size=10, active_only=True)

    assert script.last.raw_path == f"/api/v1/accounts/{AUTH_ID}/sub-accounts/?page=1&size=10&active_only=true"
    assert [s.auth_id for s in page.sub_accounts] == ["SA_ONE"]
    assert page.sub_accounts[0].name == "Support" and not page.has_next


def test_subaccounts_list_page_omits_active_only_unless_given() -> None:
    client, script, _ = scripted_client(json_reply(200, {"sub_accounts": [], "total": 0, "page": 1, "size": 25}))
    client.subaccounts.list_page()
    assert script.last.query == {"page": ["1"], "size": ["25"]}


def test_a_list_answer_that_is_not_a_page_raises_unexpected_response() -> None:
    client, _, _ = scripted_client(json_reply(200, {"items": "nope"}))
    with pytest.raises(UnexpectedResponse, match="items"):
        client.numbers.list_page()


def test_the_client_closes_its_connection_pool_on_leaving_the_block() -> None:
    with VobizClient(AUTH_ID, AUTH_TOKEN, transport=httpx.MockTransport(lambda r: httpx.Response(204))) as client:
        client.numbers.unassign_subaccount(NUMBER)
    with pytest.raises(RuntimeError):
        client.numbers.unassign_subaccount(NUMBER)
