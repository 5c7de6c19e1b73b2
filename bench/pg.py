"""PostgreSQL for the bench: a throwaway server (the tests' launcher, `tests/postgres_server.py`) with
production-like durability, and a fast fill of the audit log with the same rows and hashes the SQLite
fill writes through `audit.append`.

The tests' server turns fsync and full_page_writes off (a test server is thrown away); the bench turns them
back on, so a commit costs what it costs on a real server (SQLite's figures include its fsync too), and
gives the server PostgreSQL's default 128 MB of shared buffers instead of the tests' 32 MB. It also loads
`auto_explain`, which logs the plan (EXPLAIN ANALYZE, BUFFERS) of any statement slower than a threshold
while `explain_slow()` is on: that is how the report says where a slow history query's time goes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from bench.population import Population
from bot.store import audit, chain
from bot.store.postgres import PostgresStore
from tests.postgres_server import PostgresServer

PG_FILL_BATCH = 50_000  # audit rows per transaction (one COPY of requests, one of audit rows)
SLOW_PLAN_MS = 15  # auto_explain logs plans of statements at least this slow (while explain_slow is on)


class BenchPostgresServer(PostgresServer):
    """The tests' server with durable commits and the default shared buffers (see the module docstring)."""

    def _write_settings(self) -> None:
        super()._write_settings()
        path = self.data / "numbers_bot_test.conf"
        settings = {
            "fsync": "on",
            "full_page_writes": "on",
            "synchronous_commit": "on",
            "shared_buffers": "128MB",
            "shared_preload_libraries": "'auto_explain'",
            "auto_explain.log_min_duration": "-1",
            "auto_explain.log_analyze": "on",
            "auto_explain.log_buffers": "on",
            "auto_explain.log_timing": "on",
            "auto_explain.log_level": "warning",
            "max_wal_size": "2GB",
        }
        with path.open("a") as f:
            f.write("".join(f"{key} = {value}\n" for key, value in settings.items()))

    def settings(self, url: str) -> dict[str, str]:
        names = ("fsync", "synchronous_commit", "shared_buffers", "server_version", "full_page_writes")
        with psycopg.connect(url, autocommit=True) as conn:
            return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}  # type: ignore[index]

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        try:
            with self.log.open("rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


@contextmanager
def throwaway_server() -> Iterator[BenchPostgresServer]:
    server = BenchPostgresServer.start_new()
    try:
        yield server
    finally:
        server.destroy()


@contextmanager
def explain_slow(server: BenchPostgresServer, url: str, ms: int = SLOW_PLAN_MS) -> Iterator[Callable[[], str]]:
    """Inside the block auto_explain logs statements slower than `ms`; the yielded function returns what
    the server logged since the block began."""
    start = server.log_size()
    _set(url, f"ALTER SYSTEM SET auto_explain.log_min_duration = '{int(ms)}ms'")
    try:
        yield lambda: server.log_since(start)
    finally:
        _set(url, "ALTER SYSTEM RESET auto_explain.log_min_duration")


def _set(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.2)  # backends take the new setting at their next command


@dataclass(frozen=True)
class PgFill:
    rows: int
    requests: int
    seconds: float  # the COPYs and commits, the row hashes included
    hash_seconds: float
    analyze_seconds: float  # VACUUM ANALYZE after the fill (what autovacuum would do on a live server)


def fill(store: PostgresStore, url: str, population: Population, rows: int, progress: Callable[[str], None] = print) -> PgFill:
    """The rows `Population.stories` makes (the SQLite fill's rows), each hashed exactly as `audit.append`
    hashes it (id, every column with the table's defaults, prev_hash) and COPYed in id order, the requests
    of a batch before its audit rows, one transaction per batch. The table's triggers run on every row: the
    chain trigger checks each id and prev_hash against the head, and audit_parties is filled as the bot's
    appends fill it."""
    request_columns: list[str] | None = None
    with store.read() as db:
        head = chain.head(db)
    next_id, prev_hash = head.id + 1, head.hash
    made = requests = 0
    hash_seconds = 0.0
    stories = population.stories(rows)
    started = time.monotonic()
    next_report = rows // 10
    with psycopg.connect(url) as conn:
        while made < rows:
            batch_requests: list[tuple[object, ...]] = []
            batch_audit: list[tuple[object, ...]] = []
            for request, story in stories:
                if request is not None:
                    if request_columns is None:
                        request_columns = list(request)
                    batch_requests.append(tuple(request[c] for c in request_columns))
                for row in story:
                    full = {"id": next_id, **{c: row.get(c, audit.DEFAULTS.get(c)) for c in audit.COLUMNS}, "prev_hash": prev_hash}
                    t0 = time.perf_counter()
                    full["hash"] = chain.row_hash(full)
                    hash_seconds += time.perf_counter() - t0
                    batch_audit.append(tuple(full[c] for c in audit.ALL_COLUMNS))
                    next_id, prev_hash = next_id + 1, full["hash"]
                if len(batch_audit) >= PG_FILL_BATCH:
                    break
            if not batch_audit:
                break
            with conn.transaction(), conn.cursor() as cur:
                if batch_requests:
                    assert request_columns is not None
                    with cur.copy(f"COPY requests ({', '.join(request_columns)}) FROM STDIN") as copy:
                        for values in batch_requests:
                            copy.write_row(values)
                with cur.copy(f"COPY audit ({', '.join(audit.ALL_COLUMNS)}) FROM STDIN") as copy:
                    for values in batch_audit:
                        copy.write_row(values)
            # Statistics after every batch: the triggers' lookups (chain head, audit_parties) are planned from
            # them, and planned while the tables looked empty each batch took longer than the last (25,000
            # rows: 6.5, 12, 17, 26 s; with ANALYZE between batches 2.4-2.9 s each).
            conn.execute("ANALYZE audit")
            conn.execute("ANALYZE requests")
            conn.execute("ANALYZE audit_parties")
            conn.commit()
            made += len(batch_audit)
            requests += len(batch_requests)
            if made >= next_report:
                progress(f"  {made:>9,} audit rows  ({made / (time.monotonic() - started):,.0f} rows/s)")
                next_report += min(rows // 10, PG_FILL_BATCH)
    seconds = time.monotonic() - started
    t0 = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return PgFill(made, requests, seconds, hash_seconds, time.monotonic() - t0)


def child_environment(url: str) -> dict[str, str]:
    """This process's environment with DATABASE_URL, for a `numbers-bot audit ...` subprocess."""
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBERS_BOT_DB",)}
    env["DATABASE_URL"] = url
    return env


def data_size_mb(url: str) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        return float(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]) / 1e6  # type: ignore[index]
