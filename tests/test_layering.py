"""Every import rule of docs/architecture.md, read from the source with `ast`.

Data flows one way: Slack -> handlers/ -> bot/services/ -> api/ and bot/store/. Imports made only for
type checking (under `if TYPE_CHECKING:`) are not dependencies at run time and do not count for the cycle
rule; every other rule counts them too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "bot", "handlers", "fakes")
ENTRY_POINTS_IN_BOT = {"bot/app.py", "bot/audit_cli.py"}  # the composition root and the CLI beside it


def sources(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, *, runtime_only: bool = False) -> set[str]:
    """The absolute module names `path` imports (`from a.b import c` counts as a.b and a.b.c)."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if runtime_only and _type_checking_block(node):
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def offenders(folder: str, *forbidden: str) -> dict[str, set[str]]:
    found = {}
    for path in sources(folder):
        bad = {m for m in imports(path) if under(m, *forbidden)}
        if bad:
            found[rel(path)] = bad
    return found


def test_api_imports_nothing_from_the_project() -> None:
    assert offenders("api", "bot", "handlers", "fakes", "tests") == {}


def test_handlers_never_import_api_the_store_or_the_fakes() -> None:
    assert offenders("handlers", "api", "bot.store", "fakes", "tests") == {}


def test_services_and_store_know_nothing_of_slack() -> None:
    for folder in ("bot/services", "bot/store"):
        assert offenders(folder, "handlers", "slack_bolt", "slack_sdk", "fakes", "tests") == {}, folder


def test_the_store_does_not_reach_up_into_the_services() -> None:
    assert offenders("bot/store", "bot.services") == {}


def test_render_is_pure_builders() -> None:
    """Builders take records and return dicts: they never call Slack, the listeners or the services' work."""
    assert offenders("handlers/render", "slack_bolt", "slack_sdk", "handlers.listeners", "handlers.outbound") == {}


def test_only_the_composition_root_and_the_cli_in_bot_import_handlers() -> None:
    importers = {rel(p) for p in sources("bot") if any(under(m, "handlers") for m in imports(p))}
    assert importers <= ENTRY_POINTS_IN_BOT


def test_only_the_console_and_the_cli_use_the_fakes() -> None:
    """The product never needs a fake: only `make demo` (bot/console) and `numbers-bot sandbox|console` do."""
    importers = {rel(p) for p in sources("bot") if any(under(m, "fakes") for m in imports(p))}
    assert {p for p in importers if not p.startswith("bot/console/") and p != "bot/cli.py"} == set()


def test_only_config_reads_the_environment() -> None:
    readers = set()
    for folder in ("api", "bot", "handlers"):
        for path in sources(folder):
            text = path.read_text()
            if "os.environ" in text or "getenv(" in text:
                readers.add(rel(path))
    assert readers <= {"bot/config.py"}


def project_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for folder in PACKAGES for p in sources(folder)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imports(path, runtime_only=True):
            # the longest project module the import names (a.b.c may be a name inside module a.b)
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not name.startswith(imported + "."):
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]

    def connect(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                yield from connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(graph):
        if node not in index:
            yield from connect(node)


def test_module_imports_form_a_dag() -> None:
    found = list(cycles(project_graph()))
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("graph", [{"a": {"b"}, "b": {"a"}}, {"a": {"b"}, "b": {"c"}, "c": {"a"}}])
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]]) -> None:
    assert list(cycles(graph)) == [sorted(graph)]
