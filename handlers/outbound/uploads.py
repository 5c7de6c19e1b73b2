"""Sending a file to a person's DM through Slack's external upload flow, streamed from disk.

1. `files.getUploadURLExternal(filename, length)` gives an upload URL and a file id;
2. the bytes are POSTed to that URL a chunk at a time (never the whole file in memory);
3. `files.completeUploadExternal(files=[{id, title}], channel_id=<the DM>)` shares it, with a comment.

The DM is the one `conversations.open` gives for the user, so nobody else sees the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import httpx
from slack_sdk import WebClient

from bot.services.errors import ServiceError

CHUNK_BYTES = 64 * 1024
UPLOAD_TIMEOUT_S = 60.0


class UploadFailed(ServiceError):
    """Slack did not take the file's bytes; nothing was shared."""


@dataclass(frozen=True)
class SharedFile:
    file_id: str
    channel_id: str


def upload_to_dm(
    client: WebClient,
    user_id: str,
    stream: IO[bytes],
    length: int,
    *,
    filename: str,
    title: str,
    comment: str,
    timeout_s: float = UPLOAD_TIMEOUT_S,
) -> SharedFile:
    """Upload `length` bytes of `stream` (from where it stands) and share them in the user's DM."""
    ticket = client.files_getUploadURLExternal(filename=filename, length=length)
    file_id = str(ticket["file_id"])
    _post_bytes(str(ticket["upload_url"]), stream, length, timeout_s=timeout_s)
    channel_id = str(client.conversations_open(users=user_id)["channel"]["id"])
    client.files_completeUploadExternal(
        files=[{"id": file_id, "title": title}], channel_id=channel_id, initial_comment=comment
    )
    return SharedFile(file_id=file_id, channel_id=channel_id)


def upload_written_to_dm(client: WebClient, user_id: str, spool: IO[bytes], *, filename: str, title: str, comment: str) -> SharedFile:
    """Upload everything written to `spool` so far (a temporary file standing at its end) to the user's DM."""
    length = spool.tell()
    spool.seek(0)
    return upload_to_dm(client, user_id, spool, length, filename=filename, title=title, comment=comment)


def _post_bytes(url: str, stream: IO[bytes], length: int, *, timeout_s: float) -> None:
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(length)}
    try:
        answer = httpx.post(url, content=_chunks(stream), headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise UploadFailed(
            f"I could not send the file to Slack ({type(exc).__name__}); nothing was shared. Try again in a minute."
        ) from None
    if answer.status_code != 200:
        raise UploadFailed(
            f"Slack did not accept the file (HTTP {answer.status_code}); nothing was shared. Try again in a minute."
        )


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk
