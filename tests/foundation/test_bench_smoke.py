"""benchmarks/bench_process.py runs end to end with small numbers and prints its tables.
(Numbers are not asserted: speed is the script's business, not a unit test's.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_process.py"


@pytest.mark.benchmark
def test_bench_process_prints_its_tables():
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--requests", "50", "--sizes", "1", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "(a) per-request cost, 50 requests each" in out
    assert re.search(r"ReplProcess\.request \(typed\)\s+[\d.]+\s+[\d.]+\s+[\d.]+", out)
    assert re.search(r"client overhead per request: [+-][\d.]+ us \(median\), ratio [\d.]+", out)
    assert "(b) huge responses" in out
    assert re.search(r"^\s+1\s+[\d.]+\s+[\d.]+\s+-?[\d.]+\s+[\d.]+\s+\d+$", out, re.M), out


PROTOCOL_SCRIPT = SCRIPT.with_name("bench_protocol.py")


@pytest.mark.benchmark
def test_bench_protocol_prints_typed_parse_against_json_loads_for_1_10_100_mib():
    run = subprocess.run(
        [sys.executable, str(PROTOCOL_SCRIPT), "--sizes", "1,10,100", "--repeats", "1", "--shapes", "messages"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "typed parse vs json.loads" in out
    rows = re.findall(
        r"^messages\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\w+)$", out, re.M
    )
    assert [int(r[0]) for r in rows] == [1, 10, 100], out
    # About 6,000 messages a MiB, as in a real answer; every answer re-serialises exactly.
    assert all(5000 * int(r[0]) < int(r[1]) < 8000 * int(r[0]) for r in rows), out
    assert all(r[7] == "exact" for r in rows), out
