"""What the services need from the outside world, and the composition root provides."""

from __future__ import annotations

from typing import Protocol


class Directory(Protocol):
    """Who is in a Slack user group. The Slack side implements it with `usergroups.users.list`.

    It may raise anything when Slack cannot answer; the policy then treats the group as unknown.
    """

    def members_of(self, group_id: str) -> frozenset[str]: ...
