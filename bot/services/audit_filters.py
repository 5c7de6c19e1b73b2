"""The audit-filter grammar, in one place: its tokens, `parse_query` (text -> `AuditQuery`), `filter_text`
(`AuditFilter` -> the canonical text that parses back to it), and the syntax as people are told it
(`SYNTAX` in error messages, `FILTER_HELP` in `/numbers help history`).

People type it in Slack (`/numbers history`, `export`) and on the command line (`numbers-bot audit`); history
paging buttons carry `filter_text` of the filter and are read back with `parse_query`. `AuditQueries`
(bot.services.audit_query) answers a filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from bot.services import validation
from bot.services.errors import InvalidInput
from bot.services.reconcile import RECONCILE_ACTION, DriftKind
from bot.services.records import Kind

ExportFormat = Literal["csv", "jsonl"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl")

# The drift check's rows (event=drift) carry the kind of difference as their action.
DRIFT_ACTIONS = tuple(kind.value for kind in DriftKind)

# What `action:` accepts, and the stored actions each name stands for.
ACTIONS: dict[str, tuple[str, ...]] = {
    "purchase": ("purchase",),
    "release": ("release",),
    "release_now": ("release_now",),
    "assign": ("assign",),
    "unassign": ("unassign",),
    "force_unassign": ("force_unassign",),
    "force": tuple(kind.value for kind in Kind if kind.is_force),
    "undo": ("undo_release",),
    "undo_release": ("undo_release",),
    "freeze": ("freeze",),  # freezing and unfreezing the bot
    "drift": DRIFT_ACTIONS,  # a difference between Vobiz and the log, of any kind
    "reconcile": (RECONCILE_ACTION, *DRIFT_ACTIONS),  # everything the drift check wrote: its baseline too
    "label": ("label", "unlabel"),  # a number's team set or taken off
    "unlabel": ("unlabel",),
    "lock": ("lock", "unlock"),  # a number locked or unlocked
    "unlock": ("unlock",),
    "away": ("away",),  # approvers saying they are away, or back
}
# Every outcome the log holds: a request's or a direct operation's, and for the drift check's rows the
# status Vobiz showed (`active`, `pending_release`, `absent`; `observed` on a baseline's summary row).
OUTCOMES = (
    "pending",
    "succeeded",
    "failed",
    "outcome_unknown",
    "executing",
    "denied",
    "cancelled",
    "expired",
    "refused",
    "cool_off",
    "skipped",  # a bulk purchase's number gone or re-priced by the time it was approved
    "active",
    "pending_release",
    "absent",
    "observed",
    "frozen",
    "unfrozen",
    "away",
    "back",
)
OUTCOME_ALIASES = {"unknown": "outcome_unknown", "success": "succeeded", "failure": "failed", "canceled": "cancelled"}

MAX_LOOKBACK = timedelta(days=366 * 100)

SYNTAX = (
    "Filter with any of: +918012345678 (a number), @U123 or <@U123> (who acted or asked), "
    "approver:@U123, action:" + "|".join(ACTIONS) + " (force: any force kind; drift: what the drift check "
    "found), outcome:" + "|".join(OUTCOMES) + ", "
    "since:2026-11-01 or since:30d, until:2026-11-30 or until:12h (d, h, m or w ago), request:R7K2QX9, "
    "and csv or jsonl to export."
)

# The keys that name a person (`approver:@U123`); the Slack parser checks their values are mentions.
PERSON_KEYS = ("approver", "actor", "user", "by")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_MENTION = re.compile(r"^<@([A-Za-z0-9]+)(?:\|[^>]*)?>$")
_TEL = re.compile(r"^<tel:([^|>]+)(?:\|[^>]*)?>$")  # Slack may send a typed number as a tel: link
_TOKEN = re.compile(r"(?:[^\s<]|<[^>]*>?)+")
_RELATIVE = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class AuditFilter:
    """What to look for. Every field is optional; the fields given must all match.

    `actor` matches rows where that user acted or is the requester of the row's request; `approver`
    matches every row of the requests that user approved or denied; `action` is a name from ACTIONS
    (`force` means any force kind); `since` is inclusive, `until` exclusive, both held in UTC (a bound
    beyond the calendar on its open side, a `since` before year 1 or an `until` after 9999, bounds nothing
    and becomes None).
    """

    e164: str | None = None
    actor: str | None = None
    approver: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        if self.action is not None and self.action not in ACTIONS:
            raise InvalidInput(f"There is no action '{_shown(self.action)}'. {SYNTAX}")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise InvalidInput(f"There is no outcome '{_shown(self.outcome)}'. {SYNTAX}")
        for key in ("since", "until"):
            moment = getattr(self, key)
            if moment is not None and moment.tzinfo is None:
                raise InvalidInput("Give since/until with a time zone (they are compared in UTC).")
            if moment is not None:  # held in UTC, so the store and the paging text never convert it again
                object.__setattr__(self, key, _in_calendar(moment, key, moment.isoformat()))
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InvalidInput("`since` must be earlier than `until`: nothing can match that window.")


@dataclass(frozen=True)
class AuditQuery:
    """A parsed query: the filter, and the export format if one was asked for (`csv` / `jsonl`)."""

    filter: AuditFilter
    export_format: ExportFormat | None = None


def parse_query(text: str, *, now: datetime) -> AuditQuery:
    """Read the Slack syntax (see SYNTAX). Raises InvalidInput, showing the right syntax, on anything else."""
    found: dict[str, object] = {}
    export_format: ExportFormat | None = None
    for match in _TOKEN.finditer(text or ""):
        token = match.group(0)
        key, value = _split(token)
        if key is None:
            lowered = token.lower()
            if lowered in EXPORT_FORMATS:
                if export_format is not None and export_format != lowered:
                    raise InvalidInput("Choose one export format: csv or jsonl.")
                export_format = "csv" if lowered == "csv" else "jsonl"
            elif token.startswith("+") or _TEL.match(token):
                tel = _TEL.match(token)
                _put(found, "e164", validation.e164(tel.group(1) if tel else token), token)
            elif token.startswith(("<@", "@")):
                _put(found, "actor", _user(token), token)
            else:
                raise InvalidInput(f"I do not understand '{_shown(token)}'. {SYNTAX}")
        elif key in PERSON_KEYS[1:]:
            _put(found, "actor", _user(value), token)
        elif key == "approver":
            _put(found, "approver", _user(value), token)
        elif key == "action":
            name = value.lower()
            if name not in ACTIONS:
                raise InvalidInput(f"There is no action '{_shown(value)}'; use one of: {', '.join(ACTIONS)}.")
            _put(found, "action", name, token)
        elif key == "outcome":
            name = OUTCOME_ALIASES.get(value.lower(), value.lower())
            if name not in OUTCOMES:
                raise InvalidInput(f"There is no outcome '{_shown(value)}'; use one of: {', '.join(OUTCOMES)}.")
            _put(found, "outcome", name, token)
        elif key in ("since", "until"):
            _put(found, key, _instant(value, now=now, end_of_day=key == "until", key=key), token)
        elif key in ("request", "req"):
            _put(found, "request_id", validation.request_id(value), token)
        elif key in ("number", "e164"):
            _put(found, "e164", validation.e164(value), token)
        else:
            raise InvalidInput(f"There is no filter '{_shown(key)}:'. {SYNTAX}")
    return AuditQuery(AuditFilter(**found), export_format)  # type: ignore[arg-type]

# The filters as `/numbers help history` lists them (SYNTAX above says the same in an error message).
FILTER_HELP: tuple[tuple[str, str], ...] = (
    ("+918012345678", "one number"),
    ("@person", "rows where they acted or that belong to their requests (mention them, so Slack sends their id)"),
    ("approver:@person", "every row of the requests they approved or denied"),
    ("action:" + "|".join(ACTIONS), "what was done (`force` is any force operation)"),
    ("outcome:" + "|".join(OUTCOMES), "how it ended"),
    ("since:2026-11-01  since:30d", "from a day or that long ago (m, h, d or w)"),
    ("until:2026-11-30  until:12h", "up to the end of that day, or until that long ago"),
    ("request:R7K2QX", "one request"),
    ("csv  jsonl", "`export` only: the file's format (CSV by default)"),
)


def filter_text(audit_filter: AuditFilter) -> str:
    """The filter in the syntax people type, canonical and with absolute times; "" for no filter.

    Relative times (`since:30d`) become the instants they meant when the question was asked, so every page
    of one answer covers the same window; `parse_query` reads the text back to the same filter.
    """
    parts: list[str] = []
    if audit_filter.e164:
        parts.append(audit_filter.e164)
    if audit_filter.actor:
        parts.append(f"@{audit_filter.actor}")
    if audit_filter.approver:
        parts.append(f"approver:@{audit_filter.approver}")
    if audit_filter.action:
        parts.append(f"action:{audit_filter.action}")
    if audit_filter.outcome:
        parts.append(f"outcome:{audit_filter.outcome}")
    if audit_filter.since:
        parts.append(f"since:{_utc_text(audit_filter.since)}")
    if audit_filter.until:
        parts.append(f"until:{_utc_text(audit_filter.until)}")
    if audit_filter.request_id:
        parts.append(f"request:{audit_filter.request_id}")
    return " ".join(parts)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()




def _split(token: str) -> tuple[str | None, str]:
    if token.startswith("<") or ":" not in token:
        return None, token
    key, _, value = token.partition(":")
    if not value:
        raise InvalidInput(f"'{_shown(token)}' needs a value after the colon. {SYNTAX}")
    return key.lower(), value


def _put(found: dict[str, object], field: str, value: object, token: str) -> None:
    if field in found and found[field] != value:
        raise InvalidInput(f"Give only one {field.replace('_', ' ')} ('{_shown(token)}' is a second one).")
    found[field] = value


def _user(raw: str) -> str:
    mention = _MENTION.match(raw)
    user_id = mention.group(1) if mention else raw.removeprefix("@")
    user_id = user_id.upper()
    if not _USER_ID.match(user_id):
        raise InvalidInput(f"Name a person as @U123ABC or <@U123ABC> (their Slack user id); got '{_shown(raw)}'.")
    return user_id


def _instant(raw: str, *, now: datetime, end_of_day: bool, key: str) -> datetime | None:
    example = f"{key}:2026-11-01, {key}:2026-11-01T09:30, or {key}:30d / 12h / 45m / 2w (that long ago)"
    relative = _RELATIVE.match(raw.lower())
    if relative:
        amount = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        if amount > MAX_LOOKBACK:
            raise InvalidInput(f"'{_shown(raw)}' reaches back more than a century. Use {example}.")
        return now - amount
    try:
        day = _date(raw)
        if day is not None:
            start = datetime.combine(day, time(0), tzinfo=timezone.utc)
            if end_of_day and day == date.max:
                return None  # the end of the calendar's last day is past anything that can be stored
            return start + timedelta(days=1) if end_of_day else start
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError):
        raise InvalidInput(f"I cannot read '{_shown(raw)}' as a time. Use {example}.") from None
    return _in_calendar(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc), key, raw)


def _date(raw: str) -> date | None:
    """A date in any ISO form (2026-11-01, 20261101, 2026-W44-7), else None; a date means its whole day."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _in_calendar(moment: datetime, key: str, shown: str) -> datetime | None:
    """`moment` in UTC. Given with an offset, an instant near year 1 or 9999 may lie beyond what a UTC
    datetime holds: on the bound's open side (`since` before, `until` after) it bounds nothing (None); on
    the other side nothing can match, and that is refused with the syntax."""
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        before = moment.year == date.min.year
        if before == (key == "since"):
            return None
        where = "before the first day" if before else "after the last day"
        raise InvalidInput(
            f"'{key}:{_shown(shown)}' lies {where} the calendar holds, so nothing can match it. {SYNTAX}"
        ) from None


def _shown(text: str) -> str:
    """User text echoed back in a message: short, and on one line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= 40 else flat[:39] + "…"
