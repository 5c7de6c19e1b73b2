"""`FakeSlack`: Slack's Web API on a real socket (127.0.0.1, port 0), recording everything.

    with FakeSlack("xoxb-test", users={"U0REQUEST": "rita"}, usergroups={"S0APPROVE": ["U0BOSS"]},
                   channels={"C0APPROVAL": "approvals"}) as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)   # or SLACK_API_URL=slack.api_url
        client.chat_postMessage(channel="C0APPROVAL", text="hi")
        slack.messages("C0APPROVAL")[0].text == "hi"

It answers like Slack: HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``, for
form-encoded, multipart and JSON bodies (JSON-valued form fields such as ``blocks`` and ``view`` are
decoded), after checking ``Authorization: Bearer <bot token>`` (or a ``token`` field):
missing -> ``not_authed``, wrong -> ``invalid_auth``. Methods: auth.test, chat.postMessage (with
``metadata``), chat.update, chat.delete, chat.postEphemeral, chat.getPermalink, conversations.open,
conversations.history (``oldest``/``latest``/``limit``/``cursor``, ``include_all_metadata``; no thread
replies), conversations.replies (a thread, the same options), users.info,
usergroups.users.list, views.open, views.push, views.update, views.publish,
files.getUploadURLExternal (+ the upload URL it hands out) and files.completeUploadExternal; any
other method -> ``unknown_method``. Block Kit is checked against Slack's limits (``invalid_blocks``).

Directories: `users` (id -> name; when given, other user ids are ``user_not_found``), `usergroups`
(``S...`` -> member ids) and `channels` (id -> name; when given, other ``C``/``G`` ids are
``channel_not_found``; when None, any ``C``/``G`` id exists). A user's DM is ``"D" + user_id[1:]``.

Reading what happened (all snapshots, safe from any thread):
`calls(method=None)`, `messages(channel)` (current versions; a user id means that user's DM),
`message(channel, ts)`, `ephemerals(user_id)`, `views(user_id)` (the open modal stack, bottom first),
`home(user_id)`, `uploads()`, `wait_for(predicate, timeout=5.0)`, `reset()`; and
`on_event`, a plain list of callables that receive every `SlackEvent` as it happens.

What Slack's own client does, for `fakes.slack.requests.SlackRequests` (and a console):
`issue_trigger(user_id)`, `response_url(user_id, channel_id, message_ts=None, ephemeral=False)`,
`dm_id(user_id)`, `show_command_ack(...)`, `show_error(...)`, `apply_view_submission_response(...)`,
`close_view(...)`. A trigger is single-use and expires `trigger_ttl` seconds (3) after it was issued
on the fake's `clock`; a response_url takes 5 posts within 30 minutes.

``response_url`` posts (what Bolt's ``respond()`` sends: text, blocks, response_type,
replace_original, delete_original) become an ephemeral for the user, or a channel message with
``response_type: "in_channel"``; ``replace_original`` / ``delete_original`` change the message the
URL came from. Bad bodies get HTTP 400 with a plain-text error, as Slack's hooks do.

Faults: `fail_next(method, kind, count=1, retry_after=1, seconds=1.0)`, see `fakes.slack.faults`.
"""

from __future__ import annotations

import copy
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from fakes.slack import client_side
from fakes.slack.faults import Fault, FaultPlan
from fakes.slack.methods import Context, call_method, message_object
from fakes.slack.records import Call, Ephemeral, Message, SlackEvent, Upload, View
from fakes.slack.server import BadBody, HttpServer, Reply, decode_json_params, header, parse_body
from fakes.slack.workspace import BOT_NAME, TRIGGER_TTL_SECONDS, HookError, Workspace

log = logging.getLogger(__name__)

T = TypeVar("T")


class FakeSlack:
    """A recording stand-in for Slack's Web API; see the module docstring."""

    def __init__(
        self,
        bot_token: str,
        *,
        users: Mapping[str, str] | None = None,
        usergroups: Mapping[str, Iterable[str]] | None = None,
        channels: Mapping[str, str] | None = None,
        team_id: str = "T0NUMBERS",
        team_domain: str = "numbers",
        bot_user_id: str = "U0NUMBOT",
        bot_id: str = "B0NUMBOT",
        app_id: str = "A0NUMBERS",
        clock: Callable[[], float] = time.time,
        trigger_ttl: float | None = TRIGGER_TTL_SECONDS,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not bot_token:
            raise ValueError("FakeSlack needs the bot token it should accept")
        self._bot_token = bot_token
        if users is not None and bot_user_id not in users:
            users = {**users, bot_user_id: BOT_NAME}
        self._ws = Workspace(
            team_id=team_id,
            team_domain=team_domain,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            users=users,
            usergroups=usergroups,
            channels=channels,
            clock=clock,
            trigger_ttl=trigger_ttl,
        )
        self._faults = FaultPlan()
        self._address = (host, port)
        self._server: HttpServer | None = None
        self._stopping = threading.Event()
        self._dispatch_lock = threading.Lock()
        self.on_event: list[Callable[[SlackEvent], None]] = []

    def __repr__(self) -> str:  # never shows the token
        state = self.base_url if self._server else "not started"
        return f"<FakeSlack {state} team={self._ws.team_id}>"

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        if self._server is None:
            self._stopping.clear()
            self._server = HttpServer(self._handle, *self._address)
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()  # hanging answers return now
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started: call start() or use it as a context manager")
        host, port = self._server.address
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What ``WebClient(base_url=...)`` and ``SLACK_API_URL`` take; ends in ``/api/``."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------------------------ identity

    @property
    def team_id(self) -> str:
        return self._ws.team_id

    @property
    def team_domain(self) -> str:
        return self._ws.team_domain

    @property
    def bot_user_id(self) -> str:
        return self._ws.bot_user_id

    @property
    def bot_id(self) -> str:
        return self._ws.bot_id

    @property
    def app_id(self) -> str:
        return self._ws.app_id

    @property
    def users(self) -> dict[str, str] | None:
        """The user directory (id -> name, the bot included), or None when any user id is accepted."""
        return dict(self._ws.users) if self._ws.users is not None else None

    def user_name(self, user_id: str) -> str:
        return self._ws.user_name(user_id)

    def channel_name(self, channel_id: str) -> str:
        return self._ws.channel_name(channel_id)

    def dm_id(self, user_id: str) -> str:
        """The stable id of the bot's DM with `user_id` (``U0REQUEST -> D0REQUEST``)."""
        return self._ws.dm_id(user_id)

    # ------------------------------------------------------------------------------------ reading

    def calls(self, method: str | None = None) -> list[Call]:
        return self._ws.calls(method)

    def messages(self, channel: str) -> list[Message]:
        """The channel's messages in posting order, each in its current version."""
        return copy.deepcopy(self._ws.messages(channel))

    def message(self, channel: str, ts: str) -> Message:
        """The current version of one message; KeyError when there is none (never posted or deleted)."""
        if channel[:1] in ("U", "W"):
            channel = self._ws.dm_id(channel)
        found = self._ws.find_message(channel, ts)
        if found is None:
            raise KeyError(f"no message {ts} in {channel}")
        return copy.deepcopy(found)

    def ephemerals(self, user_id: str) -> list[Ephemeral]:
        return copy.deepcopy(self._ws.ephemerals(user_id))

    def views(self, user_id: str) -> list[View]:
        """The user's open modals, bottom of the stack first (empty when none is open)."""
        return copy.deepcopy(self._ws.views(user_id))

    def view(self, view_id: str) -> View | None:
        """An open modal or a published home by id (None once closed)."""
        return copy.deepcopy(self._ws.find_view(view_id))

    def home(self, user_id: str) -> View | None:
        """The App Home the bot published for the user (views.publish), if any."""
        return copy.deepcopy(self._ws.home(user_id))

    def uploads(self) -> list[Upload]:
        return copy.deepcopy(self._ws.uploads())

    def message_payload(self, message: Message) -> dict[str, Any]:
        """The message object Slack puts in its answers and in block_actions payloads."""
        return message_object(self._ws, message)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Return the first truthy value of `predicate()`, re-checked whenever the fake changes (and
        every 50 ms, for changes elsewhere such as the bot's database); TimeoutError after `timeout`
        seconds. The predicate runs without the fake's lock, so it may call anything."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self._ws.version
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"FakeSlack.wait_for: condition still false after {timeout} s")
            with self._ws.changed:
                if self._ws.version == seen:
                    self._ws.changed.wait(min(remaining, 0.05))

    def reset(self) -> None:
        """Forget all recorded state and queued faults (directories and the server stay)."""
        self._ws.reset()
        self._faults.clear()

    # ------------------------------------------------------------------------------------ faults

    def fail_next(
        self, method: str, kind: str, count: int = 1, retry_after: int = 1, seconds: float = 1.0
    ) -> None:
        """Make the next `count` requests for `method` fail as `kind` (see `fakes.slack.faults`)."""
        self._faults.add(method, kind, count=count, retry_after=retry_after, seconds=seconds)

    def clear_faults(self) -> None:
        self._faults.clear()

    # ------------------------------------------------------------------------------------ Slack's client

    def issue_trigger(self, user_id: str) -> str:
        """A fresh trigger_id for `user_id` (as Slack puts in commands and clicks)."""
        return self._ws.issue_trigger(user_id)

    def response_url(
        self, user_id: str, channel_id: str, *, message_ts: str | None = None, ephemeral: bool = False
    ) -> str:
        """A response_url on this server whose replies go to `user_id` in `channel_id`; with
        `message_ts`, replace_original / delete_original act on that message (an ephemeral one of
        the user's when `ephemeral`)."""
        token = self._ws.new_hook(user_id, channel_id, message_ts=message_ts, ephemeral=ephemeral)
        return f"{self.base_url}/response/{self._ws.team_id}/{token}"

    def show_command_ack(
        self, user_id: str, channel_id: str, body: str | Mapping[str, Any]
    ) -> Ephemeral | Message | None:
        """What Slack shows for a slash command's ack body (see `fakes.slack.client_side`)."""
        with self._dispatching():
            return copy.deepcopy(client_side.show_command_ack(self._ws, user_id, channel_id, body))

    def show_error(self, user_id: str, channel_id: str, text: str) -> Ephemeral:
        """An ephemeral from Slack itself (``source="slack"``)."""
        with self._dispatching():
            return copy.deepcopy(self._ws.post_ephemeral(user_id, channel_id, text=text, blocks=None, source="slack"))

    def command_failed(self, user_id: str, channel_id: str, command: str, error: str) -> Ephemeral:
        """``/numbers failed with the error "dispatch_failed"`` (or ``"operation_timeout"``)."""
        return self.show_error(user_id, channel_id, client_side.command_failed_text(command, error))

    def close_view(self, user_id: str, view_id: str | None = None, *, clear: bool = False) -> list[View]:
        """The user closes the top modal (or `view_id` and the ones above it, or all with `clear`)."""
        with self._dispatching():
            return copy.deepcopy(self._ws.close_views(user_id, view_id, clear=clear))

    def apply_view_submission_response(self, user_id: str, view_id: str, status: int, body: str) -> View | None:
        """What Slack does with the app's answer to a view_submission (see `fakes.slack.client_side`).
        Returns the modal now on top (None when none is open)."""
        with self._dispatching():
            client_side.apply_view_submission_response(self._ws, user_id, view_id, status, body)
            stack = self._ws.views(user_id)
            return copy.deepcopy(stack[-1]) if stack else None

    # ------------------------------------------------------------------------------------ HTTP

    def _handle(self, verb: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        parts = urlsplit(path)
        with self._dispatching():
            if parts.path.startswith("/api/"):
                return self._web_api(parts.path.removeprefix("/api/"), parts.query, headers, raw)
            if parts.path.startswith("/upload/v1/") and verb == "POST":
                return self._upload(parts.path.removeprefix("/upload/v1/"), raw)
            if parts.path.startswith("/response/") and verb == "POST":
                return self._response_url(parts.path.rsplit("/", 1)[-1], raw)
            return Reply(404, "Not Found")

    def _apply_fault(self, fault: Fault | None) -> Reply | None:
        """The answer a fault replaces the real one with; None to answer normally (a hang answers normally,
        late: see `_answer_late`)."""
        if fault is None or fault.kind == "hang":
            return None
        if fault.kind == "ratelimited":
            return Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(fault.retry_after)})
        if fault.kind == "server_error":
            return Reply(500, {"ok": False, "error": "internal_error"})
        return Reply(200, {"ok": False, "error": fault.error_code})

    def _web_api(self, method: str, query: str, headers: dict[str, str], raw: bytes) -> Reply:
        fault = self._faults.take(method)
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        try:
            params.update(parse_body(header(headers, "Content-Type"), raw))
        except BadBody as exc:
            return self._record(method, params, Reply(200, {"ok": False, "error": exc.code}), None)
        body_token = params.pop("token", None)  # never recorded
        decode_json_params(params)
        faulted = self._apply_fault(fault)
        if faulted is not None:
            return self._record(method, params, faulted, fault)
        auth_error = self._auth_error(header(headers, "Authorization"), body_token)
        if auth_error is not None:
            reply = Reply(200, {"ok": False, "error": auth_error})
        else:
            reply = Reply(200, call_method(self._ws, method, params, Context(base_url=self.base_url)))
        return self._record(method, params, reply, fault)

    def _answer_late(self, fault: Fault | None) -> None:
        """A hang: the call already took effect, as a slow Slack's does; only its answer is late, so a client
        that gave up meanwhile cannot know whether it worked (and finds it done if it looks)."""
        if fault is not None and fault.kind == "hang":
            self._stopping.wait(fault.seconds)

    def _auth_error(self, authorization: str, body_token: Any) -> str | None:
        token = None
        if authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        elif isinstance(body_token, str):
            token = body_token
        if not token:
            return "not_authed"
        if not hmac.compare_digest(token.encode(), self._bot_token.encode()):
            return "invalid_auth"
        return None

    def _record(self, method: str, params: dict[str, Any], reply: Reply, fault: Fault | None) -> Reply:
        response = reply.body if isinstance(reply.body, dict) else {"ok": reply.status == 200, "body": reply.body}
        self._ws.record_call(method, params, reply.status, response, fault.kind if fault else None)
        self._answer_late(fault)
        return reply

    def _upload(self, ticket: str, raw: bytes) -> Reply:
        fault = self._faults.take("upload")
        params: dict[str, Any] = {"bytes": len(raw)}
        faulted = self._apply_fault(fault)
        if faulted is not None:
            return self._record("upload", params, faulted, fault)
        upload = self._ws.receive_upload(ticket, raw)
        if upload is None:
            return self._record("upload", params, Reply(404, "Not Found"), fault)
        params["file_id"] = upload.file_id
        return self._record("upload", params, Reply(200, f"OK - {len(raw)}"), fault)

    def _response_url(self, token: str, raw: bytes) -> Reply:
        fault = self._faults.take("response_url")
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return self._record("response_url", {}, Reply(400, "invalid_payload"), fault)
        faulted = self._apply_fault(fault)
        if faulted is not None:
            return self._record("response_url", payload, faulted, fault)
        try:
            hook = self._ws.use_hook(token)
        except HookError as exc:
            log.debug("FakeSlack: response_url refused: %s", exc)
            return self._record("response_url", payload, Reply(404, "expired_url"), fault)
        status, text = client_side.apply_response_url(self._ws, hook, payload)
        return self._record("response_url", payload, Reply(status, text), fault)

    # ------------------------------------------------------------------------------------ events

    @contextmanager
    def _dispatching(self) -> Iterator[None]:
        """Deliver the events a block of work queued once it is done (even when it failed)."""
        try:
            yield
        finally:
            self._dispatch_events()

    def _dispatch_events(self) -> None:
        """Hand queued events to the `on_event` callbacks, in order, outside the workspace lock."""
        with self._dispatch_lock:
            for event in self._ws.drain_events():
                for callback in list(self.on_event):
                    try:
                        callback(copy.deepcopy(event))
                    except Exception:
                        log.exception("FakeSlack: an on_event callback failed on %s", event.kind)

