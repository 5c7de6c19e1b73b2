"""Fault knobs: what a real client sees when Slack rate-limits, fails, hangs or refuses."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.http_retry import builtin_handlers

from fakes.slack import FakeSlack

from .conftest import TOKEN


def test_ratelimited_is_a_real_429_that_webclients_retry_handler_honours(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    # The handler sleeps Retry-After + random(); record the sleep instead of taking it.
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slept.append))
    monkeypatch.setattr(builtin_handlers, "random", SimpleNamespace(random=lambda: 0.0))
    client = WebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=7)

    answer = client.chat_postMessage(channel="C0APPROVAL", text="after the wait")

    assert answer["ok"] is True
    assert slept == [7]
    first, second = slack.calls("chat.postMessage")
    assert (first.status, first.fault, first.error) == (429, "ratelimited", "ratelimited")
    assert second.ok
    assert [m.text for m in slack.messages("C0APPROVAL")] == ["after the wait"]


def test_ratelimited_without_a_retry_handler_surfaces_status_and_header(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=3)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0APPROVAL", text="x")
    response = excinfo.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response["error"] == "ratelimited"
    assert slack.messages("C0APPROVAL") == []


def test_server_error_is_a_500_and_changes_nothing(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", "server_error", count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="C0APPROVAL", text="x")
        assert excinfo.value.response.status_code == 500
    assert client.chat_postMessage(channel="C0APPROVAL", text="third time")["ok"]
    assert [m.text for m in slack.messages("C0APPROVAL")] == ["third time"]


def test_error_code_fault_answers_ok_false_with_that_code(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("chat.update", "error:edit_window_closed")
    ts = client.chat_postMessage(channel="C0APPROVAL", text="x")["ts"]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C0APPROVAL", ts=ts, text="y")
    assert excinfo.value.response.status_code == 200
    assert excinfo.value.response["error"] == "edit_window_closed"
    assert slack.message("C0APPROVAL", ts).text == "x"


def test_hang_answers_late_but_the_call_still_takes_effect(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", "hang", seconds=0.15)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            slack.api_url + "chat.postMessage",
            json={"channel": "C0APPROVAL", "text": "did it post?"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=0.02,
        )
    # The client gave up; Slack did not: the outcome is unknown to the caller, but real.
    posted = slack.wait_for(lambda: slack.messages("C0APPROVAL"), timeout=2)
    assert [m.text for m in posted] == ["did it post?"]
    assert slack.calls("chat.postMessage")[0].fault == "hang"


def test_a_wildcard_fault_hits_any_web_api_method(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("*", "error:fatal_error")
    with pytest.raises(SlackApiError) as excinfo:
        client.auth_test()
    assert excinfo.value.response["error"] == "fatal_error"
    assert client.auth_test()["ok"]


def test_faults_are_used_up_by_the_method_they_name_only(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("chat.update", "server_error")
    assert client.chat_postMessage(channel="C0APPROVAL", text="x")["ok"]
    assert slack.calls("chat.postMessage")[0].fault is None


def test_unknown_fault_kinds_are_refused_at_once(slack: FakeSlack) -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'timeout'"):
        slack.fail_next("chat.postMessage", "timeout")
    with pytest.raises(ValueError, match="count must be at least 1"):
        slack.fail_next("chat.postMessage", "server_error", count=0)
