"""benchmarks/bench_bundle_manifest.py runs end to end (marker `benchmark`: run by .ci/run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_bundle_manifest.py"


@pytest.mark.benchmark
def test_manifest_benchmark_runs():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--files", "200", "800", "--binary-mb", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["files", "count", "s", "hash"]
    rows = [line.split() for line in lines[1:]]
    assert [r[0] for r in rows] == ["200", "800"]
    assert all(float(r[3]) >= 0 for r in rows)  # check seconds printed for each size
