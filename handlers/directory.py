"""The Slack side of the services' `Directory` port: who is in a user group (`usergroups.users.list`).

The services' policy caches memberships for a minute, so this asks Slack every time it is asked; Slack
errors propagate and the policy treats the group as unresolved (and says so to the person).
"""

from __future__ import annotations

from slack_sdk import WebClient


class SlackDirectory:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def members_of(self, group_id: str) -> frozenset[str]:
        answer = self._client.usergroups_users_list(usergroup=group_id)
        return frozenset(str(user) for user in answer.get("users") or [])

    def __repr__(self) -> str:
        return "SlackDirectory()"
