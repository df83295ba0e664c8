"""The example notebooks for Lean users, executed top to bottom on a REAL Lean (marker
``lean``; skipped unless a REPL is configured, e.g. by ``lean-kernel setup``). The Mathlib
notebook also needs LEAN_TEST_MATHLIB=1 and a Mathlib project (``lean-kernel setup
--mathlib``). Nothing here is scripted: these are the notebooks a user opens.

Each kernel notebook runs on a "Lean 4" kernelspec installed for the test with the
configuration in use (the LEAN_* variables, as `lean-kernel setup` saved them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from kernel.conftest import execute_notebook  # tests/ is on sys.path (rootdir conftest)

pytestmark = pytest.mark.lean

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SLOW = 1200  # a cold `import Mathlib` alone can take minutes


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory) -> str:
    prefix = tmp_path_factory.mktemp("prefix")
    env_args = []
    for key, value in os.environ.items():
        if key.startswith("LEAN_") and key not in ("LEAN_TRANSCRIPTS", "LEAN_TEST_MATHLIB", "LEAN_KERNEL_CONFIG"):
            env_args += ["--env", f"{key}={value}"]
    done = subprocess.run(
        [sys.executable, str(REPO / "install_kernel.py"), "--prefix", str(prefix), *env_args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return str(prefix / "share" / "jupyter")


def execute(name: str, jupyter_path: str | None = None) -> dict[str, object]:
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    execute_notebook(nb, jupyter_path, timeout=SLOW)
    return {c.source: c for c in nb.cells if c.cell_type == "code"}


def text(cell) -> str:
    return "\n".join(o.get("data", {}).get("text/plain", "") or o.get("text", "") for o in cell.outputs)


def test_first_steps(jupyter_path):
    cells = execute("lean4_first_steps.ipynb", jupyter_path)
    proof = next(c for s, c in cells.items() if s.startswith("theorem double_eq"))
    assert "error" not in text(proof).lower()
    assert "42" in text(cells["#eval double 21"]).split()
    sorry = next(c for s, c in cells.items() if s.startswith("theorem and_swap (p q"))
    assert "⊢ q ∧ p" in text(sorry)
    assert "⊢ q" in text(cells["%proofstate\nconstructor"])
    assert "Completed" in text(cells["%proofstate\nexact hp"]) or "no goals" in text(cells["%proofstate\nexact hp"])


@pytest.mark.skipif(
    os.environ.get("LEAN_TEST_MATHLIB") != "1", reason="set LEAN_TEST_MATHLIB=1 (and a Mathlib project)"
)
def test_mathlib(jupyter_path):
    cells = execute("lean4_mathlib.ipynb", jupyter_path)
    assert "Nat.Prime" in text(cells["#check Nat.Prime"])
    for source, cell in cells.items():
        assert "error" not in text(cell).lower(), (source, text(cell))


def test_python_notebook_checks_candidates():
    cells = execute("python_lean_and_verify.ipynb")  # the python3 kernel; LEAN_* from this environment
    verdicts = next(c for s, c in cells.items() if s.startswith("from lean_magic import LeanChecker"))
    shown = text(verdicts)
    assert "'omega': (True, [])" in shown, shown
    assert "'sorry': (False" in shown and "'new axiom': (False" in shown and "'changed statement': (False" in shown
    step = next(c for s, c in cells.items() if "shared_checker().tactic" in s)
    assert "Completed" in text(step) or "no goals" in text(step)
