"""Exporting the audit log as CSV or JSON Lines, streamed: SQLite renders each row as one line and the lines
go from one cursor to the output a chunk at a time, so memory stays flat whatever the size of the log.

Rows come oldest first (the chain's order) with every column, `prev_hash` and `hash` included, so an
auditor can re-check the chain from a JSON Lines export alone. CSV is for spreadsheets in any locale
(`bot.store.csv_cells`): a cell holding `,` `;` a tab, a quote or a line end is quoted, and every part of a
cell a spreadsheet might start a cell with (its start, and what follows a `;`, tab or line break) whose
first visible character is = + - or @ (fullwidth forms and invisible leading characters included) gets a
leading apostrophe; a sign and digits only (a phone number) is left alone. JSON Lines keeps every value
exactly as stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO

from bot.services.audit_filters import EXPORT_FORMATS, AuditFilter
from bot.services.audit_query import AuditQueries, Viewer
from bot.services.errors import InvalidInput
from bot.store import Store, audit

COLUMNS = audit.ALL_COLUMNS


class AuditExport:
    def __init__(self, *, store: Store, queries: AuditQueries) -> None:
        self._store = store
        self._queries = queries

    def export(self, audit_filter: AuditFilter, fmt: str, out: IO[str] | IO[bytes], *, viewer: Viewer) -> int:
        """Write the matching rows (oldest first) to `out`, text or binary (UTF-8); returns how many.

        `viewer` is who asks: they get only the rows they may see. None means everything (an operator
        exporting at the command line); the Slack side must always pass the person asking.
        """
        if fmt not in EXPORT_FORMATS:
            raise InvalidInput(f"Export as csv or jsonl; got '{str(fmt)[:20]}'.")
        criteria = self._queries.criteria(audit_filter, viewer=viewer)
        text, wrapper = _as_text(out)
        try:
            with self._store.snapshot() as db:  # one moment, streamed on either engine
                count = _write(audit.export_lines(db, criteria, fmt), fmt, text)
            text.flush()
            return count
        finally:
            if wrapper is not None:
                wrapper.detach()  # hand the caller's binary stream back, still open


def _write(lines: Iterator[str], fmt: str, out: IO[str]) -> int:
    end = "\r\n" if fmt == "csv" else "\n"  # CSV records end in CRLF (RFC 4180), as the csv module writes them
    if fmt == "csv":
        out.write(audit.CSV_HEADER + end)
    count = 0
    for line in lines:
        out.write(line + end)
        count += 1
    return count


def _as_text(out: IO[str] | IO[bytes]) -> tuple[IO[str], io.TextIOWrapper | None]:
    try:
        out.write("")  # type: ignore[arg-type]
        return out, None  # type: ignore[return-value]
    except TypeError:  # a binary stream
        wrapper = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)  # type: ignore[arg-type]
        return wrapper, wrapper
