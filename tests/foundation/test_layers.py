"""One-way layers, checked on the source: the product's modules import each other
without cycles, and only the session touches its REPL process.

Function-level imports count too: an import deferred into a function still makes the two
modules depend on each other, and a cycle of them is the api <-> setup knot that once
made ``lean_magic.setup`` mean two things. The one deliberate exception is listed below
with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"lean_kernel": ROOT / "lean_kernel", "lean_magic": ROOT / "extension" / "lean_magic"}

# (importer, imported): deferred imports that close a cycle on purpose.
DELIBERATE = {
    # Ray is optional: the pool's factory loads the Ray backend only when asked for it,
    # and that backend is built on the pool's own parts.
    ("lean_magic.pool", "lean_magic.cluster"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    out: set[str] = set()

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue  # annotations only: no import at run time
            if isinstance(child, ast.Import):
                for alias in child.names:
                    target = resolve(alias.name)
                    if target:
                        out.add(target)
            elif isinstance(child, ast.ImportFrom):
                anchor = base[: len(base) - child.level + 1] if child.level else []
                stem = ".".join([*anchor, *([child.module] if child.module else [])])
                for alias in child.names:
                    target = resolve(f"{stem}.{alias.name}") if stem else None
                    if target:
                        out.add(target)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    out.discard(module)
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as a path that returns to its start; None when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = walk(start)
            if found:
                return found
    return None


def _graph() -> dict[str, set[str]]:
    known = _modules()
    graph = {}
    for module, path in known.items():
        # A package's __init__ re-exports its parts; importing a part runs it anyway, so
        # it adds no edge a reader must know about (and would make every part cyclic).
        graph[module] = {m for m in _imports(module, path, known) if not m.startswith(module + ".")}
    for importer, imported in DELIBERATE:
        assert imported in graph[importer], f"{importer} no longer imports {imported}: drop it from DELIBERATE"
        graph[importer].discard(imported)
    return graph


def test_modules_import_each_other_without_cycles():
    graph = _graph()
    assert "lean_magic.api" in graph and "lean_kernel.session" in graph  # the walk found the tree
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_a_package_exports_no_function_named_like_one_of_its_modules():
    # `lean_magic.setup` was both a module and the function the package exported: which
    # one a reader (or `import lean_magic.setup`) got depended on import order.
    known = _modules()
    clashes = []
    for module, path in known.items():
        if path.name != "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                clashes += [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in known]
    assert not clashes, "both a module and an exported name: " + ", ".join(clashes)
    import lean_magic

    assert callable(lean_magic.setup) and callable(lean_magic.bundle.configure)


def test_only_the_session_touches_its_repl_process():
    # Layers above the session ask it (repl_generation, repl_pid, rss_bytes(), cancel(),
    # health_check()); reaching past it would split "what a restart means" in two.
    session = PACKAGES["lean_kernel"] / "session.py"
    offenders = []
    for path in [p for folder in PACKAGES.values() for p in folder.rglob("*.py")]:
        if path == session:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "process":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, "reaches into a session's process: " + ", ".join(offenders)


def test_advice_for_a_frontend_comes_from_that_frontend():
    # The layers under the frontends name settings (LEAN_PROJECT, LEAN_MEMORY_LIMIT_MB),
    # never one frontend's tool or a library's needs: a kernel user told to run
    # `%lean_doctor`, or a notebook user told to pass `--project DIR`, cannot follow it.
    frontend_words = ("%lean", "--project", "install_kernel", "Mathlib needs", "restart the kernel")
    lower = ["process.py", "config.py", "session.py", "protocol.py", "results.py", "doctor.py"]
    found = []
    for name in lower:
        tree = ast.parse((PACKAGES["lean_kernel"] / name).read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):  # the text a user can be shown: string constants
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                found += [f"{name}:{node.lineno}: {w}" for w in frontend_words if w in node.value]
    assert not found, "frontend advice below the frontends: " + ", ".join(found)


def test_each_frontend_adds_its_own_memory_advice():
    from lean_magic.bundle.report import NOTEBOOK_ADVICE

    from lean_kernel.config import ReplConfig
    from lean_kernel.doctor import NO_ADVICE, diagnose_stderr
    from lean_kernel.kernel import KERNEL_ADVICE, CellError

    assert "--memory-limit-mb" in KERNEL_ADVICE.memory and "restart the kernel" in KERNEL_ADVICE.memory
    assert "%lean_setup" in NOTEBOOK_ADVICE.memory
    for advice in (KERNEL_ADVICE, NOTEBOOK_ADVICE, NO_ADVICE):
        found = diagnose_stderr("std::bad_alloc", ReplConfig(), advice)
        assert found == ("the REPL ran out of memory", advice.memory)
    assert CellError.from_magic("x").content() == {"ename": "MagicError", "evalue": "x", "traceback": ["MagicError: x"]}


def test_one_list_of_out_of_memory_words_serves_the_process_and_the_doctor():
    # The doctor used to know only two of the process layer's words: a start-up that
    # failed with "Cannot allocate memory" got no diagnosis.
    from lean_kernel.config import ReplConfig
    from lean_kernel.doctor import NO_ADVICE, diagnose_stderr
    from lean_kernel.process import OUT_OF_MEMORY_WORDS, says_out_of_memory

    for word in OUT_OF_MEMORY_WORDS:
        stderr = f"INTERNAL PANIC: {word.upper()}\n"
        assert says_out_of_memory(stderr)
        assert diagnose_stderr(stderr, ReplConfig(), NO_ADVICE) == ("the REPL ran out of memory", NO_ADVICE.memory)
    assert not says_out_of_memory("error: unknown identifier 'memory'")
