"""FakeSlack over real HTTP through slack_sdk's WebClient: messages, directory, auth, recording."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakes.slack import EventKind, FakeSlack, SlackEvent

from .conftest import TOKEN, ManualClock

BUTTONS = [
    {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "*Buy* +14155550100"}},
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"},
             "value": "R1", "style": "primary"},
            {"type": "button", "action_id": "deny", "text": {"type": "plain_text", "text": "Deny"}, "value": "R1"},
        ],
    },
]


def slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


def test_api_url_is_what_webclient_takes(slack: FakeSlack) -> None:
    assert slack.api_url.startswith("http://127.0.0.1:")
    assert slack.api_url.endswith("/api/")
    assert WebClient(token=TOKEN, base_url=slack.api_url).auth_test()["user_id"] == slack.bot_user_id


def test_auth_test_identifies_the_bot(client: WebClient) -> None:
    answer = client.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0NUMBERS", "U0NUMBOT", "B0NUMBOT")


def test_post_message_is_recorded_with_blocks_and_answered_like_slack(client: WebClient, slack: FakeSlack) -> None:
    answer = client.chat_postMessage(channel="C0APPROVAL", text="Rita asks to buy", blocks=BUTTONS)

    assert answer["ok"] is True
    assert answer["channel"] == "C0APPROVAL"
    assert answer["message"]["ts"] == answer["ts"]
    [message] = slack.messages("C0APPROVAL")
    assert (message.ts, message.text, message.edited) == (answer["ts"], "Rita asks to buy", 0)
    assert [b.text for b in message.buttons()] == ["Approve", "Deny"]
    assert message.buttons()[0].value == "R1"
    assert message.as_text() == "*Buy* +14155550100\n[Approve] [Deny]"


def test_ts_are_unique_and_increasing_even_when_the_clock_stands_still(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    answers: list[str] = []
    lock = threading.Lock()

    def post(n: int) -> None:
        ts = WebClient(token=TOKEN, base_url=slack.api_url).chat_postMessage(channel="C0HISTORY", text=str(n))["ts"]
        with lock:
            answers.append(ts)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    recorded = [m.ts for m in slack.messages("C0HISTORY")]
    assert len(set(recorded)) == 12
    assert recorded == sorted(recorded, key=float)
    assert sorted(answers) == sorted(recorded)


def test_update_replaces_content_and_counts_edits(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0APPROVAL", text="pending", blocks=BUTTONS)["ts"]
    stamp = [{"type": "section", "text": {"type": "mrkdwn", "text": "Approved by <@U0BOSS>"}}]

    answer = client.chat_update(channel="C0APPROVAL", ts=ts, text="approved", blocks=stamp)

    assert answer["ts"] == ts
    message = slack.message("C0APPROVAL", ts)
    assert (message.text, message.edited, message.buttons()) == ("approved", 1, [])
    assert message.as_text() == "Approved by <@U0BOSS>"


def test_update_with_text_only_keeps_the_blocks_as_slack_does(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0APPROVAL", text="pending", blocks=BUTTONS)["ts"]
    client.chat_update(channel="C0APPROVAL", ts=ts, text="still pending")
    assert len(slack.message("C0APPROVAL", ts).buttons()) == 2


def test_update_of_an_unknown_message_is_message_not_found(client: WebClient, slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C0APPROVAL", ts="1700000000.999999", text="x")
    assert slack_error(excinfo) == "message_not_found"
    assert slack.calls("chat.update")[-1].error == "message_not_found"


def test_unknown_channel_and_empty_message_are_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0NOWHERE", text="x")
    assert slack_error(excinfo) == "channel_not_found"
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMessage", json={"channel": "C0APPROVAL"})
    assert slack_error(excinfo) == "no_text"


def test_posting_to_a_user_id_lands_in_their_dm(client: WebClient, slack: FakeSlack) -> None:
    answer = client.chat_postMessage(channel="U0REQUEST", text="Your purchase was approved")
    assert answer["channel"] == "D0REQUEST"
    assert [m.text for m in slack.messages("D0REQUEST")] == ["Your purchase was approved"]
    assert slack.messages("U0REQUEST") == slack.messages("D0REQUEST")


def test_blocks_over_slacks_limits_are_invalid_blocks(client: WebClient, slack: FakeSlack) -> None:
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0APPROVAL", text="x", blocks=too_long)
    assert slack_error(excinfo) == "invalid_blocks"
    assert "must be less than 3001 characters [json-pointer:/blocks/0/text/text]" in excinfo.value.response["errors"]

    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0APPROVAL", text="x", blocks=too_many)
    assert slack_error(excinfo) == "invalid_blocks"

    long_label = [{"type": "actions", "elements": [
        {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "L" * 76}}]}]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0APPROVAL", text="x", blocks=long_label)
    assert slack.messages("C0APPROVAL") == []


def test_form_encoded_bodies_with_json_blocks_work_like_json_bodies(slack: FakeSlack) -> None:
    form = {"channel": "C0APPROVAL", "text": "form", "blocks": json.dumps(BUTTONS)}
    answer = httpx.post(slack.api_url + "chat.postMessage", data=form, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.json()["ok"] is True

    as_json = httpx.post(
        slack.api_url + "chat.postMessage",
        json={"channel": "C0APPROVAL", "text": "json", "blocks": BUTTONS},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert as_json.json()["ok"] is True
    first, second = slack.messages("C0APPROVAL")
    assert first.blocks == second.blocks == BUTTONS
    assert slack.calls("chat.postMessage")[0].params["blocks"] == BUTTONS


def test_token_in_a_form_field_is_accepted_and_never_recorded(slack: FakeSlack) -> None:
    answer = httpx.post(slack.api_url + "auth.test", data={"token": TOKEN})
    assert answer.json()["ok"] is True
    assert all("token" not in call.params for call in slack.calls())
    assert TOKEN not in repr(slack) and TOKEN not in repr(slack.calls())


def test_missing_token_is_not_authed_and_wrong_token_is_invalid_auth(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=slack.api_url).auth_test()
    assert slack_error(excinfo) == "not_authed"
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token="xoxb-wrong", base_url=slack.api_url).chat_postMessage(channel="C0APPROVAL", text="x")
    assert slack_error(excinfo) == "invalid_auth"
    assert excinfo.value.response.status_code == 200
    assert slack.messages("C0APPROVAL") == []


def test_unknown_method_is_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.scheduleMessage", json={"channel": "C0APPROVAL", "text": "x", "post_at": 1})
    assert slack_error(excinfo) == "unknown_method"


def test_post_ephemeral_is_recorded_for_that_user_only(client: WebClient, slack: FakeSlack) -> None:
    answer = client.chat_postEphemeral(channel="C0APPROVAL", user="U0REQUEST", text="Only you can see this")
    [ephemeral] = slack.ephemerals("U0REQUEST")
    assert (ephemeral.ts, ephemeral.channel, ephemeral.text) == (answer["message_ts"], "C0APPROVAL", "Only you can see this")
    assert ephemeral.source == "chat.postEphemeral"
    assert slack.ephemerals("U0BOSS") == []
    assert slack.messages("C0APPROVAL") == []


def test_post_ephemeral_to_an_unknown_user_or_someone_elses_dm_is_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel="C0APPROVAL", user="U0NOBODY", text="x")
    assert slack_error(excinfo) == "user_not_found"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel="D0BOSS", user="U0REQUEST", text="x")
    assert slack_error(excinfo) == "user_not_in_channel"


def test_get_permalink_points_at_the_message(client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0APPROVAL", text="x")["ts"]
    link = client.chat_getPermalink(channel="C0APPROVAL", message_ts=ts)["permalink"]
    assert link == f"https://numbers.slack.com/archives/C0APPROVAL/p{ts.replace('.', '')}"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_getPermalink(channel="C0APPROVAL", message_ts="1.000001")
    assert slack_error(excinfo) == "message_not_found"


def test_delete_removes_the_message(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0APPROVAL", text="x")["ts"]
    client.chat_delete(channel="C0APPROVAL", ts=ts)
    assert slack.messages("C0APPROVAL") == []
    with pytest.raises(KeyError):
        slack.message("C0APPROVAL", ts)


def test_conversations_open_gives_a_stable_dm_per_user(client: WebClient, slack: FakeSlack) -> None:
    first = client.conversations_open(users="U0REQUEST")["channel"]["id"]
    again = client.conversations_open(users=["U0REQUEST"])["channel"]["id"]
    other = client.conversations_open(users="U0BOSS")["channel"]["id"]
    assert first == again == slack.dm_id("U0REQUEST") == "D0REQUEST"
    assert other != first
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_open(users="U0NOBODY")
    assert slack_error(excinfo) == "user_not_found"


def test_users_info_and_usergroup_members_come_from_the_directory(client: WebClient) -> None:
    user = client.users_info(user="U0REQUEST")["user"]
    assert (user["id"], user["name"], user["team_id"]) == ("U0REQUEST", "rita", "T0NUMBERS")
    assert client.usergroups_users_list(usergroup="S0APPROVE")["users"] == ["U0BOSS", "U0OTHER"]
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U0NOBODY")
    assert slack_error(excinfo) == "user_not_found"
    with pytest.raises(SlackApiError) as excinfo:
        client.usergroups_users_list(usergroup="S0NOTHING")
    assert slack_error(excinfo) == "no_such_subteam"


def test_without_directories_any_well_formed_id_exists() -> None:
    with FakeSlack(TOKEN) as slack:
        client = WebClient(token=TOKEN, base_url=slack.api_url)
        assert client.chat_postMessage(channel="C0ANYTHING", text="x")["ok"]
        assert client.users_info(user="U0ANYONE")["user"]["name"] == "u0anyone"


def test_records_are_snapshots(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0APPROVAL", text="pending", blocks=BUTTONS)["ts"]
    mine = slack.message("C0APPROVAL", ts)
    mine.blocks.clear()
    assert slack.message("C0APPROVAL", ts).blocks == BUTTONS  # our mutation did not reach the fake

    before = slack.message("C0APPROVAL", ts)
    client.chat_update(channel="C0APPROVAL", ts=ts, text="done", blocks=[{"type": "divider"}])
    assert len(before.buttons()) == 2  # what the user saw before the update
    assert slack.message("C0APPROVAL", ts).blocks == [{"type": "divider"}]


def test_calls_are_filtered_by_method_in_order(client: WebClient, slack: FakeSlack) -> None:
    client.auth_test()
    ts = client.chat_postMessage(channel="C0APPROVAL", text="a")["ts"]
    client.chat_update(channel="C0APPROVAL", ts=ts, text="b")
    assert [c.method for c in slack.calls()] == ["auth.test", "chat.postMessage", "chat.update"]
    [update] = slack.calls("chat.update")
    assert (update.params["ts"], update.ok, update.status) == (ts, True, 200)


def test_wait_for_returns_once_another_thread_posts(slack: FakeSlack) -> None:
    def later() -> None:
        WebClient(token=TOKEN, base_url=slack.api_url).chat_postMessage(channel="C0HISTORY", text="done")

    threading.Timer(0.05, later).start()
    messages = slack.wait_for(lambda: slack.messages("C0HISTORY"), timeout=2)
    assert [m.text for m in messages] == ["done"]


def test_wait_for_times_out_with_a_clear_error(slack: FakeSlack) -> None:
    with pytest.raises(TimeoutError, match="still false after 0.1 s"):
        slack.wait_for(lambda: slack.messages("C0HISTORY"), timeout=0.1)


def test_reset_forgets_everything_but_the_directory(client: WebClient, slack: FakeSlack) -> None:
    client.chat_postMessage(channel="C0APPROVAL", text="x")
    client.chat_postEphemeral(channel="C0APPROVAL", user="U0REQUEST", text="y")
    slack.fail_next("auth.test", "error:account_inactive")
    slack.reset()
    assert slack.messages("C0APPROVAL") == [] and slack.ephemerals("U0REQUEST") == [] and slack.calls() == []
    assert client.auth_test()["ok"] is True
    assert client.users_info(user="U0REQUEST")["user"]["name"] == "rita"


def test_on_event_sees_changes_as_they_happen_and_a_failing_callback_breaks_nothing(
    client: WebClient, slack: FakeSlack
) -> None:
    seen: list[SlackEvent] = []

    def broken(event: SlackEvent) -> None:
        raise RuntimeError("printer on fire")

    slack.on_event.extend([broken, seen.append])
    ts = client.chat_postMessage(channel="C0APPROVAL", text="pending")["ts"]
    client.chat_update(channel="C0APPROVAL", ts=ts, text="approved")

    kinds = [e.kind for e in seen]
    assert kinds == [EventKind.MESSAGE_POSTED, EventKind.CALL, EventKind.MESSAGE_UPDATED, EventKind.CALL]
    updated: Any = seen[2].subject
    assert (updated.ts, updated.text) == (ts, "approved")
    assert [e.seq for e in seen] == sorted(e.seq for e in seen)
