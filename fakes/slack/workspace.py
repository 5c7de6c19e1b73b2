"""The stand-in's model of one Slack workspace: who exists, what was posted, which modals are open.

`Workspace` is plain in-memory state behind one re-entrant lock (`Workspace.lock`); every public
method takes it, and `fakes.slack.methods` holds it for a whole Web API call so each call is atomic.
Every change is also queued as a `SlackEvent` (`drain_events()`), and `changed` (a Condition on the
same lock) is notified so `FakeSlack.wait_for` wakes up at once.

Identifiers follow Slack's shapes: message ts ``"1700000000.000100"`` (unique and increasing even
when the clock stands still), a user's DM ``"D" + user_id[1:]`` (stable: ``U0REQUEST -> D0REQUEST``),
views ``V...``, files ``F...``, triggers ``"<n>.<seconds>.<hex>"``.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from fakes.slack.blockkit import text_of
from fakes.slack.records import (
    Call,
    Ephemeral,
    EventKind,
    Message,
    SlackEvent,
    Upload,
    View,
)

TRIGGER_TTL_SECONDS = 3.0  # Slack: a trigger_id expires three seconds after it was issued
RESPONSE_URL_USES = 5  # Slack: a response_url works up to five times ...
RESPONSE_URL_TTL_SECONDS = 30 * 60  # ... within thirty minutes
BOT_NAME = "numbers-bot"
MAX_VIEW_STACK = 3  # Slack: at most three modals on a stack (views.push -> push_limit_reached)

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class ApiError(Exception):
    """A Web API refusal: becomes ``{"ok": false, "error": code, ...}`` with HTTP 200."""

    def __init__(self, code: str, messages: Iterable[str] = (), *, errors: Iterable[str] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.messages = [m if m.startswith("[") else f"[ERROR] {m}" for m in messages]
        self.errors = list(errors)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.code}
        if self.errors:
            body["errors"] = self.errors
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


class HookError(Exception):
    """A response_url that cannot be used (unknown, used up or expired)."""


@dataclass
class _Trigger:
    user_id: str
    issued_at: float
    exchanged: bool = False


@dataclass
class Hook:
    """Where a response_url's replies go: to `user_id` in `channel_id`, about `message_ts` if the
    URL came from a click on a message (`ephemeral` when that message was an ephemeral one)."""

    user_id: str
    channel_id: str
    message_ts: str | None
    ephemeral: bool
    issued_at: float
    uses: int = 0


def _base36(n: int, width: int) -> str:
    digits = ""
    while n:
        n, rem = divmod(n, 36)
        digits = _BASE36[rem] + digits
    return digits.rjust(width, "0")


class Workspace:
    def __init__(
        self,
        *,
        team_id: str,
        team_domain: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        users: Mapping[str, str] | None,
        usergroups: Mapping[str, Iterable[str]] | None,
        channels: Mapping[str, str] | None,
        clock: Callable[[], float],
        trigger_ttl: float | None,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.users: dict[str, str] | None = dict(users) if users is not None else None
        self.usergroups: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (usergroups or {}).items()}
        self.channels: dict[str, str] | None = dict(channels) if channels is not None else None
        self.clock = clock
        self.trigger_ttl = trigger_ttl
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._clear()

    def _clear(self) -> None:
        self.version = 0  # grows with every change; lets waiters check a predicate without the lock
        self._counter = 0
        self._event_seq = 0
        self._last_ts_us = 0
        self._calls: list[Call] = []
        self._messages: dict[str, dict[str, Message]] = {}
        self._ephemerals: dict[str, list[Ephemeral]] = {}
        self._views: dict[str, View] = {}
        self._stacks: dict[str, list[str]] = {}
        self._homes: dict[str, str] = {}
        self._closed_views: set[str] = set()
        self._triggers: dict[str, _Trigger] = {}
        self._hooks: dict[str, Hook] = {}
        self._uploads: dict[str, Upload] = {}
        self._tickets: dict[str, str] = {}
        self._events: list[SlackEvent] = []
        self._mpims: set[str] = set()

    def reset(self) -> None:
        """Forget everything recorded (keeps users, user groups and channels)."""
        with self.lock:
            version = self.version
            self._clear()
            self.version = version + 1
            self.changed.notify_all()

    # ------------------------------------------------------------------------------------ identifiers

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self._counter += 1
            return f"{prefix}{_base36(self._counter, 10)}"

    def next_ts(self) -> str:
        with self.lock:
            now_us = int(self.clock() * 1_000_000)
            self._last_ts_us = max(now_us, self._last_ts_us + 1)
            us = self._last_ts_us
            return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    # ------------------------------------------------------------------------------------ directory

    def user_exists(self, user_id: str) -> bool:
        return self.users is None or user_id in self.users

    def user_name(self, user_id: str) -> str:
        if self.users is not None and user_id in self.users:
            return self.users[user_id]
        return BOT_NAME if user_id == self.bot_user_id else user_id.lower()

    def dm_id(self, user_id: str) -> str:
        """The stable id of the bot's DM with this user."""
        return "D" + user_id[1:]

    def _dm_user(self, channel_id: str) -> str | None:
        candidates = ["U" + channel_id[1:], "W" + channel_id[1:]]
        for user_id in candidates:
            if self.users is not None and user_id in self.users:
                return user_id
        return candidates[0] if self.users is None else None

    def open_mpim(self, user_ids: Iterable[str]) -> str:
        """The stable id of the group DM of these users with the bot (it exists from now on)."""
        digest = hashlib.sha1(",".join(sorted(user_ids)).encode()).hexdigest().upper()[:10]
        with self.lock:
            self._mpims.add("G" + digest)
        return "G" + digest

    def resolve_channel(self, channel: str | None) -> str:
        """A channel id the bot may post to (a user id means that user's DM); else channel_not_found."""
        if not channel:
            raise ApiError("channel_not_found")
        if channel[0] in "UW":
            if not self.user_exists(channel):
                raise ApiError("channel_not_found")
            return self.dm_id(channel)
        if channel[0] == "D":
            if self._dm_user(channel) is None:
                raise ApiError("channel_not_found")
            return channel
        if channel[0] in "CG":
            if self.channels is not None and channel not in self.channels and channel not in self._mpims:
                raise ApiError("channel_not_found")
            return channel
        raise ApiError("channel_not_found")

    def channel_name(self, channel_id: str) -> str:
        if channel_id.startswith("D"):
            return "directmessage"
        if self.channels is not None and channel_id in self.channels:
            return self.channels[channel_id]
        return channel_id.lower()

    def dm_user(self, channel_id: str) -> str | None:
        """The user whose DM with the bot this is, or None for other channels."""
        return self._dm_user(channel_id) if channel_id.startswith("D") else None

    # ------------------------------------------------------------------------------------ recording

    def emit(self, kind: EventKind, subject: Call | Message | Ephemeral | View | Upload) -> None:
        with self.lock:
            self._event_seq += 1
            self._events.append(SlackEvent(kind=kind, seq=self._event_seq, at=self.clock(), subject=subject))
            self.version += 1
            self.changed.notify_all()

    def drain_events(self) -> list[SlackEvent]:
        with self.lock:
            events, self._events = self._events, []
            return events

    def record_call(
        self, method: str, params: dict[str, Any], status: int, response: dict[str, Any], fault: str | None
    ) -> Call:
        with self.lock:
            call = Call(
                seq=len(self._calls) + 1,
                method=method,
                params=copy.deepcopy(params),
                at=self.clock(),
                status=status,
                response=copy.deepcopy(response),
                fault=fault,
            )
            self._calls.append(call)
            self.emit(EventKind.CALL, call)
            return call

    def calls(self, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self._calls if method is None or c.method == method]

    # ------------------------------------------------------------------------------------ messages

    def post_message(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None = None,
        source: str = "chat.postMessage",
        files: tuple[str, ...] = (),
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        with self.lock:
            message = Message(
                channel=channel,
                ts=self.next_ts(),
                text=text,
                blocks=copy.deepcopy(blocks or []),
                user=self.bot_user_id,
                thread_ts=thread_ts,
                files=files,
                source=source,
                metadata=copy.deepcopy(metadata),
            )
            self._messages.setdefault(channel, {})[message.ts] = message
            self.emit(EventKind.MESSAGE_POSTED, message)
            return message

    def find_message(self, channel: str, ts: str) -> Message | None:
        with self.lock:
            return self._messages.get(channel, {}).get(ts)

    def update_message(
        self, channel: str, ts: str, *, text: str | None, blocks: list[dict[str, Any]] | None
    ) -> Message:
        """Change a message; None keeps the old text or blocks (as chat.update does for blocks)."""
        with self.lock:
            current = self.find_message(channel, ts)
            if current is None:
                raise ApiError("message_not_found")
            updated = replace(
                current,
                text=current.text if text is None else text,
                blocks=current.blocks if blocks is None else copy.deepcopy(blocks),
                edited=current.edited + 1,
            )
            self._messages[channel][ts] = updated
            self.emit(EventKind.MESSAGE_UPDATED, updated)
            return updated

    def delete_message(self, channel: str, ts: str) -> Message:
        with self.lock:
            current = self.find_message(channel, ts)
            if current is None:
                raise ApiError("message_not_found")
            del self._messages[channel][ts]
            self.emit(EventKind.MESSAGE_DELETED, current)
            return current

    def messages(self, channel: str) -> list[Message]:
        with self.lock:
            if channel[:1] in ("U", "W"):
                channel = self.dm_id(channel)
            return list(self._messages.get(channel, {}).values())

    # ------------------------------------------------------------------------------------ ephemerals

    def post_ephemeral(
        self,
        user_id: str,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None,
        source: str,
        thread_ts: str | None = None,
    ) -> Ephemeral:
        with self.lock:
            ephemeral = Ephemeral(
                user_id=user_id,
                channel=channel,
                ts=self.next_ts(),
                text=text,
                blocks=copy.deepcopy(blocks or []),
                source=source,
                thread_ts=thread_ts,
            )
            self._ephemerals.setdefault(user_id, []).append(ephemeral)
            self.emit(EventKind.EPHEMERAL_POSTED, ephemeral)
            return ephemeral

    def find_ephemeral(self, user_id: str, ts: str) -> Ephemeral | None:
        with self.lock:
            return next((e for e in self._ephemerals.get(user_id, []) if e.ts == ts), None)

    def replace_ephemeral(
        self, user_id: str, ts: str, *, text: str, blocks: list[dict[str, Any]] | None
    ) -> Ephemeral | None:
        with self.lock:
            items = self._ephemerals.get(user_id, [])
            for i, current in enumerate(items):
                if current.ts == ts:
                    items[i] = replace(
                        current, text=text, blocks=copy.deepcopy(blocks or []), replaced=current.replaced + 1
                    )
                    self.emit(EventKind.EPHEMERAL_REPLACED, items[i])
                    return items[i]
            return None

    def delete_ephemeral(self, user_id: str, ts: str) -> Ephemeral | None:
        with self.lock:
            items = self._ephemerals.get(user_id, [])
            for i, current in enumerate(items):
                if current.ts == ts:
                    del items[i]
                    self.emit(EventKind.EPHEMERAL_DELETED, current)
                    return current
            return None

    def ephemerals(self, user_id: str) -> list[Ephemeral]:
        with self.lock:
            return list(self._ephemerals.get(user_id, []))

    # ------------------------------------------------------------------------------------ triggers

    def issue_trigger(self, user_id: str) -> str:
        with self.lock:
            self._counter += 1
            now = self.clock()
            trigger_id = f"{self._counter}.{int(now)}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(user_id=user_id, issued_at=now)
            return trigger_id

    def check_trigger(self, trigger_id: str | None) -> str:
        """The user a trigger belongs to, if it can still be exchanged; else the Slack error."""
        with self.lock:
            trigger = self._triggers.get(trigger_id or "")
            if trigger is None:
                raise ApiError("invalid_trigger_id", ["invalid `trigger_id`"])
            if trigger.exchanged:
                raise ApiError("exchanged_trigger_id")
            if self.trigger_ttl is not None and self.clock() - trigger.issued_at > self.trigger_ttl:
                raise ApiError("expired_trigger_id")
            return trigger.user_id

    def exchange_trigger(self, trigger_id: str | None) -> str:
        with self.lock:
            user_id = self.check_trigger(trigger_id)
            self._triggers[trigger_id or ""].exchanged = True
            return user_id

    # ------------------------------------------------------------------------------------ views

    def _view_record(
        self,
        view_id: str,
        user_id: str,
        view: dict[str, Any],
        *,
        root_view_id: str,
        previous_view_id: str | None,
    ) -> View:
        now = self.clock()
        self._counter += 1
        view_hash = f"{int(now)}.{_base36(self._counter, 8)}"
        kind = str(view.get("type", "modal"))
        payload: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": kind,
            "blocks": copy.deepcopy(view.get("blocks") or []),
            "private_metadata": str(view.get("private_metadata") or ""),
            "callback_id": str(view.get("callback_id") or ""),
            "state": {"values": {}},
            "hash": view_hash,
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id,
            "app_id": self.app_id,
            "external_id": str(view.get("external_id") or ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        return View(
            id=view_id,
            user_id=user_id,
            type=kind,
            callback_id=payload["callback_id"],
            private_metadata=payload["private_metadata"],
            external_id=payload["external_id"],
            title=text_of(view.get("title")),
            submit=text_of(view.get("submit")) or None,
            close=text_of(view.get("close")) or None,
            blocks=copy.deepcopy(payload["blocks"]),
            hash=view_hash,
            root_view_id=root_view_id,
            previous_view_id=previous_view_id,
            payload=payload,
        )

    def _check_external_id(self, view: dict[str, Any], *, keep: str | None = None) -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for existing in self._views.values():
            if existing.external_id == external_id and existing.id != keep:
                raise ApiError("duplicate_external_id")

    def open_view(self, user_id: str, view: dict[str, Any]) -> View:
        """views.open: a new modal stack for the user (any open modals close first)."""
        with self.lock:
            self._check_external_id(view)
            self.close_views(user_id, clear=True)
            view_id = self.next_id("V")
            record = self._view_record(view_id, user_id, view, root_view_id=view_id, previous_view_id=None)
            self._views[view_id] = record
            self._stacks[user_id] = [view_id]
            self.emit(EventKind.VIEW_OPENED, record)
            return record

    def push_view(self, user_id: str, view: dict[str, Any]) -> View:
        with self.lock:
            stack = self._stacks.get(user_id, [])
            if not stack:
                raise ApiError("invalid_arguments", ["no modal is open for the user of this trigger_id"])
            if len(stack) >= MAX_VIEW_STACK:
                raise ApiError("push_limit_reached")
            self._check_external_id(view)
            view_id = self.next_id("V")
            record = self._view_record(view_id, user_id, view, root_view_id=stack[0], previous_view_id=stack[-1])
            self._views[view_id] = record
            stack.append(view_id)
            self.emit(EventKind.VIEW_PUSHED, record)
            return record

    def find_view(self, view_id: str | None = None, *, external_id: str | None = None) -> View | None:
        with self.lock:
            if view_id:
                found = self._views.get(view_id)
            else:
                found = next((v for v in self._views.values() if external_id and v.external_id == external_id), None)
            if found is None or found.id in self._closed_views:
                return None
            return found

    def update_view(
        self, view_id: str | None, external_id: str | None, view: dict[str, Any], view_hash: str | None
    ) -> View:
        with self.lock:
            current = self.find_view(view_id, external_id=external_id)
            if current is None:
                raise ApiError("not_found")
            if view_hash and view_hash != current.hash:
                raise ApiError("hash_conflict")
            self._check_external_id(view, keep=current.id)
            record = self._view_record(
                current.id,
                current.user_id,
                view,
                root_view_id=current.root_view_id,
                previous_view_id=current.previous_view_id,
            )
            self._views[current.id] = record
            self.emit(EventKind.HOME_PUBLISHED if record.type == "home" else EventKind.VIEW_UPDATED, record)
            return record

    def publish_home(self, user_id: str, view: dict[str, Any], view_hash: str | None) -> View:
        with self.lock:
            current_id = self._homes.get(user_id)
            if current_id is not None:
                current = self._views[current_id]
                if view_hash and view_hash != current.hash:
                    raise ApiError("hash_conflict")
                view_id = current_id
            else:
                view_id = self.next_id("V")
            record = self._view_record(view_id, user_id, view, root_view_id=view_id, previous_view_id=None)
            self._views[view_id] = record
            self._homes[user_id] = view_id
            self.emit(EventKind.HOME_PUBLISHED, record)
            return record

    def close_views(self, user_id: str, view_id: str | None = None, *, clear: bool = False) -> list[View]:
        """Close the top modal (or `view_id` and everything above it, or all with `clear`)."""
        with self.lock:
            stack = self._stacks.get(user_id, [])
            if not stack:
                return []
            if clear:
                cut = 0
            elif view_id is not None and view_id in stack:
                cut = stack.index(view_id)
            else:
                cut = len(stack) - 1
            closed_ids = stack[cut:]
            del stack[cut:]
            closed = [self._views[v] for v in reversed(closed_ids)]
            for record in closed:
                self._closed_views.add(record.id)
                self.emit(EventKind.VIEW_CLOSED, record)
            return closed

    def annotate_view(
        self, view_id: str, *, errors: dict[str, str] | None = None, alert: str | None = None
    ) -> View | None:
        """Show submission errors or an alert on an open modal (what the user sees in Slack)."""
        with self.lock:
            current = self.find_view(view_id)
            if current is None:
                return None
            updated = replace(current, errors=dict(errors or {}), alert=alert)
            self._views[view_id] = updated
            self.emit(EventKind.VIEW_UPDATED, updated)
            return updated

    def views(self, user_id: str) -> list[View]:
        with self.lock:
            return [self._views[v] for v in self._stacks.get(user_id, [])]

    def home(self, user_id: str) -> View | None:
        with self.lock:
            view_id = self._homes.get(user_id)
            return self._views[view_id] if view_id else None

    # ------------------------------------------------------------------------------------ response_url

    def new_hook(self, user_id: str, channel_id: str, *, message_ts: str | None, ephemeral: bool) -> str:
        with self.lock:
            token = secrets.token_urlsafe(18)
            self._hooks[token] = Hook(
                user_id=user_id,
                channel_id=channel_id,
                message_ts=message_ts,
                ephemeral=ephemeral,
                issued_at=self.clock(),
            )
            return token

    def use_hook(self, token: str) -> Hook:
        with self.lock:
            hook = self._hooks.get(token)
            if hook is None:
                raise HookError("unknown response_url")
            if hook.uses >= RESPONSE_URL_USES:
                raise HookError(f"this response_url was already used {RESPONSE_URL_USES} times")
            if self.clock() - hook.issued_at > RESPONSE_URL_TTL_SECONDS:
                raise HookError("this response_url expired (30 minutes)")
            hook.uses += 1
            return hook

    # ------------------------------------------------------------------------------------ files

    def new_upload(self, filename: str, length: int) -> tuple[Upload, str]:
        with self.lock:
            upload = Upload(file_id=self.next_id("F"), filename=filename, length=length)
            ticket = secrets.token_urlsafe(18)
            self._uploads[upload.file_id] = upload
            self._tickets[ticket] = upload.file_id
            return upload, ticket

    def receive_upload(self, ticket: str, content: bytes) -> Upload | None:
        with self.lock:
            file_id = self._tickets.get(ticket)
            if file_id is None:
                return None
            upload = replace(self._uploads[file_id], content=content)
            self._uploads[file_id] = upload
            self.emit(EventKind.FILE_UPLOADED, upload)
            return upload

    def find_upload(self, file_id: str) -> Upload | None:
        with self.lock:
            return self._uploads.get(file_id)

    def complete_upload(
        self,
        file_id: str,
        *,
        title: str | None,
        channel_id: str | None,
        initial_comment: str | None,
        thread_ts: str | None,
    ) -> Upload:
        with self.lock:
            upload = replace(
                self._uploads[file_id],
                title=title,
                completed=True,
                channel_id=channel_id,
                initial_comment=initial_comment,
                thread_ts=thread_ts,
            )
            self._uploads[file_id] = upload
            self.emit(EventKind.FILE_SHARED, upload)
            return upload

    def uploads(self) -> list[Upload]:
        with self.lock:
            return list(self._uploads.values())
