"""Configuration: the one place that reads the environment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_VOBIZ_BASE_URL = "https://api.vobiz.ai/api"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"

_PRINCIPAL = re.compile(r"^[USW][A-Z0-9]{2,}$")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")


# APPROVALS_REQUIRED names kinds by these words; `force` covers both force operations unless one is named.
APPROVAL_KINDS = ("purchase", "release", "force", "release_now", "force_unassign")
FORCE_KINDS = ("release_now", "force_unassign")
MAX_APPROVALS_REQUIRED = 10


@dataclass(frozen=True)
class FeeCap:
    """AUTO_APPROVE_MONTHLY_FEE: the highest monthly fee auto-approved, in one currency (never another)."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"


class ConfigError(Exception):
    """Configuration that cannot start the bot; the message names the variable and says what is wrong."""


class Settings(BaseSettings):
    """Everything the bot is configured with. Tokens are SecretStr, so they never print."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL

    vobiz_auth_id: str
    vobiz_auth_token: SecretStr
    vobiz_base_url: str = DEFAULT_VOBIZ_BASE_URL

    numbers_bot_db: Path = Path("numbers-bot.db")
    # PostgreSQL instead of the SQLite file (`postgres://` as Heroku sets it, or `postgresql://`).
    database_url: SecretStr | None = None
    # Per process, at most this many connections to PostgreSQL (the pool grows to it on demand from one).
    # Enough that gunicorn's 8 request threads, the 32 listener threads' short units of work and the
    # background workers (delivery, maintenance, lease renewal) do not wait out the pool's 5 s; every
    # process sharing the server has its own pool, so processes x this must stay under max_connections.
    database_pool_size: int = Field(default=16, ge=2, le=200)
    # Set by Heroku on every dyno, whose disk is wiped at least once a day.
    dyno: str | None = None
    # The operator knows the disk is wiped and accepts losing the SQLite store with it.
    numbers_bot_allow_ephemeral_db: bool = False

    approvers: Annotated[tuple[str, ...], NoDecode] = ()
    admins: Annotated[tuple[str, ...], NoDecode] = ()
    auditors: Annotated[tuple[str, ...], NoDecode] = ()  # may query and export everyone's history
    approval_channel: str
    history_channel: str
    approval_ttl_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    release_needs_approval: bool = True

    # How long after an approval an unanswered Vobiz call may still be running: only after this does a
    # re-read showing "not done" prove a failure, and a request still EXECUTING count as stuck.
    settle_grace_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        validation_alias=AliasChoices("numbers_bot_settle_grace_seconds", "settle_grace_seconds"),
    )
    # How often each maintenance job (settling, expiry, checkpoint, undo-window re-draws) runs, once across
    # all processes; at most half the settle grace is used (bot.services.jobs.maintenance_interval).
    maintenance_interval_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        validation_alias=AliasChoices("numbers_bot_maintenance_interval_seconds", "maintenance_interval_seconds"),
    )
    # Per person: how many counted commands (reads that call Vobiz, new requests, assign/unassign) the bot
    # takes in any 60 seconds; 0 turns the limit off. Approvers' decision clicks are never counted.
    rate_limit_per_minute: int = Field(default=10, ge=0, le=10_000)
    # Distinct approvers each kind needs, e.g. `purchase:1,release:1,force:2` (unnamed kinds: 1).
    approvals_required: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
    # Allowances: a purchase whose monthly fee is at most AUTO_APPROVE_MONTHLY_FEE (same currency), by someone
    # with fewer than AUTO_APPROVE_PER_PERSON auto-approved purchases this calendar month (UTC), is approved by
    # the rule. Off unless both are set (0 is off).
    auto_approve_monthly_fee: Annotated[FeeCap | None, NoDecode] = None
    auto_approve_per_person: int = Field(default=0, ge=0, le=10_000)
    # A pending request's thread gets a reminder mentioning its approvers every this many minutes, at most
    # 3 times (0 turns reminders off); the admins are mentioned once it has waited
    # APPROVAL_ESCALATE_MINUTES (0 turns escalation off).
    approval_remind_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    approval_escalate_minutes: int = Field(default=240, ge=0, le=30 * 24 * 60)

    @field_validator("slack_bot_token", "slack_signing_secret", "vobiz_auth_token", "slack_app_token", mode="before")
    @classmethod
    def _secret(cls, value: object, info: ValidationInfo) -> object:
        """Strip stray whitespace (a pasted newline); refuse empty secrets; an empty app token means unset."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            if info.field_name == "slack_app_token":
                return None
            raise ValueError("is empty")
        if not re.fullmatch(r"[!-~]+", value):  # what HTTP headers can carry: printable ASCII, no spaces
            raise ValueError("contains spaces or characters other than plain ASCII")
        prefix = {"slack_bot_token": "xoxb-", "slack_app_token": "xapp-"}.get(info.field_name or "")
        if prefix and not value.startswith(prefix):
            raise ValueError(f"expected a token starting with {prefix}")
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if not re.match(r"^postgres(ql)?://", value):
                raise ValueError("expected a postgres:// or postgresql:// URL")  # never echoed: it may hold a password
        return value

    @property
    def database_url_text(self) -> str | None:
        """DATABASE_URL itself (it may hold a password: never log it; `bot.store.describe` redacts it)."""
        return self.database_url.get_secret_value() if self.database_url is not None else None

    def ephemeral_disk_problem(self) -> str | None:
        """Why starting on SQLite here would lose the store, or None."""
        if self.database_url is None and self.dyno and not self.numbers_bot_allow_ephemeral_db:
            return (
                "DATABASE_URL is not set, and on Heroku (DYNO is set) the dyno's disk is wiped at least once a day, "
                "so the SQLite audit log and pending requests would be lost: attach Heroku Postgres (it sets "
                "DATABASE_URL), or set NUMBERS_BOT_ALLOW_EPHEMERAL_DB=true to accept that loss"
            )
        return None

    @field_validator("approvers", "admins", "auditors", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, (list, tuple)):
            bad = [v for v in value if not isinstance(v, str) or not _PRINCIPAL.match(v)]
            if bad:
                raise ValueError(f"expected Slack user ids (U...) or user-group ids (S...), got {bad[0]!r}")
            return tuple(value)
        return value

    @field_validator("approvals_required", mode="before")
    @classmethod
    def _approvals_required(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        needed: dict[str, int] = {}
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            kind, sep, count = (x.strip() for x in part.partition(":"))
            kind = kind.lower()
            if not sep or kind not in APPROVAL_KINDS:
                raise ValueError(f"expected kind:count pairs such as purchase:1,release:1,force:2 (kinds: {', '.join(APPROVAL_KINDS)}), got {part!r}")
            if not count.isdigit() or not 1 <= int(count) <= MAX_APPROVALS_REQUIRED:
                raise ValueError(f"the count for {kind} must be a whole number from 1 to {MAX_APPROVALS_REQUIRED}, got {count!r}")
            needed[kind] = int(count)
        return needed

    @field_validator("auto_approve_monthly_fee", mode="before")
    @classmethod
    def _fee_cap(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]{3})", text)
        if match is None:
            raise ValueError(f"expected an amount and its currency such as 300 INR, got {text!r}")
        try:
            amount = Decimal(match.group(1))
        except InvalidOperation:
            raise ValueError(f"expected an amount such as 300, got {match.group(1)!r}") from None
        return FeeCap(amount, match.group(2).upper())

    def approvals_needed(self, kind: str) -> int:
        """How many distinct approvers a request of `kind` (a request kind's value) needs."""
        if kind in self.approvals_required:
            return self.approvals_required[kind]
        if kind in FORCE_KINDS:
            return self.approvals_required.get("force", 1)
        return 1

    @property
    def allowance_on(self) -> bool:
        return self.auto_approve_monthly_fee is not None and self.auto_approve_per_person > 0
    @field_validator("approval_remind_minutes", "approval_escalate_minutes", mode="before")
    @classmethod
    def _minutes(cls, value: object) -> object:
        """A whole number of minutes as operators type it (`90`, not `1.5h`); 0 turns the nudge off."""
        if isinstance(value, str):
            text = value.strip()
            if not re.fullmatch(r"[0-9]+", text):
                raise ValueError(f"expected a whole number of minutes (0 turns it off), got {text[:20]!r}")
            return int(text)
        return value

    @field_validator("approval_channel", "history_channel")
    @classmethod
    def _channel_id(cls, value: str) -> str:
        value = value.strip()
        if not _CHANNEL.match(value):
            raise ValueError(f"expected a Slack channel id such as C0123456789, got {value!r}")
        return value

    @field_validator("vobiz_auth_id")
    @classmethod
    def _auth_id(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^(MA|SA)_[A-Za-z0-9]+$", value):
            raise ValueError("expected a Vobiz account id such as MA_XXXXXXXX")
        return value

    @field_validator("vobiz_base_url", "slack_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("expected an http(s):// URL")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"


class _DatabaseOnly(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    numbers_bot_db: Path = Path("numbers-bot.db")
    database_url: SecretStr | None = None


def database_url() -> str | None:
    """`DATABASE_URL` alone (PostgreSQL), for commands that open the database without Slack or Vobiz."""
    url = _DatabaseOnly().database_url
    return url.get_secret_value().strip() or None if url is not None else None


def database_path() -> Path:
    """`NUMBERS_BOT_DB` alone, for commands that open the database without talking to Slack or Vobiz."""
    return _DatabaseOnly().numbers_bot_db


def load_settings(**overrides: object) -> Settings:
    """Read Settings from the environment (plus overrides), turning validation errors into one
    ConfigError line that names the environment variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first.get("loc") else "configuration"
        if first["type"] == "missing":
            raise ConfigError(f"{name} is not set") from None
        reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        raise ConfigError(f"{name} is invalid: {reason}") from None
    problem = settings.ephemeral_disk_problem()
    if problem:
        raise ConfigError(problem)
    return settings
