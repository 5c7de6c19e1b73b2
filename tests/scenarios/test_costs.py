"""`/numbers costs [by:team|sub-account|country] [csv]` through the real app, on both engines: per group the
count and monthly total per currency from Vobiz's list of the account's numbers (a master account sees its
sub-accounts'), the setup fees paid this month from the audit log, and the table as a CSV file in a DM."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from decimal import Decimal

from bot.services.records import Status
from tests.scenarios.scenario_world import APPROVER, OTHER, REQUESTER, World

Table = dict[tuple[str, str], tuple[int, Decimal]]  # (group, currency) -> (numbers, monthly total)


def ask(world: World, user: str, command: str, needle: str) -> str:
    before = len(world.replies(user, needle))
    world.command(user, command)
    return world.reply_to(user, needle, after=before).as_text()


def owned(world: World) -> list[object]:
    """What the sandbox says the account (master and sub-accounts) owns: the oracle the report is checked by."""
    state = world.sandbox.state
    with state.lock:
        return [n for n in state.numbers.values() if n.owner in state.accounts]


def expected(world: World, group_of: object) -> Table:
    counts: dict[str, int] = defaultdict(int)
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for number in owned(world):
        name = group_of(number)  # type: ignore[operator]
        counts[name] += 1
        sums[(name, number.currency)] += Decimal(number.monthly_fee)  # type: ignore[attr-defined]
    return {key: (counts[key[0]], total) for key, total in sums.items()}


def csv_table(world: World, command: str, user: str = REQUESTER) -> tuple[Table, list[dict[str, str]]]:
    uploads_before = len(world.slack.uploads())
    ask(world, user, command, "Sent the cost table")
    upload = world.slack.uploads()[uploads_before]
    assert upload.completed and upload.channel_id == world.slack.dm_id(user)
    rows = list(csv.DictReader(io.StringIO((upload.content or b"").decode("utf-8"), newline="")))
    table = {
        (r["group"], r["currency"]): (int(r["numbers"]), Decimal(r["amount"])) for r in rows if r["what"].startswith("monthly fees by")
    }
    return table, rows


def test_costs_by_team_count_and_total_each_currency_apart(world: World) -> None:
    master = world.sandbox.auth_id
    support = world.sandbox.owned_numbers(master)[:2] + world.sandbox.owned_numbers("SA_SALES0001")[:1]
    for e164 in support:
        ask(world, OTHER, f"label {e164} team:support", "labelled")

    table, rows = csv_table(world, "costs csv")

    assert table == expected(world, lambda n: "support" if n.e164 in support else "(no team)")
    currencies = {currency for _, currency in table}
    assert len(currencies) > 1  # INR, USD and GBP each totalled on its own, never added together
    totals = {r["currency"]: Decimal(r["amount"]) for r in rows if r["what"] == "monthly fees, all numbers"}
    assert totals == {c: sum((a for (_, cur), (_, a) in table.items() if cur == c), Decimal(0)) for c in currencies}

    shown = ask(world, REQUESTER, "costs", "What our numbers cost")
    assert "*support*: 3 numbers" in shown and "(no team)" in shown
    assert "Setup fees paid in" in shown


def test_costs_by_sub_account_and_by_country(world: World) -> None:
    master = world.sandbox.auth_id
    by_account, _ = csv_table(world, "costs by:sub-account csv")
    assert by_account == expected(world, lambda n: "(master account)" if n.owner == master else n.owner)
    assert any(group == "SA_SALES0001" for group, _ in by_account)  # the sub-accounts' numbers are counted too

    by_country, _ = csv_table(world, "costs by:country csv")
    assert by_country == expected(world, lambda n: n.country)


def test_setup_fees_paid_this_month_come_from_the_succeeded_purchases(world: World) -> None:
    bought, denied = world.sandbox.inventory_numbers("IN")[:2]
    quoted = Decimal(world.sandbox.state.numbers[bought].setup_fee)
    currency = world.sandbox.state.numbers[bought].currency
    request_id = world.ask_to_buy(bought)
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.SUCCEEDED
    other = world.ask_to_buy(denied, user=OTHER)
    world.click(APPROVER, world.approval_message(other), "Deny")
    world.modal_of(APPROVER)
    world.submit(APPROVER, {"reason": "not now"})

    _, rows = csv_table(world, "costs csv")
    month = f"{world.clock():%Y-%m}"
    [paid] = [r for r in rows if r["what"].startswith("setup fees paid")]
    assert (paid["what"], paid["numbers"], paid["currency"], Decimal(paid["amount"])) == (f"setup fees paid {month}", "1", currency, quoted)

    world.clock.advance(days=40)
    _, later = csv_table(world, "costs csv")
    assert [r for r in later if r["what"].startswith("setup fees paid")] == []  # a new month: nothing paid yet


def test_an_unknown_grouping_gets_the_syntax_back(world: World) -> None:
    text = ask(world, REQUESTER, "costs by:planet", "planet")
    assert "by:team|by:sub-account|by:country" in text
    assert "Usage: `/numbers costs [by:team|sub-account|country] [csv]`" in text
    assert world.slack.uploads() == []


def test_a_bulk_purchase_pays_the_setup_fee_of_each_number_it_bought(world: World) -> None:
    world.command(REQUESTER, "buy 3 IN region:karnataka New Bengaluru team")
    reply = world.reply_to(REQUESTER, "waiting for an approver")
    request_id = re.search(r"Request \*(R[0-9A-Z]+)\*", reply.text).group(1)  # type: ignore[union-attr]
    world.drain()
    items = world.request(request_id).items
    world.sandbox.sell_elsewhere(items[2].e164)  # skipped at approval: never bought, never paid
    world.click(APPROVER, world.approval_message(request_id), "Approve")
    assert world.settled(request_id).status is Status.SUCCEEDED

    _, rows = csv_table(world, "costs csv")
    [paid] = [r for r in rows if r["what"].startswith("setup fees paid")]
    expected = sum((item.quote.setup_fee for item in items[:2]), Decimal(0))
    assert (paid["numbers"], paid["currency"], Decimal(paid["amount"])) == ("2", "INR", expected)
