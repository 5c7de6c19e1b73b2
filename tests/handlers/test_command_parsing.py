"""`/numbers` text -> typed commands, and the clear messages for everything else."""

from __future__ import annotations

from decimal import Decimal

from bot.services.number_filters import NumberFilter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.render.help import help_message, usage_error
from handlers.parsing import (
    BulkBuy,
    Assign,
    Buy,
    Costs,
    Export,
    Help,
    History,
    Inventory,
    Label,
    ListNumbers,
    Lock,
    Release,
    Requests,
    Show,
    Trail,
    Unassign,
    Unlabel,
    Unlock,
    UsageError,
    parse_command,
)
from slack_checks import all_text, assert_no_injected_markup, assert_within_limits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("   ", Help()),
        ("help", Help()),
        ("help release", Help("release")),
        ("HELP nonsense", Help()),
        ("list", ListNumbers()),
        ("list 9180", ListNumbers(search="9180")),
        ("list +91 80", ListNumbers(search="+9180")),
        ("show +918012345678", Show("+918012345678")),
        ("show +91-80-1234-5678", Show("+918012345678")),
        ("show <tel:+918012345678|+91 80 1234 5678>", Show("+918012345678")),
        ("inventory", Inventory()),
        ("inventory in", Inventory(NumberFilter(country="IN"))),
        ("inventory US 415", Inventory(NumberFilter(country="US", contains="415"))),
        ("inventory 80 IN", Inventory(NumberFilter(country="IN", contains="80"))),
        (
            'inventory IN region:"Tamil  Nadu" max-monthly:300 sms starts:+9144',
            Inventory(NumberFilter(country="IN", region="tamil nadu", starts="+9144", max_monthly=Decimal(300), capabilities=("sms",))),
        ),
        ("buy +918012345678 New Bengaluru line", Buy("+918012345678", "New Bengaluru line")),
        ("purchase +918012345678 x", Buy("+918012345678", "x")),
        ("buy +918012345678", Buy("+918012345678", None)),
        ("release +918012345678 Campaign over", Release("+918012345678", "Campaign over", now=False)),
        ("release --now +918012345678 Leaked", Release("+918012345678", "Leaked", now=True)),
        ("release +918012345678 Leaked --now", Release("+918012345678", "Leaked", now=True)),
        ("release +918012345678", Release("+918012345678", None, now=False)),
        ("assign +918012345678 SA_SALES0001", Assign("+918012345678", "SA_SALES0001")),
        ("unassign +918012345678", Unassign("+918012345678")),
        ("requests", Requests()),
        ("history", History()),
        ("history +918012345678", History("+918012345678")),
        ("history <@U0REQUEST|riya>  action:purchase since:30d", History("<@U0REQUEST|riya>  action:purchase since:30d")),
        ("history approver:@U0APPROVE", History("approver:@U0APPROVE")),
        ("history <tel:+918012345678|+91 80 1234 5678> outcome:failed", History("+918012345678 outcome:failed")),
        ("trail +918012345678", Trail("+918012345678")),
        ("trail <tel:+918012345678|+91 80 1234 5678>", Trail("+918012345678")),
        ("export", Export()),
        ("export since:2026-11-01 jsonl", Export("since:2026-11-01 jsonl")),
        ("list team:support", ListNumbers(team="support")),
        ("list 9180 team:support", ListNumbers(search="9180", team="support")),
        ("label +918012345678 team:support", Label("+918012345678", "support")),
        ('label +918012345678 team:Support purpose:"Bengaluru helpline"', Label("+918012345678", "Support", "Bengaluru helpline")),
        ("label +91 80 1234 5678 purpose:“Help line” team:ops", Label("+918012345678", "ops", "Help line")),
        ("label +918012345678 team:ops purpose:help line for BLR", Label("+918012345678", "ops", "help line for BLR")),
        ("unlabel +918012345678", Unlabel("+918012345678")),
        ("lock +918012345678 Printed on invoices", Lock("+918012345678", "Printed on invoices")),
        ("unlock +918012345678", Unlock("+918012345678")),
        ("costs", Costs()),
        ("costs by:country", Costs(by="country")),
        ("costs csv by:SUB-ACCOUNT", Costs(by="sub-account", csv=True)),
    ],
)
def test_well_formed_commands(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("buy 12 need it", BulkBuy(12, NumberFilter(), "need it")),
        (
            'buy 5 IN region:"tamil nadu" max-monthly:300 sms New support team',
            BulkBuy(5, NumberFilter(country="IN", region="tamil nadu", max_monthly=Decimal(300), capabilities=("sms",)), "New support team"),
        ),
        ("buy 2 US voice in for the NYC office", BulkBuy(2, NumberFilter(country="US", capabilities=("voice",)), "in for the NYC office")),
    ],
)
def test_bulk_buy(text: str, expected: BulkBuy) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("buy 1 IN one line", "2 to 20 numbers; 1 is outside that"),
        ("buy 21 IN many lines", "2 to 20 numbers; 21 is outside that"),
        ("buy 0 IN none", "2 to 20 numbers; 0 is outside that"),
        ("buy 5 IN max-monthly:cheap lines", "an amount such as 300"),
        ("buy 5 IN region:karnataka", "Please give a reason"),
    ],
)
def test_bulk_buy_mistakes_get_the_syntax_back(text: str, problem: str) -> None:
    error = usage_of(text)
    assert problem in error.message and error.subcommand == "buy"


def usage_of(text: str) -> UsageError:
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    return caught.value


def test_buy_123_says_it_is_not_a_phone_number_and_how_to_write_one() -> None:
    error = usage_of("buy 123 need it")
    assert "“123” is too short to be a phone number" in error.message
    assert "+918012345678" in error.message
    assert error.subcommand == "buy"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("buy +91 11 2154 6828 New Delhi line", Buy("+911121546828", "New Delhi line")),
        ("buy +1 (212) 845-6979 NYC desk", Buy("+12128456979", "NYC desk")),
        ("buy +91 11 2154 6828", Buy("+911121546828", None)),
        ("buy +91 80 1234 5678 2 lines for support", Buy("+918012345678", "2 lines for support")),
        ("buy +918012345678 2 lines for support", Buy("+918012345678", "2 lines for support")),
        ("release +1 212 845 6979 Campaign over", Release("+12128456979", "Campaign over", now=False)),
        ("release --now +1 (212) 845-6979 Leaked", Release("+12128456979", "Leaked", now=True)),
        ("show +1 (212) 845-6979", Show("+12128456979")),
        ("show +91 11 2154 6828", Show("+911121546828")),
        ("assign +1 (212) 845-6979 SA_SALES0001", Assign("+12128456979", "SA_SALES0001")),
        ("unassign +91 80 1234 5678", Unassign("+918012345678")),
        ("trail +1 212.845.6979", Trail("+12128456979")),
    ],
)
def test_a_number_pasted_as_people_write_it_is_one_number(text: str, expected: object) -> None:
    """Slack's own formatting (`+91 11 2154 6828`) comes back as several words; they are one number."""
    assert parse_command(text) == expected


def test_a_pasted_number_whose_end_cannot_be_told_is_refused_not_guessed() -> None:
    # +49 30 12345 and +49 30 12345678 are both valid German numbers: is "678" the number's or the reason's?
    error = usage_of("buy +49 30 12345 678 new line")
    assert "cannot tell where the number ends" in error.message and "without spaces" in error.message
    assert error.subcommand == "buy"


def test_a_pasted_number_that_is_still_too_short_quotes_all_of_it() -> None:
    error = usage_of("show +91 11 21")
    assert "“+91 11 21”" in error.message and error.subcommand == "show"


def test_buy_alone_asks_which_number() -> None:
    error = usage_of("buy")
    assert "Which number?" in error.message
    assert "buy +E164 <reason>" in all_text(usage_error(error)).replace("&lt;", "<").replace("&gt;", ">")


@pytest.mark.parametrize(("typed", "meant"), [("bye", "buy"), ("lsit", "list"), ("hsitory", "history"), ("relese", "release")])
def test_unknown_subcommands_get_a_did_you_mean(typed: str, meant: str) -> None:
    error = usage_of(f"{typed} +918012345678")
    assert error.suggestion == meant
    assert f"Did you mean `{meant}`?" in all_text(usage_error(error))


def test_an_unknown_subcommand_without_a_near_match_just_points_at_help() -> None:
    error = usage_of("frobnicate")
    assert error.suggestion is None
    assert "`/numbers help`" in all_text(usage_error(error))


def test_4000_characters_of_junk_give_a_short_clear_message() -> None:
    error = usage_of("q" * 4000)
    assert len(error.message) < 120
    msg = usage_error(error)
    assert_within_limits(msg)


def test_4000_character_reason_is_refused_with_the_limit() -> None:
    error = usage_of("buy +918012345678 " + "x" * 4000)
    assert "4,000 characters" in error.message and "500" in error.message


@pytest.mark.parametrize("reason", ["<!channel> now", "see <https://evil.example|click>", "a &amp; b &lt;!here&gt;"])
def test_hostile_reasons_are_kept_as_typed_and_never_rendered_as_markup(reason: str) -> None:
    command = parse_command(f"buy +918012345678 {reason}")
    assert isinstance(command, Buy)
    assert command.reason is not None
    # Slack's own escaping of typed text is undone once; the services store what the person typed
    assert "&amp;" not in command.reason and "&lt;" not in command.reason


@pytest.mark.parametrize(
    "text",
    [
        "show", "show 1 2", "show abc", "show +1", "show +123456789012345678",
        "assign +918012345678", "assign +918012345678 sales", "assign +918012345678 SA_<!channel>",
        "unassign", "inventory INDIA", "inventory IN US 80 90", "list abc", "requests mine",
        "release --now", "release", "trail", "trail 12", "trail +918012345678 +918012345679",
        "history @riya", "export approver:@bob", "history by:@william", "history " + "+918012345678 " * 40,
        "label", "label +918012345678", "label +918012345678 support", "label +918012345678 team:a team:b",
        'label +918012345678 team:a purpose:"unclosed', "unlabel", "lock", "lock +918012345678", "unlock",
        "costs by:planet", "costs csv csv", "costs by:team by:country", "costs everything", "list team:a team:b", "list team:",
    ],
)
def test_malformed_arguments_get_a_usage_error_naming_the_subcommand(text: str) -> None:
    error = usage_of(text)
    assert error.subcommand == text.split()[0]
    msg = usage_error(error)
    assert_no_injected_markup(msg)


def test_assign_with_a_malformed_sub_account_explains_the_shape() -> None:
    assert "they look like SA_SALES0001" in usage_of("assign +918012345678 sales").message


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_gives_a_usage_error_that_renders_safely(text: str) -> None:
    try:
        parse_command(text)
    except UsageError as error:
        msg = usage_error(error)
        assert_no_injected_markup(msg)
        assert_within_limits(msg)


def test_a_plain_name_cannot_be_resolved_and_the_message_says_how_to_mention_instead() -> None:
    error = usage_of("history @riya action:purchase")
    assert "cannot look people up by name" in error.message and "“@riya”" in error.message
    text = all_text(usage_error(error))
    assert "/numbers history [filters]" in text and "/numbers help history" in text


def test_help_for_history_lists_every_filter_with_an_example() -> None:
    text = all_text(help_message("history"))
    for shown in ("+918012345678", "approver:@person", "action:purchase|", "outcome:pending|succeeded|", "since:30d", "until:12h", "request:R7K2QX", "jsonl"):
        assert shown in text, shown
    assert "see everyone's rows" in text
    assert "/numbers help history" in all_text(help_message())
