"""CSV cells that spreadsheets read as text, whatever separator their locale splits on.

The export is comma-separated, but a spreadsheet set to `;` or tabs splits our lines elsewhere and does
not see the quotes around a cell that starts after a comma: for it a new cell starts after every `;`, tab
or line break, even inside our quotes. So:

- a cell is quoted (inner quotes doubled, as Python's csv module does) when it holds `,` `;` a tab, a
  double quote or a line end;
- each piece of a cell (its start, and whatever follows a `;`, tab, LF or CR in it) whose first
  visible character is = + - or @ gets a leading apostrophe. Visible: after whitespace, double quotes
  and characters nobody sees (control, format and zero-width, unassigned, combining marks, the blank
  Hangul and Braille letters), in the text as stored or after NFKC, so fullwidth ＝ ＋ － ＠ count too.
  A cell that is only an ASCII sign and digits (+918012345678, -5) is a number and is left alone.

`cell(value)` is the rule in Python. `cell_sql(column)` is the same rule as SQL, for the export's speed:
cells that start with a printable ASCII character and whose pieces do too (nearly all) are decided in
SQL, and the rest call `cell` through the SQL function that `register` adds to the connection.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata

SQL_FUNCTION = "spreadsheet_cell"
FORMULA_STARTS = frozenset("=+-@")
_SIGNED_DIGITS = re.compile(r"[+-][0-9]+")
# Plain text, passed as it is: a safe first character (`_SAFE_START` but , and ;) and nothing that needs
# quotes or starts another cell; the same cells the SQL's plain test passes. Checked first: most cells are.
_PLAIN = re.compile('[!#-*.-:<>-?A-~][^,;\t"\n\r\x00]*')
_NEEDS_QUOTES = re.compile('[,;\t"\n\r]')
_PIECE_BREAKS = re.compile("([;\t\n\r])")  # where a reader splitting on ; or tabs starts a cell or a line
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Cs", "Mn", "Mc", "Me", "Zs", "Zl", "Zp"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# For SQL: the printable ASCII characters but space, double quote and = + - @ (as a GLOB class), and the
# characters that make a cell need quotes (one GLOB: on short cells it costs less than six instr calls).
_SAFE_START = "!#-*,.-<>-?A-~"
_NEEDS_QUOTES_GLOB = "'*[,\";' || char(9, 10, 13) || ']*'"


def cell(value: str) -> str:
    """The CSV text of one non-NULL cell."""
    value = str(value)
    if _PLAIN.fullmatch(value):
        return value
    value = value.replace("\x00", "\ufffd")  # SQLite's printf would end the line at a NUL
    if not _SIGNED_DIGITS.fullmatch(value):
        parts = _PIECE_BREAKS.split(value)  # pieces at even indexes, the breaks between them at odd ones
        value = "".join("'" + part if index % 2 == 0 and _runs_as_formula(part) else part for index, part in enumerate(parts))
    return '"' + value.replace('"', '""') + '"' if _NEEDS_QUOTES.search(value) else value


def _runs_as_formula(piece: str) -> bool:
    return _first_seen(piece) in FORMULA_STARTS or _first_seen(unicodedata.normalize("NFKC", piece)) in FORMULA_STARTS


def _first_seen(text: str) -> str:
    for char in text:
        if not (char == '"' or char.isspace() or char in _BLANK_LETTERS or unicodedata.category(char) in _UNSEEN_CATEGORIES):
            return char
    return ""


def register(conn: sqlite3.Connection) -> None:
    """Make `cell` callable from the SQL that `cell_sql` writes."""
    conn.create_function(SQL_FUNCTION, 1, cell, deterministic=True)


def cell_sql(column: str) -> str:
    """SQL for one cell of `column`: NULL is empty. Cheap tests come first and decide almost every cell
    without leaving SQLite: plain text (a safe first character, see `_SAFE_START`, and nothing that needs
    quotes) passes as it is, and so does a sign and digits (a phone number). A cell with a printable ASCII
    first character whose every ; tab or line break is followed by a safe character needs at most an
    apostrophe and quotes. Only what is left calls the Python rule.

    The plain test is what nearly every cell takes, so it compares text (no function call) for the usual
    first characters, letters and digits, before it scans the cell once."""
    first = f"unicode({column})"
    safe_first = (
        f"(({column} >= 'A' AND {column} < char(127)) OR ({column} >= '.' AND {column} < '=') "
        f"OR {column} GLOB '[{_SAFE_START}]*')"
    )
    # GLOB and printf see a value only up to a NUL; a cell holding one goes to the Python rule.
    no_nul = f"NOT instr({column}, char(0))"
    plain = f"{safe_first} AND NOT {column} GLOB {_NEEDS_QUOTES_GLOB} AND {no_nul}"
    signed_digits = (
        f"{first} IN (43, 45) AND length({column}) > 1 AND NOT substr({column}, 2) GLOB '*[^0-9]*' AND {no_nul}"
    )
    safe_pieces = (
        f"(({column} >= '#' AND {column} < char(127)) OR {column} GLOB '!*') AND NOT instr({column}, char(0)) "
        f"AND NOT {column} GLOB '*[;' || char(9, 10, 13) || '][^{_SAFE_START}]*'"
    )
    safe = f"(CASE WHEN {first} IN (43, 45, 61, 64) THEN char(39) || {column} ELSE {column} END)"
    quoted = f"char(34) || replace({safe}, char(34), char(34, 34)) || char(34)"
    return (
        f"(CASE WHEN {column} IS NULL THEN '' WHEN {plain} THEN {column} WHEN {column} = '' THEN '' "
        f"WHEN {signed_digits} THEN {column} "
        f"WHEN {safe_pieces} THEN (CASE WHEN {column} GLOB {_NEEDS_QUOTES_GLOB} THEN {quoted} ELSE {safe} END) "
        f"ELSE {SQL_FUNCTION}({column}) END)"
    )
