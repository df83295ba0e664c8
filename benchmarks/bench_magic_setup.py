"""How long does lean_magic.setup take to make a read-only project writable?

Builds a fake Mathlib-sized project (a package with N source files and N .olean files, a
project build folder) and times ``prepare_project`` with each strategy:

- link_packages=True (the default): copy the project's own files, symlink .lake/build and
  every .lake/packages/<pkg>: constant cost, whatever the size of Mathlib;
- link_packages=False: also copy each package's sources, symlink only their .lake/build
  (what lake needs if it must write into package folders);
- a full copy (shutil.copytree), what a naive set-up would do, for scale.

    python benchmarks/bench_magic_setup.py [--files 6000] [--source-kb 8] [--olean-kb 64]

Prints seconds and bytes written per strategy, and the ratios to the default.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "extension"))

from lean_magic.bundle import prepare_project


def build_tree(root: Path, files: int, source_kb: int, olean_kb: int) -> Path:
    project = root / "project"
    (project / ".lake" / "build" / "lib" / "lean").mkdir(parents=True)
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.19.0\n")
    (project / "lakefile.toml").write_text('name = "project"\n')
    (project / "Project.lean").write_text("import Mathlib\n")
    source = b"-- " + b"x" * (source_kb * 1024 - 4) + b"\n"
    olean = b"\0" * (olean_kb * 1024)
    pkg = project / ".lake" / "packages" / "mathlib"
    per_dir = 200
    for i in range(files):
        sub = f"D{i // per_dir}"
        src = pkg / "Mathlib" / sub
        out = pkg / ".lake" / "build" / "lib" / "lean" / "Mathlib" / sub
        if i % per_dir == 0:
            src.mkdir(parents=True)
            out.mkdir(parents=True)
        (src / f"F{i}.lean").write_bytes(source)
        (out / f"F{i}.olean").write_bytes(olean)
    return project


def tree_bytes(path: Path) -> int:
    total = 0
    for folder, _dirs, names in os.walk(path):  # os.walk does not follow symlinks
        for name in names:
            p = Path(folder) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=6000, help="Mathlib-like source files (Mathlib has ~7000)")
    parser.add_argument("--source-kb", type=int, default=8)
    parser.add_argument("--olean-kb", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-magic-setup-") as tmp:
        root = Path(tmp)
        project = build_tree(root, args.files, args.source_kb, args.olean_kb)
        size = tree_bytes(project)
        results = {
            "link_packages=True (default)": timed(lambda: prepare_project(project, root / "linked")),
            "link_packages=False": timed(lambda: prepare_project(project, root / "sources", link_packages=False)),
            "full copy (copytree)": timed(lambda: shutil.copytree(project, root / "full", symlinks=True)),
        }
        written = {
            "link_packages=True (default)": tree_bytes(root / "linked"),
            "link_packages=False": tree_bytes(root / "sources"),
            "full copy (copytree)": tree_bytes(root / "full"),
        }
    print(
        f"fake project: {args.files} sources x {args.source_kb} KiB + {args.files} oleans x {args.olean_kb} KiB "
        f"= {size / 2**20:.0f} MiB"
    )
    base = results["link_packages=True (default)"]
    for name, seconds in results.items():
        print(f"{name:32s} {seconds:8.3f} s  {written[name] / 2**20:9.1f} MiB written  x{seconds / base:7.1f}")


if __name__ == "__main__":
    main()
