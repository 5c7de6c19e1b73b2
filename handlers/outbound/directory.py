"""The Slack side of the services' `Directory` port: who is in a user group (`usergroups.users.list`).

The services' policy caches memberships for a minute, so this asks Slack every time it is asked. A Slack
refusal (`missing_scope`, `no_such_subteam`, `ratelimited` ...) is raised as `DirectoryUnavailable` naming
only its error code, so the policy can log why without ever logging a response (or a token); other
failures (timeouts, connection errors) propagate as they are and the policy logs their type. Either way
the group counts as unknown, never as empty and never as its last known members for long.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.policy import DirectoryUnavailable


class SlackDirectory:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def members_of(self, group_id: str) -> frozenset[str]:
        try:
            answer = self._client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as exc:
            raise DirectoryUnavailable(f"Slack error {_error_code(exc)}") from None
        return frozenset(str(user) for user in answer.get("users") or [])

    def __repr__(self) -> str:
        return "SlackDirectory()"


def _error_code(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    if isinstance(code, str) and code.replace("_", "").isalnum():
        return code
    return f"HTTP {getattr(exc.response, 'status_code', '?')}"
