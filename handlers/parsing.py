"""`/numbers` text -> one small typed command, or a `UsageError` a person can act on.

Parsing is pure and strict about shape (which words, how many, what a number looks like); the
services stay the authority on meaning (whether the number exists, whether a reason is acceptable).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.services import bulk, costs, validation
from bot.services.errors import InvalidInput
from bot.services.audit_filters import PERSON_KEYS
from bot.services.number_filters import SYNTAX as FILTER_SYNTAX, NumberFilter, leading_filters, parse_filters
from handlers.render.text import clip, one_line, unescape

REASON_MAX = 500  # what the services accept; the modal input enforces it too
SEARCH_MAX = validation.MAX_DIGITS  # digits; the services refuse longer searches too
_TEL_LINK = re.compile(r"^<tel:([^|>]+)(?:\|[^>]*)?>$")
_TEL_ANYWHERE = re.compile(r"<tel:([^|>\s]+)(?:\|[^>]*)?>")
_SUB_ACCOUNT = re.compile(r"^SA_[A-Za-z0-9]{1,40}$")
_BULK_COUNT = re.compile(r"^[0-9]{1,2}$")  # `buy 5 ...`; three digits or more are read as a (short) phone number
BULK_MIN, BULK_MAX = bulk.MIN_COUNT, bulk.MAX_COUNT
_SEARCH = re.compile(rf"^\+?[0-9]{{1,{SEARCH_MAX}}}$")
_NOW_FLAGS = ("--now", "--immediate", "—now")  # Slack on macOS turns "--" into an em dash
_PERSON_KEYS = tuple(f"{key}:" for key in PERSON_KEYS)
_TYPED_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")  # what Slack user ids look like (upper case)


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class ListNumbers:
    search: str | None = None
    page: int = 1
    team: str | None = None  # only numbers labelled with this team


@dataclass(frozen=True)
class Show:
    number: str


@dataclass(frozen=True)
class Inventory:
    filters: NumberFilter = NumberFilter()


@dataclass(frozen=True)
class Buy:
    number: str
    reason: str | None  # None: ask for it in a modal


@dataclass(frozen=True)
class BulkBuy:
    count: int
    filters: NumberFilter
    reason: str


@dataclass(frozen=True)
class Release:
    number: str
    reason: str | None
    now: bool = False


@dataclass(frozen=True)
class Assign:
    number: str
    sub_account_id: str


@dataclass(frozen=True)
class Unassign:
    number: str


@dataclass(frozen=True)
class Requests:
    pass


@dataclass(frozen=True)
class History:
    """`filters` is the audit filter text as typed; the audit service reads it (bot.services.audit_filters)."""

    filters: str = ""


@dataclass(frozen=True)
class Trail:
    number: str


@dataclass(frozen=True)
class Export:
    """`filters` may end in `csv` or `jsonl`; the audit service reads it."""

    filters: str = ""


@dataclass(frozen=True)
class Label:
    number: str
    team: str  # as typed; the labels service checks it
    purpose: str | None = None


@dataclass(frozen=True)
class Unlabel:
    number: str


@dataclass(frozen=True)
class Lock:
    number: str
    reason: str


@dataclass(frozen=True)
class Freeze:
    reason: str


@dataclass(frozen=True)
class Unlock:
    number: str


@dataclass(frozen=True)
class Costs:
    by: str = "team"
    csv: bool = False


@dataclass(frozen=True)
class Unfreeze:
    pass


@dataclass(frozen=True)
class Away:
    """`until` is the last day away as typed (`YYYY-MM-DD`); the service checks it against today."""

    until: str


@dataclass(frozen=True)
class Back:
    pass


Command = (
    Help | ListNumbers | Show | Inventory | Buy | BulkBuy | Release | Assign | Unassign | Requests | History | Trail | Export
    | Label | Unlabel | Lock | Unlock | Costs | Freeze | Unfreeze | Away | Back
)


@dataclass(frozen=True)
class Usage:
    """One subcommand as the help shows it."""

    name: str
    synopsis: str
    summary: str
    example: str


USAGES: tuple[Usage, ...] = (
    Usage("help", "help [subcommand]", "Show this help.", "help buy"),
    Usage(
        "list",
        "list [team:<name>] [search]",
        "Our numbers, a page at a time; search by digits, or only a team's (by label).",
        "list team:support 9180",
    ),
    Usage("show", "show +E164", "Everything about one number.", "show +918012345678"),
    Usage(
        "inventory",
        "inventory [COUNTRY] [filters]",
        "Numbers we can buy, with fees and terms; filter by region, digits, price and capability (`help inventory`).",
        "inventory IN region:karnataka max-monthly:300 sms",
    ),
    Usage(
        "buy",
        "buy +E164 <reason>  or  buy N [COUNTRY] [filters] <reason>",
        "Ask to buy a number from inventory, or N (2-20) matching numbers, cheapest first (an approver decides).",
        "buy 5 IN region:karnataka max-monthly:300 New Bengaluru support team",
    ),
    Usage(
        "release",
        "release +E164 <reason> [--now]",
        "Ask to release a number (undoable for 24 h; --now is immediate and final, admins decide).",
        "release +918012345678 Campaign ended",
    ),
    Usage(
        "assign",
        "assign +E164 SA_xxx",
        "Give one of our numbers to a sub-account.",
        "assign +918012345678 SA_SALES0001",
    ),
    Usage(
        "unassign",
        "unassign +E164",
        "Take a number back from its sub-account (a 15-day cool-off applies after calls).",
        "unassign +918012345678",
    ),
    Usage("requests", "requests", "Your requests, and those waiting for your decision.", "requests"),
    Usage(
        "history",
        "history [filters]",
        "Who asked for what, who decided, what happened, newest first; filters combine (`help history`).",
        "history +918012345678 action:purchase since:30d",
    ),
    Usage("trail", "trail +E164", "The whole life of one number as the bot saw it, oldest first.", "trail +918012345678"),
    Usage(
        "export",
        "export [filters] [csv|jsonl]",
        "The matching history as a file (CSV unless you say jsonl), sent to you in a DM.",
        "export since:2026-11-01 outcome:failed csv",
    ),
    Usage(
        "label",
        'label +E164 team:<name> [purpose:"<text>"]',
        "Say which team a number belongs to, and why (anyone may; audited).",
        'label +918012345678 team:support purpose:"Bengaluru helpline"',
    ),
    Usage("unlabel", "unlabel +E164", "Take a number's label off (audited).", "unlabel +918012345678"),
    Usage(
        "lock",
        "lock +E164 <reason>",
        "Admins: keep a number from being released or unassigned until unlocked.",
        "lock +918012345678 Printed on every invoice",
    ),
    Usage("unlock", "unlock +E164", "Admins: lift a number's lock.", "unlock +918012345678"),
    Usage(
        "costs",
        "costs [by:team|sub-account|country] [csv]",
        "What our numbers cost a month per group and currency, and the setup fees paid this month; csv sends a file.",
        "costs by:country",
    ),
    Usage(
        "freeze",
        "freeze <reason>",
        "Admins: stop every Vobiz change (buy, release, undo, assign, force) until unfrozen; requests wait.",
        "freeze Vobiz billing incident, hold all changes",
    ),
    Usage("unfreeze", "unfreeze", "Admins: allow Vobiz changes again.", "unfreeze"),
    Usage(
        "away",
        "away until YYYY-MM-DD",
        "Approvers: reminders leave you out through that day (UTC, inclusive).",
        "away until 2026-12-31",
    ),
    Usage("back", "back", "Approvers: end your away period now; reminders mention you again.", "back"),
)
FILTERS_MAX = 500  # every filter together is far shorter; longer text is a mistake
USAGE_BY_NAME = {usage.name: usage for usage in USAGES}
_ALIASES = {"purchase": "buy", "ls": "list", "get": "show", "unrent": "release", "?": "help", "cost": "costs", "tag": "label", "untag": "unlabel"}


class UsageError(Exception):
    """The text cannot be understood. `message` is plain text (escape it when rendering)."""

    def __init__(self, message: str, *, subcommand: str | None = None, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.subcommand = subcommand
        self.suggestion = suggestion


def parse_command(text: str | None) -> Command:
    normalized = _normalize(text or "")
    words = normalized.split()
    if not words:
        return Help()
    name = words[0].lower()
    name = _ALIASES.get(name, name)
    args = words[1:]
    parser = _PARSERS.get(name)
    if parser is None:
        shown = clip(one_line(words[0]), 30)
        matches = difflib.get_close_matches(name, list(_PARSERS), n=1, cutoff=0.6)
        suggestion = matches[0] if matches else None
        raise UsageError(f"I don't know the subcommand “{shown}”.", suggestion=suggestion)
    return parser(args, normalized[len(words[0]):].strip())


def _normalize(text: str) -> str:
    """Slack's escaping undone once, `<tel:...|...>` links (clients may add them) made plain numbers."""
    text = _TEL_ANYWHERE.sub(lambda m: m.group(1), text)
    return unescape(text).strip()


def _help(args: list[str], _rest: str) -> Help:
    if not args:
        return Help()
    topic = _ALIASES.get(args[0].lower(), args[0].lower())
    return Help(topic if topic in USAGE_BY_NAME else None)


def _list(args: list[str], _rest: str) -> ListNumbers:
    teams = [arg for arg in args if arg.lower().startswith("team:")]
    if len(teams) > 1:
        raise UsageError("Name one team: `list team:<name>`.", subcommand="list")
    team = teams[0][len("team:"):] if teams else None
    if team is not None and not team:
        raise UsageError("Which team? Say `list team:<name>`.", subcommand="list")
    rest = [arg for arg in args if not arg.lower().startswith("team:")]
    return ListNumbers(search=_search(rest, "list"), team=team)


def _show(args: list[str], _rest: str) -> Show:
    return Show(_one_number(args, "show"))


def _inventory(args: list[str], rest: str) -> Inventory:
    return Inventory(read_number_filters(rest, "inventory"))


def read_number_filters(text: str, subcommand: str) -> NumberFilter:
    """The inventory filters in `text`; a mistake in them is a usage error that shows their syntax."""
    try:
        return parse_filters(text)
    except InvalidInput as error:
        raise UsageError(error.user_message, subcommand=subcommand) from None


def _buy(args: list[str], rest: str) -> Buy | BulkBuy:
    if not args:
        raise UsageError("Which number? Say `buy +E164 <reason>`.", subcommand="buy")
    if _BULK_COUNT.match(args[0]):
        return _bulk_buy(int(args[0]), rest.split(None, 1)[1] if len(args) > 1 else "")
    number, used = leading_number(args, "buy")
    return Buy(number, _reason(rest, used, "buy"))


def _bulk_buy(count: int, rest: str) -> BulkBuy:
    if not BULK_MIN <= count <= BULK_MAX:
        raise UsageError(
            f"A bulk purchase buys {BULK_MIN} to {BULK_MAX} numbers; {count} is outside that. Say "
            f"`buy N [COUNTRY] [filters] <reason>` (filters: `{FILTER_SYNTAX}`), or for one number `buy +E164 <reason>`.",
            subcommand="buy",
        )
    filter_text, reason = leading_filters(rest)
    wanted = read_number_filters(filter_text, "buy")
    if not reason:
        raise UsageError(
            f"Please give a reason after the filters: `buy {count} {filter_text or '[COUNTRY] [filters]'} <reason>`.",
            subcommand="buy",
        )
    return BulkBuy(count, wanted, check_reason(one_line(reason), "buy"))


def _release(args: list[str], rest: str) -> Release:
    now = any(arg.lower() in _NOW_FLAGS for arg in args)
    kept = [arg for arg in args if arg.lower() not in _NOW_FLAGS]
    if not kept:
        raise UsageError("Which number? Say `release +E164 <reason>`.", subcommand="release")
    number, used = leading_number(kept, "release")
    for flag in _NOW_FLAGS:
        rest = re.sub(rf"(?i)(^|\s){re.escape(flag)}(?=\s|$)", " ", rest)
    return Release(number, _reason(rest.strip(), used, "release"), now=now)


def _assign(args: list[str], _rest: str) -> Assign:
    if len(args) < 2 or not all(validation.is_number_word(arg) for arg in args[:-1]):
        raise UsageError("Say `assign +E164 SA_xxx`: a number and a sub-account id.", subcommand="assign")
    number = parse_number("".join(args[:-1]), "assign", shown=" ".join(args[:-1]))
    if not _SUB_ACCOUNT.match(args[-1]):
        raise UsageError(
            f"“{clip(args[-1], 40)}” is not a sub-account id; they look like SA_SALES0001.",
            subcommand="assign",
        )
    return Assign(number, args[-1])


def _unassign(args: list[str], _rest: str) -> Unassign:
    return Unassign(_one_number(args, "unassign"))


def _requests(args: list[str], _rest: str) -> Requests:
    if args:
        raise UsageError("`requests` takes nothing after it.", subcommand="requests")
    return Requests()


def _history(args: list[str], rest: str) -> History:
    return History(_filters(args, rest, "history"))


def _trail(args: list[str], _rest: str) -> Trail:
    return Trail(_one_number(args, "trail"))


def _export(args: list[str], rest: str) -> Export:
    return Export(_filters(args, rest, "export"))


def _freeze(args: list[str], rest: str) -> Freeze:
    if not args:
        raise UsageError("Say why: `freeze <reason>` (it is shown to everyone who is refused meanwhile).", subcommand="freeze")
    return Freeze(check_reason(one_line(rest), "freeze"))


def _unfreeze(args: list[str], _rest: str) -> Unfreeze:
    if args:
        raise UsageError("`unfreeze` takes nothing after it.", subcommand="unfreeze")
    return Unfreeze()


def _filters(args: list[str], rest: str, subcommand: str) -> str:
    """The filter text, once it is short enough and names people the way Slack can send them."""
    if len(rest) > FILTERS_MAX:
        raise UsageError(
            f"Those filters are {len(rest):,} characters long; all of them together fit in {FILTERS_MAX}.",
            subcommand=subcommand,
        )
    for arg in args:
        value = next((arg[len(k):] for k in _PERSON_KEYS if arg.lower().startswith(k)), arg)
        if value.startswith("@") and not _TYPED_USER_ID.match(value[1:]):
            raise UsageError(
                f"I cannot look people up by name (“{clip(one_line(arg), 40)}”). Mention them instead: type @ and "
                "pick the person from Slack's list, so Slack sends me their id (or type the id, e.g. @U0123ABCD).",
                subcommand=subcommand,
            )
    return rest


_QUOTES = "\"“”"


def _label(args: list[str], rest: str) -> Label:
    usage = 'Say `label +E164 team:<name> [purpose:"<text>"]`.'
    if not args:
        raise UsageError(f"Which number? {usage}", subcommand="label")
    number, used = leading_number(args, "label")
    text = " ".join(rest.split(None, used)[used:]).strip()
    team: str | None = None
    purpose: str | None = None
    while text:
        lowered = text.lower()
        if lowered.startswith("team:"):
            if team is not None:
                raise UsageError(f"Give one team. {usage}", subcommand="label")
            word, _, text = text[len("team:"):].partition(" ")
            team = word
        elif lowered.startswith("purpose:"):
            if purpose is not None:
                raise UsageError(f"Give one purpose. {usage}", subcommand="label")
            purpose, text = _purpose_text(text[len("purpose:"):].lstrip(), usage)
        else:
            raise UsageError(f"I do not understand “{clip(one_line(text), 40)}”. {usage}", subcommand="label")
        text = text.strip()
    if not team:
        raise UsageError(f"Which team? {usage}", subcommand="label")
    return Label(number, team, purpose)


def _purpose_text(text: str, usage: str) -> tuple[str, str]:
    """The purpose at the start of `text` (in quotes, or else up to a `team:`) and what follows it."""
    if text[:1] in _QUOTES:
        end = next((i for i in range(1, len(text)) if text[i] in _QUOTES), -1)
        if end < 0:
            raise UsageError(f"The purpose's closing quote is missing. {usage}", subcommand="label")
        return text[1:end], text[end + 1 :]
    match = re.search(r"(?i)(^|\s)team:", text)
    if match:
        return text[: match.start()], text[match.start() :]
    return text, ""


def _unlabel(args: list[str], _rest: str) -> Unlabel:
    return Unlabel(_one_number(args, "unlabel"))


def _lock(args: list[str], rest: str) -> Lock:
    if not args:
        raise UsageError("Which number? Say `lock +E164 <reason>`.", subcommand="lock")
    number, used = leading_number(args, "lock")
    reason = _reason(rest, used, "lock")
    if reason is None:
        raise UsageError("Why lock it? Say `lock +E164 <reason>`; the reason is shown to whoever tries to release it.", subcommand="lock")
    return Lock(number, reason)


def _unlock(args: list[str], _rest: str) -> Unlock:
    return Unlock(_one_number(args, "unlock"))


def _costs(args: list[str], _rest: str) -> Costs:
    by: str | None = None
    as_csv = False
    for arg in args:
        lowered = arg.lower()
        if lowered == "csv" and not as_csv:
            as_csv = True
        elif lowered.startswith("by:") and by is None:
            try:
                by = costs.grouping(arg[len("by:"):])
            except InvalidInput as error:
                raise UsageError(error.user_message, subcommand="costs") from None
        else:
            raise UsageError(f"I do not understand “{clip(one_line(arg), 30)}” here.", subcommand="costs")
    return Costs(by=by or "team", csv=as_csv)


_DAY = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")


def _away(args: list[str], _rest: str) -> Away:
    words = args[1:] if args and args[0].lower() == "until" else args
    if len(words) != 1 or not _DAY.match(words[0]):
        shown = f" (not “{clip(one_line(' '.join(args)), 30)}”)" if args else ""
        raise UsageError(f"Say `away until YYYY-MM-DD`: the last day you are away, in UTC{shown}.", subcommand="away")
    year, month, day = words[0].split("-")
    return Away(f"{year}-{int(month):02d}-{int(day):02d}")


def _back(args: list[str], _rest: str) -> Back:
    if args:
        raise UsageError("`back` takes nothing after it.", subcommand="back")
    return Back()


_PARSERS = {
    "help": _help,
    "list": _list,
    "show": _show,
    "inventory": _inventory,
    "buy": _buy,
    "release": _release,
    "assign": _assign,
    "unassign": _unassign,
    "requests": _requests,
    "history": _history,
    "trail": _trail,
    "export": _export,
    "label": _label,
    "unlabel": _unlabel,
    "lock": _lock,
    "unlock": _unlock,
    "costs": _costs,
    "freeze": _freeze,
    "unfreeze": _unfreeze,
    "away": _away,
    "back": _back,
}


# How the parser words api.phone's reasons (the services and the API word them their own way).
_PROBLEM_WORDS = {
    validation.Problem.NOT_A_NUMBER: "is not a phone number",
    validation.Problem.TOO_SHORT: "is too short to be a phone number",
    validation.Problem.TOO_LONG: "is too long to be a phone number",
    validation.Problem.NO_COUNTRY_CODE: "is not a possible phone number",
    validation.Problem.NOT_POSSIBLE: "is not a possible phone number",
}


def parse_number(token: str, subcommand: str | None = None, *, shown: str | None = None) -> str:
    """A token that could be a phone number, as `+` and its digits, else `UsageError` quoting `shown`
    (what the person typed; the token by default). The rules are api.phone's (through the services, which
    validate the number again as the authority); this only says early, with the subcommand's usage."""
    problem = _number_problem(token)
    if problem:
        raise UsageError(
            f"“{clip(one_line(shown or token), 40)}” {problem}. Write it in E.164 form with the country code, "
            "e.g. +918012345678.",
            subcommand=subcommand,
        )
    return "+" + re.sub(r"\D", "", _tel_target(token))


def _tel_target(token: str) -> str:
    tel = _TEL_LINK.match(token)
    return tel.group(1) if tel else token


def _number_problem(token: str) -> str | None:
    """Why a word is not a phone number, in the parser's words, or None when it is a possible one."""
    raw = _tel_target(token)
    if not validation.is_number_word(raw):
        return _PROBLEM_WORDS[validation.Problem.NOT_A_NUMBER]
    problem = validation.number_problem(raw)
    return _PROBLEM_WORDS[problem] if problem else None


def leading_number(args: list[str], subcommand: str) -> tuple[str, int]:
    """The number at the start of `args` and how many words it took.

    A number pasted as people write it (`+91 11 2154 6828`, `+1 (212) 845-6979`) arrives as several words;
    when the first word alone is not a possible number, the leading words made only of phone-number
    characters are joined. Of the joins that make a possible number, the one that is also a valid number
    wins; when that still leaves a choice (the reason starts with digits), the person is asked to write the
    number without spaces rather than guessed at.
    """
    if _number_problem(args[0]) is None or not validation.is_number_word(args[0]):
        return parse_number(args[0], subcommand), 1
    run = 1
    while run < len(args) and validation.is_number_word(args[run]):
        run += 1
    possible = [n for n in range(2, run + 1) if _number_problem("".join(args[:n])) is None]
    if len(possible) > 1:
        valid = [n for n in possible if validation.is_valid_number("".join(args[:n]))]
        possible = valid if len(valid) == 1 else possible
    if len(possible) == 1:
        used = possible[0]
        return parse_number("".join(args[:used]), subcommand), used
    typed = " ".join(args[:run])
    if possible:
        raise UsageError(
            f"I cannot tell where the number ends in “{clip(one_line(typed), 40)}”. Write it without spaces, "
            "e.g. +918012345678.",
            subcommand=subcommand,
        )
    return parse_number("".join(args[:run]), subcommand, shown=typed), run


def _one_number(args: list[str], subcommand: str) -> str:
    """All of `args` as one number (a pasted `+1 (212) 845-6979` is several words)."""
    if len(args) == 1:
        return parse_number(args[0], subcommand)
    if not args or not all(validation.is_number_word(arg) for arg in args):
        synopsis = USAGE_BY_NAME[subcommand].synopsis
        raise UsageError(f"Say `{synopsis}`: exactly one number.", subcommand=subcommand)
    return parse_number("".join(args), subcommand, shown=" ".join(args))


def _search(args: list[str], subcommand: str) -> str | None:
    if not args:
        return None
    joined = "".join(args)
    cleaned = re.sub(r"[\s\-()./]", "", joined)
    if not _SEARCH.match(cleaned):
        raise UsageError(
            f"Search by the digits of a number, e.g. `{subcommand} 9180`; “{clip(one_line(joined), 30)}” is not that.",
            subcommand=subcommand,
        )
    return cleaned


def _reason(rest: str, words_used: int, subcommand: str) -> str | None:
    """What follows the number's `words_used` words in `rest`, or None when nothing does."""
    remainder = rest.split(None, words_used)[words_used:]
    reason = one_line(remainder[0]) if remainder else ""
    if not reason:
        return None
    check_reason(reason, subcommand)
    return reason


def check_reason(reason: str, subcommand: str | None = None) -> str:
    """The reason stripped, or `UsageError` when it is empty or too long."""
    reason = reason.strip()
    if not reason:
        raise UsageError("Please give a reason.", subcommand=subcommand)
    if len(reason) > REASON_MAX:
        raise UsageError(
            f"The reason is {len(reason):,} characters long; keep it to {REASON_MAX}.",
            subcommand=subcommand,
        )
    return reason
