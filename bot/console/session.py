"""The console's commands: one typed line -> one step, and whether it worked.

A `Session` is one person at a time (`as NAME`) in the demo workspace. Steps that act (a slash
command, a click, a modal submitted or cancelled, App Home, the clock moved) send what Slack would
send to the bot, wait for the outcome (`ConsoleWorld.settle`) and fail when the person would see a
problem: the bot's unexpected-error message, Slack's own error, or no answer. Steps that only look
(`who`, `buttons`, `expect`, `fill`, `help`) never change what counts as "the latest output", so a
script can `expect` several things of one command and switch person before clicking.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.console.buttons import ButtonBoard, Numbered, Place, same_button
from bot.console.display import Display
from bot.console.people import COMMAND_CHANNEL, PEOPLE, Person, channel_named, person_named
from bot.console.world import ConsoleWorld
from fakes.slack import Ephemeral, Input, Message, SignedRequest, View
from fakes.slack.blockkit import text_of

HELP = """\
Console commands (everything else you type is an error, and fails a script):
  /numbers ...          the slash command, typed by the current person (try /numbers help)
  click N               press the button shown as [N: Label]; numbers last until the next /numbers
  click "Label"         press the button with that label in the latest output
  fill LABEL = VALUE    type into the open modal's field (then submit)
  submit | cancel       submit or close the open modal
  as NAME | who         become another demo person | list them and what they may do
  buttons               list the numbered buttons
  read #CHANNEL [N]     show the last N messages of #approvals, #numbers-history or dm (default 3)
  home                  open the bot's App Home tab
  advance 25h           move Vobiz's and the bot's clocks forward (s, m, h, d)
  expect TEXT           (scripts) the latest output contains TEXT (case matters), else the script fails
  expect-not TEXT       (scripts) the latest output does not contain TEXT
  help | quit           this help | leave (Ctrl-D too)
In a terminal, a modal that opens for you asks for each field in turn; type cancel to close it."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Outcome:
    ok: bool = True
    error: str | None = None  # why the step failed
    quit: bool = False


OK = Outcome()


def failed(error: str) -> Outcome:
    return Outcome(ok=False, error=error)


class Session:
    def __init__(
        self,
        world: ConsoleWorld,
        display: Display,
        board: ButtonBoard,
        *,
        person: Person,
        confirm: Callable[[str], bool] = lambda question: True,
    ) -> None:
        self.world = world
        self.display = display
        self.board = board
        self.person = person
        self.confirm = confirm
        self._step = 0
        self._output_mark = 0  # where the latest acting step's output starts
        self._filled: dict[str, dict[str, Any]] = {}  # view id -> answers typed with `fill`

    # ------------------------------------------------------------------------------------ dispatch

    def execute(self, line: str) -> Outcome:
        line = line.strip()
        if not line or line.startswith("#"):
            return OK
        if line.startswith("/"):
            return self._slash(line)
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        handler = self._COMMANDS.get(word.lower())
        if handler is None:
            return failed(f"unknown command {word!r}; type help for the console's commands")
        return handler(self, rest)

    # ------------------------------------------------------------------------------------ looking

    def _help(self, rest: str) -> Outcome:
        self.display.say(HELP)
        return OK

    def _who(self, rest: str) -> Outcome:
        for person in PEOPLE:
            marker = "*" if person == self.person else " "
            self.display.say(f" {marker} {person.name:<6} {person.role}")
        self.display.say("   (* is you; `as NAME` switches)")
        return OK

    def _as(self, rest: str) -> Outcome:
        person = person_named(rest)
        if person is None:
            names = ", ".join(p.name for p in PEOPLE)
            return failed(f"nobody called {rest!r} here; the demo people are {names}")
        self.person = person
        self.display.say(f"You are now {person.name}: {person.role}.")
        return OK

    def _buttons(self, rest: str) -> Outcome:
        shown = self.board.all()
        if not shown:
            self.display.say("No numbered buttons (they reset with every /numbers).")
        for entry in shown:
            self.display.say(f"  [{entry.number}: {entry.label}]  {self._describe(entry)}")
        return OK

    def _describe(self, entry: Numbered) -> str:
        if entry.source.place is Place.MESSAGE:
            return f"on a message in {self._where(entry.source.key[0])}"
        if entry.source.place is Place.EPHEMERAL:
            return f"on a message only @{self._name(entry.source.key[0])} sees"
        view = self.world.slack.view(entry.source.key[0])
        return f"in {'App Home' if view and view.type == 'home' else 'a modal'}"

    def _expect(self, rest: str, *, present: bool = True) -> Outcome:
        wanted = _unquote(rest)
        if not wanted:
            return failed("expect needs the text to look for")
        output = "\n".join(s.text for s in self.display.since(self._output_mark))
        found = _squash(wanted) in _squash(output)
        if found == present:
            return OK
        if present:
            return failed(f"the latest output does not contain {wanted!r}")
        return failed(f"the latest output contains {wanted!r}")

    def _expect_not(self, rest: str) -> Outcome:
        return self._expect(rest, present=False)

    # ------------------------------------------------------------------------------------ acting

    def _begin(self, *, new_command: bool = False) -> int:
        """Start an acting step: its output is "the latest output" from now on."""
        self._step += 1
        self.display.step = self._step
        if new_command:
            self.board.reset()
        self._output_mark = self.display.mark()
        return self._output_mark

    def _finish(self, mark: int, *, settled: bool = True) -> Outcome:
        if not settled:
            return failed("the bot was still working after 30 seconds")
        problems = [s.problem for s in self.display.since(mark) if s.problem]
        return failed(problems[0]) if problems else OK

    def _send(self, build: Callable[[], SignedRequest], *, new_command: bool = False) -> Outcome:
        mark = self._begin(new_command=new_command)
        try:
            signed = build()
        except ValueError as exc:  # what Slack would not let the person do (an empty required field ...)
            return failed(str(exc))
        try:
            status, _ = self.world.send(signed)
        except httpx.HTTPError as exc:
            self.world.settle()
            return failed(f"the bot did not answer ({exc.__class__.__name__})")
        settled = self.world.settle()
        if status != 200:
            return failed(f"the bot answered HTTP {status}")
        return self._finish(mark, settled=settled)

    def _slash(self, line: str) -> Outcome:
        command, _, text = line.partition(" ")
        if command != "/numbers":
            return failed(f"{command} is not a command of this app; it has /numbers")
        user = self.person.user_id
        requests = self.world.requests
        return self._send(lambda: requests.slash_command(user, text.strip(), channel_id=COMMAND_CHANNEL), new_command=True)

    def _home(self, rest: str) -> Outcome:
        user = self.person.user_id
        return self._send(lambda: self.world.requests.app_home_opened(user))

    def _read(self, rest: str) -> Outcome:
        args = rest.split()
        if not args:
            return failed("read needs a channel: #approvals, #numbers-history or dm")
        if args[0].lower() == "dm":
            channel = self.world.slack.dm_id(self.person.user_id)
        else:
            found = channel_named(args[0])
            if found is None:
                return failed(f"no channel {args[0]!r}; try #approvals, #numbers-history or dm")
            channel = found
        count = int(args[1]) if len(args) > 1 and args[1].isdigit() else 3
        mark = self._begin()
        messages = self.world.slack.messages(channel)[-count:]
        if not messages:
            self.display.say(f"Nothing in {self._where(channel)} yet.")
        for message in messages:
            self.display.show_message(message)
        return self._finish(mark)

    def _advance(self, rest: str) -> Outcome:
        parts = _DURATION.findall(rest)
        if not parts or _DURATION.sub("", rest).strip():
            return failed("advance needs a duration such as 90s, 15m, 25h or 2d")
        seconds = sum(float(amount) * _UNITS[unit.lower()] for amount, unit in parts)
        mark = self._begin()
        self.world.advance(seconds)
        settled = self.world.settle()
        self.display.say(f"The clock is now {self.world.now():%Y-%m-%d %H:%M} UTC.")
        return self._finish(mark, settled=settled)

    # ------------------------------------------------------------------------------------ buttons

    def _click(self, rest: str) -> Outcome:
        wanted = _unquote(rest)
        if not wanted:
            return failed('click needs a button: its number (click 2) or its label (click "Approve")')
        if wanted.isdigit():
            entry = self.board.get(int(wanted))
            if entry is None:
                return failed(f"there is no button {wanted} now; {self._buttons_hint()}")
        else:
            entry = self.board.find_label(wanted, step=self._step)
            if entry is None:
                return failed(f"no button {wanted!r} in the latest output; {self._buttons_hint()}")
        source = self._current_source(entry)
        if isinstance(source, str):
            return failed(source)
        button = next((b for b in source.buttons() if same_button(b, entry.button)), None)
        if button is None:
            return failed(f"button {entry.number} [{entry.label}] is no longer there: it changed since it was shown")
        question = _confirm_question(source.blocks, button.action_id, button.value)
        if question is not None:
            if not self.confirm(question):
                self.display.say("Not clicked.")
                return OK
            self.display.say(f"(confirmed: {question})")
        user = self.person.user_id
        return self._send(lambda: self.world.requests.click(user, source, button))

    def _buttons_hint(self) -> str:
        shown = self.board.labels_shown_in(self._step) or [f"[{e.number}: {e.label}]" for e in self.board.all()]
        return "buttons shown: " + " ".join(shown) if shown else "no buttons are shown"

    def _current_source(self, entry: Numbered) -> Message | Ephemeral | View | str:
        """The place the button was shown, as it is now; or why this person cannot press it."""
        me = self.person.user_id
        place, key = entry.source.place, entry.source.key
        if place is Place.MESSAGE:
            channel, ts = key
            owner = self.world.dm_owner(channel)
            if owner is not None and owner != me:
                return f"that button is in @{self._name(owner)}'s DM with the bot; only they can press it (as {self._name(owner)})"
            try:
                return self.world.slack.message(channel, ts)
            except KeyError:
                return "that message was deleted"
        if place is Place.EPHEMERAL:
            user, ts = key
            if user != me:
                return f"only @{self._name(user)} sees that message, so only they can press its buttons (as {self._name(user)})"
            found = next((e for e in self.world.slack.ephemerals(user) if e.ts == ts), None)
            return found if found is not None else "that message was removed"
        view = self.world.slack.view(key[0])
        if view is None:
            return "that modal is closed"
        if view.user_id != me:
            return f"that is @{self._name(view.user_id)}'s {'App Home' if view.type == 'home' else 'modal'}"
        return view

    # ------------------------------------------------------------------------------------ modals

    def open_modal(self) -> View | None:
        """The current person's top modal, if one is open."""
        stack = self.world.slack.views(self.person.user_id)
        return stack[-1] if stack else None

    def modal_shown_in_latest_step(self) -> View | None:
        """The open modal, when the latest acting step opened or changed it (the console then asks
        for its fields)."""
        modal = self.open_modal()
        if modal is None:
            return None
        heading = f"for @{self.person.name}: "
        shown = any(s.heading.startswith("modal") and heading in s.heading for s in self.display.since(self._output_mark))
        return modal if shown else None

    def _fill(self, rest: str) -> Outcome:
        modal = self.open_modal()
        if modal is None:
            return failed(f"{self.person.name} has no modal open")
        label, eq, value = rest.partition("=")
        if not eq:
            return failed("fill needs LABEL = VALUE, e.g. fill Reason = A new support line")
        return self.fill(modal, _unquote(label), _unquote(value))

    def fill(self, modal: View, label: str, value: str) -> Outcome:
        field = _field_named(modal.inputs(), label)
        if field is None:
            labels = ", ".join(repr(i.label) for i in modal.inputs()) or "none"
            return failed(f"the modal “{modal.title}” has no field {label!r} (fields: {labels})")
        answer: Any = value
        if field.options:
            choice = next((v for text, v in field.options if value.lower() in (text.lower(), v.lower())), None)
            if choice is None:
                return failed(f"{value!r} is not a choice of {field.label!r}: {', '.join(t for t, _ in field.options)}")
            answer = choice
        self._filled.setdefault(modal.id, {})[field.block_id] = {field.action_id: answer}
        return OK

    def _submit(self, rest: str) -> Outcome:
        modal = self.open_modal()
        if modal is None:
            return failed(f"{self.person.name} has no modal open")
        values = self._filled.get(modal.id, {})
        user = self.person.user_id
        outcome = self._send(lambda: self.world.requests.view_submission(user, modal, values))
        if self.world.slack.view(modal.id) is None:
            self._filled.pop(modal.id, None)
        return outcome

    def _cancel(self, rest: str) -> Outcome:
        modal = self.open_modal()
        if modal is None:
            return failed(f"{self.person.name} has no modal open")
        self._filled.pop(modal.id, None)
        user = self.person.user_id
        if modal.payload.get("notify_on_close"):
            return self._send(lambda: self.world.requests.view_closed(user, modal))
        mark = self._begin()
        self.world.slack.close_view(user, modal.id)
        return self._finish(mark)

    def _quit(self, rest: str) -> Outcome:
        return Outcome(quit=True)

    # ------------------------------------------------------------------------------------ names

    def _name(self, user_id: str) -> str:
        return self.world.slack.user_name(user_id)

    def _where(self, channel: str) -> str:
        owner = self.world.dm_owner(channel)
        return f"@{self._name(owner)}'s DM" if owner else f"#{self.world.slack.channel_name(channel)}"

    _COMMANDS: dict[str, Callable[[Session, str], Outcome]] = {
        "help": _help,
        "?": _help,
        "who": _who,
        "as": _as,
        "buttons": _buttons,
        "expect": _expect,
        "expect-not": _expect_not,
        "click": _click,
        "fill": _fill,
        "submit": _submit,
        "cancel": _cancel,
        "home": _home,
        "read": _read,
        "advance": _advance,
        "quit": _quit,
        "exit": _quit,
    }


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        try:
            return str(shlex.split(text)[0])
        except ValueError:
            return text[1:-1]
    return text


def _squash(text: str) -> str:
    return " ".join(text.split())


def _field_named(inputs: list[Input], label: str) -> Input | None:
    wanted = label.strip().lower()
    for field in inputs:
        if wanted in (field.label.strip().lower(), field.block_id.lower(), field.action_id.lower()):
            return field
    return None


def _confirm_question(blocks: list[dict[str, Any]], action_id: str, value: str | None) -> str | None:
    """A button's confirm dialog (Slack asks before sending the click) as one question."""
    for block in blocks:
        elements = block.get("elements") if block.get("type") == "actions" else [block.get("accessory")]
        for element in elements or []:
            if not isinstance(element, dict) or element.get("action_id") != action_id or element.get("value") != value:
                continue
            dialog = element.get("confirm")
            if not isinstance(dialog, dict):
                return None
            parts = [text_of(dialog.get("title")), text_of(dialog.get("text"))]
            return " ".join(p.strip() for p in parts if p and p.strip())
    return None
