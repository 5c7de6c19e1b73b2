"""What the Slack stand-in remembers: immutable snapshots handed to tests and the console.

Every record is a frozen dataclass taken under the stand-in's lock; the `blocks` lists inside are deep
copies, so nothing a test does to a record can change the fake, and a record kept from before an
update still shows what the user saw then (handy for "click the button on the old message").

* `Call`       one Web API request (method, decoded params without the token, response, fault)
* `Message`    a channel or DM message in its *current* version (`edited` counts the updates)
* `Ephemeral`  something only one user sees: chat.postEphemeral, response_url replies, slash-command
               acks, and the errors Slack itself shows (``source == "slack"``)
* `View`       a modal on a user's stack, or a user's published App Home
* `Upload`     a file uploaded through files.getUploadURLExternal / completeUploadExternal
* `SlackEvent` what `FakeSlack.on_event` callbacks receive, one per change (plus one per call)

`Button` and `Input` are read from Block Kit by `fakes.slack.blockkit`, so a console can number the
buttons and ask for the fields of a modal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fakes.slack import blockkit
from fakes.slack.blockkit import Button, Input

__all__ = [
    "Button",
    "Call",
    "Ephemeral",
    "EventKind",
    "Input",
    "Message",
    "SlackEvent",
    "Upload",
    "View",
]


@dataclass(frozen=True)
class Call:
    """One request to the fake: a Web API method, or the pseudo-methods ``response_url`` and ``upload``."""

    seq: int
    method: str
    params: dict[str, Any]  # JSON strings (blocks, view, files ...) already decoded; never the token
    at: float  # the fake's clock
    status: int  # the HTTP status the fake answered with
    response: dict[str, Any]
    fault: str | None = None  # the injected fault kind, when one was used

    @property
    def time(self) -> float:
        """When the call arrived (the fake's clock); the same as `at`."""
        return self.at

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return str(error) if error is not None else None


@dataclass(frozen=True)
class Message:
    """A message in a channel or DM, as it is now."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str  # who posted it (the bot's user id)
    thread_ts: str | None = None
    edited: int = 0  # how many times chat.update / replace_original changed it
    files: tuple[str, ...] = ()  # file ids shared with the message
    source: str = "chat.postMessage"  # or "response_url", "ack", "files.completeUploadExternal"
    metadata: dict[str, Any] | None = None  # chat.postMessage's `metadata`: {"event_type", "event_payload"}

    def buttons(self) -> list[Button]:
        return blockkit.buttons(self.blocks)

    def as_text(self) -> str:
        """The message as a person would read it: the blocks as lines of text, else the text."""
        return blockkit.as_text(self.blocks, fallback=self.text)


@dataclass(frozen=True)
class Ephemeral:
    """A message only `user_id` sees, in `channel`."""

    user_id: str
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    source: str  # "chat.postEphemeral", "response_url", "ack" (slash-command ack body) or "slack"
    thread_ts: str | None = None
    replaced: int = 0  # how many times a response_url with replace_original changed it

    def buttons(self) -> list[Button]:
        return blockkit.buttons(self.blocks)

    def as_text(self) -> str:
        return blockkit.as_text(self.blocks, fallback=self.text)


@dataclass(frozen=True)
class View:
    """A modal (on a user's stack) or an App Home tab, with the view object Slack would send back."""

    id: str
    user_id: str
    type: str  # "modal" or "home"
    callback_id: str
    private_metadata: str
    external_id: str
    title: str
    submit: str | None
    close: str | None
    blocks: list[dict[str, Any]]
    hash: str
    root_view_id: str
    previous_view_id: str | None
    payload: dict[str, Any]  # the whole view object, shaped as in views.open's answer and in payloads
    errors: dict[str, str] = field(default_factory=dict)  # response_action "errors": block_id -> text
    alert: str | None = None  # what Slack shows on top of the modal when a submission failed

    def buttons(self) -> list[Button]:
        return blockkit.buttons(self.blocks)

    def inputs(self) -> list[Input]:
        return blockkit.inputs(self.blocks)

    def as_text(self) -> str:
        heading = f"[{self.title}]" if self.title else ""
        body = blockkit.as_text(self.blocks, fallback="")
        return "\n".join(part for part in (heading, body) if part)


@dataclass(frozen=True)
class Upload:
    """A file: its id and name from files.getUploadURLExternal, the bytes posted to the upload URL,
    and where files.completeUploadExternal shared it."""

    file_id: str
    filename: str
    length: int  # what the client announced
    content: bytes | None = None  # None until the bytes were posted to the upload URL
    title: str | None = None
    completed: bool = False
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None


class EventKind(StrEnum):
    CALL = "call"  # every request, successful or not; subject is the Call
    MESSAGE_POSTED = "message_posted"
    MESSAGE_UPDATED = "message_updated"
    MESSAGE_DELETED = "message_deleted"  # subject is the message as it was
    EPHEMERAL_POSTED = "ephemeral_posted"
    EPHEMERAL_REPLACED = "ephemeral_replaced"
    EPHEMERAL_DELETED = "ephemeral_deleted"
    VIEW_OPENED = "view_opened"
    VIEW_PUSHED = "view_pushed"
    VIEW_UPDATED = "view_updated"
    VIEW_CLOSED = "view_closed"  # subject is the view as it was
    HOME_PUBLISHED = "home_published"
    FILE_UPLOADED = "file_uploaded"  # the bytes arrived at the upload URL
    FILE_SHARED = "file_shared"  # files.completeUploadExternal finished the upload


@dataclass(frozen=True)
class SlackEvent:
    kind: EventKind
    seq: int  # increasing across all events of one fake
    at: float
    subject: Call | Message | Ephemeral | View | Upload
