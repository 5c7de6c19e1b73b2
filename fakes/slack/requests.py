"""`SlackRequests`: what Slack sends to the app, shaped and signed exactly like Slack does.

    slack = FakeSlack("xoxb-test", users={"U0REQUEST": "rita", "U0BOSS": "bob"}).start()
    requests = SlackRequests("signing-secret", slack)
    requests.send_app(app, requests.slash_command("U0REQUEST", "buy +14155550100 for the sales line"))
    approval = slack.wait_for(lambda: slack.messages("C0APPROVAL"))[-1]
    requests.send_app(app, requests.click("U0BOSS", approval, "Approve"))

Builders (each returns a `SignedRequest(body, headers)`; `timestamp=` signs with another time, e.g.
a stale one; `SignedRequest.tampered()` changes the body after signing):

* `slash_command(user_id, text, *, channel_id=None, command="/numbers", user_name=None)`: the form
  body Slack posts (token, team_id, team_domain, channel_id, channel_name, user_id, user_name,
  command, text, api_app_id, is_enterprise_install, response_url, trigger_id). The channel defaults
  to the user's DM with the bot; response_url and trigger_id are live ones from the fake.
* `block_action(user_id, action_id, value=None, *, block_id=None, channel_id=None, message_ts=None,
  message=None, view=None)`: ``payload=<json>`` of type ``block_actions``. The source is a `View`
  (or view id) from the fake, a `Message`/`Ephemeral` record, a raw message dict, or `message_ts` in
  `channel_id`; missing block_id/value/label are read from the button in the source. A click on a
  message carries a response_url that acts on that message.
* `click(user_id, source, button, *, value=None)`: the same, choosing the button by action_id,
  label or `Button` (as a console would); refuses a button that is not there.
* `view_submission(user_id, view=None, values=None)`: the view as opened (callback_id,
  private_metadata, hash ...) with ``state.values`` in Slack's shape, built from `values`, keyed by
  block_id or action_id (``{"reason": "for sales"}``) or nested ``{block_id: {action_id: value}}``.
  Required fields left empty raise ValueError: Slack would not let the user submit.
* `view_closed(user_id, view=None, *, is_cleared=False)`, `app_home_opened(user_id)` (an Events API
  ``event_callback`` JSON body).

Senders deliver a request and then play Slack's part with the answer: a slash command's ack body is
shown to the user (`FakeSlack.ephemerals`), a failed or late (> 3 s) ack shows ``/numbers failed with
the error "dispatch_failed"``/``"operation_timeout"``, a view_submission answer closes, updates,
pushes or annotates the modal, and sending view_closed closes it first.

* `send_http(url, signed, retry_num=None)` posts with httpx, returns ``(status, body, headers)``;
  `close()` closes its client.
* `send_app(app, signed, retry_num=None)` runs ``app.dispatch(BoltRequest(...))`` and returns the
  ``BoltResponse`` (slack_bolt is imported only there).
``retry_num`` adds ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason`` as Slack's redeliveries carry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

import httpx

from fakes.slack.blockkit import Button, Input, buttons
from fakes.slack.records import Ephemeral, Message, View
from fakes.slack.webapi import FakeSlack

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.response import BoltResponse

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ACK_DEADLINE_SECONDS = 3.0  # Slack gives up on an app that has not answered within three seconds
REPLAY_WINDOW_SECONDS = 5 * 60  # Slack's advice: refuse requests more than five minutes old

_MULTI_VALUE_KEYS = {"selected_options", "selected_users", "selected_conversations", "selected_channels"}


@dataclass(frozen=True)
class SignedRequest:
    """A request as Slack would send it. The extra fields tell the senders what Slack does with
    the answer; they are not part of what is sent."""

    body: str
    headers: dict[str, str]
    kind: str = "custom"  # slash_command, block_actions, view_submission, view_closed, event_callback
    user_id: str | None = None
    channel_id: str | None = None
    view_id: str | None = None
    command: str | None = None
    forged: bool = False  # tampered, signed with another secret or replayed: nobody waits for the answer

    def payload(self) -> dict[str, Any]:
        """The body decoded as the app will read it (form fields, or the JSON of ``payload=``)."""
        if self.body.startswith("{"):
            return json.loads(self.body)
        fields = dict(parse_qsl(self.body, keep_blank_values=True))
        return json.loads(fields["payload"]) if "payload" in fields else fields

    def tampered(self, body: str | None = None) -> SignedRequest:
        """The same signature over a different body (default: one changed character at the end)."""
        return replace(self, body=self.body + " " if body is None else body, forged=True)


def signature(secret: str, timestamp: int | str, body: str) -> str:
    """Slack's ``X-Slack-Signature``: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


class SlackRequests:
    def __init__(
        self,
        signing_secret: str,
        fake: FakeSlack,
        *,
        team_id: str | None = None,
        verification_token: str = "standin-verification-token",
        clock: Callable[[], float] = time.time,
        ack_deadline: float = ACK_DEADLINE_SECONDS,
    ) -> None:
        if not signing_secret:
            raise ValueError("SlackRequests needs the signing secret the app verifies with")
        self._secret = signing_secret
        self.fake = fake
        self.team_id = team_id or fake.team_id
        self.verification_token = verification_token
        self.clock = clock
        self.ack_deadline = ack_deadline
        self._http: httpx.Client | None = None  # one client for all send_http calls (cheap to reuse)

    def __repr__(self) -> str:  # never shows the signing secret
        return f"<SlackRequests team={self.team_id} fake={self.fake!r}>"

    # ------------------------------------------------------------------------------------ signing

    def sign(
        self, body: str, *, content_type: str = FORM, timestamp: int | None = None, secret: str | None = None
    ) -> SignedRequest:
        """Sign any body; `secret` signs with another secret (a forgery), and a `timestamp` more than
        five minutes off makes a replay. Neither has a user waiting for the answer."""
        now = int(self.clock())
        ts = now if timestamp is None else int(timestamp)
        replayed = abs(now - ts) > REPLAY_WINDOW_SECONDS
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature(self._secret if secret is None else secret, ts, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        return SignedRequest(body=body, headers=headers, forged=secret is not None or replayed)

    # ------------------------------------------------------------------------------------ people

    def _user_name(self, user_id: str) -> str:
        users = self.fake.users
        if users is not None and user_id not in users:
            known = ", ".join(sorted(users))
            raise ValueError(f"{user_id} is not in the fake's users ({known})")
        return self.fake.user_name(user_id)

    def _user(self, user_id: str) -> dict[str, str]:
        name = self._user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> dict[str, str]:
        return {"id": self.team_id, "domain": self.fake.team_domain}

    def _interactive(self, payload: dict[str, Any], timestamp: int | None, **meta: Any) -> SignedRequest:
        signed = self.sign(urlencode({"payload": json.dumps(payload)}), content_type=FORM, timestamp=timestamp)
        return replace(signed, **meta)

    # ------------------------------------------------------------------------------------ builders

    def slash_command(
        self,
        user_id: str,
        text: str,
        *,
        channel_id: str | None = None,
        command: str = "/numbers",
        user_name: str | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        name = user_name or self._user_name(user_id)
        channel = channel_id or self.fake.dm_id(user_id)
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.fake.team_domain,
            "channel_id": channel,
            "channel_name": self.fake.channel_name(channel),
            "user_id": user_id,
            "user_name": name,
            "command": command,
            "text": text,
            "api_app_id": self.fake.app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(user_id, channel),
            "trigger_id": self.fake.issue_trigger(user_id),
        }
        signed = self.sign(urlencode(fields), content_type=FORM, timestamp=timestamp)
        return replace(signed, kind="slash_command", user_id=user_id, channel_id=channel, command=command)

    def block_action(
        self,
        user_id: str,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        message: Message | Ephemeral | Mapping[str, Any] | None = None,
        view: View | str | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.fake.app_id,
            "token": self.verification_token,
            "trigger_id": self.fake.issue_trigger(user_id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
        }
        meta: dict[str, Any] = {"kind": "block_actions", "user_id": user_id}
        if view is not None:
            source = self._resolve_view(user_id, view)
            blocks = source.blocks
            payload["container"] = {"type": "view", "view_id": source.id}
            payload["view"] = source.payload
            meta["view_id"] = source.id
        else:
            blocks, channel = self._message_source(user_id, payload, channel_id, message_ts, message)
            meta["channel_id"] = channel
        button = _find_button(blocks, action_id, value, block_id)
        if button is None and value is None:
            shown = ", ".join(f"{b.action_id} ({b.text!r})" for b in buttons(blocks)) or "none"
            raise ValueError(f"no button with action_id {action_id!r} there; buttons: {shown}")
        label = button.text if button else action_id
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or (button.block_id if button else ""),
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": value if value is not None else (button.value if button else None),
            "type": "button",
            "action_ts": f"{self.clock():.6f}",
        }
        if button is not None and button.style:
            action["style"] = button.style
        payload["actions"] = [action]
        return self._interactive(payload, timestamp, **meta)

    def _message_source(
        self,
        user_id: str,
        payload: dict[str, Any],
        channel_id: str | None,
        message_ts: str | None,
        message: Message | Ephemeral | Mapping[str, Any] | None,
    ) -> tuple[list[dict[str, Any]], str]:
        """Fill container, channel, message and response_url for a click on a message."""
        if message is None:
            if message_ts is None:
                raise ValueError("block_action needs its source: view=, message= or message_ts= (with channel_id=)")
            ephemeral = next((e for e in self.fake.ephemerals(user_id) if e.ts == message_ts), None)
            if ephemeral is not None:
                message = ephemeral
            elif channel_id is None:
                raise ValueError("block_action with message_ts= needs channel_id=")
            else:
                message = self.fake.message(channel_id, message_ts)
        if isinstance(message, Ephemeral):
            channel, ts, blocks = message.channel, message.ts, message.blocks
            is_ephemeral = True
        elif isinstance(message, Message):
            channel, ts, blocks = message.channel, message.ts, message.blocks
            payload["message"] = self.fake.message_payload(message)
            is_ephemeral = False
        else:
            channel = channel_id or ""
            if not channel:
                raise ValueError("block_action with a raw message dict needs channel_id=")
            ts, blocks = str(message.get("ts", message_ts or "")), list(message.get("blocks") or [])
            payload["message"] = dict(message)
            is_ephemeral = False
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": is_ephemeral,
        }
        payload["channel"] = {"id": channel, "name": self.fake.channel_name(channel)}
        payload["response_url"] = self.fake.response_url(user_id, channel, message_ts=ts, ephemeral=is_ephemeral)
        return blocks, channel

    def click(
        self,
        user_id: str,
        source: Message | Ephemeral | View,
        button: str | Button,
        *,
        value: str | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        """A click on a button that is really there: `button` is a `Button`, an action_id or a label
        (case-insensitive); `value` picks among buttons sharing an action_id."""
        found = _pick_button(source.blocks, button, value)
        if isinstance(source, View):
            return self.block_action(
                user_id, found.action_id, found.value, block_id=found.block_id, view=source, timestamp=timestamp
            )
        return self.block_action(
            user_id, found.action_id, found.value, block_id=found.block_id, message=source, timestamp=timestamp
        )

    def view_submission(
        self,
        user_id: str,
        view: View | str | None = None,
        values: Mapping[str, Any] | None = None,
        *,
        timestamp: int | None = None,
    ) -> SignedRequest:
        source = self._resolve_view(user_id, view)
        submitted = dict(source.payload)
        submitted["state"] = {"values": state_values(source, values or {})}
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.fake.app_id,
            "token": self.verification_token,
            "trigger_id": self.fake.issue_trigger(user_id),
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._interactive(payload, timestamp, kind="view_submission", user_id=user_id, view_id=source.id)

    def view_closed(
        self,
        user_id: str,
        view: View | str | None = None,
        *,
        is_cleared: bool = False,
        timestamp: int | None = None,
    ) -> SignedRequest:
        source = self._resolve_view(user_id, view)
        payload = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.fake.app_id,
            "token": self.verification_token,
            "view": source.payload,
            "is_cleared": is_cleared,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._interactive(payload, timestamp, kind="view_closed", user_id=user_id, view_id=source.id)

    def app_home_opened(self, user_id: str, *, timestamp: int | None = None) -> SignedRequest:
        self._user_name(user_id)
        now = self.clock()
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.fake.dm_id(user_id),
            "tab": "home",
            "event_ts": f"{now:.6f}",
        }
        home = self.fake.home(user_id)
        if home is not None:
            event["view"] = home.payload
        body = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.fake.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_hex(12),
        }
        signed = self.sign(json.dumps(body), content_type=JSON, timestamp=timestamp)
        return replace(signed, kind="event_callback", user_id=user_id)

    def _resolve_view(self, user_id: str, view: View | str | None) -> View:
        if isinstance(view, View):
            return view
        if view is None:
            stack = self.fake.views(user_id)
            if not stack:
                raise ValueError(f"{user_id} has no modal open")
            return stack[-1]
        found = self.fake.view(view)
        if found is None:
            raise ValueError(f"no open view {view!r}")
        return found

    # ------------------------------------------------------------------------------------ senders

    def _headers(self, signed: SignedRequest, retry_num: int | None, retry_reason: str) -> dict[str, str]:
        headers = dict(signed.headers)
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return headers

    def send_http(
        self,
        url: str,
        signed: SignedRequest,
        retry_num: int | None = None,
        *,
        retry_reason: str = "http_timeout",
        timeout: float = 10.0,
    ) -> tuple[int, str, dict[str, str]]:
        """POST the request to the app's URL (e.g. ``http://127.0.0.1:<port>/slack/events``)."""
        self._before_send(signed)
        started = time.monotonic()
        try:
            response = self._http_client().post(
                url, content=signed.body.encode(), headers=self._headers(signed, retry_num, retry_reason), timeout=timeout
            )
        except httpx.TimeoutException:
            self._after_answer(signed, 0, "", timed_out=True)
            raise
        self._after_answer(signed, response.status_code, response.text, time.monotonic() - started > self.ack_deadline)
        return response.status_code, response.text, dict(response.headers)

    def _http_client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client()
        return self._http

    def close(self) -> None:
        """Close the HTTP client `send_http` uses (it is reopened on the next send)."""
        if self._http is not None:
            self._http.close()
            self._http = None

    def send_app(
        self, app: App, signed: SignedRequest, retry_num: int | None = None, *, retry_reason: str = "http_timeout"
    ) -> BoltResponse:
        """Dispatch the request through a Bolt app in this process, as its HTTP adapter would."""
        from slack_bolt.request import BoltRequest

        self._before_send(signed)
        started = time.monotonic()
        response = app.dispatch(BoltRequest(body=signed.body, headers=self._headers(signed, retry_num, retry_reason)))
        self._after_answer(signed, response.status, response.body, time.monotonic() - started > self.ack_deadline)
        return response

    def _before_send(self, signed: SignedRequest) -> None:
        if signed.kind == "view_closed" and not signed.forged and signed.user_id and signed.view_id:
            self.fake.close_view(signed.user_id, signed.view_id, clear=bool(signed.payload().get("is_cleared")))

    def _after_answer(self, signed: SignedRequest, status: int, body: str, timed_out: bool) -> None:
        """Play Slack's part with the app's answer (see the module docstring)."""
        if signed.forged or signed.user_id is None:
            return
        if signed.kind == "slash_command" and signed.channel_id and signed.command:
            if timed_out:
                self.fake.command_failed(signed.user_id, signed.channel_id, signed.command, "operation_timeout")
            elif status != 200:
                self.fake.command_failed(signed.user_id, signed.channel_id, signed.command, "dispatch_failed")
            else:
                self.fake.show_command_ack(signed.user_id, signed.channel_id, body)
        elif signed.kind == "view_submission" and signed.view_id:
            self.fake.apply_view_submission_response(signed.user_id, signed.view_id, 504 if timed_out else status, body)


# ---------------------------------------------------------------------------------------------- helpers


def _find_button(
    blocks: list[dict[str, Any]], action_id: str, value: str | None, block_id: str | None
) -> Button | None:
    candidates = [b for b in buttons(blocks) if b.action_id == action_id]
    if block_id is not None:
        candidates = [b for b in candidates if b.block_id == block_id]
    if value is not None:
        candidates = [b for b in candidates if b.value == value] or candidates
    return candidates[0] if candidates else None


def _pick_button(blocks: list[dict[str, Any]], wanted: str | Button, value: str | None) -> Button:
    available = buttons(blocks)
    if isinstance(wanted, Button):
        matches = [b for b in available if b == wanted]
    else:
        matches = [b for b in available if b.action_id == wanted] or [
            b for b in available if b.text.strip().lower() == wanted.strip().lower()
        ]
    if value is not None:
        matches = [b for b in matches if b.value == value]
    if not matches:
        shown = ", ".join(f"[{b.text}] ({b.action_id})" for b in available) or "no buttons"
        raise ValueError(f"no button {wanted!r} there; it shows {shown}")
    return matches[0]


def _option(inp: Input, value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        value = value.get("value")
    label = next((text for text, v in inp.options if v == value), None)
    if label is None and inp.options:
        choices = ", ".join(v for _, v in inp.options)
        raise ValueError(f"{value!r} is not an option of {inp.label or inp.block_id!r} ({choices})")
    return {"text": {"type": "plain_text", "text": label or str(value), "emoji": True}, "value": str(value)}


def _element_state(inp: Input, raw: Any) -> dict[str, Any]:
    key = inp.state_key
    state: dict[str, Any] = {"type": inp.type}
    empty = raw is None or raw == "" or raw == []
    if key == "selected_option":
        state[key] = None if empty else _option(inp, raw)
    elif key == "selected_options":
        state[key] = [] if empty else [_option(inp, v) for v in raw]
    elif key in _MULTI_VALUE_KEYS:
        state[key] = [] if empty else list(raw)
    else:
        state[key] = None if empty else raw
    return state


def state_values(view: View, values: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """``state.values`` for a submission of `view` with `values` (see `SlackRequests.view_submission`).
    Unfilled fields keep their initial values; unknown keys and empty required fields raise ValueError."""
    inputs = view.inputs()
    by_block = {i.block_id: i for i in inputs}
    by_action = {i.action_id: i for i in inputs}
    answers: dict[tuple[str, str], Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping) and key in by_block and not isinstance(value.get("value"), str):
            for action_id, answer in value.items():
                if by_block[key].action_id != action_id:
                    raise ValueError(f"input block {key!r} has no element {action_id!r}")
                answers[(key, action_id)] = answer
            continue
        inp = by_block.get(key) or by_action.get(key)
        if inp is None:
            known = ", ".join(f"{i.block_id}/{i.action_id}" for i in inputs) or "none"
            raise ValueError(f"the view {view.callback_id!r} has no input {key!r} (inputs: {known})")
        answers[(inp.block_id, inp.action_id)] = value
    result: dict[str, dict[str, dict[str, Any]]] = {}
    missing: list[str] = []
    for inp in inputs:
        raw = answers.get((inp.block_id, inp.action_id), inp.initial_value)
        if (raw is None or raw == "" or raw == []) and not inp.optional:
            missing.append(inp.label or inp.block_id)
        result.setdefault(inp.block_id, {})[inp.action_id] = _element_state(inp, raw)
    if missing:
        raise ValueError(f"Slack would not submit {view.callback_id!r}: required field(s) empty: {', '.join(missing)}")
    return result
