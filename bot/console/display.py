"""What the console shows: every change the stand-in Slack sees, as readable text, as it happens.

`Display.on_event` is a `FakeSlack.on_event` callback: channel posts (the approval channel, the history
channel), DMs, updates, ephemerals, modals and App Home are printed with who sees them, buttons
numbered through the `ButtonBoard`. It is called on the stand-in's threads (the bot works after the
ack), so printing is serialised by a lock.

Everything shown is also kept as plain text (`Shown`), so a script can `expect` it and the console can
notice problems a person would see: the error handler's "Something went wrong", Slack's own
"failed with the error" and "We had some trouble connecting".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from bot.console import mrkdwn
from bot.console.buttons import ButtonBoard, Place, Source
from bot.console.render import render_blocks
from fakes.slack import Button, Call, Ephemeral, EventKind, Message, SlackEvent, View
from fakes.slack.blockkit import text_of

UNEXPECTED = "Something went wrong"
SLACK_TROUBLE = ("failed with the error", "We had some trouble connecting")
INDENT = "  "


@dataclass(frozen=True)
class Shown:
    """One thing the console printed about the bot (plain text, no ANSI)."""

    seq: int
    heading: str
    body: str
    problem: str | None = None  # what makes a script step fail, when it is something a user should never see

    @property
    def text(self) -> str:
        return f"{self.heading}\n{self.body}" if self.body else self.heading


class Display:
    def __init__(
        self,
        out: TextIO,
        *,
        names: mrkdwn.Names,
        clock: Callable[[], datetime],
        board: ButtonBoard,
        style: mrkdwn.Style = mrkdwn.PLAIN,
        dm_owner: Callable[[str], str | None] = lambda channel: None,
    ) -> None:
        self._out = out
        self._names = names
        self._clock = clock
        self._board = board
        self._style = style
        self._dm_owner = dm_owner
        self._lock = threading.RLock()
        self._shown: list[Shown] = []
        self.step = 0  # set by the session: which console step output belongs to

    # ------------------------------------------------------------------------------------ reading

    def mark(self) -> int:
        with self._lock:
            return len(self._shown)

    def since(self, mark: int) -> list[Shown]:
        with self._lock:
            return list(self._shown[mark:])

    # ------------------------------------------------------------------------------------ writing

    def say(self, text: str = "") -> None:
        """A line of the console's own (not the bot's output)."""
        with self._lock:
            self._out.write(text + "\n")
            self._out.flush()

    def on_event(self, event: SlackEvent) -> None:
        subject = event.subject
        if event.kind is EventKind.CALL:
            assert isinstance(subject, Call)
            if not subject.ok and subject.method not in ("upload", "response_url"):
                self._show(f"! Slack refused the bot's {subject.method}: {subject.error or subject.status}", [])
            return
        if isinstance(subject, Message):
            self._message(event.kind, subject)
        elif isinstance(subject, Ephemeral):
            self._ephemeral(event.kind, subject)
        elif isinstance(subject, View):
            self._view(event.kind, subject)

    def show_message(self, message: Message) -> None:
        """Show a message again (the `read` command), with fresh numbers for its buttons."""
        self._message(EventKind.MESSAGE_POSTED, message, heading_note="")

    # ------------------------------------------------------------------------------------ kinds

    def _where(self, channel: str) -> str:
        owner = self._dm_owner(channel)
        if owner is not None:
            return f"DM to @{self._names.user(owner)}"
        return f"#{self._names.channel(channel)}"

    def _message(self, kind: EventKind, message: Message, heading_note: str | None = None) -> None:
        where = self._where(message.channel)
        if kind is EventKind.MESSAGE_DELETED:
            self._show(f"{where}: a message was deleted", [])
            return
        note = heading_note if heading_note is not None else (" (updated)" if kind is EventKind.MESSAGE_UPDATED else "")
        if message.thread_ts and message.thread_ts != message.ts:
            note += " (thread reply)"
        source = Source(Place.MESSAGE, (message.channel, message.ts))
        self._show_blocks(f"{where}{note}", message.blocks, message.text, source)

    def _ephemeral(self, kind: EventKind, ephemeral: Ephemeral) -> None:
        who = f"@{self._names.user(ephemeral.user_id)}"
        if kind is EventKind.EPHEMERAL_DELETED:
            self._show(f"only {who} saw: (removed)", [])
            return
        if ephemeral.source == "slack":
            heading = f"Slack itself, to {who}"
        else:
            replaced = " (replaced)" if kind is EventKind.EPHEMERAL_REPLACED else ""
            heading = f"only {who} sees, in {self._where(ephemeral.channel)}{replaced}"
        source = Source(Place.EPHEMERAL, (ephemeral.user_id, ephemeral.ts))
        self._show_blocks(heading, ephemeral.blocks, ephemeral.text, source, slack_said=ephemeral.source == "slack")

    def _view(self, kind: EventKind, view: View) -> None:
        who = f"@{self._names.user(view.user_id)}"
        if kind is EventKind.VIEW_CLOSED:
            self._show(f"modal “{view.title}” closed for {who}", [])
            return
        if view.type == "home":
            heading = f"App Home of {who}"
        else:
            verb = {EventKind.VIEW_UPDATED: "modal (updated)", EventKind.VIEW_PUSHED: "modal (on top)"}.get(kind, "modal")
            heading = f"{verb} for {who}: {self._plain(view.title)}"
        source = Source(Place.VIEW, (view.id,))
        extra: list[str] = []
        problem = None
        if view.alert:
            extra.append(f"! Slack: {view.alert}")
            problem = f"Slack showed: {view.alert}"
        if view.type == "modal":
            buttons = " ".join(f"[{b}]" for b in (view.submit, view.close) if b)
            extra.append(f"{buttons}  (fill LABEL = VALUE, then submit; or cancel)".strip())
        self._show_blocks(heading, view.blocks, "", source, errors=view.errors, extra=extra, problem=problem)

    # ------------------------------------------------------------------------------------ output

    def _text(self, style: mrkdwn.Style) -> Callable[[Any], str]:
        def render(obj: Any) -> str:
            raw = text_of(obj)
            if isinstance(obj, dict) and obj.get("type") == "plain_text":
                return self._plain(raw)
            return mrkdwn.render(raw, style, self._names, self._clock)

        return render

    def _plain(self, text: str) -> str:
        return mrkdwn.emoji(text)

    def _show_blocks(
        self,
        heading: str,
        blocks: list[dict[str, Any]],
        fallback: str,
        source: Source,
        *,
        errors: dict[str, str] | None = None,
        extra: list[str] | None = None,
        problem: str | None = None,
        slack_said: bool = False,
    ) -> None:
        with self._lock:
            seq = len(self._shown)

            def number(button: Button, position: int) -> int:
                return self._board.number(source, button, shown=seq, position=position, step=self.step)

            styled = render_blocks(blocks, fallback=fallback, text=self._text(self._style), number=number, errors=errors)
            plain = render_blocks(blocks, fallback=fallback, text=self._text(mrkdwn.PLAIN), number=number, errors=errors)
            body = "\n".join([*plain, *(extra or [])])
            if problem is None and UNEXPECTED in body:
                problem = "the bot's error handler answered: " + _line_with(body, UNEXPECTED)
            if problem is None and slack_said and any(s in body for s in SLACK_TROUBLE):
                problem = "Slack showed: " + body.strip()
            self._emit(heading, [*styled, *(extra or [])], body, problem)

    def _show(self, heading: str, lines: list[str], problem: str | None = None) -> None:
        with self._lock:
            self._emit(heading, lines, "\n".join(lines), problem)

    def _emit(self, heading: str, styled_lines: list[str], plain_body: str, problem: str | None) -> None:
        self._shown.append(Shown(len(self._shown), heading, plain_body, problem))
        self._out.write(self._style.bold(heading) + "\n")
        for line in styled_lines:
            self._out.write(f"{INDENT}{line}\n" if line else "\n")
        self._out.flush()


def _line_with(text: str, needle: str) -> str:
    return next((line.strip() for line in text.splitlines() if needle in line), needle)

