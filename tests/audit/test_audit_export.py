"""Export: every column, exact values, the chain checkable from the export alone, spreadsheet-safe CSV,
visibility, and flat memory on 100k rows."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from pathlib import Path

import pytest

from bot.services.audit_export import COLUMNS, AuditExport
from bot.services.audit_query import AuditFilter, AuditQueries, Visibility
from bot.services.errors import InvalidInput
from bot.store import Store
from tests.audit.audit_helpers import (
    ALICE, BOB, GENESIS, NOW, NUMBER_A, bulk_fill, independent_hash, is_pg, record, rows, write_varied_events,
)  # fmt: skip
from tests.audit.spreadsheet_reference import spreadsheet_cell, spreadsheet_safe

BIG = 100_000
PEAK_LIMIT = 3 * 1024 * 1024  # a few chunks of rows; the whole 100k would be well over 50 MB


def exporter(store: Store) -> AuditExport:
    queries = AuditQueries(store=store, visibility=Visibility(policy=None), clock=lambda: NOW)
    return AuditExport(store=store, queries=queries)


@pytest.fixture
def store(empty_store: Store) -> Store:
    write_varied_events(empty_store, 9)
    return empty_store


def test_jsonl_holds_every_row_exactly_and_the_chain_can_be_checked_from_it_alone(store: Store) -> None:
    out = io.StringIO()
    assert exporter(store).export(AuditFilter(), "jsonl", out, viewer=None) == 9
    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    assert exported == rows(store)  # oldest first, every column, values as stored
    prev = GENESIS
    for row in exported:
        assert row["prev_hash"] == prev and independent_hash(row) == row["hash"]
        prev = row["hash"]


def test_csv_parses_back_with_every_column(store: Store) -> None:
    out = io.StringIO()
    assert exporter(store).export(AuditFilter(e164=NUMBER_A), "csv", out, viewer=None) == 5
    parsed = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    expected = [r for r in rows(store) if r["e164"] == NUMBER_A]
    assert list(parsed[0]) == list(COLUMNS)
    assert parsed == [{c: "" if r[c] is None else str(r[c]) for c in COLUMNS} for r in expected]
    assert any("\n" in p["reason"] for p in parsed)  # multi-line text survives the round trip


def test_csv_defuses_spreadsheet_formulas_but_keeps_numbers(empty_store: Store) -> None:
    store = empty_store
    record(store, NOW, ALICE, "done", "assign", "succeeded", e164=NUMBER_A, reason='=HYPERLINK("http://evil","x")', detail="-2+3")
    out = io.StringIO()
    exporter(store).export(AuditFilter(), "csv", out, viewer=None)
    (row,) = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert row["reason"] == "'=HYPERLINK(\"http://evil\",\"x\")" and row["detail"] == "'-2+3"
    assert row["e164"] == NUMBER_A
    raw = io.StringIO()
    exporter(store).export(AuditFilter(), "jsonl", raw, viewer=None)
    assert json.loads(raw.getvalue())["reason"] == '=HYPERLINK("http://evil","x")'  # JSON Lines stays exact


def test_a_binary_stream_gets_utf8_and_is_left_open(store: Store) -> None:
    out = io.BytesIO()
    count = exporter(store).export(AuditFilter(), "jsonl", out, viewer=None)
    assert not out.closed
    assert count == len(out.getvalue().decode("utf-8").splitlines()) == 9
    assert "Umlaut ä" in out.getvalue().decode("utf-8")


def test_a_restricted_viewer_exports_only_what_they_may_see(empty_store: Store) -> None:
    store = empty_store
    record(store, NOW, ALICE, "done", "assign", "succeeded", e164=NUMBER_A)
    record(store, NOW, BOB, "done", "unassign", "succeeded", e164=NUMBER_A)
    out = io.StringIO()
    assert exporter(store).export(AuditFilter(), "jsonl", out, viewer=BOB) == 1
    assert json.loads(out.getvalue())["actor_id"] == BOB.user_id


def test_an_unknown_format_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="csv or jsonl"):
        exporter(store).export(AuditFilter(), "xlsx", io.StringIO(), viewer=None)


TRICKY = ["a,b", 'say "hi"', "two\nlines", "cr\ronly", "", " leading space", "+918012345678", "-5", "+", "-x",
          "=1+1", "@SUM(A1)", "\tTab", "Ünïcødé ✓", "'already quoted", "trailing,", "ok;=1+1", "semi;colon",
          "a\tb", "＝1+1", "\u200b=1", "\ufeff+1", " =1", "line\n-item"]


def test_csv_cells_are_written_exactly_as_the_rule_says(empty_store: Store) -> None:
    """Byte for byte against the rule written again in tests/audit/spreadsheet_reference.py; the csv module
    reads every cell back (the cheap SQL paths, the full one and the Python fallback all take part)."""
    store = empty_store
    for text in TRICKY:
        record(store, NOW, ALICE, "done", "assign", "succeeded", reason=text, detail=text)
    out = io.StringIO()
    exporter(store).export(AuditFilter(), "csv", out, viewer=None)
    stored = rows(store)
    expected = "".join(",".join(spreadsheet_cell(None if r[c] is None else str(r[c])) for c in COLUMNS) + "\r\n" for r in stored)
    assert out.getvalue() == ",".join(COLUMNS) + "\r\n" + expected
    read_back = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert [r["reason"] for r in read_back] == [spreadsheet_safe(text) for text in TRICKY]


@pytest.fixture
def big(empty_store: Store) -> Store:
    made = empty_store
    if is_pg(made):
        indexes = "SELECT indexname FROM pg_indexes WHERE tablename = 'audit' AND indexname <> 'audit_pkey'"
    else:
        indexes = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit'"
    with made.unit() as db:  # a bulk load without the query indexes: this store is only ever exported whole
        for (index,) in db.execute(indexes).fetchall():
            db.execute(f"DROP INDEX {index}")
    bulk_fill(made, BIG)
    return made


def test_100k_rows_export_with_flat_memory_and_parse_back_with_the_csv_module(big: Store, tmp_path: Path) -> None:
    """CSV, the costlier format to render; JSON Lines streams through the same cursor loop (export_lines)."""
    target = tmp_path / "audit.csv"
    with target.open("w", encoding="utf-8", newline="") as out:
        tracemalloc.start()
        try:
            count = exporter(big).export(AuditFilter(), "csv", out, viewer=None)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == BIG
    assert peak < PEAK_LIMIT, f"peak traced memory {peak / 1e6:.1f} MB"
    with target.open(encoding="utf-8", newline="") as back:
        reader = csv.reader(back)
        first = dict(zip(next(reader), next(reader)))
        assert sum(1 for _ in reader) + 1 == BIG
    assert first["id"] == "1" and first["actor_name"] == 'Name, "quoted"' and first["reason"] == "line one\nline two"
