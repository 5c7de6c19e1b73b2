"""The Web API methods the stand-in answers, each a function from decoded params to Slack's answer.

`METHODS` maps a method name (``"chat.postMessage"``) to a handler. A handler returns the ``ok: true``
body or raises `ApiError` for Slack's ``ok: false`` answer; `call_method` runs one under the
workspace lock, so every call is atomic. Params arrive decoded: form and JSON bodies look the same,
and JSON-valued params (``blocks``, ``view``, ``files`` ...) are already lists and dicts.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakes.slack import blockkit
from fakes.slack.records import Message
from fakes.slack.workspace import ApiError, Workspace

Params = dict[str, Any]


@dataclass(frozen=True)
class Context:
    base_url: str  # "http://127.0.0.1:<port>", for the URLs a method hands out


Handler = Callable[[Workspace, Params, Context], dict[str, Any]]


# ------------------------------------------------------------------------------------------- helpers


def _str(params: Params, key: str) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _required(params: Params, key: str) -> str:
    value = _str(params, key)
    if value is None:
        raise ApiError("invalid_arguments", [f"missing required field: {key}"])
    return value


def _flag(params: Params, key: str) -> bool:
    value = params.get(key)
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true"))


def _blocks(params: Params) -> list[dict[str, Any]] | None:
    blocks = params.get("blocks")
    if blocks is None:
        return None
    problems = blockkit.message_problems(blocks)
    if problems:
        raise ApiError("invalid_blocks", problems, errors=problems)
    return blocks


def _message_content(params: Params) -> tuple[str, list[dict[str, Any]] | None]:
    text = _str(params, "text")
    blocks = _blocks(params)
    if text is None and not blocks and not params.get("attachments"):
        raise ApiError("no_text")
    if text is not None and len(text) > blockkit.MAX_MESSAGE_TEXT:
        raise ApiError("msg_too_long")
    return text or "", blocks


def _view(params: Params, *, expected_type: str | None = None) -> dict[str, Any]:
    view = params.get("view")
    if view is None:
        raise ApiError("invalid_arguments", ["missing required field: view"])
    problems = blockkit.view_problems(view, expected_type=expected_type)
    if problems:
        raise ApiError("invalid_arguments", problems)
    return view


def message_object(ws: Workspace, message: Message) -> dict[str, Any]:
    """A message shaped as in Slack's answers and in block_actions payloads."""
    body: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "text": message.text,
        "user": message.user,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "team": ws.team_id,
        "ts": message.ts,
        "blocks": copy.deepcopy(message.blocks),
    }
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    if message.edited:
        body["edited"] = {"user": message.user, "ts": message.ts}
    if message.files:
        body["files"] = [{"id": file_id} for file_id in message.files]
    return body


def user_object(ws: Workspace, user_id: str) -> dict[str, Any]:
    name = ws.user_name(user_id)
    return {
        "id": user_id,
        "team_id": ws.team_id,
        "name": name,
        "real_name": name,
        "deleted": False,
        "is_bot": user_id == ws.bot_user_id,
        "is_admin": False,
        "tz": "Etc/UTC",
        "profile": {"real_name": name, "display_name": name, "team": ws.team_id},
    }


# ------------------------------------------------------------------------------------------- methods


def auth_test(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    return {
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_domain,
        "user": ws.user_name(ws.bot_user_id),
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def _metadata(params: Params) -> dict[str, Any] | None:
    """Message metadata as Slack takes it: {"event_type": str, "event_payload": object}."""
    metadata = params.get("metadata")
    if metadata is None or metadata == "":
        return None
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            raise ApiError("invalid_metadata_format") from None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not metadata["event_type"]
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise ApiError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def chat_post_message(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    channel = ws.resolve_channel(_str(params, "channel"))
    text, blocks = _message_content(params)
    message = ws.post_message(
        channel, text=text, blocks=blocks, thread_ts=_str(params, "thread_ts"), metadata=_metadata(params)
    )
    return {"channel": channel, "ts": message.ts, "message": message_object(ws, message)}


HISTORY_DEFAULT_LIMIT = 100
HISTORY_MAX_LIMIT = 999


def _ts_param(params: Params, key: str) -> float | None:
    value = _str(params, key)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise ApiError("invalid_ts_" + key) from None


def conversations_history(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    """A channel's messages newest first, between `oldest` and `latest` (exclusive unless `inclusive`),
    `limit` a page (cursor: an opaque offset); `metadata` on each only with `include_all_metadata`. As in
    Slack, replies in a thread are not among them (conversations.replies reads a thread)."""
    channel = ws.resolve_channel(_str(params, "channel"))
    top_level = [m for m in ws.messages(channel) if m.thread_ts in (None, m.ts)]
    return _message_page(ws, top_level, params, newest_first=True)


def conversations_replies(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    """A thread: its parent (`ts`) and its replies, oldest first, with conversations.history's window, paging
    and `include_all_metadata`; `thread_not_found` when there is no such message."""
    channel = ws.resolve_channel(_str(params, "channel"))
    parent = _str(params, "ts")
    if parent is None or ws.find_message(channel, parent) is None:
        raise ApiError("thread_not_found")
    thread = [m for m in ws.messages(channel) if m.ts == parent or m.thread_ts == parent]
    return _message_page(ws, thread, params, newest_first=False)


def _message_page(ws: Workspace, candidates: list[Any], params: Params, *, newest_first: bool) -> dict[str, Any]:
    oldest = _ts_param(params, "oldest") or 0.0
    latest = _ts_param(params, "latest")
    inclusive = _flag(params, "inclusive")
    try:
        limit = int(_str(params, "limit") or HISTORY_DEFAULT_LIMIT)
        offset = int(_str(params, "cursor") or 0)
    except ValueError:
        raise ApiError("invalid_cursor") from None
    limit = max(1, min(limit, HISTORY_MAX_LIMIT))

    def within(ts: float) -> bool:
        after = ts >= oldest if inclusive else ts > oldest
        before = latest is None or (ts <= latest if inclusive else ts < latest)
        return after and before

    found = sorted((m for m in candidates if within(float(m.ts))), key=lambda m: float(m.ts), reverse=newest_first)
    page = found[offset : offset + limit]
    with_metadata = _flag(params, "include_all_metadata")
    messages = []
    for message in page:
        body = message_object(ws, message)
        if with_metadata and message.metadata is not None:
            body["metadata"] = copy.deepcopy(message.metadata)
        messages.append(body)
    more = offset + limit < len(found)
    return {
        "messages": messages,
        "has_more": more,
        "pin_count": 0,
        "response_metadata": {"next_cursor": str(offset + limit) if more else ""},
    }


def chat_update(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    channel = ws.resolve_channel(_str(params, "channel"))
    ts = _str(params, "ts")
    if ts is None or ws.find_message(channel, ts) is None:
        raise ApiError("message_not_found")
    text = _str(params, "text")
    blocks = _blocks(params)
    if text is None and blocks is None and not params.get("attachments"):
        raise ApiError("no_text")
    if text is not None and len(text) > blockkit.MAX_MESSAGE_TEXT:
        raise ApiError("msg_too_long")
    message = ws.update_message(channel, ts, text=text, blocks=blocks)
    return {"channel": channel, "ts": ts, "text": message.text, "message": message_object(ws, message)}


def chat_delete(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    channel = ws.resolve_channel(_str(params, "channel"))
    ts = _str(params, "ts") or ""
    ws.delete_message(channel, ts)
    return {"channel": channel, "ts": ts}


def chat_post_ephemeral(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    user_id = _required(params, "user")
    if not ws.user_exists(user_id):
        raise ApiError("user_not_found")
    channel = ws.resolve_channel(_str(params, "channel"))
    dm_owner = ws.dm_user(channel)
    if dm_owner is not None and dm_owner != user_id:
        raise ApiError("user_not_in_channel")
    text, blocks = _message_content(params)
    ephemeral = ws.post_ephemeral(
        user_id, channel, text=text, blocks=blocks, source="chat.postEphemeral", thread_ts=_str(params, "thread_ts")
    )
    return {"message_ts": ephemeral.ts}


def chat_get_permalink(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    channel = ws.resolve_channel(_str(params, "channel"))
    ts = _str(params, "message_ts")
    if ts is None or ws.find_message(channel, ts) is None:
        raise ApiError("message_not_found")
    return {
        "channel": channel,
        "permalink": f"https://{ws.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}",
    }


def conversations_open(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    channel = _str(params, "channel")
    if channel is not None:
        return {"channel": {"id": ws.resolve_channel(channel)}, "no_op": True, "already_open": True}
    users = [u.strip() for u in (_str(params, "users") or "").split(",") if u.strip()]
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 8:
        raise ApiError("too_many_users")
    for user_id in users:
        if not ws.user_exists(user_id):
            raise ApiError("user_not_found")
    if len(users) == 1:
        channel_id = ws.dm_id(users[0])
        body: dict[str, Any] = {"id": channel_id}
        if _flag(params, "return_im"):
            body.update({"is_im": True, "user": users[0], "created": int(ws.clock())})
    else:
        channel_id = ws.open_mpim(users)
        body = {"id": channel_id}
    return {"channel": body}


def users_info(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    user_id = _str(params, "user")
    if user_id is None or not ws.user_exists(user_id):
        raise ApiError("user_not_found")
    return {"user": user_object(ws, user_id)}


def usergroups_users_list(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    group = _required(params, "usergroup")
    if group not in ws.usergroups:
        raise ApiError("no_such_subteam")
    return {"users": list(ws.usergroups[group])}


def views_open(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    trigger_id = _str(params, "trigger_id") or _str(params, "interactivity_pointer")
    ws.check_trigger(trigger_id)
    view = _view(params, expected_type="modal")
    user_id = ws.exchange_trigger(trigger_id)
    return {"view": copy.deepcopy(ws.open_view(user_id, view).payload)}


def views_push(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    trigger_id = _str(params, "trigger_id") or _str(params, "interactivity_pointer")
    user_id = ws.check_trigger(trigger_id)
    view = _view(params, expected_type="modal")
    record = ws.push_view(user_id, view)
    ws.exchange_trigger(trigger_id)
    return {"view": copy.deepcopy(record.payload)}


def views_update(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    view_id = _str(params, "view_id")
    external_id = _str(params, "external_id")
    if view_id is None and external_id is None:
        raise ApiError("invalid_arguments", ["either view_id or external_id is required"])
    current = ws.find_view(view_id, external_id=external_id)
    view = _view(params, expected_type=current.type if current else None)
    record = ws.update_view(view_id, external_id, view, _str(params, "hash"))
    return {"view": copy.deepcopy(record.payload)}


def views_publish(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    user_id = _required(params, "user_id")
    if not ws.user_exists(user_id):
        raise ApiError("user_not_found")
    view = _view(params, expected_type="home")
    return {"view": copy.deepcopy(ws.publish_home(user_id, view, _str(params, "hash")).payload)}


def files_get_upload_url_external(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    filename = _required(params, "filename")
    length_raw = _required(params, "length")
    try:
        length = int(length_raw)
    except ValueError:
        raise ApiError("invalid_arguments", ["length must be an integer"]) from None
    if length < 0:
        raise ApiError("invalid_arguments", ["length must not be negative"])
    upload, ticket = ws.new_upload(filename, length)
    return {"upload_url": f"{ctx.base_url}/upload/v1/{ticket}", "file_id": upload.file_id}


def files_complete_upload_external(ws: Workspace, params: Params, ctx: Context) -> dict[str, Any]:
    files = params.get("files")
    if not isinstance(files, list) or not files:
        raise ApiError("invalid_arguments", ["files must be a non-empty array of {id, title}"])
    channel_id = _str(params, "channel_id")
    if channel_id is None and _str(params, "channels"):
        channel_id = (_str(params, "channels") or "").split(",")[0]
    if channel_id is not None:
        try:
            channel_id = ws.resolve_channel(channel_id)
        except ApiError:
            raise ApiError("invalid_channel") from None
    for item in files:
        upload = ws.find_upload(str(item.get("id", ""))) if isinstance(item, dict) else None
        if upload is None or upload.content is None:
            raise ApiError("file_not_found")
    initial_comment = _str(params, "initial_comment")
    thread_ts = _str(params, "thread_ts")
    done = [
        ws.complete_upload(
            str(item["id"]),
            title=item.get("title") or None,
            channel_id=channel_id,
            initial_comment=initial_comment,
            thread_ts=thread_ts,
        )
        for item in files
    ]
    if channel_id is not None:
        ws.post_message(
            channel_id,
            text=initial_comment or "",
            blocks=None,
            thread_ts=thread_ts,
            source="files.completeUploadExternal",
            files=tuple(u.file_id for u in done),
        )
    return {
        "files": [
            {"id": u.file_id, "title": u.title or u.filename, "name": u.filename, "size": len(u.content or b"")}
            for u in done
        ]
    }


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "conversations.open": conversations_open,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "users.info": users_info,
    "usergroups.users.list": usergroups_users_list,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
}


def call_method(ws: Workspace, method: str, params: Params, ctx: Context) -> dict[str, Any]:
    """Slack's answer body for one call (``ok`` included); never raises ApiError."""
    handler = METHODS.get(method)
    if handler is None:
        return {"ok": False, "error": "unknown_method", "req_method": method}
    with ws.lock:
        try:
            return {"ok": True, **handler(ws, params, ctx)}
        except ApiError as exc:
            return exc.body()
