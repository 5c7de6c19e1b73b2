"""Help, usage errors, refusals and unexpected-failure answers, as data."""

from __future__ import annotations

from handlers.parsing import USAGES, UsageError
from handlers.render.help import help_message, usage_error
from handlers.render.notices import refusal, unexpected_error
from slack_checks import all_text, assert_no_injected_markup, assert_within_limits


def test_help_lists_every_subcommand_with_an_example() -> None:
    msg = help_message()
    text = all_text(msg)
    for usage in USAGES:
        assert f"/numbers {usage.synopsis}".replace("<", "&lt;").replace(">", "&gt;") in text
        assert f"/numbers {usage.example}" in text
    assert_within_limits(msg)
    assert_no_injected_markup(msg)


def test_usage_error_says_what_is_wrong_suggests_and_shows_usage() -> None:
    msg = usage_error(UsageError("I don't know the subcommand “bye”.", suggestion="buy"))
    text = all_text(msg)
    assert "“bye”" in text and "Did you mean `buy`?" in text
    assert "/numbers buy +E164 &lt;reason&gt;" in text


def test_refusal_and_unexpected_error_messages() -> None:
    assert "&lt;!channel&gt;" in all_text(refusal("You typed <!channel>"))
    text = all_text(unexpected_error("ABC123"))
    assert "Something went wrong (reference ABC123)" in text
