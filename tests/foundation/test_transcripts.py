"""Every recorded request of every Lean version, through the real client.

Each ``.in`` file (Mathlib/test ones included) runs in a fresh stand-in loaded with just
that file, so env and proof-state ids start from 0 as they did when it was recorded.
Every request is parsed with ``protocol.parse_request``, sent with ``ReplProcess.request``
and the typed response must re-serialise to the same JSON object as the recorded block.
Transcripts without an ``.expected.out`` still run (the stand-in answers "no recording"
or "Unknown environment.", which must come back as a ReplErrorResponse); they are counted
separately.

Coverage numbers come from globbing the recordings folder, never from typed-in counts.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lean_kernel.process import ReplProcess
from lean_kernel.protocol import ReplErrorResponse, parse_request
from lean_kernel.testing.transcripts import (
    IN_SUFFIX,
    OUT_SUFFIX,
    default_root,
    list_version_folders,
    load_transcript,
)

ROOT = default_root()
VERSIONS = [p.name for p in list_version_folders(ROOT)] if ROOT.is_dir() else []
# Each transcript needs its own process; overlapping their start-up uses both cores.
WORKERS = max(2, 2 * (os.cpu_count() or 1))


@dataclass
class Coverage:
    transcripts: int = 0
    requests: int = 0
    without_expected: int = 0
    requests_without_expected: int = 0
    in_files_on_disk: int = 0
    failures: list[str] = field(default_factory=list)


COVERAGE: dict[str, Coverage] = {}


def in_files(version_dir: Path) -> list[Path]:
    return sorted(p for p in version_dir.rglob("*" + IN_SUFFIX) if p.is_file())


def drive(path: Path, make_config) -> tuple[int, bool, list[str]]:
    """Replay one transcript through a fresh client; returns (requests, has_expected, failures)."""
    transcript = load_transcript(path)
    has_expected = path.with_name(path.name[: -len(IN_SUFFIX)] + OUT_SUFFIX).exists()
    assert transcript.has_responses == has_expected
    failures: list[str] = []
    proc = ReplProcess(make_config(recordings=path, scripted=False, timeout=30))
    try:
        for i, (obj, recorded) in enumerate(transcript.exchanges, 1):
            where = f"{transcript.key} request {i}"
            req = parse_request(obj)
            if req.to_json() != obj:
                failures.append(f"{where}: parse_request does not round-trip: {obj} -> {req.to_json()}")
            resp = proc.request(req)
            if recorded is None:
                if not isinstance(resp, ReplErrorResponse):
                    failures.append(f"{where}: no recording, yet got {resp.to_json()}")
            elif resp.to_json() != json.loads(recorded):
                failures.append(f"{where}: got {json.dumps(resp.to_json())[:300]}, recorded {recorded[:300]}")
        if proc.generation != 1 or proc.requests_served != len(transcript.exchanges):
            failures.append(f"{transcript.key}: restarted (generation {proc.generation}) or lost requests")
    finally:
        proc.close()
    return len(transcript.exchanges), has_expected, failures


@pytest.mark.parametrize("version", VERSIONS)
def test_every_transcript_of_a_version_replays_through_the_client(version, standin_config):
    files = in_files(ROOT / version)
    assert files, f"no .in files under {ROOT / version}"
    cov = Coverage(in_files_on_disk=len(files))
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda p: (p, drive(p, standin_config)), files))
    for _path, (requests, has_expected, failures) in results:
        cov.transcripts += 1
        cov.requests += requests
        if not has_expected:
            cov.without_expected += 1
            cov.requests_without_expected += requests
        cov.failures += failures
    assert not cov.failures, f"{len(cov.failures)} mismatches, first ones:\n" + "\n".join(cov.failures[:10])
    assert cov.transcripts == cov.in_files_on_disk
    assert cov.requests > 0
    COVERAGE[version] = cov


def test_coverage_is_every_version_and_every_in_file(capsys):
    """Runs after the per-version tests (file order) and checks they covered the disk."""
    on_disk = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name.startswith("v"))
    assert VERSIONS == [v for v in VERSIONS if v in on_disk] and sorted(VERSIONS) == on_disk, (
        f"version folders on disk {on_disk} vs parametrised {VERSIONS}"
    )
    missing = [v for v in VERSIONS if v not in COVERAGE]
    if missing and len(missing) < len(VERSIONS):
        pytest.fail(f"versions not (successfully) replayed: {missing}")
    if missing:
        pytest.skip("run the whole module to get the coverage table")
    all_in = sorted(ROOT.glob("v*/**/*" + IN_SUFFIX))
    total = Coverage()
    lines = [f"{'version':<14}{'transcripts':>12}{'requests':>10}{'no .expected.out':>18}"]
    for v in VERSIONS:
        c = COVERAGE[v]
        total.transcripts += c.transcripts
        total.requests += c.requests
        total.without_expected += c.without_expected
        total.requests_without_expected += c.requests_without_expected
        lines.append(
            f"{v:<14}{c.transcripts:>12}{c.requests:>10}{c.without_expected:>10} ({c.requests_without_expected} req)"
        )
    lines.append(
        f"{'total':<14}{total.transcripts:>12}{total.requests:>10}"
        f"{total.without_expected:>10} ({total.requests_without_expected} req)"
    )
    with capsys.disabled():
        print("\nrecorded transcripts replayed through ReplProcess:\n" + "\n".join(lines))
    assert total.transcripts == len(all_in)
    assert len(COVERAGE) == len(on_disk)
    compared = total.requests - total.requests_without_expected
    assert compared > 0 and total.without_expected < total.transcripts
