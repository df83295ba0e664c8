"""benchmarks/bench_scan.py runs end to end with small numbers and prints its three tables
(its times are printed, not asserted: speed belongs to the benchmark, not to a test)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_scan.py"


@pytest.mark.benchmark
def test_bench_scan_smoke():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "0.01,0.02", "--repeats", "1", "--commands", "2,4", "--rounds", "3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("(a) text scan time (s)")
    assert re.search(r"^honest proofs\s+[\d.]+\s+[\d.]+\s+[\d.]+$", out, re.M), out
    assert re.search(r"recorded v4\.33\.0-rc2: 1 command \(50 chars\) -> 8952 bytes with the infotree", out)
    assert re.search(r"^\s+4\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$", out, re.M), out
    assert re.search(r"verifier's own cost [\d.]+ ms per candidate", out)
