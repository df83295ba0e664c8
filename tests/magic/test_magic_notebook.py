"""examples/kaggle_verify.ipynb runs top to bottom in a python3 kernel (nbclient), against
the stand-in: once configured by LEAN_REPL_PATH/LEAN_REPL_ARGS, once from a fake
read-only bundle in LEAN_BUNDLE.

Transcripts: the verification uses H-verify's SCRIPTED transcripts
tests/fixtures/scripted/verify_ok_rfl, verify_ok_renamed_binder, verify_compile_error,
verify_sorry, verify_new_axiom and verify_type_mismatch; the %%lean cells use the
recordings def_eval and all_tactics (v4.33.0-rc2); the positive control uses the
scripted positive_control."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "kaggle_verify.ipynb"


def _text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return data.get("text/plain", "") + data.get("text/html", "")


def _outputs(nb, needle: str) -> list:
    cell = next(c for c in nb.cells if c.cell_type == "code" and needle in c.source)
    return cell.outputs


def _run(tmp_path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any cell error
    return nb


@pytest.mark.parametrize("configured_by", ["env-vars", "bundle"])
def test_kaggle_notebook_runs(configured_by, use_standin, fake_bundle, clean_env, tmp_path):
    if configured_by == "bundle":
        bundle, env_log = fake_bundle()
        clean_env.setenv("LEAN_BUNDLE", str(bundle))
        clean_env.setenv("TMPDIR", str(tmp_path))  # where setup() copies the read-only project
    nb = _run(tmp_path)

    setup_text = "".join(_text(o) for o in _outputs(nb, "lean_magic.setup("))
    assert "[ok] positive control: `#eval 2+2` printed 4" in setup_text
    if configured_by == "bundle":
        assert f"Lean bundle: {bundle}" in setup_text and "toolchain version: Lean 4.33.0-rc2" in setup_text
        assert "note: read-only bundle: project copied to" in setup_text
        assert env_log.is_file()  # the bundle's repl really ran
    else:
        assert "no bundle" in setup_text and "using the REPL configured by LEAN_REPL_PATH" in setup_text

    okay = "".join(_text(o) for o in _outputs(nb, "checker.verify_many("))
    assert "[True, True, False, False, False, False]" in okay
    shown = _outputs(nb, "# The verdicts are a list")  # the collection's own display
    summary = "".join(_text(o) for o in shown)
    assert "6 items: 2 passed (33.3 %), 4 failed" in summary  # text/plain
    for reason in ("compile_error", "sorry", "new_axiom", "type_mismatch"):
        assert reason in summary, reason
    html = "".join(o.get("data", {}).get("text/html", "") for o in shown)
    assert '<svg class="lean-histogram"' in html and html.count('<details class="lean-batch-item"') == 4

    chained = _outputs(nb, "#check (rfl : f = 37)")
    assert any("rfl : f = f" in _text(o) for o in chained)
    widget = _outputs(nb, "%%lean --widget")
    bundles = [o.get("data", {}) for o in widget if o.get("output_type") in ("display_data", "execute_result")]
    assert any("application/vnd.jupyter.widget-view+json" in d for d in bundles)
    assert any("exact t" in d.get("text/html", "") for d in bundles)  # the static copy a saved notebook keeps
    chain = "".join(_text(o) for o in _outputs(nb, "%lean_env"))
    assert "def f := 37" in chain
