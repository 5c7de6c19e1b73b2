"""The CSV rule of docs/audit-schema.md written again for the tests, independently of the export's SQL and
Python: what each cell must be, and what a spreadsheet would run as a formula.

- Quoting: a cell holding `,` `;` a tab, `"`, LF or CR is quoted, inner quotes doubled.
- Formulas: a reader splitting on `;`, tabs or lines starts a cell after any of those, even inside our
  quotes, so every such piece of a value is checked, not only its start. A piece whose first visible
  character (skipping whitespace, double quotes, control, format, unassigned and combining characters
  and the blank Hangul/Braille letters, in the text as it is or after NFKC) is = + - @ gets a leading
  apostrophe. A value that is only an ASCII sign and digits (+918012345678, -5) is a number: left alone.
"""

from __future__ import annotations

import re
import unicodedata

FORMULA_STARTS = ("=", "+", "-", "@")
PIECE_BREAKS = re.compile("([;\t\n\r])")
NEEDS_QUOTES = re.compile('[,;\t"\n\r]')
BLANK_LETTERS = "\u115f\u1160\u3164\uffa0\u2800"


def spreadsheet_cell(value: str | None) -> str:
    """The cell as the CSV file must hold it."""
    if value is None:
        return ""
    safe = spreadsheet_safe(value)
    return '"' + safe.replace('"', '""') + '"' if NEEDS_QUOTES.search(safe) else safe


def spreadsheet_safe(value: str) -> str:
    """The value a CSV reader gets back from the cell."""
    if re.fullmatch(r"[+-][0-9]+", value):
        return value
    parts = PIECE_BREAKS.split(value)  # pieces at even indexes, the breaks between them at odd ones
    return "".join("'" + part if index % 2 == 0 and runs_as_formula(part) else part for index, part in enumerate(parts))


def runs_as_formula(text: str) -> bool:
    return any(_visible(form)[:1] in FORMULA_STARTS for form in (text, unicodedata.normalize("NFKC", text)))


def _visible(text: str) -> str:
    index = 0
    while index < len(text) and _invisible(text[index]):
        index += 1
    return text[index:]


def _invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return char.isspace() or char == '"' or char in BLANK_LETTERS or category in ("Cc", "Cf", "Cn", "Cs") or category[0] in "MZ"
