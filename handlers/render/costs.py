"""`/numbers costs` as Slack shows it: per group, how many numbers and their monthly fees per currency, the
totals, and the setup fees the bot paid this month. Amounts of different currencies are listed side by side,
never added. Pure builders: a `CostReport` in, a `Message` out."""

from __future__ import annotations

from bot.services.costs import Amounts, CostGroup, CostReport
from handlers.render.kit import Block, Message, context, header, message, section, text_message, text_sections
from handlers.render.text import escape, money, slack_date

GROUPS_SHOWN = 100
BY_WORD = {"team": "team", "sub-account": "sub-account", "country": "country"}


def amounts_text(amounts: Amounts) -> str:
    return " + ".join(money(amount, currency) for currency, amount in amounts) or "nothing"


def _numbers(count: int) -> str:
    return f"{count:,} number{'' if count == 1 else 's'}"


def group_line(group: CostGroup) -> str:
    unpriced = f" (and {_numbers(group.unpriced)} without a listed fee)" if group.unpriced else ""
    return f"• *{escape(group.name)}*: {_numbers(group.numbers)}  ·  {amounts_text(group.monthly)}/month{unpriced}"


def cost_report(report: CostReport) -> Message:
    title = f"What our numbers cost, by {BY_WORD[report.by]}"
    blocks: list[Block] = [header(title), context(f"From Vobiz's list of the account's numbers, {slack_date(report.as_of)}.")]
    groups = list(report.groups)[:GROUPS_SHOWN]
    if groups:
        blocks.extend(text_sections([group_line(g) for g in groups]))
    else:
        blocks.append(section("The account owns no numbers."))
    if len(report.groups) > len(groups):
        blocks.append(context(f"{len(report.groups) - len(groups)} more groups not shown; `csv` sends them all."))
    unpriced = f" ({_numbers(report.unpriced)} without a listed fee)" if report.unpriced else ""
    total = f"*All together:* {_numbers(report.numbers)}  ·  {amounts_text(report.monthly)}/month{unpriced}"
    paid = (
        f"*Setup fees paid in {escape(report.month)}* (UTC, from the audit log): {amounts_text(report.setup_fees)} "
        f"for {report.purchases:,} purchase{'' if report.purchases == 1 else 's'}"
    )
    if report.unquoted_purchases:
        paid += f" ({report.unquoted_purchases} without a recorded fee)"
    blocks.append(section(f"{total}\n{paid}."))
    blocks.append(context("Each currency is totalled on its own. `/numbers costs by:team|sub-account|country csv` sends the table as a file."))
    text = f"{title}: {_numbers(report.numbers)}, {amounts_text(report.monthly)}/month"
    return message(text, blocks)


def costs_sent(rows: int, filename: str, by: str) -> Message:
    text = f":outbox_tray: Sent the cost table by {escape(by)} ({rows:,} rows) as `{escape(filename)}` to our direct messages."
    return text_message(text)


def costs_filename(by: str, month: str) -> str:
    return f"numbers-costs-by-{by}-{month}.csv"


def costs_comment(report: CostReport) -> str:
    return (
        f"What our numbers cost a month by {report.by} ({report.numbers:,} numbers), and the setup fees paid in "
        f"{report.month}. Each currency is totalled on its own."
    )
