"""Modals and App Home on FakeSlack through WebClient: triggers, the modal stack, updates, home."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakes.slack import FakeSlack

from .conftest import ManualClock


def modal(title: str = "Buy a number", callback_id: str = "buy", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": "R7K2QX",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Request"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {"type": "plain_text_input", "action_id": "reason_input"},
            }
        ],
        **extra,
    }


def error_of(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


def test_views_open_puts_the_modal_on_the_triggering_users_stack(client: WebClient, slack: FakeSlack) -> None:
    trigger = slack.issue_trigger("U0REQUEST")

    answer = client.views_open(trigger_id=trigger, view=modal())

    view = answer["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "buy" and view["private_metadata"] == "R7K2QX"
    assert view["state"] == {"values": {}} and view["root_view_id"] == view["id"] and view["hash"]
    [opened] = slack.views("U0REQUEST")
    assert (opened.id, opened.title, opened.submit, opened.close) == (view["id"], "Buy a number", "Request", "Cancel")
    assert [i.block_id for i in opened.inputs()] == ["reason"]
    assert slack.views("U0BOSS") == []


def test_a_trigger_is_single_use_and_expires_after_three_seconds(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    used = slack.issue_trigger("U0REQUEST")
    client.views_open(trigger_id=used, view=modal())
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=used, view=modal())
    assert error_of(excinfo) == "exchanged_trigger_id"

    late = slack.issue_trigger("U0REQUEST")
    clock.advance(3.5)
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=late, view=modal())
    assert error_of(excinfo) == "expired_trigger_id"

    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="12345.98765.abcd", view=modal())
    assert error_of(excinfo) == "invalid_trigger_id"
    assert len(slack.views("U0REQUEST")) == 1


def test_an_invalid_view_is_refused_and_leaves_the_trigger_usable(client: WebClient, slack: FakeSlack) -> None:
    trigger = slack.issue_trigger("U0REQUEST")
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger, view=modal(title="A title far longer than twenty-four"))
    assert error_of(excinfo) == "invalid_arguments"
    assert any("/view/title/text" in m for m in excinfo.value.response["response_metadata"]["messages"])
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


def test_views_push_stacks_up_to_three(client: WebClient, slack: FakeSlack) -> None:
    root = client.views_open(trigger_id=slack.issue_trigger("U0REQUEST"), view=modal())["view"]
    second = client.views_push(trigger_id=slack.issue_trigger("U0REQUEST"), view=modal("Confirm", "confirm"))["view"]
    client.views_push(trigger_id=slack.issue_trigger("U0REQUEST"), view=modal("Really?", "really"))

    assert second["root_view_id"] == root["id"] and second["previous_view_id"] == root["id"]
    assert [v.callback_id for v in slack.views("U0REQUEST")] == ["buy", "confirm", "really"]
    with pytest.raises(SlackApiError) as excinfo:
        client.views_push(trigger_id=slack.issue_trigger("U0REQUEST"), view=modal("Four", "four"))
    assert error_of(excinfo) == "push_limit_reached"


def test_views_update_replaces_content_in_place_and_checks_the_hash(client: WebClient, slack: FakeSlack) -> None:
    opened = client.views_open(trigger_id=slack.issue_trigger("U0REQUEST"), view=modal())["view"]

    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Quote", "quote"))["view"]

    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert [v.title for v in slack.views("U0REQUEST")] == ["Quote"]
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Stale", "stale"))
    assert error_of(excinfo) == "hash_conflict"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id="V0NOTHERE", view=modal())
    assert error_of(excinfo) == "not_found"


def test_views_update_by_external_id(client: WebClient, slack: FakeSlack) -> None:
    client.views_open(trigger_id=slack.issue_trigger("U0REQUEST"), view=modal(external_id="buy-R7K2QX"))
    client.views_update(external_id="buy-R7K2QX", view=modal("Done", "done", external_id="buy-R7K2QX"))
    assert slack.views("U0REQUEST")[0].title == "Done"


def test_a_closed_modal_can_no_longer_be_updated(client: WebClient, slack: FakeSlack) -> None:
    opened = client.views_open(trigger_id=slack.issue_trigger("U0REQUEST"), view=modal())["view"]
    [closed] = slack.close_view("U0REQUEST")
    assert closed.id == opened["id"] and slack.views("U0REQUEST") == []
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id=opened["id"], view=modal())
    assert error_of(excinfo) == "not_found"


def test_views_publish_sets_the_users_home(client: WebClient, slack: FakeSlack) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your requests"}}]}
    first = client.views_publish(user_id="U0REQUEST", view=home)["view"]
    again = client.views_publish(user_id="U0REQUEST", view={**home, "blocks": [{"type": "divider"}]})["view"]

    assert first["id"] == again["id"] and first["type"] == "home"
    published = slack.home("U0REQUEST")
    assert published is not None and published.blocks == [{"type": "divider"}]
    assert slack.views("U0REQUEST") == []  # a home is not a modal
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U0REQUEST", view=modal())
    assert error_of(excinfo) == "invalid_arguments"


# ------------------------------------------------------------------------- answers to view_submission


def open_modal(client: WebClient, slack: FakeSlack, view: dict[str, Any] | None = None) -> str:
    return str(client.views_open(trigger_id=slack.issue_trigger("U0REQUEST"), view=view or modal())["view"]["id"])


def test_an_empty_ack_closes_only_the_top_modal(client: WebClient, slack: FakeSlack) -> None:
    root = open_modal(client, slack)
    pushed = client.views_push(trigger_id=slack.issue_trigger("U0REQUEST"), view=modal("Confirm", "confirm"))["view"]

    on_top = slack.apply_view_submission_response("U0REQUEST", pushed["id"], 200, "")

    assert on_top is not None and on_top.id == root
    assert [v.id for v in slack.views("U0REQUEST")] == [root]


def test_response_actions_update_push_clear_and_errors(client: WebClient, slack: FakeSlack) -> None:
    root = open_modal(client, slack)

    updated = slack.apply_view_submission_response(
        "U0REQUEST", root, 200, json.dumps({"response_action": "update", "view": modal("Quote", "quote")}))
    assert updated is not None and (updated.id, updated.title) == (root, "Quote")

    pushed = slack.apply_view_submission_response(
        "U0REQUEST", root, 200, json.dumps({"response_action": "push", "view": modal("Confirm", "confirm")}))
    assert pushed is not None and [v.title for v in slack.views("U0REQUEST")] == ["Quote", "Confirm"]

    with_errors = slack.apply_view_submission_response(
        "U0REQUEST", pushed.id, 200, json.dumps({"response_action": "errors", "errors": {"reason": "Too short"}}))
    assert with_errors is not None and with_errors.errors == {"reason": "Too short"}

    assert slack.apply_view_submission_response("U0REQUEST", pushed.id, 200, '{"response_action": "clear"}') is None
    assert slack.views("U0REQUEST") == []


def test_a_failed_or_invalid_answer_leaves_the_modal_open_with_slacks_alert(client: WebClient, slack: FakeSlack) -> None:
    view_id = open_modal(client, slack)

    failed = slack.apply_view_submission_response("U0REQUEST", view_id, 500, "")
    assert failed is not None and failed.alert == "We had some trouble connecting. Try again?"

    bad_update = {"response_action": "update", "view": modal(title="A title far longer than twenty-four")}
    invalid = slack.apply_view_submission_response("U0REQUEST", view_id, 200, json.dumps(bad_update))
    assert invalid is not None and invalid.title == "Buy a number"
    assert invalid.alert is not None and "/view/title/text" in invalid.alert
