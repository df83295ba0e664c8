"""examples/lean4_tour.ipynb runs top to bottom with nbclient on the installed "lean4"
kernelspec and a stand-in REPL. Its cells are recorded v4.33.0-rc2 commands (dup_msg.in,
proof_step.in) and magics; nbclient sends no cell ids, so no cell counts as a re-run."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from .conftest import execute_notebook, install_kernelspec

TOUR = Path(__file__).resolve().parents[2] / "examples" / "lean4_tour.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory, standin_env):
    jupyter_path = install_kernelspec(tmp_path_factory.mktemp("prefix"), standin_env())
    nb = nbformat.read(TOUR, as_version=4)
    assert nb.metadata.kernelspec.name == "lean4"
    # allow_errors=False: only the cell tagged raises-exception may fail.
    execute_notebook(nb, jupyter_path)
    return {c.source: c for c in nb.cells if c.cell_type == "code"}


def plain(cell) -> str:
    return "\n".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs if o.output_type == "display_data")


def test_check_shows_its_type(executed):
    assert "f : Nat" in plain(executed["#check f"])


def test_error_cell_has_the_error(executed):
    errors = [o for o in executed["#check g"].outputs if o.output_type == "error"]
    assert len(errors) == 1
    assert errors[0].ename == "LeanError"
    assert "Unknown identifier `g`" in errors[0].evalue


def test_env_lists_only_committed_cells(executed):
    text = plain(executed["%env"])
    assert "def f := 2" in text and "#check f" in text and "#check g" not in text


def test_sorry_shows_the_goal(executed):
    cell = executed["def f : Nat := by sorry"]
    assert "⊢ Nat" in plain(cell)
    assert "⊢" in cell.outputs[-1].data["text/html"]


def test_tactic_steps(executed):
    assert "⊢ Int" in plain(executed["%proofstate\napply Int.natAbs"])
    assert "t : Nat" in plain(executed["%proofstate 0\nhave t : Nat := 42"])
    assert "Completed" in plain(executed["%proofstate\nexact t"])


def test_every_code_cell_ran(executed):
    counts = [c.execution_count for c in executed.values()]
    assert all(isinstance(n, int) for n in counts) and counts == sorted(counts)


def test_widget_cell_has_the_widget_and_a_static_copy(executed):
    # Recorded: all_tactics.in (`allTactics`), shown with `%widget on`.
    cell = executed["def f : Nat := by have t := 37; exact t"]
    bundles = [o.data for o in cell.outputs if o.output_type == "display_data"]
    assert any("application/vnd.jupyter.widget-view+json" in b for b in bundles)
    static = "".join(b.get("text/html", "") for b in bundles)
    assert "have t := 37" in static and "exact t" in static and "⊢ Nat" in static
