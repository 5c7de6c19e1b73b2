"""The import rules the layers are built on, read from the source with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_handlers_never_import_api_or_the_store() -> None:
    for path in (REPO / "handlers").rglob("*.py"):
        bad = {m for m in imported_modules(path) if m == "api" or m.startswith(("api.", "bot.store"))}
        assert not bad, f"{path.name} imports {bad}"


def test_only_the_composition_root_and_entry_points_in_bot_import_handlers() -> None:
    importers = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "bot").rglob("*.py")
        if any(m == "handlers" or m.startswith("handlers.") for m in imported_modules(path))
    }
    assert importers <= {"bot/app.py", "bot/audit_cli.py"}
