"""The Slack app manifest: complete, pointing at /slack/events, and asking for exactly the bot scopes of
the Web API methods the code calls (no more, no fewer).

The called methods are read from the source (`client.chat_postMessage(` -> `chat.postMessage`);
tests/scenarios/test_scopes_in_use.py checks the same against what a real scenario sent to FakeSlack.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "manifest.yml"
SOURCE_DIRS = ("handlers", "bot")

# Web API method -> the bot scope(s) it needs (None: no scope). A method missing here fails the test, so
# whoever calls a new method has to decide its scope.
SCOPE_OF_METHOD: dict[str, str | tuple[str, ...] | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.delete": "chat:write",
    "chat.getPermalink": None,
    "conversations.open": "im:write",
    # finding a post whose answer was lost: public and private approval/history channels
    "conversations.history": ("channels:history", "groups:history"),
    "conversations.replies": ("channels:history", "groups:history"),  # ... and a reminder in a thread
    "usergroups.users.list": "usergroups:read",
    "users.info": "users:read",
    "views.open": None,
    "views.update": None,
    "views.push": None,
    "views.publish": None,
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "apps.connections.open": None,  # Socket Mode, with the app-level token (connections:write)
}
_CALL = re.compile(r"\.((?:auth|chat|conversations|usergroups|users|views|files|apps)_[A-Za-z_]+)\(")


def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def methods_called_in_source() -> set[str]:
    found: set[str] = set()
    for directory in SOURCE_DIRS:
        for path in (REPO / directory).rglob("*.py"):
            if "standin" in path.parts:  # the fake Slack is not the bot
                continue
            for name in _CALL.findall(path.read_text()):
                found.add(name.replace("_", "."))
    return found


def scopes_for(methods: set[str]) -> set[str]:
    unknown = sorted(m for m in methods if m not in SCOPE_OF_METHOD)
    assert not unknown, f"add these Web API methods to SCOPE_OF_METHOD: {unknown}"
    scopes: set[str] = set()
    for method in methods:
        needed = SCOPE_OF_METHOD[method]
        scopes.update((needed,) if isinstance(needed, str) else needed or ())
    return scopes


def test_the_bot_scopes_are_exactly_those_of_the_methods_the_code_calls() -> None:
    methods = methods_called_in_source()
    assert {"chat.postMessage", "chat.update", "conversations.open", "usergroups.users.list", "views.open", "views.publish"} <= methods
    expected = scopes_for(methods) | {"commands"}  # `commands` for the /numbers slash command
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == expected


def test_files_write_is_requested_because_exports_upload_through_the_external_flow() -> None:
    methods = methods_called_in_source()
    assert {"files.getUploadURLExternal", "files.completeUploadExternal"} <= methods
    assert "files:write" in manifest()["oauth_config"]["scopes"]["bot"]


def test_typed_mentions_reach_the_bot_as_user_ids() -> None:
    """`/numbers history @person` needs the person's id: only an escaping slash command sends `<@U123>`."""
    [command] = manifest()["features"]["slash_commands"]
    assert command["should_escape"] is True


def test_the_slash_command_has_a_usage_hint_and_points_at_slack_events() -> None:
    [command] = manifest()["features"]["slash_commands"]
    assert command["command"] == "/numbers"
    assert command["url"].endswith("/slack/events")
    assert command["usage_hint"] and len(command["usage_hint"]) <= 100
    assert command["description"]


def test_interactivity_events_and_the_home_tab_are_on() -> None:
    data = manifest()
    settings = data["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert settings["socket_mode_enabled"] is False
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["features"]["bot_user"]["display_name"]


def test_display_information_is_complete() -> None:
    info = manifest()["display_information"]
    assert info["name"] and info["description"]
    assert 175 <= len(info["long_description"]) <= 4000  # Slack's bounds
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])


def test_the_procfile_serves_with_gunicorn_and_runs_socket_mode() -> None:
    lines = dict(line.split(":", 1) for line in (REPO / "Procfile").read_text().splitlines() if line.strip())
    assert lines["web"].strip() == "gunicorn --workers ${WEB_CONCURRENCY:-2} --threads 8 --bind 0.0.0.0:$PORT bot.wsgi:application"
    assert lines["worker"].strip() == "numbers-bot run"
