"""Numbered buttons: what `click N` and `click "Label"` press.

Every button the console shows gets a number, kept until the next slash command (`reset`). A button
shown again (its message was re-drawn) keeps its number. A number remembers where the button was
(a channel message, an ephemeral, a modal or App Home) and which button it was (action_id and value),
so a click presses the button on the *current* version of that place, or says it is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from fakes.slack import Button


class Place(StrEnum):
    MESSAGE = "message"  # key: (channel, ts)
    EPHEMERAL = "ephemeral"  # key: (user_id, ts)
    VIEW = "view"  # key: (view_id,)


@dataclass(frozen=True)
class Source:
    place: Place
    key: tuple[str, ...]


@dataclass(frozen=True)
class Numbered:
    number: int
    source: Source
    button: Button
    shown: int  # when it was last shown: the display's item counter
    position: int  # reading order within that item
    step: int  # the console step during which it was last shown

    @property
    def label(self) -> str:
        return self.button.text


def same_button(a: Button, b: Button) -> bool:
    """The same control across re-draws: the action and the value it sends."""
    return a.action_id == b.action_id and a.value == b.value


class ButtonBoard:
    def __init__(self) -> None:
        self._by_number: dict[int, Numbered] = {}
        self._next = 1

    def reset(self) -> None:
        self._by_number.clear()
        self._next = 1

    def number(self, source: Source, button: Button, *, shown: int, position: int, step: int) -> int:
        for entry in self._by_number.values():
            if entry.source == source and same_button(entry.button, button):
                self._by_number[entry.number] = replace(
                    entry, button=button, shown=shown, position=position, step=step
                )
                return entry.number
        number = self._next
        self._next += 1
        self._by_number[number] = Numbered(number, source, button, shown, position, step)
        return number

    def get(self, number: int) -> Numbered | None:
        return self._by_number.get(number)

    def all(self) -> list[Numbered]:
        return [self._by_number[n] for n in sorted(self._by_number)]

    def newest_first(self) -> list[Numbered]:
        return sorted(self._by_number.values(), key=lambda e: (-e.shown, e.position))

    def find_label(self, label: str, *, step: int) -> Numbered | None:
        """The button labelled `label` (any case) shown during `step`, newest item first (then
        reading order); else the newest one still numbered."""
        wanted = label.strip().lower()
        matches = [e for e in self.newest_first() if e.label.strip().lower() == wanted]
        latest = [e for e in matches if e.step == step]
        return (latest or matches or [None])[0]

    def labels_shown_in(self, step: int) -> list[str]:
        return [f"[{e.number}: {e.label}]" for e in self.newest_first() if e.step == step]
