"""benchmarks/bench_magic_setup.py runs end to end (marker `benchmark`: run by .ci/run)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_magic_setup.py"


@pytest.mark.benchmark
def test_setup_copy_benchmark_runs():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--files", "300", "--olean-kb", "4"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    lines = out.splitlines()
    assert lines[0].startswith("fake project: 300 sources")
    assert [ln.split()[0] for ln in lines[1:]] == ["link_packages=True", "link_packages=False", "full"]
    written = [float(re.search(r"([\d.]+) MiB written", ln).group(1)) for ln in lines[1:]]
    # the default writes (almost) nothing: the packages are symlinks; a full copy writes all
    assert written[0] < 0.1 < written[1] < written[2]
