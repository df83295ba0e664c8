"""JupyterLab in headless Chromium: a 50-item ``verify_many`` shown as its result collection
(the summary table, the SVG time histogram, failing items that expand to their messages).

The stand-in replays the scripted verify_* transcripts of tests/fixtures/scripted for the
add_zero statement: verify_ok_rfl (verified), verify_sorry (rejected: sorry, sorryAx) and
verify_kind_mismatch (rejected: kind_mismatch). With LEAN_UPDATE_SCREENSHOTS=1 the README's
picture docs/screenshots/batch.png is rewritten from the run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .test_jupyterlab import error_output, expect, html_output, readme_shot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "verify"))
from verify_transcripts import CASES, STATEMENTS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WAIT_MS = 60_000


def test_verify_many_summary_with_histogram(lab):
    cases = {c.name: c for c in CASES}
    good, sorry, kind = (cases[n].candidate for n in ("verify_ok_rfl", "verify_sorry", "verify_kind_mismatch"))
    # 50 candidates: 40 verified, 5 with sorry, 5 of the wrong kind.
    # The stand-in answers in well under a millisecond; it is told to take 30 ms per reply
    # and 250 ms for the `def foo` candidate, so the histogram has something to show.
    cell = (
        "import os\n"
        "os.environ['LEAN_STANDIN_ARGS'] = \"--delay 0.03 --delay-on 'def foo=0.25'\"\n"
        "from lean_magic.pool import verify_many\n"
        f"statement = {STATEMENTS['add_zero'].text!r}\n"
        f"good, cheat, wrong = {good!r}, {sorry!r}, {kind!r}\n"
        "candidates = ([good] * 8 + [cheat, wrong]) * 5\n"
        "results = verify_many(statement, candidates, workers=2, progress=False)\n"
        "results"
    )
    lab.open()
    lab.new_notebook("Python 3 (ipykernel)")
    index = lab.add_cell(cell)
    lab.run_cell(index, timeout=WAIT_MS * 3)
    expect(error_output(lab, index)).to_have_count(0)

    summary = html_output(lab, index).locator(".lean-batch")
    expect(summary).to_have_attribute("data-total", "50", timeout=WAIT_MS)
    expect(summary).to_have_attribute("data-passed", "40")
    expect(summary.locator(".lean-batch-head")).to_contain_text("80.0 % passed 50 items: 40 passed, 10 failed")
    table = summary.locator("table.lean-batch-table")
    expect(table).to_contain_text("verified 40 · rejected 10")
    expect(table).to_contain_text("kind_mismatch 5 · sorry 5 · sorryAx 5")
    expect(table).to_contain_text("p95")

    histogram = summary.locator("svg.lean-histogram")
    expect(histogram).to_be_visible()
    box = histogram.bounding_box()
    assert box and box["width"] >= 300 and box["height"] >= 100
    assert histogram.locator("rect.lean-bar").count() >= 1
    counts = histogram.locator("g.lean-bin").evaluate_all("gs => gs.map(g => [+g.dataset.passed, +g.dataset.failed])")
    assert sum(p for p, _ in counts) == 40 and sum(f for _, f in counts) == 10
    assert len(counts) == 8  # ceil(sqrt(50)) bins

    items = summary.locator("details.lean-batch-item")
    expect(items).to_have_count(10)
    first = items.first
    messages = first.locator("pre.lean-batch-messages")
    expect(messages).to_be_hidden()  # folded until clicked
    first.locator("summary").click()
    expect(messages).to_be_visible()
    expect(messages).to_contain_text("sorry")
    lab.screenshot("batch-summary")
    readme_shot(lab, "batch", index, index)

    lab.assert_clean()
