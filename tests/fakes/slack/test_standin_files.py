"""The external upload flow (files.getUploadURLExternal, the upload URL, completeUploadExternal)."""

from __future__ import annotations

from urllib.error import HTTPError

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakes.slack import FakeSlack


def test_files_upload_v2_keeps_the_bytes_and_shares_them_in_the_channel(client: WebClient, slack: FakeSlack) -> None:
    content = b"at,actor,event\n2026-11-27T10:00:00Z,U0BOSS,approved\n"

    answer = client.files_upload_v2(
        channel="C0HISTORY", content=content, filename="audit.csv", title="Audit", initial_comment="Monthly audit"
    )

    assert answer["file"]["title"] == "Audit"
    [upload] = slack.uploads()
    assert (upload.filename, upload.content, upload.length) == ("audit.csv", content, len(content))
    assert (upload.completed, upload.channel_id, upload.initial_comment) == (True, "C0HISTORY", "Monthly audit")
    [shared] = slack.messages("C0HISTORY")
    assert shared.files == (upload.file_id,) and shared.text == "Monthly audit"
    assert [c.method for c in slack.calls()] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def test_completing_an_upload_whose_bytes_never_arrived_is_file_not_found(client: WebClient, slack: FakeSlack) -> None:
    ticket = client.files_getUploadURLExternal(filename="audit.csv", length=10)
    with pytest.raises(SlackApiError) as excinfo:
        client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "Audit"}], channel_id="C0HISTORY")
    assert excinfo.value.response["error"] == "file_not_found"
    assert slack.messages("C0HISTORY") == []


def test_the_upload_url_is_served_by_the_fake_and_unknown_ones_are_404(client: WebClient, slack: FakeSlack) -> None:
    ticket = client.files_getUploadURLExternal(filename="a.txt", length=3)
    assert ticket["upload_url"].startswith(slack.base_url + "/upload/v1/")
    answer = httpx.post(ticket["upload_url"], content=b"abc")
    assert (answer.status_code, answer.text) == (200, "OK - 3")
    assert httpx.post(slack.base_url + "/upload/v1/nope", content=b"abc").status_code == 404


def test_an_upload_fault_fails_files_upload_v2(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("upload", "server_error")
    with pytest.raises(HTTPError) as excinfo:
        client.files_upload_v2(channel="C0HISTORY", content=b"x", filename="a.txt")
    assert excinfo.value.code == 500
    assert slack.messages("C0HISTORY") == []
    assert slack.uploads()[0].content is None
