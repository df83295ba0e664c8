"""benchmarks/bench_pool.py runs end to end with small numbers (its efficiency figures are
printed, not asserted: speed belongs to the benchmark, not to a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_pool.py"


@pytest.mark.benchmark
def test_bench_pool_smoke():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--delay", "0.02", "--items", "20", "--workers", "1,2", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("LeanPool efficiency against the ideal k*d/w")
    rows = [ln.split() for ln in lines if ln.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["1", "2"] and all(r[-1] == "%" for r in rows)
    assert "the target of 90 %" in lines[-1]
