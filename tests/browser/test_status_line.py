"""The running-status line in JupyterLab: it appears while a slow cell runs, counts up,
mentions interrupting, and is gone when the result is shown, in the Lean kernel and in
a Python notebook's %%lean cell.

The stand-in (configured for the whole server through LEAN_STANDIN_ARGS) delays the
recorded `#check f` (dup_msg.in, on the env of `def f := 2`) by 4 s; the line mentions
interrupting after 2 s. With LEAN_UPDATE_SCREENSHOTS=1 the kernel's running cell becomes
the README's docs/screenshots/status.png.
"""

from __future__ import annotations

import re

import pytest

from lean_kernel.status import ENV_STATUS_HINT_AFTER
from lean_kernel.testing.standin import ENV_ARGS

from .test_jupyterlab import error_output, expect, html_output, readme_shot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

SLOW = "#check f"


@pytest.fixture
def slow_check(monkeypatch):
    """Set before the server starts: its kernels, and their stand-ins, inherit it."""
    monkeypatch.setenv(ENV_ARGS, f"--delay-on '{SLOW}=4'")
    monkeypatch.setenv(ENV_STATUS_HINT_AFTER, "2")


def run_and_watch_the_line(lab, text: str, words: str, shot: str | None = None) -> int:
    """Start a cell without waiting for it; check its status line counts up and mentions
    interrupting, then that the result replaces it."""
    index = lab.add_cell(text)
    lab.cell(index).locator(".cm-content").click()
    lab.page.keyboard.press("Shift+Enter")
    line = lab.cell(index).locator(".lean-status")
    expect(line).to_be_visible(timeout=10_000)
    expect(line).to_contain_text(re.compile(rf"^{re.escape(words)} · \d+ s"))
    expect(line.locator(".lean-status-hint")).to_have_text(" · ■ / Ctrl-C to interrupt", timeout=10_000)
    lab.screenshot(f"{words.replace(' ', '-')}-running")
    if shot:
        readme_shot(lab, shot, index, index)
    lab.wait_kernel_idle()
    expect(line).to_have_count(0)
    expect(html_output(lab, index)).to_contain_text("f : Nat")
    expect(lab.outputs(index)).to_have_count(1)  # the result alone: no empty leftover
    expect(error_output(lab, index)).to_have_count(0)
    return index


def test_status_line_in_the_lean_kernel(slow_check, lab):
    lab.open()
    lab.new_notebook("Lean 4")
    first = lab.run("def f := 2")
    expect(lab.outputs(first)).to_contain_text("Lean REPL ready")
    expect(lab.cell(first).locator(".lean-status")).to_have_count(0)  # a fast cell: no line
    run_and_watch_the_line(lab, SLOW, "elaborating", shot="status")
    lab.screenshot("status-done")
    lab.assert_clean()


def test_status_line_in_a_lean_magic_cell(slow_check, lab):
    lab.open()
    lab.new_notebook("Python 3 (ipykernel)")
    lab.run("%load_ext lean_magic")
    defined = lab.run("%%lean\ndef f := 2")
    expect(lab.cell(defined).locator(".lean-status")).to_have_count(0)
    run_and_watch_the_line(lab, f"%%lean\n{SLOW}", "elaborating")
    lab.assert_clean()
