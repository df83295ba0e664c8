"""No function of the verify package (or the Lean-text module it stands on) is above
cyclomatic complexity 15, measured with mccabe (the measure flake8's C901 and ruff's C901
use). The verifier is what users trust with their results: it must stay readable."""

from __future__ import annotations

import ast
from pathlib import Path

import mccabe
import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = [*sorted((ROOT / "extension" / "lean_magic" / "verify").glob("*.py")), ROOT / "lean_kernel" / "lean_text.py"]
LIMIT = 15


def complexities(path: Path) -> dict[str, int]:
    visitor = mccabe.PathGraphingAstVisitor()
    visitor.preorder(ast.parse(path.read_text(encoding="utf-8"), str(path)), visitor)
    return {graph.entity: graph.complexity() for graph in visitor.graphs.values()}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_complexity_at_most_15(path):
    too_complex = {name: c for name, c in complexities(path).items() if c > LIMIT}
    assert not too_complex, too_complex
