"""The bench's PostgreSQL side: its fast fill writes the very rows and hashes the store's own append path
writes (so the two engines are measured on one log), and the engines' figures land in their own section
of the report. Nothing here judges speed."""

from __future__ import annotations

from pathlib import Path

from bench import pg
from bench.history import CommandRun, QueryRow
from bench.population import Population
from bench.report import BEGIN, END, ENGINES_BEGIN, ENGINES_END, Results, render_engines, write
from bench.stats import summarize
from bot.store import Store, audit, chain
from bot.store import requests as request_rows
from bot.store.postgres import PostgresStore


def test_the_postgres_fill_writes_the_chain_audit_append_writes(tmp_path: Path, postgres_url: str) -> None:
    rows = 300
    store = PostgresStore(postgres_url)
    try:
        filled = pg.fill(store, postgres_url, Population(), rows, progress=lambda _: None)
        with store.read() as db:
            pg_head = chain.head(db)
            stored = list(db.query("SELECT * FROM audit ORDER BY id"))
    finally:
        store.close()

    sqlite = Store(tmp_path / "audit.db")
    with sqlite.unit() as db:
        for request, story in Population().stories(rows):
            if request is not None:
                request_rows.insert(db, request)
            for row in story:
                audit.append(db, row)
    with sqlite.read() as db:
        sqlite_head = chain.head(db)

    assert filled.rows == rows and pg_head == sqlite_head  # the same rows, the same chain, link for link
    assert all(row["hash"] == chain.row_hash(row) for row in stored)


def test_the_engines_land_side_by_side_in_their_own_section(tmp_path: Path) -> None:
    timing = summarize([0.001, 0.002, 0.030])
    by_engine = {}
    for engine in ("sqlite", "postgresql"):
        results = Results(mode="smoke", date="today", cores=2, cpu="test", engine=engine)
        results.queries = [QueryRow("by user", "@U1", 50, timing, "@U1", "")]
        results.appends = timing
        results.exports = [CommandRun(f"audit export --format {f}", 1.0, 50.0, 10, 1.0, 0) for f in ("csv", "jsonl")]
        by_engine[engine] = results
    report = tmp_path / "BENCHMARKS.md"
    report.write_text(f"# Benchmarks\n\n{BEGIN}\nSQLite figures\n{END}\n\nNotes.\n")
    figures = render_engines(by_engine)
    write(report, figures, begin=ENGINES_BEGIN, end=ENGINES_END)
    write(report, figures, begin=ENGINES_BEGIN, end=ENGINES_END)
    text = report.read_text()
    assert text.count(ENGINES_BEGIN) == 1 and "SQLite figures" in text and "Notes." in text
    assert "| | SQLite | PostgreSQL |" in text
    assert "| history p99 < 20 ms: by user | 2.0 / 30.0 (**not met**) | 2.0 / 30.0 (**not met**) |" in text
