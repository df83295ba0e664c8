"""The import graph of lean_kernel and lean_magic: no cycles, and layers that call down only.
Read from the source (every import, at the top or inside a function), not by importing."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = {"lean_kernel": REPO / "lean_kernel", "lean_magic": REPO / "extension" / "lean_magic"}


def import_graph() -> dict[str, set[str]]:
    files = {}
    for package, root in ROOTS.items():
        for path in root.rglob("*.py"):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(here[: len(here) - node.level + 1] + [node.module or ""]).strip(".") if node.level else node.module
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            deps.update(t for t in targets if t in files and t != name)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                found.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_layers_call_down():
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
    assert "lean_magic.bundle" in graph["lean_magic.api"] and "lean_magic.api" not in graph["lean_magic.bundle.configure"]
