"""Draining the services' outbox to Slack.

The services write a notification into the outbox in the same transaction as the change it announces;
this module delivers them:

- `history` (ref = audit id): one readable line in HISTORY_CHANNEL, at most one line per
  `history_interval_s` (about a second) per channel, in audit order.
- `approval_message` (ref = request id): posted to APPROVAL_CHANNEL the first time (then
  `approvals.record_message`), re-drawn from the request's current state with `chat.update` after.
- `requester_notice` (ref = request id): a DM telling the requester the decision and the outcome.
- `checkpoint` (ref = checkpoint id): one line in HISTORY_CHANNEL with the audit chain's head hash, head
  row id and row count (paced with the history lines): the witness kept outside the database.
- `drift` (ref = audit id of an `event=drift` row): one line in HISTORY_CHANNEL saying what the drift check
  found at Vobiz that the bot did not do (paced with the history lines).
- `approvals_notice` (ref = audit id): that row's notice in APPROVAL_CHANNEL (the bot frozen or unfrozen).
- `approval_nudge` (ref = `<request id>:<nudge>`): a reminder or the escalation, as a reply in the approval
  message's thread (`thread_ts` = its ts), mentioning whom the reminder job chose. It waits while the approval
  message has not been posted, and is dropped unposted when the request was decided meanwhile.

A failed delivery is never lost: 429 waits for Retry-After, 5xx, timeouts and connection errors back
off, anything else retries much later and is logged. A delivery failure only delays a message; it never
touches what was executed. `deliver_due()` is one pass (the worker calls it); `drain()` repeats passes
until nothing is due now, waiting out the history pacing with the injected `sleep`, so tests drain
deterministically.

Exactly once where Slack cannot say: Slack has no idempotency key, and a `chat.postMessage` that timed out
(or got a 5xx) may have been posted all the same. Every post to a channel carries message metadata naming
its outbox kind and ref; before posting again after such an uncertain failure, the channel's history around
the first attempt is searched for it (`conversations.history` with `include_all_metadata`), and a message
found there is taken as the post instead of posting a second copy (a second approval message would keep its
Approve/Deny buttons forever; a second history line would double the audit mirror).

Order: once a line for the history channel fails in a pass, no later line for that channel is posted in the
same pass (the outbox's `due()` holds later history items back while an older one waits for its retry), so
the channel reads in audit order.

Many processes: `due()` claims the items it returns for this process, so processes sharing the store
(gunicorn workers, web and Socket Mode worker, machines on one PostgreSQL) never deliver one item twice,
and only one of them at a time holds history lines, oldest first. Right before delivering an item the claim
is re-checked (`outbox.hold`); an item another process took meanwhile is skipped, and a history-channel
line lost that way holds back the later ones in this pass. Items a pass did not get to (paced or held
back) are released at its end. An item a dead process began to post (its claim ran out) is taken over with
the same lookup as a retry after an uncertain failure: found in the channel, it is not posted again.

An approval message Slack refuses for good (`not_in_channel`, `channel_not_found`, `is_archived` ...) is
logged as an ERROR naming the channel and the error, the requester is told by DM that the approvals channel
could not be reached and an admin must invite the bot, and it is retried every `PERMANENT_RETRY_S`.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.outbound.posted_witness import checkpoint_payload
from bot.services.errors import ServiceError
from bot.services.records import ApprovalRequest, AuditEntry, OutboxItem, OutboxKind, Status
from handlers.render.history import checkpoint_line, drift_line, history_line
from handlers.render.approvals import approval_channel_unreachable, approval_message, requester_notice
from handlers.render.freeze import freeze_notice
from handlers.render.nudges import nudge_message
from bot.services.clock import utc_now
from handlers.listeners.reply import direct_message

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("handlers.outbound.delivery")

# These share the history channel's one-line-a-second pacing.
HISTORY_CHANNEL_KINDS = (OutboxKind.HISTORY, OutboxKind.CHECKPOINT, OutboxKind.DRIFT)

MAX_BACKOFF_S = 300.0
PERMANENT_RETRY_S = 900.0  # Slack refused for a reason retrying soon will not fix (e.g. not_in_channel)
THREAD_WAIT_S = 60.0  # a reminder whose approval message is not posted yet looks again this much later
TRANSIENT_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, OSError)
SLACK_TRANSIENT_ERRORS = ("internal_error", "fatal_error", "service_unavailable", "request_timeout")

# Message metadata on every channel post, so a post whose answer was lost can be found again.
OUTBOX_EVENT_TYPE = "numbers_bot_outbox"
# Around the first attempt of an uncertain post, where Slack may have put it (clock skew; a slow answer).
LOOKUP_BEFORE_S = 120.0
LOOKUP_AFTER_S = 600.0
LOOKUP_UNKNOWN_ATTEMPT_S = 2 * 86400.0  # attempted by an earlier process: how far back to look
LOOKUP_PAGE_SIZE = 200
LOOKUP_MAX_PAGES = 5


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0  # failed now, scheduled again
    paced: int = 0  # history lines waiting for their channel's next slot
    held: int = 0  # history-channel lines kept back because an earlier one failed in this pass

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.delivered + other.delivered,
            self.retried + other.retried,
            self.paced + other.paced,
            self.held + other.held,
        )


class ThreadNotPosted(Exception):
    """A reminder's approval message has not been posted yet: it has no thread to reply in."""


class ApprovalChannelUnreachable(Exception):
    """Slack refused for good to post an approval message (the bot is not in the channel, it is archived ...)."""

    def __init__(self, request: ApprovalRequest, channel: str, error: str) -> None:
        super().__init__(f"approval message of {request.id} refused in {channel}: {error}")
        self.request = request
        self.channel = channel
        self.error = error


class Delivery:
    def __init__(
        self,
        services: Services,
        client: WebClient,
        *,
        approval_channel: str,
        history_channel: str,
        now: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
        history_interval_s: float = 1.0,
        batch: int = 100,
    ) -> None:
        self._services = services
        self._client = client
        self._approval_channel = approval_channel
        self._history_channel = history_channel
        self._now = now
        self._monotonic = monotonic
        self._sleep = sleep
        self._wall = wall  # Slack's own timestamps are Unix seconds: what conversations.history is searched by
        self._interval = history_interval_s
        self._batch = batch
        self._next_slot: dict[str, float] = {}
        self._dm_channels: dict[str, str] = {}
        # (kind, ref) -> Unix times of this process's first and latest attempts to post it, until it is posted
        self._attempted: dict[tuple[str, str], tuple[float, float]] = {}
        self._uncertain: set[tuple[str, str]] = set()  # a post whose answer was lost: it may be in Slack
        self._told_unreachable: set[str] = set()  # requests whose requester heard their approval post failed
        self._lock = threading.Lock()  # one pass at a time: the worker and a test's drain() never overlap

    # ------------------------------------------------------------ passes

    def deliver_due(self) -> DeliveryReport:
        """One pass over what is due now."""
        with self._lock:
            return self._pass()

    def drain(self, *, max_passes: int = 1000) -> DeliveryReport:
        """Deliver until nothing is due now; history pacing is waited out with the injected sleep."""
        total = DeliveryReport()
        for _ in range(max_passes):
            with self._lock:
                report = self._pass()
            total += report
            if report.paced:
                self._sleep(max(0.0, self._next_free_slot() - self._monotonic()))
                continue
            if not report.delivered:
                return total
        return total

    def _pass(self) -> DeliveryReport:
        items: list[OutboxItem] = list(self._services.outbox.due(self._batch))
        delivered = retried = paced = held = 0
        drawn: set[tuple[str, str]] = set()
        history_blocked = False  # a history-channel line failed in this pass: later ones wait (audit order)
        untouched: list[int] = []  # claimed, but paced or held back: released at the end of the pass
        for item in items:
            key = (item.kind, item.ref)
            if item.kind in (OutboxKind.APPROVAL_MESSAGE, OutboxKind.REQUESTER_NOTICE) and key in drawn:
                # drawn from the current state earlier in this pass, which already includes this change
                self._services.outbox.done(item.id)
                delivered += 1
                continue
            if item.kind in HISTORY_CHANNEL_KINDS:
                if history_blocked:
                    held += 1
                    untouched.append(item.id)
                    continue
                if not self._slot_free(self._history_channel):
                    paced += 1
                    untouched.append(item.id)
                    continue
            if not self._services.outbox.hold(item.id):  # our claim ran out and another process took it
                log.info("outbox item %s (%s %s) was taken over by another process; leaving it", item.id, *key)
                history_blocked = history_blocked or item.kind in HISTORY_CHANNEL_KINDS
                continue
            if self._deliver(item):
                delivered += 1
                drawn.add(key)
            else:
                retried += 1
                history_blocked = history_blocked or item.kind in HISTORY_CHANNEL_KINDS
        self._services.outbox.release(untouched)  # another process may deliver them before our next pass
        return DeliveryReport(delivered, retried, paced, held)

    # ------------------------------------------------------------ one item

    def _deliver(self, item: OutboxItem) -> bool:
        try:
            if item.kind == OutboxKind.HISTORY:
                self._post_history(item)
            elif item.kind == OutboxKind.APPROVAL_MESSAGE:
                self._draw_approval_message(item)
            elif item.kind == OutboxKind.REQUESTER_NOTICE:
                self._notify_requester(item.ref)
            elif item.kind == OutboxKind.CHECKPOINT:
                self._post_checkpoint(item)
            elif item.kind == OutboxKind.DRIFT:
                self._post_drift(item)
            elif item.kind == OutboxKind.APPROVALS_NOTICE:
                self._post_approvals_notice(item)
            elif item.kind == OutboxKind.APPROVAL_NUDGE:
                self._post_nudge(item)
            else:
                raise ValueError(f"unknown outbox kind {item.kind!r}")
        except ApprovalChannelUnreachable as exc:
            self._approval_channel_unreachable(exc)
            self._services.outbox.retry_later(item.id, f"slack: {exc.error}", PERMANENT_RETRY_S)
            return False
        except ThreadNotPosted:
            self._services.outbox.retry_later(item.id, "waiting for the approval message to be posted", THREAD_WAIT_S)
            return False
        except Exception as exc:  # every failure becomes a later retry; nothing is dropped
            delay, reason = self._retry_plan(exc, item)
            self._services.outbox.retry_later(item.id, reason, delay)
            return False
        self._services.outbox.done(item.id)
        return True

    def _post_history(self, item: OutboxItem) -> None:
        entry = self._audit_entry(int(item.ref))
        self._take_slot(self._history_channel)
        self._post_once(item, self._history_channel, history_line(entry))

    def _post_checkpoint(self, item: OutboxItem) -> None:
        checkpoint = self._services.integrity.checkpoint_by_id(int(item.ref))
        if checkpoint is None:
            raise LookupError(f"checkpoint {item.ref} does not exist")
        self._take_slot(self._history_channel)
        # the checkpoint itself in the metadata: what `numbers-bot audit verify` reads back (handlers.outbound.posted_witness)
        self._post_once(item, self._history_channel, checkpoint_line(checkpoint), extra=checkpoint_payload(checkpoint))

    def _post_drift(self, item: OutboxItem) -> None:
        entry = self._audit_entry(int(item.ref))
        self._take_slot(self._history_channel)
        self._post_once(item, self._history_channel, drift_line(entry))

    def _post_approvals_notice(self, item: OutboxItem) -> None:
        notice = freeze_notice(self._audit_entry(int(item.ref)))
        self._post_once(item, self._approval_channel, notice["text"], notice["blocks"])

    def _post_nudge(self, item: OutboxItem) -> None:
        nudge = self._services.reminders.nudge(item.ref)
        request = nudge.request
        if request.status is not Status.PENDING:
            log.info("not posting %s: request %s was %s meanwhile", item.ref, request.id, request.status.value)
            return
        if not (request.approval_channel and request.approval_ts):
            raise ThreadNotPosted(request.id)
        msg = nudge_message(nudge)
        self._post_once(item, request.approval_channel, msg["text"], msg["blocks"], thread_ts=request.approval_ts)

    def _draw_approval_message(self, item: OutboxItem) -> None:
        request = self._services.approvals.get(item.ref)
        msg = approval_message(request, now=self._now(), away=self._services.reminders.away_deciders(request))
        if request.approval_channel and request.approval_ts:
            try:
                self._client.chat_update(
                    channel=request.approval_channel, ts=request.approval_ts, text=msg["text"], blocks=msg["blocks"]
                )
                return
            except SlackApiError as exc:
                if _slack_error(exc) != "message_not_found":
                    raise
                log.warning("approval message of %s was deleted; posting it again", request.id)
        # One message per request, whichever of its outbox items (one per state change) posts it: the
        # metadata and the lookup key are (approval_message, request id).
        try:
            channel, ts = self._post_once(item, self._approval_channel, msg["text"], msg["blocks"])
        except SlackApiError as exc:
            if _failure_kind(exc) == "permanent":
                raise ApprovalChannelUnreachable(request, self._approval_channel, _slack_error(exc) or "refused") from exc
            raise
        self._services.approvals.record_message(request.id, channel, ts)
        self._told_unreachable.discard(request.id)

    def _notify_requester(self, ref: str) -> None:
        request = self._services.approvals.get(ref)
        direct_message(self._client, request.requester.user_id, requester_notice(request, now=self._now()))

    def _audit_entry(self, audit_id: int) -> AuditEntry:
        entry = self._services.history.entry(audit_id)
        if entry is None:
            raise LookupError(f"audit entry {audit_id} does not exist")
        return entry

    # ------------------------------------------------------------ posting exactly once

    def _post_once(
        self,
        item: OutboxItem,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        extra: dict[str, Any] | None = None,
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        """Post `text` (and `blocks`) for this outbox item, unless an earlier attempt whose answer was lost
        did post it: then that message is found and its (channel, ts) returned instead. `extra`: more fields
        for the metadata payload (kind and ref always win). `thread_ts`: a reply in that message's thread
        (looked up among the thread's replies)."""
        key = (item.kind, item.ref)
        # Looked up first: after an uncertain failure here, or when an earlier attempt was not this process's
        # (a retry after a restart; a process that died holding the claim, maybe after its post landed).
        if key in self._uncertain or (key not in self._attempted and (item.attempts > 0 or item.attempted_elsewhere)):
            found = self._find_posted(channel, key, thread_ts=thread_ts)
            if found is not None:
                log.info("outbox item %s (%s %s) was posted after all (ts %s); not posting it again", item.id, *key, found)
                self._forget(key)
                return channel, found
        now = self._wall()
        self._attempted[key] = (self._attempted.get(key, (now, now))[0], now)
        try:
            posted = self._client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                metadata={"event_type": OUTBOX_EVENT_TYPE, "event_payload": {**(extra or {}), "kind": key[0], "ref": key[1]}},
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            if _failure_kind(exc) == "uncertain":
                self._uncertain.add(key)
            raise
        self._forget(key)
        return str(posted["channel"]), str(posted["ts"])

    def _find_posted(self, channel: str, key: tuple[str, str], *, thread_ts: str | None = None) -> str | None:
        """The ts of this item's message in `channel` (in `thread_ts`'s thread when given: replies are not in
        the channel's history), if an earlier attempt posted it. A refusal to read the channel (a missing
        scope ...) is logged and treated as not found: at least once beats never."""
        tries = self._attempted.get(key)
        if tries is None:  # attempted by an earlier process, when exactly is not known
            oldest, latest = self._wall() - LOOKUP_UNKNOWN_ATTEMPT_S, None
        else:
            oldest, latest = tries[0] - LOOKUP_BEFORE_S, tries[1] + LOOKUP_AFTER_S
        cursor: str | None = None
        for _ in range(LOOKUP_MAX_PAGES):
            try:
                window: dict[str, Any] = {
                    "channel": channel,
                    "oldest": f"{oldest:.6f}",
                    "latest": f"{latest:.6f}" if latest is not None else None,
                    "limit": LOOKUP_PAGE_SIZE,
                    "include_all_metadata": True,
                    "cursor": cursor,
                }
                if thread_ts is not None:
                    page = self._client.conversations_replies(ts=thread_ts, **window)
                else:
                    page = self._client.conversations_history(**window)
            except SlackApiError as exc:
                if _failure_kind(exc) != "permanent":
                    raise  # rate-limited or Slack trouble: look again on the retry, never post blindly now
                log.warning(
                    "could not read %s to check whether %s %s was already posted (%s); posting it",
                    channel, *key, _slack_error(exc) or "refused",
                )
                return None
            for message in page.get("messages") or []:
                if _is_post_of(message, key):
                    return str(message.get("ts"))
            cursor = ((page.get("response_metadata") or {}).get("next_cursor")) or None
            if not page.get("has_more") or not cursor:
                return None
        log.warning("gave up looking for %s %s in %s after %d pages; posting it", *key, channel, LOOKUP_MAX_PAGES)
        return None

    def _forget(self, key: tuple[str, str]) -> None:
        self._attempted.pop(key, None)
        self._uncertain.discard(key)

    # ------------------------------------------------------------ an approvals channel Slack refuses

    def _approval_channel_unreachable(self, exc: ApprovalChannelUnreachable) -> None:
        request = exc.request
        log.error(
            "cannot post the approval message of %s in channel %s: Slack says %s. An admin must invite the bot to "
            "that channel (or fix APPROVAL_CHANNEL); retrying every %.0f minutes",
            request.id, exc.channel, exc.error, PERMANENT_RETRY_S / 60,
        )
        if request.id in self._told_unreachable:
            return
        try:
            direct_message(self._client, request.requester.user_id, approval_channel_unreachable(request, exc.channel, exc.error))
        except Exception:
            log.warning("could not tell %s that the approvals channel is unreachable", request.requester.user_id, exc_info=True)
            return
        self._told_unreachable.add(request.id)

    # ------------------------------------------------------------ pacing and retries

    def _slot_free(self, channel: str) -> bool:
        return self._monotonic() >= self._next_slot.get(channel, float("-inf"))

    def _take_slot(self, channel: str) -> None:
        self._next_slot[channel] = self._monotonic() + self._interval

    def _next_free_slot(self) -> float:
        return min(self._next_slot.values(), default=self._monotonic())

    def _retry_plan(self, exc: Exception, item: OutboxItem) -> tuple[float, str]:
        backoff = min(MAX_BACKOFF_S, 2.0 * 2 ** max(0, item.attempts))
        if isinstance(exc, SlackApiError):
            status = getattr(exc.response, "status_code", 0) or 0
            error = _slack_error(exc) or f"HTTP {status}"
            kind = _failure_kind(exc)
            if kind == "ratelimited":
                retry_after = _retry_after(exc)
                log.info("Slack rate-limited outbox item %s; retrying in %.0fs", item.id, retry_after)
                return retry_after, "slack: ratelimited"
            if kind == "uncertain":
                log.warning("Slack failed outbox item %s (%s); retrying in %.0fs", item.id, error, backoff)
                return backoff, f"slack: {error}"
            log.error("Slack refused outbox item %s (%s %s); retrying in %.0fs", item.id, item.kind, error, PERMANENT_RETRY_S)
            return PERMANENT_RETRY_S, f"slack: {error}"
        if isinstance(exc, TRANSIENT_ERRORS):
            log.warning("could not reach Slack for outbox item %s (%s); retrying in %.0fs", item.id, type(exc).__name__, backoff)
            return backoff, f"network: {type(exc).__name__}"
        if isinstance(exc, ServiceError):
            log.error("outbox item %s (%s %s) cannot be drawn: %s", item.id, item.kind, item.ref, exc.user_message)
            return PERMANENT_RETRY_S, f"service: {type(exc).__name__}"
        log.exception("outbox item %s (%s %s) failed unexpectedly", item.id, item.kind, item.ref)
        return max(backoff, 60.0), f"bug: {type(exc).__name__}"


def _failure_kind(exc: Exception) -> str:
    """`ratelimited` (certainly not done; wait as told), `uncertain` (a timeout, a lost connection or a 5xx:
    Slack may have done it), `permanent` (Slack refused it; retrying soon will not help) or `other`."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 0) or 0
        error = _slack_error(exc)
        if status == 429 or error == "ratelimited":
            return "ratelimited"
        if status >= 500 or error in SLACK_TRANSIENT_ERRORS:
            return "uncertain"
        return "permanent"
    if isinstance(exc, TRANSIENT_ERRORS):
        return "uncertain"
    return "other"


def _is_post_of(message: dict[str, Any], key: tuple[str, str]) -> bool:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != OUTBOX_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and (payload.get("kind"), str(payload.get("ref"))) == key


def _slack_error(exc: SlackApiError) -> str:
    response: Any = exc.response
    try:
        return str(response.get("error") or "")
    except Exception:  # a non-JSON answer (an HTML 502 page)
        return ""


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", {}) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(1.0, float(raw))
            except (TypeError, ValueError):
                break
    return 30.0
