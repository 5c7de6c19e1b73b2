"""A console session driven from tests: type lines, read what was printed."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from bot.console.people import person_named
from bot.console.runner import close_session, open_session
from bot.console.session import Outcome, Session
from bot.console.world import ConsoleWorld

BUTTON = re.compile(r"\[(\d+): ([^\]]+)\]")


@dataclass
class Console:
    session: Session
    out: io.StringIO
    typed: list[str] = field(default_factory=list)
    mark: int = 0  # where the latest line's output starts in `out`

    @classmethod
    def open(cls, world: ConsoleWorld, person: str = "asha") -> Console:
        out = io.StringIO()
        found = person_named(person)
        assert found is not None
        return cls(open_session(world, out, person=found), out)

    def close(self) -> None:
        close_session(self.session)

    @property
    def world(self) -> ConsoleWorld:
        return self.session.world

    def do(self, line: str) -> Outcome:
        self.typed.append(line)
        self.mark = len(self.out.getvalue())
        return self.session.execute(line)

    def ok(self, line: str) -> str:
        """Run a line that must work; what it printed."""
        outcome = self.do(line)
        assert outcome.ok, f"{line!r} failed: {outcome.error}\n{self.printed()}"
        return self.printed()

    def printed(self) -> str:
        """What the latest line printed."""
        return self.out.getvalue()[self.mark :]

    def number_of(self, label: str, text: str | None = None) -> int:
        """The number shown for the last button labelled `label` in `text` (default: the latest output)."""
        found = [int(n) for n, shown in BUTTON.findall(self.printed() if text is None else text) if shown == label]
        assert found, f"no [{label}] in:\n{self.printed() if text is None else text}"
        return found[-1]

    def request_id(self) -> str:
        match = re.search(r"Request (R[0-9A-Z]+) ", self.printed())
        assert match, self.printed()
        return match.group(1)
