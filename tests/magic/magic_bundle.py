"""A fake offline Lean bundle around the stand-in REPL (used by conftest.fake_bundle and
by tests that lay out their own bundle)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------- a fake bundle

LEAN_VERSION_SCRIPT = '#!/bin/sh\necho "Lean (version {version}, x86_64-unknown-linux-gnu, commit 0123abc, Release)"\n'
LAKE_SCRIPT = '#!/bin/sh\necho "Lake version 5.0.0-0123abc (Lean version {version})"\n'


def _write(path: Path, text: str, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if executable:
        path.chmod(0o755)


def make_bundle(
    root: Path,
    *,
    standin_argv: list[str],
    env_log: Path,
    toolchain_version: str = "4.33.0-rc2",
    project_pin: str = "v4.33.0-rc2",
    repl_pin: str = "v4.33.0-rc2",
    with_repl: bool = True,
    with_lean: bool = True,
    executable: bool = True,
) -> Path:
    """A bundle laid out like a real one: toolchain/, project/ (with .lake build outputs
    and a mathlib package), repl/ (a REPL source tree whose binary execs the stand-in).
    The repl script first writes its environment and cwd to ``env_log``."""
    bundle = root / "bundle"
    tc = bundle / "toolchain"
    if with_lean:
        _write(tc / "bin" / "lean", LEAN_VERSION_SCRIPT.format(version=toolchain_version), executable=True)
    _write(tc / "bin" / "lake", LAKE_SCRIPT.format(version=toolchain_version), executable=True)
    _write(tc / "lib" / "lean" / "Init.olean", "fake olean")
    project = bundle / "project"
    _write(project / "lean-toolchain", f"leanprover/lean4:{project_pin}\n")
    _write(project / "lakefile.toml", 'name = "project"\n[[require]]\nname = "mathlib"\n')
    _write(project / "Project.lean", "import Mathlib\n")
    _write(project / ".lake" / "build" / "lib" / "lean" / "Project.olean", "fake olean")
    mathlib = project / ".lake" / "packages" / "mathlib"
    _write(mathlib / "Mathlib.lean", "-- fake\n")
    _write(mathlib / ".lake" / "build" / "lib" / "lean" / "Mathlib.olean", "fake olean")
    _write(project / ".lake" / "packages" / "batteries" / ".lake" / "build" / "lib" / "lean" / "Batteries.olean", "x")
    repl_src = bundle / "repl"
    _write(repl_src / "lean-toolchain", f"leanprover/lean4:{repl_pin}\n")
    _write(repl_src / "lakefile.lean", "-- fake\n")
    _write(repl_src / "REPL" / "Main.lean", "-- fake\n")
    if with_repl:
        argv = " ".join(f"'{a}'" for a in standin_argv)
        script = (
            f'#!/bin/sh\n{{ env; echo "CWD=$(pwd)"; }} > "{env_log}"\nexport PYTHONPATH="{REPO}"\nexec {argv} "$@"\n'
        )
        _write(repl_src / ".lake" / "build" / "bin" / "repl", script, executable=True)
    if not executable:
        for binary in [*(tc / "bin").iterdir(), repl_src / ".lake" / "build" / "bin" / "repl"]:
            if binary.exists():
                binary.chmod(0o644)
    return bundle


def make_read_only(path: Path) -> None:
    for folder, _dirs, files in os.walk(path):
        for name in files:
            p = Path(folder) / name
            p.chmod(p.stat().st_mode & ~0o222)
    for folder, _dirs, _files in os.walk(path, topdown=False):
        p = Path(folder)
        p.chmod(p.stat().st_mode & ~0o222)


def make_writable(path: Path) -> None:
    for folder, _dirs, files in os.walk(path):
        Path(folder).chmod(Path(folder).stat().st_mode | stat.S_IWUSR)
        for name in files:
            p = Path(folder) / name
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | stat.S_IWUSR)
