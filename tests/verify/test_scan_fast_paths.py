"""The scan's shortcuts report what the plain scan reports: the needle pre-check never
skips a word a rule is about, and replaying a scan for a reading that shares the code of
an earlier one gives what running it again gives. Its time grows linearly on every shape
the benchmark times."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lean_magic.verify import scan

from lean_kernel.lean_text import WORD, readings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from scan_shapes import SHAPES

# Words every rule is about, their dotted parts, «» quotes around parts, and other text.
_WORD_PIECES = st.sampled_from(
    [
        *sorted(
            scan._PLAIN_HITS
            | {"debug", "pp", "warn", "sorry", "skipKernelTC", "__stmt", "__verify", "Lean", "_root_", "x", "h"}
        ),
        ".",
        "«",
        "»",
        "#",
        " ",
        "(",
        "1",
        "_",
        "'",
        "a.b",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_WORD_PIECES, max_size=12).map("".join))
def test_needles_find_every_word_a_rule_is_about(text):
    hits = [w for w in WORD.findall(text) if scan._verdict(w)[1] is not None or scan._verdict(w)[3]]
    if hits:
        assert scan._NEEDLES.search(scan._chunks(text)), (text, hits)


_CANDIDATE_PIECES = st.sampled_from(
    [
        "axiom a : False\n",
        "run_cmd pure ()\n",
        's!"{x}"',
        's!"{',
        '}"',
        '"a{"',
        '"{"',
        'notation "PLift.up" x => x\n',
        "set_option debug.skipKernelTC true\n",
        "theorem t0 : True := trivial\n",
        "theorem A.t0 : True := trivial\n",
        '"t0"',
        "export B (t0)\n",
        "x__stmt ",
        "@[implemented_by f] ",
        "-- c\n",
        "\n",
        " ",
        "{",
        "}",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CANDIDATE_PIECES, max_size=40).map("".join))
def test_replayed_scans_report_what_running_them_again_reports(text):
    names = ["t0"]
    findings = scan._Findings(text)
    for reading in readings(text):
        for run, _ in scan._CODE_SCANS:
            run(reading, names, findings)
    scan._scan_imports(readings(text)[0], set(), findings)
    plain = [(m.reason, m.message, m.declaration) for m in findings.result()]
    assert [(m.reason, m.message, m.declaration) for m in scan.scan_candidate(text, names, [])] == plain


def test_scan_time_grows_linearly_on_the_benchmarks_shapes():
    # Four times the text takes about four times as long, for every shape
    # benchmarks/bench_scan.py times (best of 3, CPU time: less noisy on a shared
    # machine). The bound (10x, with 30 ms of slack) fails a quadratic scan (16x).
    for name, make in SHAPES.items():
        small, large = (
            _cpu_time(functools.partial(scan.scan_candidate, make(size), ["t0"], [])) for size in (100_000, 400_000)
        )
        assert large < 10 * small + 0.03, (name, small, large)


def _cpu_time(fn) -> float:
    times = []
    for _ in range(3):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)
