"""The PostgreSQL engine: a connection pool, units of work, and the schema, behind the same store interface as
the SQLite file (`unit()`, `read()`, `writable()`), so the store's named operations run on either.

The store's SQL is written once with `?` placeholders; `PgDatabase` hands it to psycopg with `%s`. Stored
values are the same text as in SQLite (instants as UTC ISO text, money as decimal text), in columns that
compare byte by byte (`COLLATE "C"`), so ordering, filters and every audit row's hash mean the same on both.

Writers take one transaction-level advisory lock, as SQLite's `BEGIN IMMEDIATE` takes its write lock: the
audit chain's head read and the append after it are one step, whichever process or machine writes. When the
server cannot be reached, every operation raises `StoreUnavailable`; the pool reconnects by itself once the
server is back.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

from bot.store import chain
from bot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

WRITE_LOCK = 0x6E756D62  # "numb": the one advisory lock every write unit takes
CONNECT_TIMEOUT_S = 5.0
POOL_TIMEOUT_S = 5.0
DEFAULT_POOL_SIZE = 16  # Settings.database_pool_size's default (DATABASE_POOL_SIZE)


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and urlsplit(str(url)).scheme in ("postgres", "postgresql")


def redacted(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?|%")


def to_psycopg(sql: str) -> str:
    """`?` placeholders to `%s` (and a literal `%` doubled), leaving quoted strings alone."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return token.replace("%", "%%")

    return _PLACEHOLDER.sub(swap, sql)


class _Conn:
    """What the store's code asks of `db.conn`."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    @property
    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(to_psycopg(sql), rows)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self._conn.execute(to_psycopg(sql), list(params))

    def rollback(self) -> None:
        self._conn.rollback()


class PgDatabase:
    """One unit of work's connection, with the part of sqlite-utils' `Database` the store uses. With
    `stream`, SELECTs run through server-side cursors, so reading a million rows a chunk at a time
    (`fetchmany`) holds one chunk in memory, as SQLite's cursors do."""

    engine = "postgresql"

    def __init__(self, conn: psycopg.Connection[Any], *, stream: bool = False) -> None:
        self._conn = conn
        self._stream = stream
        self._cursors = 0
        self.conn = _Conn(conn)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any] | psycopg.ServerCursor[Any]:
        if self._stream and sql.lstrip()[:6].upper() == "SELECT":
            self._cursors += 1
            cursor = self._conn.cursor(name=f"numbers_bot_read_{self._cursors}")
            cursor.execute(to_psycopg(sql), list(params))
            return cursor
        return self._conn.execute(to_psycopg(sql), list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        cursor = self.execute(sql, params)
        names = [column.name for column in cursor.description or ()]
        for values in cursor:
            yield dict(zip(names, values))

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A savepoint: what the block did is undone alone if it raises."""
        with self._conn.transaction():
            yield

    def rollback(self) -> None:
        self._conn.rollback()


class _SteadyAttempt(AttemptWithBackoff):
    """Reconnect about once a second while the server is away, not 1, 2, 4, 8 ... seconds apart: with the
    library's doubling, a server back after a minute's outage stayed unused for up to another minute, and
    every command in that time answered "cannot be reached"."""

    DELAY_BACKOFF = 1.0


class _SteadyPool(ConnectionPool):
    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        super()._add_connection(attempt or _SteadyAttempt(timeout=self.reconnect_timeout), growing)


class PostgresStore:
    """The bot's state in a PostgreSQL database. Opening it applies pending migrations."""

    engine = "postgresql"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = DEFAULT_POOL_SIZE) -> None:
        self.url = url
        self.where = redacted(url)
        self._reported = False
        self._report_guard = threading.Lock()
        self._pool = _SteadyPool(
            _conninfo(url),
            min_size=min_size,
            max_size=max_size,
            timeout=POOL_TIMEOUT_S,
            check=ConnectionPool.check_connection,
            kwargs={"connect_timeout": int(CONNECT_TIMEOUT_S)},
            open=False,
            name="numbers-bot",
        )
        self._pool.open(wait=False)
        with self.unit() as db:
            migrate(db)

    def __repr__(self) -> str:
        return f"PostgresStore({self.where!r})"

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def unit(self) -> Iterator[PgDatabase]:
        """One write transaction, committed when the block ends, rolled back if it raises; writers queue on
        one advisory lock, so the audit chain stays one chain."""
        with self._connection() as conn:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
                yield PgDatabase(conn)

    @contextmanager
    def read(self) -> Iterator[PgDatabase]:
        """A connection for reads (each statement sees the latest committed state)."""
        with self._connection() as conn:
            yield PgDatabase(conn)
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.rollback()

    @contextmanager
    def snapshot(self) -> Iterator[PgDatabase]:
        """Reads that must all see one moment (the audit rows and checkpoints a verify compares, an export):
        one read-only repeatable-read transaction, streamed."""
        with self._connection() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try:
                yield PgDatabase(conn, stream=True)
            finally:
                conn.rollback()

    def writable(self) -> bool:
        """True when the server answers and takes a write transaction (for `/healthz`); never raises."""
        try:
            with self.unit() as db:
                db.execute("SELECT 1")
            return True
        except StoreUnavailable:
            return False

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            self._unavailable(exc)
        else:
            self._reachable()

    def _unavailable(self, exc: BaseException) -> None:
        with self._report_guard:
            first, self._reported = not self._reported, True
        if first:
            log.error("database %s cannot be reached: %s", self.where, type(exc).__name__)
        raise StoreUnavailable(self.where, "cannot be reached") from None

    def _reachable(self) -> None:
        if self._reported:
            with self._report_guard:
                if self._reported:
                    self._reported = False
                    log.warning("database %s is reachable again", self.where)


def _conninfo(url: str) -> str:
    """Heroku's `postgres://` is what libpq calls `postgresql://`."""
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://") :]
    return url


# ------------------------------------------------------------------------------------------ the schema

_TEXT = 'TEXT COLLATE "C"'
# Columns only the PostgreSQL schema has (what SQLite gives every table itself): not part of a row's content.
ENGINE_COLUMNS: dict[str, frozenset[str]] = {"requests": frozenset({"seq"})}

_REQUEST_COLUMNS = """
    id {t} PRIMARY KEY, kind {t} NOT NULL, e164 {t} NOT NULL, status {t} NOT NULL,
    requester_id {t} NOT NULL, requester_name {t} NOT NULL DEFAULT '', reason {t} NOT NULL,
    created_at {t} NOT NULL, expires_at {t} NOT NULL,
    quote_setup_fee {t}, quote_monthly_fee {t}, quote_currency {t}, sub_account_id {t}, cool_off_until {t},
    decided_by_id {t}, decided_by_name {t}, decided_at {t}, decision_reason {t}, outcome_detail {t},
    vobiz_error {t}, new_quote_setup_fee {t}, new_quote_monthly_fee {t}, new_quote_currency {t},
    release_fee {t}, release_currency {t}, cooldown_ends_at {t}, undo_state {t}, undone_at {t},
    undone_by_id {t}, undone_by_name {t}, refund_amount {t}, refund_currency {t}, refund_status {t},
    refund_error {t}, approval_channel {t}, approval_ts {t}, finished_at {t}, updated_at {t} NOT NULL,
    undo_claimed_at {t}, undo_claimed_by_id {t}, undo_claimed_by_name {t},
    lease_owner {t}, lease_until {t}, called_at {t},
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
"""

_AUDIT_COLUMNS = """
    id BIGINT PRIMARY KEY, at {t} NOT NULL, actor_id {t} NOT NULL, actor_name {t} NOT NULL DEFAULT '',
    event {t} NOT NULL, action {t} NOT NULL, outcome {t} NOT NULL, e164 {t}, sub_account_id {t},
    request_id {t} REFERENCES requests(id), reason {t}, quote_setup_fee {t}, quote_monthly_fee {t},
    quote_currency {t}, vobiz_error {t}, detail {t}, cool_off_until {t},
    prev_hash {t} NOT NULL CHECK (length(prev_hash) = 64), hash {t} NOT NULL CHECK (length(hash) = 64)
"""


def _schema() -> list[str]:
    t = _TEXT
    decision = "event IN ('approved', 'denied')"
    return [
        f"CREATE TABLE requests ({_REQUEST_COLUMNS.format(t=t)})",
        "CREATE INDEX requests_status ON requests (status)",
        "CREATE INDEX requests_requester ON requests (requester_id)",
        "CREATE INDEX requests_e164 ON requests (e164)",
        f"CREATE TABLE audit ({_AUDIT_COLUMNS.format(t=t)})",
        *(f"CREATE INDEX audit_{c} ON audit ({c}, id)" for c in ("e164", "actor_id", "request_id", "at")),
        "CREATE INDEX audit_action_at ON audit (action, at, id)",
        "CREATE INDEX audit_outcome ON audit (outcome, id)",
        f"CREATE INDEX audit_decisions ON audit (actor_id, request_id) WHERE {decision}",
        """CREATE FUNCTION numbers_bot_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '% is append-only', TG_ARGV[0]; END $$""",
        "CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION numbers_bot_append_only('the audit log')",
        "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION numbers_bot_append_only('the audit log')",
        f"""CREATE FUNCTION numbers_bot_extends_chain() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE head_id BIGINT; head_hash TEXT;
            BEGIN
                SELECT id, hash INTO head_id, head_hash FROM audit ORDER BY id DESC LIMIT 1;
                IF NEW.id IS DISTINCT FROM coalesce(head_id, 0) + 1
                   OR NEW.prev_hash IS DISTINCT FROM coalesce(head_hash, '{chain.GENESIS}') THEN
                    RAISE EXCEPTION 'an audit row must extend the hash chain (write it with bot.store.audit.append)';
                END IF;
                RETURN NEW;
            END $$""",
        "CREATE TRIGGER audit_extends_chain BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION numbers_bot_extends_chain()",
        f"""CREATE TABLE audit_parties (
            role {t} NOT NULL CHECK (role IN ('party', 'approver')), user_id {t} NOT NULL,
            audit_id BIGINT NOT NULL, PRIMARY KEY (role, user_id, audit_id))""",
        f"""CREATE FUNCTION numbers_bot_audit_parties() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO audit_parties VALUES ('party', NEW.actor_id, NEW.id) ON CONFLICT DO NOTHING;
                IF NEW.request_id IS NOT NULL THEN
                    INSERT INTO audit_parties SELECT 'party', requester_id, NEW.id FROM requests
                        WHERE id = NEW.request_id ON CONFLICT DO NOTHING;
                    INSERT INTO audit_parties SELECT 'approver', actor_id, NEW.id FROM audit
                        WHERE request_id = NEW.request_id AND {decision} ON CONFLICT DO NOTHING;
                    IF NEW.{decision} THEN
                        INSERT INTO audit_parties SELECT 'approver', NEW.actor_id, id FROM audit
                            WHERE request_id = NEW.request_id ON CONFLICT DO NOTHING;
                    END IF;
                END IF;
                RETURN NULL;
            END $$""",
        "CREATE TRIGGER audit_parties_rows AFTER INSERT ON audit FOR EACH ROW EXECUTE FUNCTION numbers_bot_audit_parties()",
        f"""CREATE TABLE outbox (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            kind {t} NOT NULL CHECK (kind IN ('history', 'approval_message', 'requester_notice', 'checkpoint', 'drift')),
            ref {t} NOT NULL, created_at {t} NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at {t} NOT NULL, done_at {t}, last_error {t})""",
        "CREATE INDEX outbox_due ON outbox (done_at, next_attempt_at)",
        f"""CREATE TABLE checkpoints (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at {t} NOT NULL, head_id BIGINT NOT NULL,
            head_hash {t} NOT NULL CHECK (length(head_hash) = 64), row_count BIGINT NOT NULL)""",
        "CREATE TRIGGER checkpoints_no_update BEFORE UPDATE OR DELETE ON checkpoints "
        "FOR EACH ROW EXECUTE FUNCTION numbers_bot_append_only('checkpoints')",
        "CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints "
        "FOR EACH STATEMENT EXECUTE FUNCTION numbers_bot_append_only('checkpoints')",
        f"""CREATE TABLE rate_limit_takes (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, actor_id {t} NOT NULL, at {t} NOT NULL)""",
        "CREATE INDEX rate_limit_takes_actor ON rate_limit_takes (actor_id, at)",
        "CREATE INDEX rate_limit_takes_at ON rate_limit_takes (at)",
        f"""CREATE TABLE rate_limit_bursts (
            actor_id {t} PRIMARY KEY, started_at {t} NOT NULL, last_refused_at {t} NOT NULL)""",
        "CREATE INDEX rate_limit_bursts_last ON rate_limit_bursts (last_refused_at)",
    ]


def _add_outbox_kind(kind: str) -> str:
    """A statement that adds `kind` to the kinds the outbox's CHECK allows, keeping every kind it allows
    then (whichever migrations added them), as SQLite's m016 does."""
    return (
        "DO $$ DECLARE check_name TEXT; kinds TEXT[]; BEGIN "
        "SELECT conname INTO check_name FROM pg_constraint WHERE conrelid = 'outbox'::regclass AND contype = 'c' "
        "AND pg_get_constraintdef(oid) LIKE '%kind%'; "
        "SELECT array_agg(m[1]) INTO kinds FROM regexp_matches((SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'outbox'::regclass AND conname = check_name), '''([a-z_]+)''', 'g') AS m; "
        f"IF NOT ('{kind}' = ANY(kinds)) THEN kinds := array_append(kinds, '{kind}'); END IF; "
        "EXECUTE format('ALTER TABLE outbox DROP CONSTRAINT %I', check_name); "
        "EXECUTE format('ALTER TABLE outbox ADD CONSTRAINT %I CHECK (kind IN (%s))', check_name, "
        "(SELECT string_agg(quote_literal(k), ', ') FROM unnest(kinds) AS k)); "
        "END $$"
    )


# Each entry runs once per database, in order; never edit one that has been applied: add a new one. The
# first is the whole schema as the SQLite migrations m001-m012 leave it.
PG_MIGRATIONS: tuple[tuple[str, list[str]], ...] = (
    ("p001_schema", _schema()),
    # m013_outbox_claims: which process delivers an outbox item, until when, and who last began posting it
    (
        "p002_outbox_claims",
        [f"ALTER TABLE outbox ADD COLUMN {column} {_TEXT}" for column in ("claimed_by", "claim_until", "attempted_by")],
    ),
    # m014_job_leases: which process runs each periodic job, until when, and when it last ran
    ("p003_job_leases", [f"CREATE TABLE job_leases (job {_TEXT} PRIMARY KEY, owner {_TEXT}, until {_TEXT}, last_run_at {_TEXT})"]),
    # m015_decisions: quorum (approvals per request), allowances (a count per person and month), the freeze
    # switch (at most one row), and the outbox kind `approvals_notice`
    (
        "p004_decisions",
        [
            "ALTER TABLE requests ADD COLUMN approvals_required INTEGER NOT NULL DEFAULT 1",
            f"""CREATE TABLE request_approvals (
                request_id {_TEXT} NOT NULL REFERENCES requests(id), approver_id {_TEXT} NOT NULL,
                approver_name {_TEXT} NOT NULL DEFAULT '', at {_TEXT} NOT NULL, PRIMARY KEY (request_id, approver_id))""",
            f"""CREATE TABLE allowance_counts (
                requester_id {_TEXT} NOT NULL, month {_TEXT} NOT NULL, used INTEGER NOT NULL,
                PRIMARY KEY (requester_id, month))""",
            f"""CREATE TABLE freeze_state (
                id INTEGER PRIMARY KEY CHECK (id = 1), frozen_by_id {_TEXT} NOT NULL,
                frozen_by_name {_TEXT} NOT NULL DEFAULT '', reason {_TEXT} NOT NULL, since {_TEXT} NOT NULL)""",
            "ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check",
            "ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN "
            "('history', 'approval_message', 'requester_notice', 'checkpoint', 'drift', 'approvals_notice'))",
        ],
    ),
    # m016_reminders_and_away: reminders and escalations decided (once each), away periods, and the outbox
    # kind `approval_nudge`, added to whatever kinds the CHECK allows by then
    (
        "p005_reminders_and_away",
        [
            f"""CREATE TABLE request_nudges (
                request_id {_TEXT} NOT NULL REFERENCES requests(id), nudge {_TEXT} NOT NULL, at {_TEXT} NOT NULL,
                mentions {_TEXT} NOT NULL DEFAULT '', PRIMARY KEY (request_id, nudge))""",
            f"""CREATE TABLE approvers_away (
                user_id {_TEXT} PRIMARY KEY, user_name {_TEXT} NOT NULL DEFAULT '', until_date {_TEXT} NOT NULL,
                ends_at {_TEXT} NOT NULL, since {_TEXT} NOT NULL)""",
            "CREATE INDEX approvers_away_ends ON approvers_away (ends_at)",
            _add_outbox_kind("approval_nudge"),
        ],
    ),
    # m017_labels_and_locks: each number's team and purpose, its lock, and the team a purchase request asked for
    (
        "p006_labels_and_locks",
        [
            f"""CREATE TABLE number_labels (e164 {_TEXT} PRIMARY KEY, team {_TEXT} NOT NULL, purpose {_TEXT},
                labelled_by_id {_TEXT} NOT NULL, labelled_by_name {_TEXT} NOT NULL DEFAULT '',
                labelled_at {_TEXT} NOT NULL, request_id {_TEXT})""",
            "CREATE INDEX number_labels_team ON number_labels (team)",
            f"""CREATE TABLE number_locks (e164 {_TEXT} PRIMARY KEY, reason {_TEXT} NOT NULL,
                locked_by_id {_TEXT} NOT NULL, locked_by_name {_TEXT} NOT NULL DEFAULT '', locked_at {_TEXT} NOT NULL)""",
            f"""CREATE TABLE requested_labels (request_id {_TEXT} PRIMARY KEY REFERENCES requests(id),
                team {_TEXT} NOT NULL, purpose {_TEXT})""",
        ],
    ),
    # m018_quote_terms_and_request_items: the terms quoted beside the fees; the numbers of a bulk purchase
    (
        "p007_quote_terms_and_request_items",
        [
            f"ALTER TABLE requests ADD COLUMN quote_commitment_months {_TEXT}",
            f"ALTER TABLE requests ADD COLUMN quote_aadhaar_required {_TEXT}",
            f"""CREATE TABLE request_items (
                request_id {_TEXT} NOT NULL REFERENCES requests(id), position INTEGER NOT NULL, e164 {_TEXT} NOT NULL,
                setup_fee {_TEXT} NOT NULL, monthly_fee {_TEXT} NOT NULL, currency {_TEXT} NOT NULL,
                commitment_months {_TEXT}, aadhaar_required {_TEXT}, status {_TEXT} NOT NULL, detail {_TEXT},
                called_at {_TEXT}, finished_at {_TEXT}, PRIMARY KEY (request_id, position))""",
            "CREATE INDEX request_items_e164 ON request_items (e164, status)",
        ],
    ),
)


def migrate(db: PgDatabase) -> list[str]:
    """Apply the pending migrations (inside the caller's unit, which holds the write lock); returns their names."""
    db.execute(f"CREATE TABLE IF NOT EXISTS numbers_bot_migrations (name {_TEXT} PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
    done = {row["name"] for row in db.query("SELECT name FROM numbers_bot_migrations")}
    applied = []
    for name, statements in PG_MIGRATIONS:
        if name in done:
            continue
        for statement in statements:
            db._conn.execute(statement)
        db.execute("INSERT INTO numbers_bot_migrations (name) VALUES (?)", [name])
        applied.append(name)
    return applied
