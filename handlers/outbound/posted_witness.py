"""The checkpoint the bot last posted in the history channel: the witness `numbers-bot audit verify` checks
the database against, read back from Slack. (In `bot/`, not `handlers/`: the audit command line uses it, and
only the composition root in `bot/` may import `handlers`; `handlers.outbound.delivery` imports `checkpoint_payload`.)

Checkpoint posts carry message metadata (`numbers_bot_outbox`, payload kind `checkpoint`, ref = checkpoint
id) and, since this module exists, the checkpoint itself in that payload (`checkpoint_payload`). A post made
before that is read from its line's `--witness HEAD_ID:ROW_COUNT:HEAD_HASH`, but only when the whole line
has the shape `checkpoint_line` draws, so a witness-looking text inside another line (a requester's reason
echoed in a history line) never counts. Only messages the bot itself posted count: `user` and `bot_id` are
checked against `auth.test`, since anyone in the channel can post a line that looks like a checkpoint.
"""

from __future__ import annotations

import re
import urllib.error
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.records import Checkpoint, OutboxKind

OUTBOX_EVENT_TYPE = "numbers_bot_outbox"  # handlers.outbound.delivery.OUTBOX_EVENT_TYPE (bot/ may not import handlers)
CHECKPOINT_KIND = OutboxKind.CHECKPOINT
PAGE_SIZE = 200
MAX_PAGES = 50  # 10,000 messages back: a checkpoint is posted every day, so far more than enough

_HASH = re.compile(r"^[0-9a-f]{64}$")
_CHECKPOINT_LINE = re.compile(
    r"^:link: \*Audit checkpoint #(\d+)\*[^\n]*`numbers-bot audit verify --witness (\d+):(\d+):([0-9a-f]{64})`$"
)


class WitnessUnavailable(Exception):
    """Slack could not be read (unreachable, or it refused); the message is one line and holds no secret."""


@dataclass(frozen=True)
class PostedCheckpoint:
    checkpoint: Checkpoint
    channel: str
    ts: str  # the message's Slack timestamp
    source: str  # "metadata" or "text" (a post made before checkpoints were put in the metadata)

    @property
    def posted_at(self) -> datetime:
        return datetime.fromtimestamp(float(self.ts), tz=timezone.utc)


@dataclass(frozen=True)
class SearchResult:
    found: PostedCheckpoint | None
    messages_read: int


def checkpoint_payload(checkpoint: Checkpoint) -> dict[str, Any]:
    """What a checkpoint post adds to its metadata payload (beside kind and ref)."""
    payload: dict[str, Any] = {
        "head_id": checkpoint.head_id,
        "row_count": checkpoint.row_count,
        "head_hash": checkpoint.head_hash,
    }
    if checkpoint.at is not None:
        payload["at"] = checkpoint.at.astimezone(timezone.utc).isoformat()
    return payload


def newest_posted_checkpoint(
    client: WebClient, channel: str, *, page_size: int = PAGE_SIZE, max_pages: int = MAX_PAGES
) -> SearchResult:
    """Page back through `channel` (newest first) to the newest checkpoint the bot posted.

    Raises WitnessUnavailable when Slack cannot be reached or refuses (`auth.test` or `conversations.history`).
    """
    me = _whoami(client)
    cursor: str | None = None
    read = 0
    for _ in range(max_pages):
        page = _call(
            client.conversations_history,
            "conversations.history",
            channel=channel,
            limit=page_size,
            include_all_metadata=True,
            cursor=cursor,
        )
        for message in page.get("messages") or []:
            read += 1
            if not isinstance(message, dict) or not _posted_by(message, me):
                continue
            parsed = _parse(message)
            if parsed is not None:
                checkpoint, source = parsed
                return SearchResult(PostedCheckpoint(checkpoint, channel, str(message.get("ts")), source), read)
        cursor = ((page.get("response_metadata") or {}).get("next_cursor")) or None
        if not page.get("has_more") or not cursor:
            break
    return SearchResult(None, read)


# ------------------------------------------------------------------------------------------ helpers


@dataclass(frozen=True)
class _Me:
    user_id: str
    bot_id: str | None


def _whoami(client: WebClient) -> _Me:
    answer = _call(client.auth_test, "auth.test")
    user_id = str(answer.get("user_id") or "")
    if not user_id:
        raise WitnessUnavailable("Slack's auth.test did not say who the bot is")
    bot_id = answer.get("bot_id")
    return _Me(user_id, str(bot_id) if bot_id else None)


def _call(method: Any, name: str, **params: Any) -> dict[str, Any]:
    try:
        answer = method(**params)
    except SlackApiError as exc:
        error = ""
        try:
            error = str(exc.response.get("error") or "")
        except Exception:  # a non-JSON answer (an HTML 502 page)
            pass
        status = getattr(exc.response, "status_code", 0) or 0
        raise WitnessUnavailable(f"Slack refused {name} ({error or f'HTTP {status}'})") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise WitnessUnavailable(f"could not reach Slack for {name} ({reason})") from None
    return dict(answer.data) if not isinstance(answer, dict) else answer  # type: ignore[arg-type]


def _posted_by(message: dict[str, Any], me: _Me) -> bool:
    """Posted by this bot: the bot's user id, and (when Slack names one) the bot's bot id."""
    if message.get("user") != me.user_id:
        return False
    return me.bot_id is None or message.get("bot_id") == me.bot_id


def _parse(message: dict[str, Any]) -> tuple[Checkpoint, str] | None:
    metadata = message.get("metadata")
    if isinstance(metadata, dict) and metadata.get("event_type") == OUTBOX_EVENT_TYPE:
        payload = metadata.get("event_payload")
        if not isinstance(payload, dict) or payload.get("kind") != CHECKPOINT_KIND:
            return None  # another kind of post (a history line, a drift line): never a checkpoint
        from_payload = _from_payload(payload)
        if from_payload is not None:
            return from_payload, "metadata"
    elif metadata is not None:
        return None  # someone else's metadata
    from_text = _from_text(str(message.get("text") or ""))
    return None if from_text is None else (from_text, "text")


def _from_payload(payload: dict[str, Any]) -> Checkpoint | None:
    try:
        checkpoint_id = int(str(payload["ref"]))
        head_id, row_count = payload["head_id"], payload["row_count"]
        head_hash = payload["head_hash"]
    except (KeyError, ValueError):
        return None  # a checkpoint post from before the payload held the checkpoint: read its text
    if not (isinstance(head_id, int) and isinstance(row_count, int) and isinstance(head_hash, str)):
        return None
    if head_id < 0 or row_count < 0 or not _HASH.match(head_hash):
        return None
    at = payload.get("at")
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        when = None
    return Checkpoint(id=checkpoint_id, at=when, head_id=head_id, head_hash=head_hash, row_count=row_count)


def _from_text(text: str) -> Checkpoint | None:
    found = _CHECKPOINT_LINE.match(text.strip())
    if not found:
        return None
    return Checkpoint(
        id=int(found.group(1)),
        at=None,
        head_id=int(found.group(2)),
        row_count=int(found.group(3)),
        head_hash=found.group(4),
    )
