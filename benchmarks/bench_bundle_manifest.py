"""What does checking a bundle against its manifest add to ``lean_magic.setup()``?

``setup()`` counts the files of each part of the bundle and hashes its three binaries
(``lean``, ``lake``, ``repl``) to catch an incomplete or mixed upload. This builds fake
bundles of growing size (a Mathlib-like project of N files, binaries of B MiB) and times
the check (``manifest.differences``), split into counting and hashing, so the cost per
thousand files and per MiB of binary can be read off. Mathlib's build has about 30,000
files under .lake (sources, .olean, .ilean, .trace); the real binaries are in the order of
100 MiB together.

    python benchmarks/bench_bundle_manifest.py [--files 2000 8000 32000] [--binary-mb 96]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lean_kernel.provision import manifest


def build_bundle(root: Path, files: int, binary_mb: int) -> Path:
    bundle = root / f"bundle-{files}"
    per_dir = 200
    lib = bundle / "project" / ".lake" / "packages" / "mathlib" / ".lake" / "build" / "lib" / "lean"
    for i in range(files):
        folder = lib / f"D{i // per_dir}"
        if i % per_dir == 0:
            folder.mkdir(parents=True)
        (folder / f"F{i}.olean").write_bytes(b"x" * 512)
    third = binary_mb * 2**20 // 3
    for rel in manifest.BINARIES:
        path = bundle / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(third))
    return bundle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, nargs="+", default=[2000, 8000, 32000])
    parser.add_argument("--binary-mb", type=int, default=96, help="the three binaries together, MiB")
    args = parser.parse_args()
    print(f"{'files':>8} {'count s':>9} {'hash s':>8} {'check s':>8} {'ms/1000 files':>14} {'MiB/s hashed':>13}")
    with tempfile.TemporaryDirectory(prefix="bench-manifest-") as tmp:
        for files in args.files:
            bundle = build_bundle(Path(tmp), files, args.binary_mb)
            found = manifest.describe(bundle, lean="4.19.0", repl={}, project={}, created_by="bench")
            start = time.perf_counter()
            counts = {p: manifest.count_files(bundle / p) for p in found.files}
            counted = time.perf_counter() - start
            start = time.perf_counter()
            for rel in found.sha256:
                manifest.sha256_file(bundle / rel)
            hashed = time.perf_counter() - start
            start = time.perf_counter()
            problems = manifest.differences(bundle, found, toolchain_version="4.19.0")
            checked = time.perf_counter() - start
            assert not problems and counts == found.files
            print(
                f"{files:>8} {counted:>9.3f} {hashed:>8.3f} {checked:>8.3f} {1000 * counted / files * 1000:>14.2f} "
                f"{args.binary_mb / hashed:>13.0f}"
            )


if __name__ == "__main__":
    main()
