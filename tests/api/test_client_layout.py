"""api/'s own imports form a DAG: the client composes resources, the resources use only the transport."""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).resolve().parent.parent.parent / "api"


def project_imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at top level) for every `api.` import in the file."""
    tree = ast.parse(path.read_text())
    top_level = {id(node) for node in tree.body}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("api."):
            found.append((node.module, id(node) in top_level))
    return found


def test_the_resources_and_the_transport_never_import_the_client() -> None:
    for name in ("numbers.py", "subaccounts.py", "transport.py"):
        assert "api.client" not in {module for module, _ in project_imports(API / name)}, name


def test_the_transport_knows_no_resource() -> None:
    modules = {module for module, _ in project_imports(API / "transport.py")}
    assert not modules & {"api.numbers", "api.subaccounts"}


def test_no_module_in_api_hides_an_import_inside_a_function() -> None:
    for path in API.glob("*.py"):
        hidden = [module for module, top in project_imports(path) if not top]
        assert not hidden, f"{path.name} imports {hidden} inside a function"
