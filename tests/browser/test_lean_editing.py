"""Typing Lean in JupyterLab with the extension the wheel installs (labextension/):
abbreviations become symbols as you type, and Lean is highlighted, in the Lean kernel's
cells and in `%%lean` cells of a Python notebook. Styles are read from the DOM (computed
CSS) and compared with the theme's own keyword, comment and string styles.

No cell is run: the stand-in REPL is not needed for editing (the server still has it).
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from .conftest import LABEXTENSION, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WAIT_S = 10.0
WAIT_MS = 30_000


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect  # the browser extra only

    return playwright_expect(*args, **kwargs)


def theme(lab, var: str) -> dict:
    return lab.theme_style(f"color: var(--jp-mirror-editor-{var}-color)")


def wait_style(lab, index: int, needle: str, want: dict, occurrence: int = 0) -> dict:
    """The style of ``needle`` once it has the wanted fields (highlighting may land a frame
    after the text); fails with what it has otherwise."""
    deadline = time.monotonic() + WAIT_S
    while True:
        got = lab.style_at(index, needle, occurrence)
        if got is not None and all(got[k] == v for k, v in want.items()):
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} in cell {index}: style {got}, wanted {want}")
        time.sleep(0.1)


def wait_text(lab, index: int, want: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while (got := lab.editor_text(index)) != want:
        if time.monotonic() > deadline:
            raise AssertionError(f"cell {index} reads {got!r}, wanted {want!r}")
        time.sleep(0.1)


def readme_shot_with(lab, name: str, first: int, popup) -> None:
    """A picture from cell ``first`` to the bottom of ``popup`` (the open completer), for the
    README when LEAN_UPDATE_SCREENSHOTS is set. The popup must stay open, so unlike the
    other README pictures the cell keeps its cursor."""
    lab.page.add_style_tag(content=".jp-Collapser, .jp-cell-toolbar { visibility: hidden !important; }")
    top = lab.cell(first).bounding_box()
    bottom = popup.bounding_box()
    clip = {
        "x": top["x"],
        "y": top["y"],
        "width": top["width"],
        "height": bottom["y"] + bottom["height"] + 8 - top["y"],
    }
    path = lab.screenshot(name, clip=clip)
    if os.environ.get("LEAN_UPDATE_SCREENSHOTS"):
        shutil.copyfile(path, SCREENSHOTS / f"{name}.png")


def check_lean_highlighting(lab, index: int) -> None:
    """The cell holds LEAN_SAMPLE: keywords, a tactic, comments (one nested), a string, a
    `#command` and an attribute each carry their style; words inside comments do not."""
    keyword = {"color": theme(lab, "keyword")["color"], "fontWeight": "700"}
    comment = {"color": theme(lab, "comment")["color"], "fontStyle": "italic"}
    wait_style(lab, index, "theorem", keyword, occurrence=1)  # 0 is in the nested comment
    wait_style(lab, index, "#check", keyword)
    wait_style(lab, index, "by", keyword)
    wait_style(lab, index, "simp", {"color": theme(lab, "builtin")["color"]}, occurrence=1)  # the tactic
    wait_style(lab, index, "@[simp]", {"color": theme(lab, "meta")["color"]})
    wait_style(lab, index, '"two"', {"color": theme(lab, "string")["color"]})
    wait_style(lab, index, "37", {"color": theme(lab, "number")["color"]})
    # `/- a nested /- comment -/ still: theorem -/`: the comment runs to the second `-/`.
    wait_style(lab, index, "theorem -/", comment)
    wait_style(lab, index, "-- a theorem", comment)


LEAN_SAMPLE = (
    "/- a nested /- comment -/ still: theorem -/\n"
    "@[simp] theorem two_eq : 2 = 2 := by simp -- a theorem\n"
    'def greeting := "two"\n'
    "#check 37"
)


def test_lean_kernel_cells(lab):
    lab.open()
    assert LABEXTENSION in lab.federated_extensions()
    lab.new_notebook("Lean 4")

    typed = lab.add_cell("")
    # Key by key: `\alpha` is replaced as soon as it can only mean α; `\to` and `\N` wait
    # for the space (`\top`, `\Nat`... also start so).
    lab.type_in_cell(typed, "theorem t (x : \\alpha) : \\N \\to \\N ")
    wait_text(lab, typed, "theorem t (x : α) : ℕ → ℕ ")
    wait_style(lab, typed, "theorem", {"color": theme(lab, "keyword")["color"], "fontWeight": "700"})

    sample = lab.add_cell(LEAN_SAMPLE)
    check_lean_highlighting(lab, sample)

    # Tab asks the kernel: `\al` is no abbreviation, so JupyterLab lists the symbols that
    # start so (shortest abbreviation first, with it beside each symbol); Enter takes one.
    tab = lab.add_cell("")
    lab.type_in_cell(tab, "example : \\al")
    lab.page.keyboard.press("Tab")
    completer = lab.page.locator(".jp-Completer:visible")
    expect(completer.locator(".jp-Completer-item").first).to_contain_text("∀", timeout=WAIT_MS)
    expect(completer).to_contain_text("ℵ")
    expect(completer).to_contain_text("\\aleph")
    readme_shot_with(lab, "typing", typed, completer)
    lab.page.keyboard.press("Enter")
    wait_text(lab, tab, "example : ∀")

    # An abbreviation still being typed (`\N` may become `\Nat`...) is replaced before the
    # cell runs, so the kernel never receives `\N`.
    run = lab.add_cell("")
    lab.type_in_cell(run, "#check \\N")
    expect(lab.cell(run).locator(".lean-abbreviation")).to_have_text("\\N")  # underlined
    lab.page.keyboard.press("Shift+Enter")
    wait_text(lab, run, "#check ℕ")
    lab.wait_kernel_idle()
    # What the kernel sent: the stand-in has no recording for it and quotes the request.
    expect(lab.cell(run).locator(".jp-OutputArea")).to_contain_text('"cmd":"#check ℕ"')
    lab.assert_clean()


def test_lean_cells_in_a_python_notebook(lab):
    lab.open()
    lab.new_notebook("Python 3 (ipykernel)")
    load = lab.run("%load_ext lean_magic")  # brings Tab completion in %%lean cells
    expect(lab.outputs(load)).to_have_count(0)

    python = lab.add_cell("def f(x): return x\nx = 1  # theorem")
    wait_style(lab, python, "def", {"color": theme(lab, "keyword")["color"]})
    python_comment = wait_style(lab, python, "# theorem", {"fontStyle": "italic"})

    lean = lab.add_cell("")
    lab.type_in_cell(lean, "%%lean\ntheorem t (x : \\alpha) : \\N \\to \\N ")
    wait_text(lab, lean, "%%lean\ntheorem t (x : α) : ℕ → ℕ ")
    wait_style(lab, lean, "theorem", {"color": theme(lab, "keyword")["color"], "fontWeight": "700"})

    # Tab asks ipykernel, whose completer lean_magic extended: `\N` has one answer, ℕ,
    # which JupyterLab offers and a second Tab inserts (its rule for a single completion
    # that does not start with the typed text; IPython's `\alpha` in Python works so too).
    lab.type_in_cell(lean, ": \\N")
    lab.page.keyboard.press("Tab")
    completer = lab.page.locator(".jp-Completer:visible")
    expect(completer.locator(".jp-Completer-item")).to_have_count(1, timeout=WAIT_MS)
    expect(completer).to_contain_text("ℕ")
    lab.page.keyboard.press("Tab")
    wait_text(lab, lean, "%%lean\ntheorem t (x : α) : ℕ → ℕ : ℕ")

    sample = lab.add_cell("%%lean\n" + LEAN_SAMPLE)
    check_lean_highlighting(lab, sample)
    # Python would make `#check` a comment, as it did before the extension.
    assert lab.style_at(sample, "#check")["fontStyle"] != python_comment["fontStyle"]

    # In Python code a backslash is Python's: nothing is replaced.
    lab.type_in_cell(python, "\ns = '\\alpha '")
    wait_text(lab, python, "def f(x): return x\nx = 1  # theorem\ns = '\\alpha '")

    # The first line decides: once `%%lean` is gone, the cell is Python again.
    lab.set_cell(lean, "theorem_name = 1")
    wait_style(lab, lean, "theorem_name", {"fontWeight": "400"})
    lab.screenshot("lean-magic-cells")
    lab.assert_clean()
