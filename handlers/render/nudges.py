"""What the bot says to move a waiting request along (issue 14): reminders and the escalation in the approval
message's thread, the approval message's note when everyone who may decide is away, the answers to
`/numbers away` and `/numbers back`, and the line telling a requester how to ask again after an expiry.

Mentions are the point of a reminder, so its people are pinged: users as `<@U...>`, user groups as
`<!subteam^S...>` (ids only ever come from the bot's own configuration, checked at start-up). Everything a
person typed is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.services.away import AwayPeriod
from bot.services.records import ApprovalRequest, Kind
from bot.services.reminders import MAX_REMINDERS, Nudge
from handlers.render.kit import Block, Message, context, message, section, text_message
from handlers.render.request_text import KIND_TITLE
from handlers.render.text import duration, escape, number_label, one_line, person, slack_date


def mention(entry: str) -> str:
    """A Slack user id as a user mention, a user-group id as a group mention."""
    return f"<!subteam^{entry}>" if entry.startswith("S") else f"<@{entry}>"


def _waited(waited: timedelta) -> str:
    return duration(waited.total_seconds())


def _away_list(away: Sequence[AwayPeriod]) -> str:
    return ", ".join(f"{person(p.user_id, p.name)} until {p.until.isoformat()}" for p in away)


def nudge_message(nudge: Nudge) -> Message:
    """The reply posted in the approval message's thread for one reminder or the escalation."""
    request = nudge.request
    what = (
        f"{KIND_TITLE[request.kind].lower()} of {number_label(request.e164)} that "
        f"{person(request.requester.user_id, request.requester.name)} asked for"
    )
    who = " ".join(mention(entry) for entry in nudge.mentions)
    if nudge.is_escalation:
        head = f":rotating_light: *Escalated to the admins*: nobody has decided the {what} in {_waited(nudge.waited)}."
    else:
        head = f":bell: *Reminder {nudge.number} of {MAX_REMINDERS}*: the {what} has waited {_waited(nudge.waited)} for a decision."
    ask = f"{who}: please approve or deny it above."
    if not who:
        ask = (
            f"Everyone who may decide it is away ({_away_list(nudge.away)})." if nudge.away
            else "Nobody could be mentioned: everyone it would remind is away or asked for it (or none is configured)."
        )
    closing = f"It expires {slack_date(request.expires_at)} unless decided."
    text = f"{head} {ask} {closing}"
    label = "Escalation" if nudge.is_escalation else f"Reminder {nudge.number} of {MAX_REMINDERS}"
    fallback = f"{label} for request {escape(request.id)}: " + (ask if who else "nobody who may decide it could be mentioned.")
    return message(fallback, [section(text)])


def away_note(away: Sequence[AwayPeriod], *, force: bool) -> str:
    """The approval message's line when everyone who may decide it (but the requester) is away."""
    who = "Every admin (only admins decide a force operation)" if force else "Everyone who may decide this"
    return f":palm_tree: {who} is away: {_away_list(away)} (UTC, inclusive). It waits for them until it expires."


def away_set(period: AwayPeriod) -> Message:
    text = (
        f":palm_tree: You are away through {period.until.isoformat()} (UTC): reminders leave you out until "
        f"{slack_date(period.ends_at)}. Say `/numbers back` when you return earlier. You can still decide requests."
    )
    return text_message(text)


def away_back(period: AwayPeriod | None) -> Message:
    if period is None:
        text = "You are not marked away, so nothing changed. (`/numbers away until YYYY-MM-DD` marks you away.)"
    else:
        text = f":wave: Welcome back: you were marked away through {period.until.isoformat()}; reminders mention you again."
    return text_message(text)


def ask_again(request: ApprovalRequest) -> str:
    """The line telling a requester whose request expired unanswered exactly what to type to ask again."""
    number = request.e164
    reason = escape(one_line(request.reason)).replace("`", "'")
    if request.is_bulk:  # its filters are not kept: the person repeats them (the matches may differ now)
        command = f"`/numbers buy {len(request.items)} [COUNTRY] [filters] {reason}` with the filters you used"
    elif request.kind is Kind.PURCHASE:
        command = f"`/numbers buy {number} {reason}`"
    elif request.kind is Kind.RELEASE:
        command = f"`/numbers release {number} {reason}`"
    elif request.kind is Kind.RELEASE_NOW:
        command = f"`/numbers release {number} {reason} --now`"
    else:
        return (
            f"Nobody answered it in time. To ask again, say `/numbers unassign {number}` and press "
            "*Request force unassign*."
        )
    return f"Nobody answered it in time. To ask again, say {command}"


def away_context(away: Sequence[AwayPeriod], *, force: bool) -> Block:
    return context(away_note(away, force=force))


__all__ = ["ask_again", "away_back", "away_context", "away_note", "away_set", "mention", "nudge_message"]
