"""Row-level access to the append-only `audit` table (triggers refuse UPDATE and DELETE).

Every row is a link of a hash chain (`bot.store.chain`): `append` reads the chain's head and writes the
new row's `prev_hash` and `hash` in the caller's transaction, and a trigger refuses any row that does not
extend the head, so two writers can never fork the chain.

SQLite-specific: `export_lines` renders lines with `json_object`, `printf` and the CSV cell function of
`bot.store.csv_cells`, and `page_ids_sql` relies on SQLite not reordering a CROSS JOIN; a PostgreSQL engine
needs its own forms of these. Everything else here is portable SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.store import chain, csv_cells
from bot.store.dialect import is_postgres
from bot.store.timestamps import to_db

Row = dict[str, Any]

# The audit row's shape, described once: every column a caller writes, in table order, with what it holds.
# All are text or NULL (instants as UTC ISO text, money as exact decimal text); the journal writes them, the
# chain hashes them with `id` and `prev_hash`, the export writes them out, and bot.services.rows reads them.
# docs/audit-schema.md tells auditors the same, with every value each column takes.
COLUMN_MEANINGS: tuple[tuple[str, str], ...] = (
    ("at", "when, UTC ISO-8601 with microseconds (sorts as text)"),
    ("actor_id", "who acted: a Slack user id, or numbers-bot for the bot itself"),
    ("actor_name", "the name Slack showed (empty when unknown)"),
    ("event", "what happened: requested, approved, denied, executed, settled, done, drift ..."),
    ("action", "purchase, release, release_now, assign, unassign ...; for a drift row the kind of difference"),
    ("outcome", "pending, succeeded, failed, outcome_unknown ...; for a drift row what Vobiz shows"),
    ("e164", "the number, E.164"),
    ("sub_account_id", "the Vobiz sub-account involved, if any"),
    ("request_id", "the approval request; NULL for direct operations"),
    ("reason", "the reason the person gave"),
    ("quote_setup_fee", "fees quoted to the approver, exact decimal text"),
    ("quote_monthly_fee", "(the quote, as above)"),
    ("quote_currency", "(the quote, as above)"),
    ("vobiz_error", "Vobiz's error behind a failure (class, status, code; never a token)"),
    ("detail", "one sentence for people"),
    ("cool_off_until", "an unassign that met the 15-day cool-off: when it ends"),
)
COLUMNS = tuple(name for name, _ in COLUMN_MEANINGS)
# Every column in table order, as exports and the chain see them.
ALL_COLUMNS = ("id", *COLUMNS, "prev_hash", "hash")
# Column defaults of the table, filled in here so the hash covers exactly what is stored.
DEFAULTS: dict[str, Any] = {"actor_name": ""}
CHUNK_ROWS = 1000
COOL_OFF = "cool_off"  # the outcome of an unassign that met Vobiz's 15-day cool-off

# The rows that concern a person (`party`: they acted, or it belongs to their request) or an approver (every
# row of a request they approved or denied), from the index table `audit_parties` (migration m010), which
# triggers keep in step with every new row. As an id set, SQLite tests other filters' index entries
# against it; as the driving index of a page (see `page`), it is read newest first and stops after a page.
PARTY_IDS = "id IN (SELECT audit_id FROM audit_parties WHERE role = 'party' AND user_id = ?)"
APPROVER_IDS = "id IN (SELECT audit_id FROM audit_parties WHERE role = 'approver' AND user_id = ?)"


def append(db: Database, row: Mapping[str, Any]) -> int:
    """Write one audit row, chained after the current head, and return its id.

    Must run inside the unit's transaction (`Store.unit()`, BEGIN IMMEDIATE): reading the head and
    appending after it are then one step no other writer can come between.
    """
    unknown = set(row) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not audit columns: {sorted(unknown)}")
    if not db.conn.in_transaction:
        raise RuntimeError("audit.append must run inside Store.unit(): the chain head must not move under it")
    link = chain.head(db)
    full: Row = {"id": link.id + 1, **{c: row.get(c, DEFAULTS.get(c)) for c in COLUMNS}, "prev_hash": link.hash}
    full["hash"] = chain.row_hash(full)  # also refuses non-text values, which SQLite would silently convert
    columns = list(full)
    db.execute(
        f"INSERT INTO audit ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [full[c] for c in columns],
    )
    return int(full["id"])


def by_id(db: Database, audit_id: int) -> Row | None:
    rows = _select(db, "id = ?", [audit_id], order="id", limit=1)
    return rows[0] if rows else None


def latest_cool_off(db: Database, e164: str, now: datetime) -> Row | None:
    """The newest row saying `e164` met Vobiz's cool-off (outcome `cool_off`) that ends after `now`."""
    rows = _select(
        db, "e164 = ? AND outcome = ? AND cool_off_until > ?", [e164, COOL_OFF, to_db(now)], order="id DESC", limit=1
    )
    return rows[0] if rows else None


def latest_event(db: Database, request_id: str, event: str) -> Row | None:
    """The newest row of `event` about the request `request_id`."""
    rows = _select(db, "request_id = ? AND event = ?", [request_id, event], order="id DESC", limit=1)
    return rows[0] if rows else None


# ------------------------------------------------------------------------------------ filtered reads


@dataclass(frozen=True)
class Criteria:
    """A filter in the store's terms (ids and stored text). Empty fields do not filter.

    `party_id` and `visible_to` both mean "rows where this user is the actor, or the requester of the
    row's request"; one is what was asked for, the other what the asker may see.
    """

    e164: str | None = None
    party_id: str | None = None
    approver_id: str | None = None
    actions: tuple[str, ...] = ()
    outcome: str | None = None
    since: str | None = None  # stored instant text, inclusive
    until: str | None = None  # stored instant text, exclusive
    request_id: str | None = None
    visible_to: str | None = None


def page(db: Database, criteria: Criteria, *, before_id: int | None, limit: int) -> list[Row]:
    """Newest first, rows with id < before_id (keyset paging: stable while rows are appended)."""
    ids, params = page_ids_sql(criteria, before_id=before_id, limit=limit, postgres=is_postgres(db))
    return _select(db, f"id IN ({ids})", params, order="id DESC", limit=None)


def page_ids_sql(
    criteria: Criteria, *, before_id: int | None, limit: int, postgres: bool = False
) -> tuple[str, list[Any]]:
    """The SQL for a page's ids, newest first.

    A number or a request matches few rows: SQLite picks the index. Otherwise a person's or an approver's
    filter walks its `audit_parties` entries newest first, checks the other filters on each row and stops
    after `limit` matches: no sort, whatever the number of matches (an approver's are ~74,000 rows at a
    million). Without either, the filters' own indexes serve (ids first, then rows: when an index does not
    give id order, SQLite sorts only ids).
    """
    walked = None if criteria.e164 is not None or criteria.request_id is not None else _walked_entries(criteria)
    if walked is None:
        where, params = where_clause(criteria)
        if before_id is not None:
            where += " AND id < ?"
            params.append(int(before_id))
        if postgres and (criteria.since is not None or criteria.until is not None) and criteria.actions:
            # PostgreSQL would walk the id index backwards past every newer row (it assumes matches are spread
            # evenly over ids; they cluster, as `at` grows with `id`). A time window with actions is served by
            # the (action, at) index instead: the window's few thousand ids of those actions are read and the
            # newest taken (OFFSET 0 keeps the planner from turning it back into the walk).
            matching = f"SELECT id FROM audit WHERE {where} OFFSET 0"
            return f"SELECT id FROM ({matching}) AS m ORDER BY id DESC LIMIT {int(limit)}", params
        return f"SELECT id FROM audit WHERE {where} ORDER BY id DESC LIMIT {int(limit)}", params
    role, user_id, rest = walked
    where, params = where_clause(rest)
    params = [role, user_id, *params]
    if before_id is not None:
        where += " AND p.audit_id < ?"
        params.append(int(before_id))
    # CROSS JOIN keeps audit_parties the outer loop (SQLite does not reorder it): its primary key gives id order.
    sql = (
        "SELECT p.audit_id FROM audit_parties p CROSS JOIN audit "
        f"WHERE audit.id = p.audit_id AND p.role = ? AND p.user_id = ? AND {where} ORDER BY p.audit_id DESC LIMIT {int(limit)}"
    )
    return sql, params


def _walked_entries(criteria: Criteria) -> tuple[str, str, Criteria] | None:
    """The audit_parties entries to walk for this filter (role, user id) and the filter left to check on
    each row; None if it names no person. A person's entries (a few thousand) before an approver's."""
    if criteria.party_id is not None or criteria.visible_to is not None:
        user_id = criteria.party_id if criteria.party_id is not None else criteria.visible_to
        assert user_id is not None
        rest = replace(
            criteria,
            party_id=None if criteria.party_id == user_id else criteria.party_id,
            visible_to=None if criteria.visible_to == user_id else criteria.visible_to,
        )
        return "party", user_id, rest
    if criteria.approver_id is not None:
        return "approver", criteria.approver_id, replace(criteria, approver_id=None)
    return None


def iter_matching(db: Database, criteria: Criteria, *, newest_first: bool = False, chunk: int = CHUNK_ROWS) -> Iterator[Row]:
    """Every matching row, streamed from one cursor a chunk at a time (never the whole result in memory)."""
    where, params = where_clause(criteria)
    cursor = db.execute(f"SELECT * FROM audit WHERE {where} ORDER BY id {'DESC' if newest_first else 'ASC'}", params)
    names = [c[0] for c in cursor.description]
    while batch := cursor.fetchmany(chunk):
        for values in batch:
            yield dict(zip(names, values))


def export_lines(db: Database, criteria: Criteria, fmt: str, *, chunk: int = CHUNK_ROWS) -> Iterator[str]:
    """The matching rows, oldest first, each already one line of `fmt` ("csv" or "jsonl", no line end).

    SQLite renders the lines (json_object for JSON Lines; for CSV the rule of `bot.store.csv_cells`, which
    the tests check byte for byte, calling back into Python only for the rare cell SQL cannot decide), so
    Python handles one string per row instead of one object per value: memory stays flat (a chunk of lines
    at a time) and a million rows export in seconds.
    """
    where, params = where_clause(criteria)
    if fmt not in _LINE_SQL:
        raise ValueError(f"no export format {fmt!r}")
    if is_postgres(db):
        yield from _lines_in_python(db, where, params, fmt, chunk)
        return
    if fmt == "csv":
        csv_cells.register(db.conn)
    cursor = db.execute(f"SELECT {_LINE_SQL[fmt]} FROM audit WHERE {where} ORDER BY id", params)
    while batch := cursor.fetchmany(chunk):
        for (line,) in batch:
            yield line


def _lines_in_python(db: Database, where: str, params: list[Any], fmt: str, chunk: int) -> Iterator[str]:
    """PostgreSQL: the same lines as SQLite renders, rendered here from streamed rows (the CSV rule of
    `bot.store.csv_cells`; JSON as SQLite's json_object writes it: compact, keys in column order)."""
    cursor = db.execute(f"SELECT {', '.join(ALL_COLUMNS)} FROM audit WHERE {where} ORDER BY id", params)
    while batch := cursor.fetchmany(chunk):
        for values in batch:
            if fmt == "jsonl":
                yield json.dumps(dict(zip(ALL_COLUMNS, values)), ensure_ascii=False, separators=(",", ":"))
            else:
                yield ",".join(_python_cell(column, value) for column, value in zip(ALL_COLUMNS, values))


def _python_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    return str(value) if column in _FIXED_FORMAT else csv_cells.cell(value)


# Columns the bot itself formats (an integer, an ISO instant, hex digests): never quoted, never a formula.
_FIXED_FORMAT = frozenset({"id", "at", "prev_hash", "hash"})


def _csv_cell(column: str) -> str:
    """SQL for one CSV cell (the rule and its fast paths: `bot.store.csv_cells`)."""
    return f"coalesce({column}, '')" if column in _FIXED_FORMAT else csv_cells.cell_sql(column)


# printf builds the line in one buffer: a chain of || copies the growing line once per column.
_LINE_SQL = {
    "jsonl": "json_object(" + ", ".join(f"'{c}', {c}" for c in ALL_COLUMNS) + ")",
    "csv": "printf('" + ",".join("%s" for _ in ALL_COLUMNS) + "', " + ", ".join(_csv_cell(c) for c in ALL_COLUMNS) + ")",
}
CSV_HEADER = ",".join(ALL_COLUMNS)


def where_clause(criteria: Criteria) -> tuple[str, list[Any]]:
    """SQL text made only of fixed fragments; every value travels as a parameter."""
    clauses: list[str] = []
    params: list[Any] = []
    if criteria.e164 is not None:
        clauses.append("e164 = ?")
        params.append(criteria.e164)
    for user_id in (criteria.party_id, criteria.visible_to):
        if user_id is not None:
            clauses.append(PARTY_IDS)
            params.append(user_id)
    if criteria.approver_id is not None:
        clauses.append(APPROVER_IDS)
        params.append(criteria.approver_id)
    if criteria.actions:
        clauses.append(f"action IN ({', '.join('?' for _ in criteria.actions)})")
        params += list(criteria.actions)
    if criteria.outcome is not None:
        clauses.append("outcome = ?")
        params.append(criteria.outcome)
    if criteria.since is not None:
        clauses.append("at >= ?")
        params.append(criteria.since)
    if criteria.until is not None:
        clauses.append("at < ?")
        params.append(criteria.until)
    if criteria.request_id is not None:
        clauses.append("request_id = ?")
        params.append(criteria.request_id)
    return (" AND ".join(clauses) or "1 = 1"), params


def _select(db: Database, where: str, params: list[Any], *, order: str, limit: int | None) -> list[Row]:
    sql = f"SELECT * FROM audit WHERE {where} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def purchases_paid(db: Database, since: datetime, until: datetime) -> list[Row]:
    """The purchases that succeeded with `since <= at < until` (the bot paid their setup fee then), one row
    per number of a request (its first success row), with the quote the approver approved. A bulk purchase's
    own rows name no number (its numbers have their rows), so they are not purchases here."""
    rows = db.query(
        "SELECT id, request_id, e164, quote_setup_fee, quote_currency FROM audit "
        "WHERE action = 'purchase' AND outcome = 'succeeded' AND e164 IS NOT NULL AND at >= ? AND at < ? ORDER BY id",
        [to_db(since), to_db(until)],
    )
    seen: set[tuple[str, str]] = set()
    paid: list[Row] = []
    for row in rows:
        key = (row["request_id"] or f"audit:{row['id']}", row["e164"])
        if key not in seen:
            seen.add(key)
            paid.append(row)
    return paid
