"""benchmarks/bench_status.py runs end to end with small numbers (timings are printed, not
asserted); it fails if a fast kernel cell sent any status message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_status.py"


@pytest.mark.benchmark
def test_bench_status_smoke():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--cells", "20", "--warmup", "3"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for row in ("clock alone", "session cell, status on", "kernel cell, status after 1 s", "on - off (medians)"):
        assert row in done.stdout
    assert "status messages on fast kernel cells: 0" in done.stdout
