"""The store owns all SQL (issue 12): no module under bot/services holds an SQL statement, runs one, touches
the connection a unit of work hands out, or imports an engine. Services call the store's named operations
and pass the unit's connection on, nothing more; so a second engine can come in behind those operations."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.services.records import Kind, Status
from bot.store import requests

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "bot" / "services"

# SQL's keywords in capitals (in lower case they are ordinary English in messages), a placeholder compared
# or listed (`= ?`, `IN (?`), and SQL functions no sentence calls.
SQL = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|ORDER\s+BY|GROUP\s+BY|JOIN|VALUES|IS\s+(NOT\s+)?NULL)\b"
    r"|\w\s+(ASC|DESC)\b|\w\s*[=<>!]{1,2}\s*\?|\bIN\s*\(\s*\?|(?i:\b(coalesce|count|min|max)\s*\()"
)
# What only a database connection (or cursor) answers: running SQL, its transaction, its raw sqlite3 handle.
CONNECTION_ATTRIBUTES = frozenset({"execute", "executemany", "executescript", "query", "conn", "atomic", "cursor", "rollback", "commit"})
ENGINES = frozenset({"sqlite3", "sqlite_utils", "psycopg", "psycopg_pool"})


def problems(source: str, name: str = "<module>") -> list[str]:
    """Every place in `source` that builds or runs SQL, uses the connection itself, or imports an engine."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if SQL.search(node.value):
                found.append(f"{name}:{node.lineno}: SQL in a string: {node.value[:60]!r}")
        elif isinstance(node, ast.Attribute) and node.attr in CONNECTION_ATTRIBUTES:
            found.append(f"{name}:{node.lineno}: uses .{node.attr} (only the store talks to the database)")
        elif isinstance(node, ast.Import):
            found += [f"{name}:{node.lineno}: imports {a.name}" for a in node.names if a.name.split(".")[0] in ENGINES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ENGINES:
            found.append(f"{name}:{node.lineno}: imports from {node.module}")
    return found


def _docstrings(tree: ast.Module) -> set[int]:
    """The string constants that are docstrings (prose may quote SQL to explain what a guard means)."""
    owners = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))]
    found = set()
    for owner in owners:
        body = owner.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            found.add(id(body[0].value))
    return found


def test_no_module_under_bot_services_builds_or_runs_sql() -> None:
    found = []
    for path in sorted(SERVICES.rglob("*.py")):
        found += problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'rows = requests.rows(db, "status = ?", ["pending"])',
        'guard = "undo_state IS NULL", []',
        'alive = f"coalesce(lease_until > ?, 0)"',
        'db.execute("UPDATE requests SET status = ?", [s])',
        'where = f"kind = ? AND id IN ({marks})"',
        'ORDER = "created_at DESC"',
        'sql = "SELECT * FROM audit"',
        "with store.read() as db:\n    db.conn.execute(x)",
        "with db.atomic():\n    pass",
        "rows = db.query(sql)",
        "from sqlite_utils import Database",
        "import sqlite3",
        "import psycopg",
    ],
)
def test_the_check_finds_sql_and_connection_use(source: str) -> None:
    assert problems(source) != []


def test_the_check_passes_named_operations_and_docstrings() -> None:
    source = '''
"""A guarded update (`... WHERE id = ? AND status = 'pending'`) explained in prose."""

def f(store, now):
    """Selects nothing itself: SELECT lives in the store."""
    with store.unit() as db:
        return requests.due_to_expire(db, now), "Select a number to update"
'''
    assert problems(source) == []


def test_the_stores_words_for_statuses_and_kinds_are_the_services() -> None:
    assert requests.PENDING == Status.PENDING.value
    assert requests.EXECUTING == Status.EXECUTING.value
    assert requests.SUCCEEDED == Status.SUCCEEDED.value
    assert requests.OUTCOME_UNKNOWN == Status.UNKNOWN.value
    assert requests.OPEN_STATUSES == (Status.PENDING.value, Status.EXECUTING.value, Status.UNKNOWN.value)
    assert requests.RELEASE == Kind.RELEASE.value
