"""`lean-kernel demo`: the replay kernel and the tour it opens (executed here with nbclient
as JupyterLab would run it; tests/browser/test_demo.py drives the real JupyterLab), and the
failures that name their fix."""

from __future__ import annotations

import io

import nbformat
import pytest
from kernel.conftest import execute_notebook  # tests/ is on sys.path (rootdir conftest)

from lean_kernel import cli
from lean_kernel.provision import demo
from lean_kernel.steps import StepFailed, Steps, TextProgress


@pytest.fixture(scope="module")
def executed_demo(tmp_path_factory, transcripts_root):
    folder = tmp_path_factory.mktemp("demo")
    log = io.StringIO()
    made = demo.prepare(Steps(3, TextProgress(log)), folder, recordings=transcripts_root)
    nb = nbformat.read(made.notebook, as_version=4)
    execute_notebook(nb, str(made.jupyter_path))
    return made, nb, log.getvalue()


def test_demo_kernelspec_and_notebook(executed_demo):
    made, nb, log = executed_demo
    assert nb.metadata.kernelspec.name == demo.KERNEL_NAME == "lean4-replay"
    spec = (made.jupyter_path / "kernels" / "lean4-replay" / "kernel.json").read_text()
    assert "replay" in spec and "lean_kernel.testing.standin" in spec
    assert "[3/3] copy the tour notebook" in log


def test_every_output_says_it_is_a_replay(executed_demo):
    _, nb, _ = executed_demo
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code_cells:
        shown = [o for o in cell.outputs if o.output_type in ("display_data", "execute_result")]
        assert shown, f"no output for {cell.source!r}"
        text = "\n".join(o.data.get("text/plain", "") for o in shown)
        assert "replay of recorded Lean sessions" in text, (cell.source, text)


def test_the_tour_shows_rendered_goals(executed_demo):
    _, nb, _ = executed_demo
    cell = next(c for c in nb.cells if c.source == "def f : Nat := by sorry")
    html = "".join(o.data.get("text/html", "") for o in cell.outputs if o.output_type == "display_data")
    assert 'class="lean-goal"' in html and "⊢ Nat" in html


def test_missing_recordings_name_the_fetch_script(tmp_path, capsys):
    code = cli.main(["demo", "--dir", str(tmp_path / "d"), "--recordings", str(tmp_path / "none"), "--no-browser"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"FAILED: the recorded Lean sessions the demo replays are not at {tmp_path / 'none' / 'v4.33.0-rc2'}" in out
    assert f"python scripts/fetch_recordings.py {tmp_path / 'none'}" in out


def test_missing_jupyterlab_names_the_extra(tmp_path, monkeypatch, transcripts_root):
    made = demo.prepare(Steps(3), tmp_path, recordings=transcripts_root)
    real = demo.importlib.util.find_spec
    monkeypatch.setattr(demo.importlib.util, "find_spec", lambda name: None if name == "jupyterlab" else real(name))
    with pytest.raises(StepFailed, match=r"JupyterLab is not installed\nfix: pip install 'lean-kernel\[lab\]'"):
        demo.lab_command(made, [])


def test_outside_a_checkout_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "TOUR", tmp_path / "missing.ipynb")
    with pytest.raises(StepFailed, match="run the demo from a source checkout"):
        demo.prepare(Steps(3), tmp_path)
