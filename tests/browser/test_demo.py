"""`lean-kernel demo` in headless Chromium: the command a newcomer runs first opens the tour
in JupyterLab, its cells run on the replay kernel, goals come back rendered, and every
output says it is a replay of recorded Lean sessions.

The demo is started as a user starts it (``python -m lean_kernel demo --no-browser``),
with JupyterLab's options after ``--``; the server's Jupyter folders are the harness's
private ones, so nothing of the user's setup is read or changed.
"""

from __future__ import annotations

import sys

import pytest

from .conftest import ARTIFACTS, Lab, LabServer

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

TOUR = "lean4_tour.ipynb"
NOTICE = "replay of recorded Lean sessions"


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


class DemoServer(LabServer):
    """A LabServer whose JupyterLab is the one `lean-kernel demo` starts."""

    def start(self) -> None:
        self.write_lab_config()
        demo = [
            sys.executable,
            "-m",
            "lean_kernel",
            "demo",
            "--dir",
            str(self.base / "demo"),
            "--no-browser",
            "--port",
            str(self.port),
        ]
        self.launch([*demo, "--", *self.lab_options()], cwd=self.base)


@pytest.fixture
def demo_server(tmp_path, transcripts_root):
    server = DemoServer(tmp_path / "jupyterlab", {"LEAN_TRANSCRIPTS": str(transcripts_root)})
    server.start()
    try:
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        if server.log_path.exists():
            server.log_path.replace(ARTIFACTS / "jupyterlab-demo.log")


def test_demo_opens_the_tour_and_shows_rendered_goals(chromium_browser, demo_server, request):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 1500})
    page = context.new_page()
    page.set_default_timeout(30_000)
    lab = Lab(page, demo_server, "demo")
    page.on("console", lambda m: lab.console.append(f"[{m.type}] {m.text}"))
    page.on("pageerror", lambda e: lab.console.append(f"[pageerror] {e}"))
    try:
        page.goto(demo_server.lab_url(f"lab/tree/{TOUR}"))
        lab.notebook.wait_for(state="visible", timeout=60_000)
        lab.wait_kernel_idle()
        assert lab.kernel_name() == "Lean 4 (replay of recorded sessions)"

        code = [i for i in range(lab.cell_count()) if "jp-CodeCell" in (lab.cell(i).get_attribute("class") or "")]
        for i in code:
            lab.run_cell(i)
        texts = {lab.editor_text(i): i for i in code}

        sorry = texts["def f : Nat := by sorry"]
        expect(lab.outputs(sorry).locator(".lean-goal-target")).to_have_text("⊢ Nat")
        step = texts["%proofstate\napply Int.natAbs"]
        expect(lab.outputs(step).locator(".lean-goal-target")).to_have_text("⊢ Int")
        for i in code:  # every output says where its answers come from
            expect(lab.outputs(i).first).to_contain_text(NOTICE)
        lab.cell(sorry).scroll_into_view_if_needed()
        lab.screenshot("tour-goals")
        errors = [m for m in lab.console if m.startswith(("[error]", "[pageerror]"))]
        assert not errors, errors
    finally:
        context.close()
