"""What Slack itself does around the app's answers, applied to the workspace.

* `show_command_ack`: a slash command's ack body is shown to the user (ephemeral, or in the channel
  with ``response_type: "in_channel"``); an empty ack shows nothing.
* `command_failed_text`: what Slack shows when the app failed or was late (> 3 s) to ack.
* `apply_view_submission_response`: an empty 200 closes the modal; ``response_action`` ``clear``
  closes the stack, ``update`` replaces the modal, ``push`` pushes one, ``errors`` shows field
  errors; a failure or anything else leaves it open with Slack's alert.
* `apply_response_url`: a post to a response_url (Bolt's ``respond()``) becomes an ephemeral for the
  user, a channel message (``response_type: "in_channel"``), or replaces / deletes the message the
  URL came from (``replace_original`` / ``delete_original``). Bad bodies get HTTP 400 with a
  plain-text error, as Slack's hooks answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fakes.slack import blockkit
from fakes.slack.records import Ephemeral, Message
from fakes.slack.workspace import ApiError, Hook, Workspace

MODAL_TROUBLE = "We had some trouble connecting. Try again?"


def command_failed_text(command: str, error: str) -> str:
    return f'{command} failed with the error "{error}"'


def _ack_payload(body: str | Mapping[str, Any]) -> dict[str, Any] | None:
    if isinstance(body, Mapping):
        return dict(body) or None
    if not body.strip():
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"text": body}  # Bolt acks a command with plain text when given a string
    return parsed if isinstance(parsed, dict) and parsed else {"text": body}


def show_command_ack(
    ws: Workspace, user_id: str, channel_id: str, body: str | Mapping[str, Any]
) -> Ephemeral | Message | None:
    payload = _ack_payload(body)
    if payload is None:
        return None
    text = str(payload.get("text") or "")
    blocks = payload.get("blocks") if isinstance(payload.get("blocks"), list) else None
    problems = blockkit.message_problems(blocks)
    if problems:
        shown = f"The app answered with invalid blocks: {problems[0]}"
        return ws.post_ephemeral(user_id, channel_id, text=shown, blocks=None, source="slack")
    if payload.get("response_type") == "in_channel":
        return ws.post_message(channel_id, text=text, blocks=blocks, source="ack")
    return ws.post_ephemeral(user_id, channel_id, text=text, blocks=blocks, source="ack")


def apply_view_submission_response(ws: Workspace, user_id: str, view_id: str, status: int, body: str) -> None:
    if status != 200:
        ws.annotate_view(view_id, alert=MODAL_TROUBLE)
        return
    if not body.strip():
        ws.close_views(user_id, view_id)
        return
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    action = answer.get("response_action") if isinstance(answer, dict) else None
    if not isinstance(answer, dict) or action is None:
        ws.annotate_view(view_id, alert=MODAL_TROUBLE)
    elif action == "clear":
        ws.close_views(user_id, clear=True)
    elif action == "errors" and isinstance(answer.get("errors"), dict):
        ws.annotate_view(view_id, errors={str(k): str(v) for k, v in answer["errors"].items()})
    elif action in ("update", "push"):
        problems = blockkit.view_problems(answer.get("view"), expected_type="modal")
        if problems:
            ws.annotate_view(view_id, alert=f"{MODAL_TROUBLE} ({problems[0]})")
            return
        try:
            if action == "update":
                ws.update_view(view_id, None, answer["view"], None)
            else:
                ws.push_view(user_id, answer["view"])
        except ApiError as exc:
            ws.annotate_view(view_id, alert=f"{MODAL_TROUBLE} ({exc.code})")
    else:
        ws.annotate_view(view_id, alert=MODAL_TROUBLE)


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def apply_response_url(ws: Workspace, hook: Hook, payload: Mapping[str, Any]) -> tuple[int, str]:
    """(HTTP status, plain-text body) of Slack's answer to a response_url post."""
    user_id, channel, message_ts = hook.user_id, hook.channel_id, hook.message_ts
    with ws.lock:
        if _truthy(payload.get("delete_original")):
            if message_ts is None:
                return 404, "message_not_found"
            if hook.ephemeral:
                deleted = ws.delete_ephemeral(user_id, message_ts) is not None
            elif ws.find_message(channel, message_ts) is not None:
                deleted = ws.delete_message(channel, message_ts) is not None
            else:
                deleted = False
            return (200, "ok") if deleted else (404, "message_not_found")
        text = str(payload.get("text") or "")
        blocks = payload.get("blocks")
        if blocks is not None and blockkit.message_problems(blocks):
            return 400, "invalid_blocks"
        if not text and not blocks:
            return 400, "no_text"
        if _truthy(payload.get("replace_original")) and message_ts is not None:
            if hook.ephemeral:
                replaced = ws.replace_ephemeral(user_id, message_ts, text=text, blocks=blocks) is not None
            elif ws.find_message(channel, message_ts) is not None:
                replaced = ws.update_message(channel, message_ts, text=text, blocks=blocks or []) is not None
            else:
                replaced = False
            return (200, "ok") if replaced else (404, "message_not_found")
        thread_ts = payload.get("thread_ts") if isinstance(payload.get("thread_ts"), str) else None
        if payload.get("response_type") == "in_channel":
            ws.post_message(channel, text=text, blocks=blocks, thread_ts=thread_ts, source="response_url")
        else:
            ws.post_ephemeral(user_id, channel, text=text, blocks=blocks, source="response_url", thread_ts=thread_ts)
        return 200, "ok"
