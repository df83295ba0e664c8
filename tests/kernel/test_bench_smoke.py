"""benchmarks/bench_kernel.py runs end to end with small numbers (timings are printed,
not asserted: they belong to the benchmark, not to a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_kernel.py"


@pytest.mark.benchmark
def test_bench_kernel_smoke():
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--cells",
            "25",
            "--warmup",
            "3",
            "--chain",
            "150",
            "--window",
            "20",
            "--block",
            "5",
            "--rerun-chain",
            "120",
            "--reruns",
            "2",
            "--rerun-repeats",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for row in (
        "raw pipe round trip",
        "REPL round trip inside the kernel",
        "kernel overhead per cell",
        "ratio kernel cell",
        "per-cell cost at 150 cells / at 100",
        "re-run of cell 2 (makes 118 cells stale)",
        "median re-run of cell 2",
    ):
        assert row in out
    assert "25 cells" in out
    assert [line.split()[0] for line in out.splitlines() if line.strip().startswith(("100 ", "150 "))] == ["100", "150"]
