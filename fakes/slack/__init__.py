"""A local stand-in for Slack, for tests, the console (`make demo`) and benchmarks.

* `FakeSlack` (`fakes.slack.webapi`): Slack's Web API on 127.0.0.1 (port 0), recording messages,
  ephemerals, modals, uploads and every call, with fault knobs.
* `SlackRequests` (`fakes.slack.requests`): slash commands, clicks, modal submissions and events
  shaped and signed like Slack's, and senders that deliver them over HTTP or through `app.dispatch`.

Nothing here imports the bot (`handlers`, `bot.services`, `bot.store`, `api`): it is Slack, not us.
"""

from fakes.slack.blockkit import Button, Input
from fakes.slack.records import Call, Ephemeral, EventKind, Message, SlackEvent, Upload, View
from fakes.slack.requests import SignedRequest, SlackRequests, signature
from fakes.slack.webapi import FakeSlack

__all__ = [
    "Button",
    "Call",
    "Ephemeral",
    "EventKind",
    "FakeSlack",
    "Input",
    "Message",
    "SignedRequest",
    "SlackEvent",
    "SlackRequests",
    "Upload",
    "View",
    "signature",
]
