"""SlackDirectory against FakeSlack on a real socket: group members, and Slack's refusals passed on by
their error code alone."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.services.policy import DirectoryUnavailable
from fakes.slack.webapi import FakeSlack
from handlers.outbound.directory import SlackDirectory


def test_members_of_a_user_group_come_from_usergroups_users_list() -> None:
    with FakeSlack("xoxb-directory", usergroups={"S0APPROVERS": ["U0ONE", "U0TWO"]}) as slack:
        directory = SlackDirectory(WebClient(token="xoxb-directory", base_url=slack.api_url))
        assert directory.members_of("S0APPROVERS") == frozenset({"U0ONE", "U0TWO"})
        assert [c.params["usergroup"] for c in slack.calls("usergroups.users.list")] == ["S0APPROVERS"]


def test_slack_refusing_is_raised_with_its_error_code_not_read_as_an_empty_group() -> None:
    with FakeSlack("xoxb-directory", usergroups={}) as slack:
        directory = SlackDirectory(WebClient(token="xoxb-directory", base_url=slack.api_url))
        slack.fail_next("usergroups.users.list", "error:missing_scope")
        with pytest.raises(DirectoryUnavailable) as refused:
            directory.members_of("S0APPROVERS")
        assert refused.value.reason == "Slack error missing_scope"
        assert "xoxb-directory" not in repr(refused.value)


def test_a_slack_that_does_not_answer_in_time_is_raised_not_read_as_an_empty_group() -> None:
    with FakeSlack("xoxb-directory", usergroups={"S0APPROVERS": ["U0ONE"]}) as slack:
        directory = SlackDirectory(WebClient(token="xoxb-directory", base_url=slack.api_url, timeout=0.2))
        slack.fail_next("usergroups.users.list", "hang", seconds=2)
        with pytest.raises(OSError) as failed:  # a timeout: the policy logs its type
            directory.members_of("S0APPROVERS")
        assert "xoxb-directory" not in repr(failed.value)
