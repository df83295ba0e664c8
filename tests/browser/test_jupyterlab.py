"""JupyterLab in headless Chromium: the Lean 4 kernel and the %%lean magic as a user sees them."""

from __future__ import annotations

import time
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_python_smoke(lab):
    t=time.time()
    lab.open()
    print("open", time.time()-t)
    cards = lab.launcher_cards("Notebook")
    print(cards)
    lab.new_notebook("Python 3 (ipykernel)")
    print("nb", time.time()-t)
    i = lab.run("print(1 + 1)\nx = (3,\n  4)\nprint(x)")
    print("run", time.time()-t)
    assert lab.output_text(i).strip() == "2\n(3, 4)"
    i = lab.run("print(5)")
    print("run2", time.time()-t)
    lab.screenshot("py")
    assert not lab.external_requests
