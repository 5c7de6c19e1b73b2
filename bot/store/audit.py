"""Row-level access to the append-only `audit` table (triggers refuse UPDATE and DELETE).

Every row is a link of a hash chain (`bot.store.chain`): `append` reads the chain's head and writes the
new row's `prev_hash` and `hash` in the caller's transaction, and a trigger refuses any row that does not
extend the head, so two writers can never fork the chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from bot.store import chain

Row = dict[str, Any]

COLUMNS = (
    "at",
    "actor_id",
    "actor_name",
    "event",
    "action",
    "outcome",
    "e164",
    "sub_account_id",
    "request_id",
    "reason",
    "quote_setup_fee",
    "quote_monthly_fee",
    "quote_currency",
    "vobiz_error",
    "detail",
    "cool_off_until",
)
# Every column in table order, as exports and the chain see them.
ALL_COLUMNS = ("id", *COLUMNS, "prev_hash", "hash")
# Column defaults of the table, filled in here so the hash covers exactly what is stored.
DEFAULTS: dict[str, Any] = {"actor_name": ""}
CHUNK_ROWS = 1000

# Who decided a request: the actor of its `approved` / `denied` event. The condition is written exactly as
# the partial index `audit_decisions` is, so SQLite uses it.
DECISION_EVENTS = "event IN ('approved', 'denied')"
# The rows a person acted in or that belong to their requests. As a set of ids (rather than an OR on each
# row) SQLite builds it once from two indexes and tests other filters' index entries against it: 50 ms
# instead of 280 ms for a restricted viewer's `action:force` over a million rows.
PARTY_IDS = (
    "id IN (SELECT id FROM audit WHERE actor_id = ? "
    "UNION ALL SELECT id FROM audit WHERE request_id IN (SELECT id FROM requests WHERE requester_id = ?))"
)


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


def latest(db: Database, *, e164: str | None = None, limit: int = 20) -> list[Row]:
    """Newest first."""
    where, params = ("e164 = ?", [e164]) if e164 else ("1 = 1", [])
    return _select(db, where, params, order="id DESC", limit=limit)


def by_id(db: Database, audit_id: int) -> Row | None:
    rows = _select(db, "id = ?", [audit_id], order="id", limit=1)
    return rows[0] if rows else None


def for_request(db: Database, request_id: str) -> list[Row]:
    """Oldest first: the request's story in order."""
    return _select(db, "request_id = ?", [request_id], order="id", limit=None)


def latest_where(db: Database, where: str, params: list[Any]) -> Row | None:
    rows = _select(db, where, params, order="id DESC", limit=1)
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
    """Newest first, rows with id < before_id (keyset paging: stable while rows are appended).

    Ids first, then rows: when a filter's index does not give id order (an IN list, a time range), SQLite
    sorts only the ids it finds in the index instead of whole rows (1.1 s -> 0.1 s for 200k matches).
    """
    where, params = where_clause(criteria)
    if before_id is not None:
        where += " AND id < ?"
        params.append(int(before_id))
    ids = f"SELECT id FROM audit WHERE {where} ORDER BY id DESC LIMIT {int(limit)}"
    return _select(db, f"id IN ({ids})", params, order="id DESC", limit=None)


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

    SQLite renders the lines (json_object for JSON Lines; for CSV the csv module's quoting, which the tests
    check byte for byte), so Python handles one string per row instead of one object per value: memory
    stays flat (a chunk of lines at a time) and a million rows export in seconds.
    """
    where, params = where_clause(criteria)
    if fmt not in _LINE_SQL:
        raise ValueError(f"no export format {fmt!r}")
    cursor = db.execute(f"SELECT {_LINE_SQL[fmt]} FROM audit WHERE {where} ORDER BY id", params)
    while batch := cursor.fetchmany(chunk):
        for (line,) in batch:
            yield line


# Columns the bot itself formats (an integer, an ISO instant, hex digests): never quoted, never a formula.
_FIXED_FORMAT = frozenset({"id", "at", "prev_hash", "hash"})


def _csv_cell(column: str) -> str:
    """SQL for one CSV cell: NULL is empty; a cell holding a comma, double quote or line end is quoted with
    inner quotes doubled (as Python's csv module does); a cell a spreadsheet would run as a formula gets a
    leading apostrophe (an apostrophe adds nothing that needs quoting, so the test reads the raw value)."""
    if column in _FIXED_FORMAT:
        return f"coalesce({column}, '')"
    first = f"substr({column}, 1, 1)"
    formula = (
        f"{first} IN ('=', '@', char(9), char(13)) "
        f"OR ({first} IN ('+', '-') AND (length({column}) = 1 OR substr({column}, 2) GLOB '*[^0-9]*'))"
    )
    safe = f"(CASE WHEN {formula} THEN char(39) || {column} ELSE {column} END)"
    needs_quotes = " OR ".join(f"instr({column}, char({code}))" for code in (44, 34, 10, 13))  # , " LF CR
    return (
        f"(CASE WHEN {column} IS NULL THEN '' "
        f"WHEN {needs_quotes} THEN char(34) || replace({safe}, char(34), char(34, 34)) || char(34) "
        f"ELSE {safe} END)"
    )


_LINE_SQL = {
    "jsonl": "json_object(" + ", ".join(f"'{c}', {c}" for c in ALL_COLUMNS) + ")",
    "csv": " || ',' || ".join(_csv_cell(c) for c in ALL_COLUMNS),
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
            params += [user_id, user_id]
    if criteria.approver_id is not None:
        clauses.append(f"request_id IN (SELECT request_id FROM audit WHERE actor_id = ? AND {DECISION_EVENTS})")
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
