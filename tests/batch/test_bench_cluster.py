"""benchmarks/bench_cluster.py runs end to end with small numbers (its efficiency figures
are printed, not asserted: speed belongs to the benchmark, not to a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_cluster.py"


@pytest.mark.benchmark
@pytest.mark.ray
@pytest.mark.timeout(600)
def test_bench_cluster_smoke():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--delay", "0.02", "--items", "20", "--workers", "1,2", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=560,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("LeanPool and RayPool against the ideal k*d/w")
    assert lines[1].startswith("Ray cluster start (ray.init")
    assert "Ray overhead per item" in lines[2]
    rows = [ln.split() for ln in lines if ln.strip()[:1].isdigit()]
    assert [(r[0], r[1]) for r in rows] == [("1", "local"), ("1", "ray"), ("2", "local"), ("2", "ray")]
    assert all(r.count("%") == 2 for r in rows)
    assert "the target of 85 %" in lines[-1]
