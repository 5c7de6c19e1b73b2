"""Configuration: every bad value stops start-up with one line naming the variable, and secrets never print."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, database_path, load_settings
from bot.services.jobs import maintenance_interval
from bot.store.postgres import DEFAULT_POOL_SIZE

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-111-not-secret",
    "SLACK_SIGNING_SECRET": "signing-not-secret",
    "VOBIZ_AUTH_ID": "MA_TEST0001",
    "VOBIZ_AUTH_TOKEN": "vobiz-not-secret",
    "APPROVAL_CHANNEL": "C0APPROVALS",
    "HISTORY_CHANNEL": "C0HISTORY",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [*GOOD, "SLACK_APP_TOKEN", "APPROVERS", "ADMINS", "AUDITORS", "APPROVAL_TTL_HOURS",
                 "SLACK_API_URL", "VOBIZ_BASE_URL", "NUMBERS_BOT_DB", "RELEASE_NEEDS_APPROVAL",
                 "RATE_LIMIT_PER_MINUTE", "DATABASE_URL", "APPROVALS_REQUIRED", "AUTO_APPROVE_MONTHLY_FEE",
                 "AUTO_APPROVE_PER_PERSON", "DATABASE_POOL_SIZE", "NUMBERS_BOT_MAINTENANCE_INTERVAL_SECONDS",
                 "NUMBERS_BOT_SETTLE_GRACE_SECONDS", "DYNO", "NUMBERS_BOT_ALLOW_EPHEMERAL_DB",
                 "APPROVAL_REMIND_MINUTES", "APPROVAL_ESCALATE_MINUTES"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_defaults_and_lists(env: pytest.MonkeyPatch) -> None:
    env.setenv("APPROVERS", " U0BEN, S0TEAM ")
    env.setenv("AUDITORS", "U0AUDIT")
    settings = load_settings()
    assert settings.approvers == ("U0BEN", "S0TEAM")
    assert settings.admins == ()
    assert settings.auditors == ("U0AUDIT",)
    assert settings.approval_ttl_hours == 24
    assert settings.release_needs_approval is True
    assert settings.slack_app_token is None
    assert settings.vobiz_base_url == "https://api.vobiz.ai/api"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.numbers_bot_db == Path("numbers-bot.db")
    assert settings.rate_limit_per_minute == 10
    assert settings.approval_remind_minutes == 60
    assert settings.approval_escalate_minutes == 240


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SLACK_BOT_TOKEN", None, "SLACK_BOT_TOKEN is not set"),
        ("SLACK_BOT_TOKEN", "", "SLACK_BOT_TOKEN is invalid: is empty"),
        ("SLACK_BOT_TOKEN", "xapp-1-wrong-kind", "SLACK_BOT_TOKEN is invalid: expected a token starting with xoxb-"),
        ("SLACK_SIGNING_SECRET", "   ", "SLACK_SIGNING_SECRET is invalid: is empty"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind", "SLACK_APP_TOKEN is invalid: expected a token starting with xapp-"),
        ("VOBIZ_AUTH_TOKEN", "two words", "VOBIZ_AUTH_TOKEN is invalid: contains spaces or characters other than plain ASCII"),
        ("VOBIZ_AUTH_TOKEN", "“smart”", "VOBIZ_AUTH_TOKEN is invalid: contains spaces or characters other than plain ASCII"),
        ("VOBIZ_AUTH_ID", "bob", "VOBIZ_AUTH_ID is invalid: expected a Vobiz account id such as MA_XXXXXXXX"),
        ("APPROVERS", "bob", "APPROVERS is invalid: expected Slack user ids (U...) or user-group ids (S...), got 'bob'"),
        ("APPROVAL_CHANNEL", "#approvals", "APPROVAL_CHANNEL is invalid: expected a Slack channel id such as C0123456789, got '#approvals'"),
        ("HISTORY_CHANNEL", None, "HISTORY_CHANNEL is not set"),
        ("APPROVAL_TTL_HOURS", "0", "APPROVAL_TTL_HOURS is invalid: Input should be greater than 0"),
        ("APPROVAL_TTL_HOURS", "soon", "APPROVAL_TTL_HOURS is invalid: Input should be a valid number, unable to parse string as a number"),
        ("VOBIZ_BASE_URL", "api.vobiz.ai", "VOBIZ_BASE_URL is invalid: expected an http(s):// URL"),
        ("RATE_LIMIT_PER_MINUTE", "-1", "RATE_LIMIT_PER_MINUTE is invalid: Input should be greater than or equal to 0"),
        ("RATE_LIMIT_PER_MINUTE", "lots", "RATE_LIMIT_PER_MINUTE is invalid: Input should be a valid integer, unable to parse string as an integer"),
        ("APPROVAL_REMIND_MINUTES", "-5", "APPROVAL_REMIND_MINUTES is invalid: expected a whole number of minutes (0 turns it off), got '-5'"),
        ("APPROVAL_REMIND_MINUTES", "1.5h", "APPROVAL_REMIND_MINUTES is invalid: expected a whole number of minutes (0 turns it off), got '1.5h'"),
        ("APPROVAL_REMIND_MINUTES", "20000", "APPROVAL_REMIND_MINUTES is invalid: Input should be less than or equal to 10080"),
        ("APPROVAL_ESCALATE_MINUTES", "", "APPROVAL_ESCALATE_MINUTES is invalid: expected a whole number of minutes (0 turns it off), got ''"),
        ("APPROVAL_ESCALATE_MINUTES", "4 hours", "APPROVAL_ESCALATE_MINUTES is invalid: expected a whole number of minutes (0 turns it off), got '4 hours'"),
    ],
)
def test_a_bad_value_gives_one_line_naming_the_variable(env: pytest.MonkeyPatch, name: str, value: str | None, expected: str) -> None:
    if value is None:
        env.delenv(name)
    else:
        env.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == expected
    assert "\n" not in str(caught.value)


def test_stray_whitespace_around_secrets_is_stripped_and_an_empty_app_token_means_http(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_BOT_TOKEN", "xoxb-111-not-secret\n")
    env.setenv("SLACK_APP_TOKEN", "")
    settings = load_settings()
    assert settings.slack_bot_token.get_secret_value() == "xoxb-111-not-secret"
    assert settings.slack_app_token is None


def test_secrets_never_print(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_APP_TOKEN", "xapp-1-not-secret")
    settings = load_settings()
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    for secret in ("xoxb-111-not-secret", "signing-not-secret", "vobiz-not-secret", "xapp-1-not-secret"):
        assert secret not in shown


def test_a_bad_secret_is_not_echoed_in_the_error(env: pytest.MonkeyPatch) -> None:
    env.setenv("VOBIZ_AUTH_TOKEN", "leaky token")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "leaky" not in str(caught.value)


def test_database_path_reads_only_numbers_bot_db(env: pytest.MonkeyPatch) -> None:
    env.delenv("SLACK_BOT_TOKEN")
    env.setenv("NUMBERS_BOT_DB", "/srv/numbers/bot.db")
    assert database_path() == Path("/srv/numbers/bot.db")


def test_the_database_pool_size_is_read_and_defaults_to_the_pools_own(env: pytest.MonkeyPatch) -> None:
    assert load_settings().database_pool_size == DEFAULT_POOL_SIZE == 16
    env.setenv("DATABASE_POOL_SIZE", "4")
    assert load_settings().database_pool_size == 4
    for bad in ("1", "0", "many"):
        env.setenv("DATABASE_POOL_SIZE", bad)
        with pytest.raises(ConfigError, match="^DATABASE_POOL_SIZE is invalid"):
            load_settings()


def test_the_maintenance_interval_is_read_and_used_up_to_half_the_settle_grace(env: pytest.MonkeyPatch) -> None:
    def used() -> float:
        settings = load_settings()
        return maintenance_interval(
            timedelta(seconds=settings.maintenance_interval_seconds), timedelta(seconds=settings.settle_grace_seconds)
        ).total_seconds()

    assert load_settings().maintenance_interval_seconds == 30
    assert used() == 30  # the default grace is 60 s
    env.setenv("NUMBERS_BOT_MAINTENANCE_INTERVAL_SECONDS", "120")
    assert load_settings().maintenance_interval_seconds == 120 and used() == 30
    env.setenv("NUMBERS_BOT_SETTLE_GRACE_SECONDS", "600")
    assert used() == 120
    for bad in ("0", "-1", "3601", "often"):
        env.setenv("NUMBERS_BOT_MAINTENANCE_INTERVAL_SECONDS", bad)
        with pytest.raises(ConfigError, match="^NUMBERS_BOT_MAINTENANCE_INTERVAL_SECONDS is invalid"):
            load_settings()


def test_the_rate_limit_is_read_and_zero_turns_it_off(env: pytest.MonkeyPatch) -> None:
    env.setenv("RATE_LIMIT_PER_MINUTE", "25")
    assert load_settings().rate_limit_per_minute == 25
    env.setenv("RATE_LIMIT_PER_MINUTE", "0")
    assert load_settings().rate_limit_per_minute == 0


def test_reminder_and_escalation_minutes_are_read_and_zero_turns_them_off(env: pytest.MonkeyPatch) -> None:
    env.setenv("APPROVAL_REMIND_MINUTES", " 30 ")
    env.setenv("APPROVAL_ESCALATE_MINUTES", "0")
    settings = load_settings()
    assert (settings.approval_remind_minutes, settings.approval_escalate_minutes) == (30, 0)


def test_on_heroku_sqlite_is_refused_unless_the_operator_accepts_losing_it(env: pytest.MonkeyPatch) -> None:
    env.setenv("DYNO", "web.1")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    line = str(refused.value)
    assert "\n" not in line and "DATABASE_URL is not set" in line and "NUMBERS_BOT_ALLOW_EPHEMERAL_DB=true" in line

    env.setenv("NUMBERS_BOT_ALLOW_EPHEMERAL_DB", "true")
    assert load_settings().database_url is None


def test_on_heroku_a_database_url_is_enough(env: pytest.MonkeyPatch) -> None:
    env.setenv("DYNO", "web.1")
    env.setenv("DATABASE_URL", "postgres://bot:s3cret-pw@db.example:5432/numbers")
    settings = load_settings()
    assert settings.database_url is not None
    assert "s3cret-pw" not in repr(settings) and "s3cret-pw" not in str(settings)


def test_a_database_url_that_is_not_postgresql_is_refused_without_echoing_it(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABASE_URL", "mysql://bot:s3cret-pw@db/numbers")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value).startswith("DATABASE_URL is invalid") and "s3cret-pw" not in str(refused.value)


def test_an_empty_database_url_means_sqlite(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABASE_URL", "  ")
    assert load_settings().database_url is None


def test_quorum_and_allowance_settings(env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.approvals_needed("purchase") == 1 and settings.approvals_needed("force_unassign") == 1
    assert settings.auto_approve_monthly_fee is None and settings.auto_approve_per_person == 0
    assert not settings.allowance_on

    env.setenv("APPROVALS_REQUIRED", " purchase:1, release:2 ,force:3,release_now:2")
    env.setenv("AUTO_APPROVE_MONTHLY_FEE", "300.50 inr")
    env.setenv("AUTO_APPROVE_PER_PERSON", "3")
    settings = load_settings()
    assert [settings.approvals_needed(k) for k in ("purchase", "release", "release_now", "force_unassign")] == [1, 2, 2, 3]
    assert str(settings.auto_approve_monthly_fee) == "300.50 INR"
    assert settings.allowance_on


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("APPROVALS_REQUIRED", "buy:2", "APPROVALS_REQUIRED is invalid: expected kind:count pairs"),
        ("APPROVALS_REQUIRED", "force:0", "APPROVALS_REQUIRED is invalid: the count for force must be a whole number from 1 to 10"),
        ("APPROVALS_REQUIRED", "purchase", "APPROVALS_REQUIRED is invalid: expected kind:count pairs"),
        ("AUTO_APPROVE_MONTHLY_FEE", "300", "AUTO_APPROVE_MONTHLY_FEE is invalid: expected an amount and its currency such as 300 INR"),
        ("AUTO_APPROVE_MONTHLY_FEE", "₹300", "AUTO_APPROVE_MONTHLY_FEE is invalid: expected an amount and its currency"),
        ("AUTO_APPROVE_PER_PERSON", "-1", "AUTO_APPROVE_PER_PERSON is invalid"),
    ],
)
def test_bad_quorum_and_allowance_settings(env: pytest.MonkeyPatch, name: str, value: str, expected: str) -> None:
    env.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected)
