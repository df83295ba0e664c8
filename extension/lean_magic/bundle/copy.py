"""Make a bundle usable where it lies: a writable copy of a read-only project whose
build outputs stay symlinks to the originals, and executable copies of binaries that lost
their executable bit.

Why: the REPL runs in the project folder, and ``pickleTo`` / lake write there, but
Kaggle's ``/kaggle/input`` is read-only; uploading a dataset also drops executable bits,
and chmod is impossible on a read-only mount. The copy holds the project's own files;
``.lake/build`` and every ``.lake/packages/<pkg>`` are symlinks to the read-only
originals (Lean only reads .olean files), so Mathlib's gigabytes are not copied.
``link_packages=False`` copies package sources too and links only their ``.lake/build``
(for lake, which writes into package folders); see benchmarks/bench_magic_setup.py for
the cost of each on a Mathlib-sized fake tree.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .discover import Installation, SetupError, toolchain_version

COPY_MARKER = ".lean-magic-copy"  # written into a project copy; names its source


def is_writable(folder: Path) -> bool:
    """Really writable: a read-only mount (Kaggle's /kaggle/input) fails the probe, and a
    tree without write bits counts as read-only even for root, who could write it."""
    try:
        if not folder.stat().st_mode & 0o222:
            return False
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".lean-magic-probe-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def default_workdir() -> Path:
    return Path(tempfile.gettempdir()) / "lean-magic"


def _fresh_dest(dest: Path, source: Path, **info: Any) -> None:
    """Make ``dest`` an empty folder of ours. An earlier copy of ours is replaced; a
    foreign non-empty folder is never deleted."""
    if dest.exists() or dest.is_symlink():
        if not (dest / COPY_MARKER).is_file() and dest.is_dir() and any(dest.iterdir()):
            raise SetupError(f"{dest} exists and was not made by lean_magic; pass another workdir=")
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        else:
            dest.unlink()
    dest.mkdir(parents=True)
    (dest / COPY_MARKER).write_text(json.dumps({"source": str(source), **info}) + "\n")


def prepare_project(source: Path, dest: Path, *, link_packages: bool = True) -> Path:
    """A writable copy of a Lean project whose build outputs are symlinks to ``source``."""
    source, dest = Path(source).resolve(), Path(dest)
    _fresh_dest(dest, source, link_packages=link_packages)
    _copy_tree(source, dest, top=True, link_packages=link_packages)
    return dest


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def prepare_toolchain(source: Path, dest: Path) -> Path:
    """A toolchain whose ``bin`` files are executable copies and whose other folders
    (lib, include, ...) are symlinks to ``source``: for bundles that lost their
    executable bits (uploading a dataset does that), where chmod is impossible."""
    source, dest = Path(source).resolve(), Path(dest)
    _fresh_dest(dest, source)
    for entry in sorted(source.iterdir()):
        if entry.name == "bin" and entry.is_dir():
            (dest / "bin").mkdir()
            for tool in sorted(entry.iterdir()):
                if tool.is_file():
                    shutil.copyfile(tool, dest / "bin" / tool.name)
                    os.chmod(dest / "bin" / tool.name, 0o755)
        else:
            os.symlink(entry, dest / entry.name)
    return dest


def make_runnable(inst: Installation, root: Path) -> list[str]:
    """Executable copies of the toolchain's binaries and of the repl when the bundle's
    lack the executable bit. Returns what was done, in words."""
    notes = []
    tc = inst.toolchain_dir
    if tc is not None and (tc / "bin").is_dir():
        tools = [t for t in (tc / "bin").iterdir() if t.is_file()]
        if tools and not all(_runnable(t) for t in tools):
            inst.toolchain_dir = prepare_toolchain(tc, root / "toolchain")
            notes.append(f"toolchain binaries were not executable: copied to {inst.toolchain_dir / 'bin'}")
            if inst.toolchain_version_source != f"{tc / 'bin' / 'lean'} --version":
                inst.toolchain_version, inst.toolchain_version_source = toolchain_version(inst.toolchain_dir)
    repl = inst.repl_path
    if repl is not None and repl.is_file() and not _runnable(repl):
        dest = root / "bin" / "repl"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repl, dest)
        os.chmod(dest, 0o755)
        inst.repl_path = dest
        notes.append(f"the repl binary was not executable: copied to {dest}")
    return notes


def _copy_tree(src: Path, dst: Path, *, top: bool, link_packages: bool) -> None:
    for entry in sorted(src.iterdir()):
        target = dst / entry.name
        if entry.name == ".git":
            continue  # history is not needed to run Lean, and can be large
        if entry.name == ".lake" and entry.is_dir():
            _copy_lake(entry, target, top=top, link_packages=link_packages)
        elif entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        elif entry.is_dir():
            target.mkdir()
            _copy_tree(entry, target, top=False, link_packages=link_packages)
        else:
            _copy_file(entry, target)


def _copy_file(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    # Keep the executable bit, drop read-only: the copy exists to be writable.
    os.chmod(dst, (src.stat().st_mode & 0o777) | 0o200)


def _copy_lake(src: Path, dst: Path, *, top: bool, link_packages: bool) -> None:
    dst.mkdir()
    for entry in sorted(src.iterdir()):
        target = dst / entry.name
        if entry.name == "build":
            os.symlink(entry, target)
        elif entry.name == "packages" and top and entry.is_dir():
            target.mkdir()
            for pkg in sorted(entry.iterdir()):
                if link_packages or not pkg.is_dir():
                    os.symlink(pkg, target / pkg.name)
                else:
                    (target / pkg.name).mkdir()
                    _copy_tree(pkg, target / pkg.name, top=False, link_packages=link_packages)
        elif entry.is_dir():
            shutil.copytree(entry, target, symlinks=True, copy_function=shutil.copyfile)
        else:
            _copy_file(entry, target)
