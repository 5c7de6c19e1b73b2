"""`numbers-bot console`: start the world, then read lines from a person, a script or a pipe.

Interactive when there is no `--script` and stdin is a terminal: a prompt per person, modals asked
for field by field, problems shown and the session goes on. Otherwise scripted: every line is echoed
and run as a step, and the first failing step ends the run with exit code 1, naming the line.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from bot.console import mrkdwn
from bot.console.buttons import ButtonBoard
from bot.console.display import Display
from bot.console.people import CHANNELS, PEOPLE, Person, person_named
from bot.console.session import Outcome, Session
from bot.console.world import ConsoleWorld
from fakes.slack import View

EXIT_OK, EXIT_STEP_FAILED, EXIT_USAGE = 0, 1, 2
LOG_NAME = "console.log"
MAX_MODAL_ROUNDS = 5


@contextmanager
def _data_dir(db: Path | None, stderr: TextIO) -> Iterator[Path]:
    """The database path: `db`, or a fresh one in a temporary directory that is removed afterwards
    unless the bot logged something there worth reading."""
    if db is not None:
        yield db
        return
    directory = Path(tempfile.mkdtemp(prefix="numbers-bot-console-"))
    try:
        yield directory / "numbers-bot.db"
    finally:
        log = directory / LOG_NAME
        if log.exists() and log.stat().st_size:
            print(f"numbers-bot console: the bot logged warnings; kept {log}", file=stderr)
        else:
            shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    """The bot's warnings and errors (with the references the error handler shows) go to a file, not
    into the conversation on the terminal."""
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()


def run(
    *,
    script: Path | None = None,
    db: Path | None = None,
    latency_ms: int = 0,
    person: str = "asha",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    read_line: Callable[[str], str] | None = None,
) -> int:
    """Run a console session; the exit code (0 all well, 1 a step failed, 2 it could not start)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    me = person_named(person)
    if me is None:
        names = ", ".join(p.name for p in PEOPLE)
        print(f"numbers-bot console: nobody called {person!r}; the demo people are {names}", file=stderr)
        return EXIT_USAGE
    if latency_ms < 0:
        print("numbers-bot console: --latency-ms must be 0 or more", file=stderr)
        return EXIT_USAGE
    lines: Iterable[tuple[int, str]]
    if script is not None:
        try:
            text = script.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"numbers-bot console: cannot read the script {script}: {exc.strerror or exc}", file=stderr)
            return EXIT_USAGE
        lines, source = enumerate(text.splitlines(), start=1), str(script)
        interactive = False
    else:
        interactive = _is_tty(stdin)
        lines, source = enumerate((line.rstrip("\n") for line in stdin), start=1), "<stdin>"

    if db is not None:
        problem = _unusable_folder(db.parent)
        if problem is not None:
            print(f"numbers-bot console: cannot use --db {db}: {problem}", file=stderr)
            return EXIT_USAGE

    with _data_dir(db, stderr) as db_path, _logging_to(db_path.parent / LOG_NAME):
        try:
            world = ConsoleWorld(db_path, latency_ms=latency_ms).start()
        except (sqlite3.Error, OSError) as exc:
            print(f"numbers-bot console: cannot start with the database {db_path}: {exc}", file=stderr)
            return EXIT_USAGE
        try:
            session = open_session(world, stdout, person=me, ansi=_is_tty(stdout))
            if interactive:
                return _interactive(session, session.display, read_line or input)
            return _scripted(session, session.display, lines, source, stderr)
        finally:
            world.stop()


def open_session(world: ConsoleWorld, out: TextIO, *, person: Person, ansi: bool = False) -> Session:
    """A session on a started world, printing to `out` everything the stand-in Slack sees from now on
    (`close_session` stops that)."""
    board = ButtonBoard()
    names = mrkdwn.Names(users={p.user_id: p.name for p in PEOPLE}, channels=CHANNELS)
    display = Display(
        out, names=names, clock=world.now, board=board, style=mrkdwn.Style(ansi=ansi), dm_owner=world.dm_owner
    )
    world.slack.on_event.append(display.on_event)
    return Session(world, display, board, person=person)


def close_session(session: Session) -> None:
    if session.display.on_event in session.world.slack.on_event:
        session.world.slack.on_event.remove(session.display.on_event)


def _unusable_folder(folder: Path) -> str | None:
    """Why the database's folder cannot be used (it is created when missing); None when it can."""
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            return f"{part} is not a directory"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {folder} ({exc.strerror or exc})"
    return None


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _prompt(session: Session) -> str:
    return f"{session.person.name}> "


# ---------------------------------------------------------------------------------------------- scripted


def _scripted(
    session: Session, display: Display, lines: Iterable[tuple[int, str]], source: str, stderr: TextIO
) -> int:
    display.say(f"numbers-bot console: running {source} (you are {session.person.name}; `help` lists the commands)")
    steps = 0
    for number, line in lines:
        stripped = line.strip()
        if not stripped:
            display.say()
            continue
        display.say(stripped if stripped.startswith("#") else _prompt(session) + stripped)
        outcome = session.execute(stripped)
        if stripped.startswith("#"):
            continue
        steps += 1
        if not outcome.ok:
            display.say(f"! {outcome.error}")
            print(f"{source}:{number}: {stripped}\n  step failed: {outcome.error}", file=stderr, flush=True)
            return EXIT_STEP_FAILED
        if outcome.quit:
            break
    display.say(f"numbers-bot console: {steps} step{'' if steps == 1 else 's'}, all passed.")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- interactive


def _interactive(session: Session, display: Display, read_line: Callable[[str], str]) -> int:
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:
        pass
    session.confirm = lambda question: _ask_yes(read_line, f"{question} [y/N] ")
    _banner(session, display)
    while True:
        try:
            line = read_line(_prompt(session))
        except EOFError:
            display.say()
            return EXIT_OK
        except KeyboardInterrupt:
            display.say("\n(quit or Ctrl-D leaves)")
            continue
        outcome = session.execute(line)
        if not outcome.ok:
            display.say(f"! {outcome.error}")
        if outcome.quit:
            return EXIT_OK
        modal = session.modal_shown_in_latest_step()
        if modal is not None:
            _fill_at_prompt(session, display, read_line, modal)


def _ask_yes(read_line: Callable[[str], str], question: str) -> bool:
    try:
        return read_line(question).strip().lower() in ("y", "yes")
    except (EOFError, KeyboardInterrupt):
        return False


def _fill_at_prompt(session: Session, display: Display, read_line: Callable[[str], str], modal: View) -> None:
    """Ask for each field of the modal, then submit; `cancel` (or Ctrl-C/Ctrl-D) closes it. A modal
    answered with field errors is asked again."""
    for _ in range(MAX_MODAL_ROUNDS):
        display.say(f"{modal.title}: answer each field, or type cancel.")
        for field in modal.inputs():
            choices = f" ({', '.join(text for text, _ in field.options)})" if field.options else ""
            optional = " (optional)" if field.optional else ""
            try:
                answer = read_line(f"  {field.label}{optional}{choices}: ")
            except (EOFError, KeyboardInterrupt):
                answer = "cancel"
            if answer.strip().lower() == "cancel":
                _report(display, session.execute("cancel"))
                return
            if answer.strip():
                _report(display, session.fill(modal, field.label, answer.strip()))
        _report(display, session.execute("submit"))
        current = session.open_modal()
        if current is None or current.id != modal.id:
            return
        modal = current


def _report(display: Display, outcome: Outcome) -> None:
    if not outcome.ok:
        display.say(f"! {outcome.error}")


def _banner(session: Session, display: Display) -> None:
    sandbox = session.world.sandbox
    to_buy = sandbox.inventory_numbers("IN")[0]
    cooling = sandbox.owned_numbers("SA_SALES0001", recent_call=True)
    display.say("numbers-bot console: the real bot, a sandbox Vobiz and a stand-in Slack, all on 127.0.0.1.")
    display.say(f"People: {', '.join(p.name for p in PEOPLE)} (`who` says who may do what). You are {session.person.name}.")
    display.say(f"Try:   /numbers inventory IN      /numbers buy {to_buy} A new support line")
    if cooling:
        display.say(f"       /numbers unassign {cooling[0]}   (it had a call recently: the cool-off applies)")
    display.say("Type help for the console's own commands; quit or Ctrl-D leaves.")
