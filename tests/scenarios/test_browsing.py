"""Reading paths: list with paging, show, inventory with its purchase button, history, the Home tab."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fakes.vobiz import SandboxServer
from fakes.slack.webapi import FakeSlack
from handlers import ids
from tests.scenarios.scenario_world import ADMIN, REQUESTER, World, build_world
from tests.handlers.slack_checks import assert_no_injected_markup, assert_within_limits


def test_list_pages_fetch_only_the_page_shown(world: World) -> None:
    world.command(REQUESTER, "list")
    first = world.reply_to(REQUESTER, "Our numbers")
    assert "page 1 of" in first.as_text()
    assert [b.text for b in first.buttons()] == ["Next ▶"]
    world.sandbox.clear_requests()

    world.click(REQUESTER, first, "Next ▶")
    second = world.reply_to(REQUESTER, "page 2 of")
    assert second.replaced == 1 and second.ts == first.ts  # the same message, re-drawn
    [read] = world.sandbox.requests("list_numbers")
    assert "page=2" in read["path"]
    assert_within_limits({"blocks": second.blocks})


def test_show_a_number(world: World) -> None:
    e164 = world.sandbox.owned_numbers(world.sandbox.auth_id)[0]
    world.command(REQUESTER, f"show {e164}")
    detail = world.reply_to(REQUESTER, "Monthly fee")
    assert "Owner" in detail.as_text() and world.sandbox.auth_id in detail.as_text()


def test_inventory_page_with_a_request_purchase_button_that_asks_for_a_reason(world: World) -> None:
    world.command(REQUESTER, "inventory IN")
    page = world.reply_to(REQUESTER, "Numbers we can buy IN")
    offers = [b for b in page.buttons() if b.action_id == ids.REQUEST_PURCHASE]
    assert offers and "Setup" in page.as_text() and "/month" in page.as_text()
    world.click(REQUESTER, page, offers[0])
    modal = world.modal_of(REQUESTER)
    assert modal.callback_id == ids.PURCHASE_REASON_VIEW
    world.submit(REQUESTER, {"reason": "Chennai office"})
    world.reply_to(REQUESTER, "waiting for an approver")
    [request] = world.requests_of(REQUESTER)
    assert request.e164 == offers[0].value and request.quote is not None


def test_history_of_a_number_after_a_request(world: World) -> None:
    e164 = world.sandbox.inventory_numbers("IN")[0]
    request_id = world.ask_to_buy(e164)
    world.command(ADMIN, f"history {e164}")
    history = world.reply_to(ADMIN, "History of")
    assert request_id in history.as_text() and "requested" in history.as_text()
    assert_no_injected_markup({"blocks": history.blocks})


def test_the_home_tab_shows_usage_and_requests(world: World) -> None:
    world.ask_to_buy(world.sandbox.inventory_numbers("IN")[0])
    world.send(world.requests.app_home_opened(ADMIN))
    home = world.slack.wait_for(lambda: world.slack.home(ADMIN))
    text = "\n".join(str(b) for b in home.blocks)
    assert "Waiting for your decision" in text and "/numbers" in text
    assert any(b.action_id == ids.APPROVE for b in home.buttons())


class WithoutTotals(httpx.HTTPTransport):
    """Real HTTP to the sandbox, with `total` taken out of every list answer: a Vobiz that does not count."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        try:
            body = json.loads(response.content)
        except ValueError:
            return response
        if isinstance(body, dict) and "total" in body:
            del body["total"]
            return httpx.Response(response.status_code, headers={"content-type": "application/json"}, json=body)
        return response


@pytest.fixture
def uncounted(slack: FakeSlack, sandbox: SandboxServer, tmp_path: Path, database_url: str | None) -> Iterator[World]:
    built = build_world(slack, sandbox, tmp_path / "bot.db", database_url=database_url, vobiz_transport=WithoutTotals())
    yield built
    built.bot.stop()


def test_a_list_whose_total_vobiz_left_out_claims_no_page_count_and_keeps_next(uncounted: World) -> None:
    world = uncounted
    world.command(REQUESTER, "list")
    first = world.reply_to(REQUESTER, "Our numbers")
    summary = re.search(r"Numbers 1–(\d+) of (at least )?(\d+)", first.as_text())
    assert summary and summary.group(2), first.as_text()  # a lower bound, said as one
    assert "page 1 of" not in first.as_text()
    assert [b.text for b in first.buttons()] == ["Next ▶"]

    world.click(REQUESTER, first, "Next ▶")
    second = world.reply_to(REQUESTER, f"Numbers {int(summary.group(1)) + 1}–")
    assert second.ts == first.ts and "◀ Previous" in [b.text for b in second.buttons()]
