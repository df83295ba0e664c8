"""JupyterLab in headless Chromium: the Lean 4 kernel and the %%lean magic as a user sees them.

The Lean side is the stand-in REPL replaying the v4.33.0-rc2 recordings, so every cell
below is a command those recordings answer, in an order the recordings chain:
- dup_msg:     `def f := 2`, then `#check f` on it, then `#check g` on that;
- trace_simp:  `def f := 37`, `@[simp] theorem f_def ...`, `set_option trace...`,
               `example : f = 37 := by sorry`, then the tactic `simp` on its proof state;
- all_tactics: `def f : Nat := by have t := 37; exact t` with allTactics (goal widget).
Re-running the first cell as `def f := 37` must run on the env that cell started from
(fresh); on the chain's tip the stand-in would have no answer, and real Lean would say
"already declared".

Each stage leaves a screenshot in tests/browser/artifacts/. With LEAN_UPDATE_SCREENSHOTS=1
the README's pictures (docs/screenshots/kernel.png, magic.png) are rewritten from the run.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WAIT_MS = 30_000
README_SHOT_MAX_BYTES = 150_000


def expect(*args, **kwargs):
    # Imported here, not at the top: the default `pytest` run collects this module too, and
    # must not need Playwright (it comes with the `browser` extra).
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def error_output(lab, index: int):
    """The cell's error output (JupyterLab renders an `error` message as ANSI-coloured stderr)."""
    return lab.cell(index).locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')


def html_output(lab, index: int):
    return lab.cell(index).locator('.jp-OutputArea-output[data-mime-type="text/html"]')


def assert_no_json_tree(lab, index: int) -> None:
    # JupyterLab prefers application/json over text/html; a result that offers both shows
    # up as a collapsible JSON tree instead of the rendered Lean output.
    expect(lab.cell(index).locator(".jp-RenderedJSON")).to_have_count(0)


def readme_shot(lab, name: str, first: int, last: int):
    """A cropped picture of cells first..last (inputs and outputs), for the README."""
    lab.page.keyboard.press("Escape")  # command mode: no blinking cursor in the picture
    # Hide the active-cell bar and the cell toolbar: they say nothing about Lean.
    lab.page.add_style_tag(content=".jp-Collapser, .jp-cell-toolbar { visibility: hidden !important; }")
    top = lab.cell(first).bounding_box()
    bottom = lab.cell(last).bounding_box()
    clip = {
        "x": top["x"],
        "y": top["y"],
        "width": max(top["width"], bottom["width"]),
        "height": bottom["y"] + bottom["height"] - top["y"],
    }
    path = lab.screenshot(name, clip=clip)
    if os.environ.get("LEAN_UPDATE_SCREENSHOTS"):
        size = path.stat().st_size
        assert size < README_SHOT_MAX_BYTES, f"{path} is {size} bytes; the README wants < {README_SHOT_MAX_BYTES}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / f"{name}.png")
    return path


def step_widget_checks(lab, index: int) -> None:
    """The goal widget of an allTactics run of `def f : Nat := by have t := 37; exact t`:
    it opens on step 1 and Next moves the highlight and the goals to step 2."""
    cell = lab.cell(index)
    status = cell.locator(".widget-html-content", has_text=re.compile(r"step \d+ of \d+")).first
    marked = cell.locator("pre.lean-source mark.lean-step").first
    before_pane = cell.locator(".widget-vbox", has_text="goals before").locator(".lean-goals").first
    next_button = cell.locator("button.widget-button", has_text="Next")
    prev_button = cell.locator("button.widget-button", has_text="Previous")

    expect(status).to_contain_text("step 1 of 2", timeout=WAIT_MS)
    expect(status).to_contain_text("have t := 37")
    expect(marked).to_have_text("have t := 37")
    expect(before_pane).to_have_text("⊢ Nat")
    expect(prev_button).to_be_disabled()
    lab.screenshot("widget-step1")

    next_button.click()
    expect(status).to_contain_text("step 2 of 2", timeout=WAIT_MS)
    expect(status).to_contain_text("exact t")
    expect(marked).to_have_text("exact t")
    expect(before_pane.locator(".lean-hyp")).to_have_text("t : Nat")
    expect(before_pane.locator(".lean-goal-target")).to_have_text("⊢ Nat")
    expect(next_button).to_be_disabled()
    expect(prev_button).to_be_enabled()
    lab.screenshot("widget-step2")


def test_lean_kernel_notebook(lab):
    lab.open()
    cards = lab.launcher_cards("Notebook")
    assert "Lean 4" in cards, f"launcher cards {cards}; server kernelspecs: {lab.server.api('kernelspecs')}"
    lab.screenshot("launcher")

    lab.new_notebook("Lean 4")
    assert lab.kernel_name() == "Lean 4"
    assert lab.kernel_status().startswith("Lean 4 | ")  # the status bar names our kernel too

    # The first cell also carries the start-up check's verdict.
    first = lab.run("def f := 2")
    expect(lab.outputs(first)).to_contain_text("Lean REPL ready")
    expect(error_output(lab, first)).to_have_count(0)

    check = lab.run("#check f")
    expect(html_output(lab, check)).to_have_text("f : Nat")

    bad = lab.run("#check g")
    err = error_output(lab, bad)
    expect(err).to_contain_text("Unknown identifier `g`")
    expect(err).to_contain_text("1:7")  # line 1, column 7: where `g` is
    expect(err).to_contain_text("1 | #check g")
    lab.screenshot("error")

    # Correct the first cell and run it again: it replaces the old `f` instead of clashing.
    lab.set_cell(first, "def f := 37")
    lab.run_cell(first)
    expect(error_output(lab, first)).to_have_count(0)
    expect(lab.outputs(first)).not_to_contain_text("already declared")
    expect(lab.outputs(first)).to_contain_text("stale")
    # The cell built on the old `f` is marked stale in place (update_display_data).
    expect(lab.outputs(check)).to_contain_text("stale: re-run")
    expect(lab.outputs(check)).to_contain_text("f : Nat")
    lab.screenshot("rerun")

    simp_lemma = lab.run("@[simp] theorem f_def : f = 37 := by rfl")
    expect(error_output(lab, simp_lemma)).to_have_count(0)
    trace = lab.run("set_option trace.Meta.Tactic.simp true")
    expect(error_output(lab, trace)).to_have_count(0)

    sorry = lab.run("example : f = 37 := by sorry")
    out = html_output(lab, sorry)
    expect(out.locator(".lean-sorry .lean-goal-target")).to_have_text("⊢ f = 37")
    expect(out.locator(".lean-warning")).to_contain_text("declaration uses `sorry`")
    expect(error_output(lab, sorry)).to_have_count(0)

    # Tactic mode on the sorry's proof state: simp closes the goal, with the trace on.
    tactic = lab.run("%proofstate\nsimp")
    expect(error_output(lab, tactic)).to_have_count(0)
    expect(lab.outputs(tactic)).to_contain_text("f_def")
    expect(lab.outputs(tactic)).to_contain_text(re.compile("complete", re.I))
    for i in range(tactic + 1):
        assert_no_json_tree(lab, i)
    readme_shot(lab, "kernel", first, tactic)

    # The goal widget inside the Lean kernel: ipywidgets over the kernel's own comm wiring.
    widget = lab.run("%reset\n%widget on\ndef f : Nat := by have t := 37; exact t")
    expect(error_output(lab, widget)).to_have_count(0)
    step_widget_checks(lab, widget)

    lab.assert_clean()


def test_python_notebook_lean_magic(lab):
    lab.open()
    lab.new_notebook("Python 3 (ipykernel)")

    load = lab.run("%load_ext lean_magic")
    expect(error_output(lab, load)).to_have_count(0)
    expect(lab.outputs(load)).to_have_count(0)

    defined = lab.run("%%lean\ndef f := 2")
    expect(error_output(lab, defined)).to_have_count(0)

    check = lab.run("%%lean\n#check f")
    assert_no_json_tree(lab, check)
    expect(html_output(lab, check)).to_contain_text("f : Nat")

    bad = lab.run("%%lean\n#check g")
    assert_no_json_tree(lab, bad)
    expect(html_output(lab, bad).locator(".lean-error")).to_contain_text("Unknown identifier `g`")
    expect(html_output(lab, bad).locator(".lean-error .lean-pos")).to_contain_text("1:7")

    sorry = lab.run("%%lean --fresh\ndef f : Nat := by sorry")
    assert_no_json_tree(lab, sorry)
    expect(html_output(lab, sorry).locator(".lean-sorry .lean-goal-target")).to_have_text("⊢ Nat")
    lab.screenshot("sorry")

    widget = lab.run("%%lean --widget --fresh\ndef f : Nat := by have t := 37; exact t")
    expect(error_output(lab, widget)).to_have_count(0)
    step_widget_checks(lab, widget)
    readme_shot(lab, "magic", check, widget)

    lab.assert_clean()
