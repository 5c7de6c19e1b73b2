"""`FakeSlack`: Slack's Web API on a real socket (127.0.0.1, port 0), recording everything.

    with FakeSlack("xoxb-test", users={"U0REQUEST": "rita"}, usergroups={"S0APPROVE": ["U0BOSS"]},
                   channels={"C0APPROVAL": "approvals"}) as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)   # or SLACK_API_URL=slack.api_url
        client.chat_postMessage(channel="C0APPROVAL", text="hi")
        slack.messages("C0APPROVAL")[0].text == "hi"

It answers like Slack: HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``, for
form-encoded, multipart and JSON bodies (JSON-valued form fields such as ``blocks`` and ``view`` are
decoded), after checking ``Authorization: Bearer <bot token>`` (or a ``token`` field):
missing -> ``not_authed``, wrong -> ``invalid_auth``. Methods: auth.test, chat.postMessage,
chat.update, chat.delete, chat.postEphemeral, chat.getPermalink, conversations.open, users.info,
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

What Slack's own client does, for `bot.standin.requests.SlackRequests` (and a console):
`issue_trigger(user_id)`, `response_url(user_id, channel_id, message_ts=None, ephemeral=False)`,
`dm_id(user_id)`, `show_command_ack(...)`, `show_error(...)`, `apply_view_submission_response(...)`,
`close_view(...)`. A trigger is single-use and expires `trigger_ttl` seconds (3) after it was issued
on the fake's `clock`; a response_url takes 5 posts within 30 minutes.

``response_url`` posts (what Bolt's ``respond()`` sends: text, blocks, response_type,
replace_original, delete_original) become an ephemeral for the user, or a channel message with
``response_type: "in_channel"``; ``replace_original`` / ``delete_original`` change the message the
URL came from. Bad bodies get HTTP 400 with a plain-text error, as Slack's hooks do.

Faults: `fail_next(method, kind, count=1, retry_after=1, seconds=1.0)`, see `bot.standin.faults`.
"""

from __future__ import annotations

import copy
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from bot.standin import blockkit
from bot.standin.faults import Fault, FaultPlan
from bot.standin.methods import Context, call_method, message_object
from bot.standin.records import Call, Ephemeral, Message, SlackEvent, Upload, View
from bot.standin.workspace import BOT_NAME, TRIGGER_TTL_SECONDS, ApiError, HookError, Workspace

log = logging.getLogger(__name__)

T = TypeVar("T")

_JSON_PARAMS = ("blocks", "attachments", "view", "files", "metadata")
_DISPATCH_FAILED = '{command} failed with the error "{error}"'


class _BadBody(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _Reply:
    """An HTTP answer before it is written."""

    def __init__(
        self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}

    def encode(self) -> tuple[bytes, str]:
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    mime = content_type.split(";")[0].strip().lower()
    if mime == "application/json":
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise _BadBody("invalid_json") from None
        if not isinstance(parsed, dict):
            raise _BadBody("invalid_json")
        return parsed
    if mime in ("application/x-www-form-urlencoded", "text/plain", ""):
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if mime == "multipart/form-data":
        message = BytesParser(policy=policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                payload = part.get_payload(decode=True) or b""
                fields[name] = payload if part.get_filename() else payload.decode("utf-8", "replace")
        return fields
    raise _BadBody("invalid_post_type")


def _decode_json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Form bodies carry blocks/view/files as JSON strings; decode them so both encodings look alike."""
    for key in _JSON_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass  # left as a string: the method answers invalid_blocks / invalid_arguments
    return params


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], fake: FakeSlack) -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeouts in reliability tests) is not an error of the stand-in.
        log.debug("FakeSlack: request from %s ended early", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        reply = self.server.fake._handle(self.command, self.path, dict(self.headers.items()), raw)
        body, content_type = reply.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("FakeSlack: " + format, *args)


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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._dispatch_lock = threading.Lock()
        self.on_event: list[Callable[[SlackEvent], None]] = []

    def __repr__(self) -> str:  # never shows the token
        state = self.base_url if self._server else "not started"
        return f"<FakeSlack {state} team={self._ws.team_id}>"

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self._address, self)
        # A short poll interval keeps stop() quick (shutdown waits for the loop to look again).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="FakeSlack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # hanging answers return now
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started: call start() or use it as a context manager")
        host, port = self._server.server_address[:2]
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
        """The user directory (id -> name), or None when any user id is accepted."""
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

    def message_payload(self, message: Message) -> dict[str, Any]:
        """The message object Slack puts in its answers and in block_actions payloads."""
        return message_object(self._ws, message)

    def uploads(self) -> list[Upload]:
        return copy.deepcopy(self._ws.uploads())

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Return the first truthy value of `predicate()`, re-checked whenever the fake changes (and
        every 50 ms for changes elsewhere); TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._ws.changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"FakeSlack.wait_for: condition still false after {timeout} s")
                self._ws.changed.wait(min(remaining, 0.05))

    def reset(self) -> None:
        """Forget all recorded state and queued faults (directories and the server stay)."""
        self._ws.reset()
        self._faults.clear()

    # ------------------------------------------------------------------------------------ faults

    def fail_next(
        self, method: str, kind: str, count: int = 1, retry_after: int = 1, seconds: float = 1.0
    ) -> None:
        """Make the next `count` requests for `method` fail as `kind` (see `bot.standin.faults`)."""
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
        """What Slack shows for a slash command's ack body: nothing when empty, else the text/blocks
        as an ephemeral (or a channel message with ``response_type: "in_channel"``)."""
        payload = self._ack_payload(body)
        if payload is None:
            return None
        text = str(payload.get("text") or "")
        blocks = payload.get("blocks") if isinstance(payload.get("blocks"), list) else None
        problems = blockkit.message_problems(blocks)
        if problems:
            return self.show_error(user_id, channel_id, f"the app answered with invalid blocks: {problems[0]}")
        try:
            if payload.get("response_type") == "in_channel":
                return self._ws.post_message(channel_id, text=text, blocks=blocks, source="ack")
            return self._ws.post_ephemeral(user_id, channel_id, text=text, blocks=blocks, source="ack")
        finally:
            self._dispatch_events()

    @staticmethod
    def _ack_payload(body: str | Mapping[str, Any]) -> dict[str, Any] | None:
        if isinstance(body, Mapping):
            return dict(body) or None
        if not body.strip():
            return None
        try:
            parsed = json.loads(body)
        except ValueError:
            return {"text": body}
        return parsed if isinstance(parsed, dict) and parsed else {"text": body}

    def show_error(self, user_id: str, channel_id: str, text: str) -> Ephemeral:
        """An ephemeral from Slack itself (``source="slack"``), e.g. ``/numbers failed with the error
        "dispatch_failed"`` when the app did not ack in time or answered with an error."""
        try:
            return self._ws.post_ephemeral(user_id, channel_id, text=text, blocks=None, source="slack")
        finally:
            self._dispatch_events()

    def command_failed(self, user_id: str, channel_id: str, command: str, error: str) -> Ephemeral:
        return self.show_error(user_id, channel_id, _DISPATCH_FAILED.format(command=command, error=error))

    def close_view(self, user_id: str, view_id: str | None = None, *, clear: bool = False) -> list[View]:
        """The user closes the top modal (or `view_id` and the ones above it, or all with `clear`)."""
        try:
            return copy.deepcopy(self._ws.close_views(user_id, view_id, clear=clear))
        finally:
            self._dispatch_events()

    def apply_view_submission_response(self, user_id: str, view_id: str, status: int, body: str) -> View | None:
        """What Slack does with the app's answer to a view_submission: an empty 200 closes the
        modal; ``response_action`` ``clear`` closes them all, ``update`` replaces it, ``push`` pushes
        a new one, ``errors`` shows field errors; anything else leaves it open with an alert.
        Returns the modal now on top (None when none is open)."""
        try:
            self._apply_view_response(user_id, view_id, status, body)
            stack = self._ws.views(user_id)
            return copy.deepcopy(stack[-1]) if stack else None
        finally:
            self._dispatch_events()

    def _apply_view_response(self, user_id: str, view_id: str, status: int, body: str) -> None:
        trouble = "We had some trouble connecting. Try again?"
        if status != 200:
            self._ws.annotate_view(view_id, alert=trouble)
            return
        if not body.strip():
            self._ws.close_views(user_id, view_id)
            return
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        action = answer.get("response_action") if isinstance(answer, dict) else None
        if not isinstance(answer, dict) or action is None:
            self._ws.annotate_view(view_id, alert=trouble)
            return
        if action == "clear":
            self._ws.close_views(user_id, clear=True)
        elif action == "errors" and isinstance(answer.get("errors"), dict):
            self._ws.annotate_view(view_id, errors={str(k): str(v) for k, v in answer["errors"].items()})
        elif action in ("update", "push"):
            problems = blockkit.view_problems(answer.get("view"), expected_type="modal")
            if problems:
                self._ws.annotate_view(view_id, alert=f"{trouble} ({problems[0]})")
                return
            try:
                if action == "update":
                    self._ws.update_view(view_id, None, answer["view"], None)
                else:
                    self._ws.push_view(user_id, answer["view"])
            except ApiError as exc:
                self._ws.annotate_view(view_id, alert=f"{trouble} ({exc.code})")
        else:
            self._ws.annotate_view(view_id, alert=trouble)

    # ------------------------------------------------------------------------------------ HTTP

    def _handle(self, verb: str, path: str, headers: dict[str, str], raw: bytes) -> _Reply:
        parts = urlsplit(path)
        try:
            if parts.path.startswith("/api/"):
                return self._web_api(parts.path.removeprefix("/api/"), parts.query, headers, raw)
            if parts.path.startswith("/upload/v1/") and verb == "POST":
                return self._upload(parts.path.removeprefix("/upload/v1/"), raw)
            if parts.path.startswith("/response/") and verb == "POST":
                return self._response_url(parts.path.rsplit("/", 1)[-1], headers, raw)
            return _Reply(404, "Not Found")
        finally:
            self._dispatch_events()

    def _apply_fault(self, method: str, fault: Fault | None) -> _Reply | None:
        if fault is None:
            return None
        if fault.kind == "hang":
            self._stopping.wait(fault.seconds)
            return None
        if fault.kind == "ratelimited":
            return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(fault.retry_after)})
        if fault.kind == "server_error":
            return _Reply(500, {"ok": False, "error": "internal_error"})
        return _Reply(200, {"ok": False, "error": fault.error_code})

    def _web_api(self, method: str, query: str, headers: dict[str, str], raw: bytes) -> _Reply:
        fault = self._faults.take(method)
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        try:
            params.update(_parse_body(_header(headers, "Content-Type"), raw))
        except _BadBody as exc:
            return self._record(method, params, _Reply(200, {"ok": False, "error": exc.code}), None)
        body_token = params.pop("token", None)
        _decode_json_params(params)
        faulted = self._apply_fault(method, fault)
        if faulted is not None:
            return self._record(method, params, faulted, fault.kind if fault else None)
        auth_error = self._auth_error(_header(headers, "Authorization"), body_token)
        if auth_error is not None:
            reply = _Reply(200, {"ok": False, "error": auth_error})
        else:
            reply = _Reply(200, call_method(self._ws, method, params, Context(base_url=self.base_url)))
        return self._record(method, params, reply, fault.kind if fault else None)

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

    def _record(self, method: str, params: dict[str, Any], reply: _Reply, fault: str | None) -> _Reply:
        response = reply.body if isinstance(reply.body, dict) else {"ok": reply.status == 200, "body": reply.body}
        self._ws.record_call(method, params, reply.status, response, fault)
        return reply

    def _upload(self, ticket: str, raw: bytes) -> _Reply:
        fault = self._faults.take("upload")
        faulted = self._apply_fault("upload", fault)
        params: dict[str, Any] = {"bytes": len(raw)}
        if faulted is not None:
            return self._record("upload", params, faulted, fault.kind if fault else None)
        upload = self._ws.receive_upload(ticket, raw)
        if upload is None:
            return self._record("upload", params, _Reply(404, "Not Found"), None)
        params["file_id"] = upload.file_id
        return self._record("upload", params, _Reply(200, f"OK - {len(raw)}"), fault.kind if fault else None)

    def _response_url(self, token: str, headers: dict[str, str], raw: bytes) -> _Reply:
        fault = self._faults.take("response_url")
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return self._record("response_url", {}, _Reply(400, "invalid_payload"), None)
        faulted = self._apply_fault("response_url", fault)
        if faulted is not None:
            return self._record("response_url", payload, faulted, fault.kind if fault else None)
        try:
            hook = self._ws.use_hook(token)
        except HookError as exc:
            log.debug("FakeSlack: response_url refused: %s", exc)
            return self._record("response_url", payload, _Reply(404, "expired_url"), None)
        reply = self._apply_response(hook.user_id, hook.channel_id, hook.message_ts, hook.ephemeral, payload)
        return self._record("response_url", payload, reply, fault.kind if fault else None)

    def _apply_response(
        self, user_id: str, channel: str, message_ts: str | None, ephemeral: bool, payload: dict[str, Any]
    ) -> _Reply:
        ws = self._ws
        with ws.lock:
            if _truthy(payload.get("delete_original")):
                if message_ts is None:
                    return _Reply(404, "message_not_found")
                deleted = ws.delete_ephemeral(user_id, message_ts) if ephemeral else None
                if not ephemeral:
                    if ws.find_message(channel, message_ts) is None:
                        return _Reply(404, "message_not_found")
                    ws.delete_message(channel, message_ts)
                elif deleted is None:
                    return _Reply(404, "message_not_found")
                return _Reply(200, "ok")
            text = str(payload.get("text") or "")
            blocks = payload.get("blocks")
            if blocks is not None and blockkit.message_problems(blocks):
                return _Reply(400, "invalid_blocks")
            if not text and not blocks:
                return _Reply(400, "no_text")
            if _truthy(payload.get("replace_original")) and message_ts is not None:
                if ephemeral:
                    if ws.replace_ephemeral(user_id, message_ts, text=text, blocks=blocks) is None:
                        return _Reply(404, "message_not_found")
                else:
                    if ws.find_message(channel, message_ts) is None:
                        return _Reply(404, "message_not_found")
                    ws.update_message(channel, message_ts, text=text, blocks=blocks or [])
                return _Reply(200, "ok")
            thread_ts = payload.get("thread_ts") if isinstance(payload.get("thread_ts"), str) else None
            if payload.get("response_type") == "in_channel":
                ws.post_message(channel, text=text, blocks=blocks, thread_ts=thread_ts, source="response_url")
            else:
                ws.post_ephemeral(user_id, channel, text=text, blocks=blocks, source="response_url", thread_ts=thread_ts)
            return _Reply(200, "ok")

    # ------------------------------------------------------------------------------------ events

    def _dispatch_events(self) -> None:
        """Hand queued events to the `on_event` callbacks, in order, outside the workspace lock."""
        with self._dispatch_lock:
            for event in self._ws.drain_events():
                for callback in list(self.on_event):
                    try:
                        callback(copy.deepcopy(event))
                    except Exception:
                        log.exception("FakeSlack: an on_event callback failed on %s", event.kind)


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), "")


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))
