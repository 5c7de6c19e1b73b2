"""CSV export cells a spreadsheet reads as text in any locale: quoted when they hold any common separator
(`,` `;` tab), a quote or a line end, and no cell a reader splitting on `,`, `;` or tabs gets starts with a
formula character, fullwidth forms and invisible leading characters included (issue 10, F8)."""

from __future__ import annotations

import csv
import io
import itertools
import sqlite3
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.services.audit_export import COLUMNS, AuditExport
from bot.services.audit_query import AuditFilter, AuditQueries, Visibility
from bot.services.records import Actor
from bot.store import Store, csv_cells
from tests.audit.audit_helpers import ALICE, NOW, NUMBER_A, record, rows
from tests.audit.spreadsheet_reference import runs_as_formula, spreadsheet_cell, spreadsheet_safe

DELIMITERS = (",", ";", "\t")
CELLS = [
    "ok;=1+1",  # a spreadsheet splitting on ; sees =1+1 even though the cell is quoted
    "a\tb",
    "x\t@SUM(A1)",
    "＝1+1",  # fullwidth = + - @
    "＋1",
    "－1",
    "＠SUM(A1)",
    "﹦1",  # small equals sign: = after NFKC
    "\u200b=1",  # zero-width space
    "\ufeff+1",  # byte order mark
    "\u2060@x",  # word joiner
    "\u3164-1",  # Hangul filler: a blank letter
    "\u0301=1",  # a combining mark with nothing to combine with
    " =1",
    "\u00a0\u3000=1",  # no-break and ideographic spaces
    "\t=1",
    "\r=1",
    "\n=1",
    "a;b\n=1",  # a line break ends the record for a reader that lost the quotes
    'x;"=1',  # after a ;, a quote opens a quoted cell: still =1
    'x;""=1',
    "a\u2028=1",
    "=\u0338",  # = with a combining long solidus: ≠ after NFKC, still = as stored
    "-1",  # a plain number stays a number
    "+918012345678",
    "-1+1",
    "+",
    "'=already text",
    "Ünïcødé ✓",
    "plain words",
    "a,b",
    'say "hi"',
    "",
]


def exporter(store: Store) -> AuditExport:
    return AuditExport(store=store, queries=AuditQueries(store=store, visibility=Visibility(policy=None), clock=lambda: NOW))


def exported_csv(store: Store, audit_filter: AuditFilter = AuditFilter()) -> str:
    out = io.StringIO()
    exporter(store).export(audit_filter, "csv", out, viewer=None)
    return out.getvalue()


def cells_read_back(text: str, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for cell in row]


def assert_no_formula_cell(text: str) -> None:
    for delimiter in DELIMITERS:
        for cell in cells_read_back(text, delimiter):
            assert cell == spreadsheet_safe(cell) or not runs_as_formula(cell), (delimiter, cell)


@pytest.mark.parametrize("value", CELLS)
def test_no_reader_gets_a_cell_starting_with_a_formula_character(store: Store, value: str) -> None:
    record(store, NOW, ALICE, "done", "assign", "succeeded", e164=NUMBER_A, reason=value, detail=value, vobiz_error=value)
    text = exported_csv(store)
    assert_no_formula_cell(text)
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))  # the file itself is comma-separated
    assert row["reason"] == row["detail"] == row["vobiz_error"] == spreadsheet_safe(value)


@pytest.mark.parametrize(("value", "cell"), [
    ("ok;=1+1", "\"ok;'=1+1\""),
    ("a\tb", '"a\tb"'),
    ("＝1+1", "'＝1+1"),
    ("\u200b=1", "'\u200b=1"),
    ("\ufeff+1", "'\ufeff+1"),
    (" =1", "' =1"),
    ("\t=1", "\"\t'=1\""),
    ("-1", "-1"),
    ("+918012345678", "+918012345678"),
    ("a;b", '"a;b"'),
])
def test_cells_are_written_as_the_rule_says(store: Store, value: str, cell: str) -> None:
    record(store, NOW, ALICE, "done", "assign", "succeeded", reason=value)
    _, line, _ = exported_csv(store).split("\r\n")
    assert f",succeeded,,,,{cell},,,,,,," in line  # e164 to request_id empty, then quote to cool_off_until


# Text that leans on what matters: separators, quotes, line breaks, formula characters in every form,
# invisible and blank characters, digits; and now and then any character at all.
SPECIAL = list(",;\t\"'\n\r\v\x85\u2028 \u00a0\u3000=+-@＝＋－＠﹦⁼₊⁻\u200b\ufeff\u2060\u180e\u0301\u0338\u3164\u2800") + ["0", "1", "9", "a", "Z"]
VALUES = st.text(st.sampled_from(SPECIAL) | st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
_instants = itertools.count(1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(VALUES, min_size=4, max_size=4))
@example(values=["ok;=1+1", "\u200b=1", "＝1", "-5"])
@example(values=["a;b\n=1", 'x;""=1', "\t=1", "+918012345678"])
def test_any_text_is_written_byte_for_byte_as_the_rule_says_and_no_reader_sees_a_formula(store: Store, values: list[str]) -> None:
    """The SQL fast paths and the Python fallback against the reference, through a real export."""
    when = NOW + timedelta(microseconds=next(_instants))
    actor_name, reason, detail, vobiz_error = values
    record(store, when, Actor(ALICE.user_id, actor_name), "done", "assign", "succeeded", reason=reason, detail=detail, vobiz_error=vobiz_error)
    text = exported_csv(store, AuditFilter(since=when))
    header = ",".join(COLUMNS) + "\r\n"
    assert text.startswith(header) and text.endswith("\r\n")
    line = text[len(header):-2]  # one row (a value may hold a CRLF of its own)
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    expected = {"actor_name": actor_name, "reason": reason, "detail": detail, "vobiz_error": vobiz_error}
    for column, value in expected.items():
        assert row[column] == spreadsheet_safe(value), column
    (stored,) = [r for r in rows(store) if r["id"] == int(row["id"])]
    assert line == ",".join(spreadsheet_cell(None if stored[c] is None else str(stored[c])) for c in COLUMNS)
    assert_no_formula_cell(text)


ASCII_HEAVY = st.text(st.sampled_from(list(",;\t\"'\n\r =+-@!#*.:<>?[]^_`{|}~\\/09aZ") + ["＝", "\u200b", "é"]), max_size=10)


@settings(max_examples=3000, deadline=None)
@given(value=ASCII_HEAVY | VALUES)
def test_the_sql_fast_paths_decide_every_cell_as_the_rule_does(value: str) -> None:
    """Each SQL branch (plain, sign and digits, apostrophe and quotes) against the reference, in SQLite."""
    conn = sqlite3.connect(":memory:")
    csv_cells.register(conn)
    (got,) = conn.execute(f"SELECT {csv_cells.cell_sql('v')} FROM (SELECT ? AS v)", [value]).fetchone()
    assert got == csv_cells.cell(value) == spreadsheet_cell(value)


# SQLite alone: a PostgreSQL text value cannot hold a NUL at all (the write is refused), and the SQL this
# guards (SQLite's printf ending a value at a NUL) runs only on SQLite; PostgreSQL's CSV is rendered in Python.
@pytest.mark.sqlite_only
@pytest.mark.parametrize("value", ["a\x00,=1", 'a,\x00",=1', "\x00=1", "x;\x00=1", "+1\x00;=1"])
def test_a_nul_never_shifts_the_cells_after_it(store: Store, value: str) -> None:
    """SQLite's printf ends a value at a NUL: a cell may lose its tail there, but never its closing quote."""
    record(store, NOW, ALICE, "done", "assign", "succeeded", reason=value, detail="after")
    text = exported_csv(store)
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert None not in row and row["detail"] == "after" and row["hash"]
    assert_no_formula_cell(text)


@pytest.mark.parametrize("value", ["ok\x00\n=HYPERLINK(1)", "plain\x00tail", "+91\x00=1", "-1\x00", "A\x00;=1"])
def test_a_nul_never_hides_the_rest_of_a_cell_from_the_sql_rule(value: str) -> None:
    """The SQL fast paths read a value only up to a NUL: such cells must take the full rule, as Python does."""
    conn = sqlite3.connect(":memory:")
    csv_cells.register(conn)
    (from_sql,) = conn.execute(f"SELECT {csv_cells.cell_sql('?1')}", [value]).fetchone()
    assert from_sql == csv_cells.cell(value)
