"""`numbers-bot console` end to end: the walkthrough script, failing scripts, pipes and the prompt."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.console import EXIT_OK, EXIT_STEP_FAILED, EXIT_USAGE, HELP, run

REPO = Path(__file__).resolve().parents[2]
WALKTHROUGH = REPO / "demo" / "walkthrough.txt"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def script(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "steps.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_walkthrough_tells_the_whole_story(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["console", "--script", str(WALKTHROUGH)]) == EXIT_OK
    out, err = capsys.readouterr()
    assert err == ""
    # What people see, in the order they see it (the script's own `expect` lines are echoed after).
    story = [
        "only @asha sees, in #general\n  Numbers we can buy IN",  # browse the inventory
        "modal for @asha: Request a number",  # request a purchase, the reason in a modal
        "to buy +91 11 2154 6828 is waiting for an approver in #approvals",
        "#approvals\n  Purchase request",
        "only @asha sees, in #approvals\n  🚫 You asked for this yourself, so someone else has to decide it",
        "only @dev sees, in #approvals\n  🚫 Only approvers (or admins) can decide requests",
        "#approvals (updated)",
        "✅ Approved by ben (U0BEN) today 09:00. +91 11 2154 6828 is ours now.",  # the approver approves
        "DM to @asha\n  Your request",
        "#numbers-history\n  today 09:00 ben (U0BEN) executed purchase of +91 11 2154 6828",  # named, not pinged
        "⌛ +91 20 4068 6462 is in its 15-day cool-off",  # the cool-off on an unassign
        "modal for @asha: Force unassign",  # request a force unassign
        "#approvals\n  Force unassign request",
        "only @ben sees, in #approvals\n  🚫 Only an admin can decide a force operation",
        "✅ Approved by carol (U0CAROL) today 09:00. +91 20 4068 6462 was taken back from SA_SALES0001 with force.",
        "steps, all passed.",
    ]
    positions = [out.find(line) for line in story]
    assert -1 not in positions, [line for line, at in zip(story, positions, strict=True) if at == -1]
    assert positions == sorted(positions), "the story is told in order"
    assert "\x1b[" not in out  # not a terminal: no ANSI
    assert "<@U0" not in out and "<!date" not in out and "&lt;" not in out  # mrkdwn rendered, not raw


def test_a_failing_step_stops_the_script_and_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    steps = script(tmp_path, '# browse\n/numbers help\nclick "Approve"\n/numbers requests\n')
    assert main(["console", "--script", str(steps)]) == EXIT_STEP_FAILED
    out, err = capsys.readouterr()
    assert f'{steps}:3: click "Approve"' in err
    assert "step failed: no button 'Approve' in the latest output" in err
    assert "asha> /numbers requests" not in out  # nothing after the failing step ran


def test_an_expectation_not_met_fails_the_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    steps = script(tmp_path, "/numbers help\nexpect Numbers we can buy\nexpect a pony\n")
    assert run(script=steps) == EXIT_STEP_FAILED
    assert f"{steps}:3: expect a pony\n  step failed: the latest output does not contain 'a pony'" in capsys.readouterr().err


def test_an_unknown_command_fails_the_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(script=script(tmp_path, "who\napprove all\n")) == EXIT_STEP_FAILED
    assert ":2: approve all\n  step failed: unknown command 'approve'" in capsys.readouterr().err


def test_help_as_and_advance_in_a_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    steps = script(
        tmp_path,
        "help\n"
        "/numbers buy +12124645598 Already ours\n"  # a number the seeded account owns
        "expect-not is waiting for an approver\n"
        "as dev\n"
        "/numbers buy +911121783467 Asked by dev\n"
        "expect only @dev sees\n"
        "advance 25h\n"
        "expect Expired\n",
    )
    assert run(script=steps) == EXIT_OK
    out = capsys.readouterr().out
    assert HELP.splitlines()[1] in out
    assert "You are now dev" in out and "dev> /numbers buy" in out
    assert "The clock is now 2026-09-02" in out


def test_commands_from_a_pipe_run_as_a_script(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--as", "ben", "--db", str(tmp_path / "piped.db")],
        input="/numbers help\nexpect /numbers buy\nwho\nbogus\n/numbers requests\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == EXIT_STEP_FAILED, done.stderr
    assert "<stdin>:4: bogus" in done.stderr and "Traceback" not in done.stderr
    assert "ben> /numbers help" in done.stdout and "* ben" in done.stdout
    assert "ben> /numbers requests" not in done.stdout
    assert (tmp_path / "piped.db").exists()  # --db is used, and kept


def test_at_a_terminal_modals_are_asked_field_by_field(tmp_path: Path) -> None:
    answers = iter(["/numbers buy +911127760699", "A new line for Delhi", "", "as ben", 'click "Approve"', "y", "quit"])
    prompts: list[str] = []

    def read_line(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    out = Terminal()
    assert run(stdin=Terminal(), stdout=out, read_line=read_line) == EXIT_OK
    assert prompts[:3] == ["asha> ", "  Why do we need this number?: ", "  Team (optional): "]  # the team may be left empty
    assert prompts[3:5] == ["asha> ", "ben> "]
    assert prompts[5].startswith("Buy this number?") and prompts[5].endswith("[y/N] ")
    shown = out.getvalue()
    assert "is waiting for an approver" in shown and "is ours now" in shown
    assert "\x1b[1m" in shown  # bold on a terminal


def test_at_a_terminal_cancel_closes_the_modal_and_failures_do_not_end_the_session(tmp_path: Path) -> None:
    answers = iter(["/numbers buy +911127760699", "cancel", "click 7", "/numbers help"])

    def read_line(prompt: str) -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    out = io.StringIO()
    assert run(stdin=Terminal(), stdout=out, read_line=read_line) == EXIT_OK
    shown = out.getvalue()
    assert "closed for @asha" in shown and "waiting for an approver" not in shown
    assert "! there is no button 7 now" in shown
    assert "only @asha sees, in #general\n  /numbers: telephone numbers from Vobiz" in shown  # and it went on


@pytest.fixture
def hostile_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings that would break the demo, or let dev approve, if the console read the environment."""
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "from-the-environment")
    monkeypatch.setenv("APPROVERS", "U0DEV")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-from-the-environment")
    yield


def test_the_console_never_reads_the_environment(
    hostile_environment: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = script(tmp_path, "/numbers buy +911127760699 A line\nas dev\nclick Approve\nexpect Only approvers\n")
    assert run(script=steps) == EXIT_OK, capsys.readouterr().err


def test_bad_arguments_exit_2_with_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["console", "--as", "mallory"]) == EXIT_USAGE
    assert "nobody called 'mallory'; the demo people are asha, ben, carol, dev" in capsys.readouterr().err
    assert main(["console", "--script", str(tmp_path / "missing.txt")]) == EXIT_USAGE
    assert "cannot read the script" in capsys.readouterr().err


def test_a_database_path_that_cannot_be_used_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    assert main(["console", "--db", str(a_file / "numbers-bot.db")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"numbers-bot console: cannot use --db {a_file / 'numbers-bot.db'}: ")
    assert len(err.splitlines()) == 1
    assert main(["console", "--db", str(tmp_path)]) == EXIT_USAGE  # a directory, not a database file
    err = capsys.readouterr().err
    assert err.startswith(f"numbers-bot console: cannot start with the database {tmp_path}: ") and "Traceback" not in err
