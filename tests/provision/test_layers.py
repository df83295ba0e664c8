"""The import graph of lean_kernel and lean_magic, read from the source (not by importing):
imports run at import time form no cycle, and the set-up layers call down only (every
import counts there, those inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = {"lean_kernel": REPO / "lean_kernel", "lean_magic": REPO / "extension" / "lean_magic"}


def _files() -> dict[str, Path]:
    files = {}
    for package, root in ROOTS.items():
        for path in root.rglob("*.py"):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def _top_level(tree: ast.Module):
    """Import statements that run when the module is imported (not inside functions, and
    not under ``if TYPE_CHECKING:``)."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body]


def import_graph(*, import_time_only: bool = False) -> dict[str, set[str]]:
    files = _files()
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        tree = ast.parse(path.read_text())
        nodes = (
            _top_level(tree)
            if import_time_only
            else (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))
        )
        deps = set()
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                base = (
                    ".".join([*here[: len(here) - node.level + 1], node.module or ""]).strip(".")
                    if node.level
                    else node.module
                )
                # `from . import completion` imports the submodule; `from .api import x` the module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                targets = [a.name for a in node.names]
            deps.update(t for t in targets if t in files and t != name)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                found.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_import_cycles_at_import_time():
    assert cycles(import_graph(import_time_only=True)) == []


def test_setup_layers_call_down():
    graph = import_graph()
    for module, deps in graph.items():
        if module.startswith("lean_kernel") and module != "lean_kernel.cli":
            assert not [d for d in deps if d.startswith("lean_magic")], f"{module} reaches up into lean_magic"
        if module != "lean_kernel.__main__":  # `python -m lean_kernel setup` is the CLI
            assert "lean_kernel.cli" not in deps, f"{module} imports the CLI frontend"
        if module.startswith("lean_magic.bundle"):
            assert all(d.startswith(("lean_magic.bundle", "lean_kernel")) for d in deps), (module, deps)
        if module.startswith("lean_kernel.provision"):
            assert not deps & {"lean_kernel.kernel", "lean_kernel.session"}, (module, deps)
    # the api <-> setup cycle stays broken: the bundle knows nothing of the checker
    assert "lean_magic.bundle" in graph["lean_magic.api"]
    assert not any(
        d.startswith("lean_magic.api") for m, ds in graph.items() if m.startswith("lean_magic.bundle") for d in ds
    )
