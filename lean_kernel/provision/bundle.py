"""Copy a prepared Lean into one folder for a machine without network (a Kaggle dataset):

    OUT/toolchain/                      the Lean toolchain (elan's folder, links resolved)
    OUT/project/                        the project with its .lake build and packages
    OUT/repl/lean-toolchain             which Lean the REPL was built for
    OUT/repl/.lake/build/bin/repl       the REPL binary
    OUT/lean-bundle.json                the manifest (see ``manifest``)

This is the layout ``lean_magic.setup()`` looks for first. Copies hold no symlinks (a
dataset upload would drop them) and no ``.git`` folders (the REPL runs without lake,
which is the only reader of git metadata). ``--archive`` also writes ``OUT.zip``, one file
to upload, which Kaggle unpacks into a dataset folder.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

from ..steps import StepFailed, Steps
from . import manifest
from .prepare import Prepared

# A Lean project's .lake holds git clones of its packages; Lean needs none of their history.
_SKIP = shutil.ignore_patterns(".git")


def check_destination(out: Path, version: str) -> None:
    """OUT must be new, empty, or an earlier bundle of the same Lean version (then it is
    brought up to date); anything else is refused, never deleted."""
    if not out.exists():
        return
    if not out.is_dir():
        raise StepFailed(f"{out} exists and is not a folder", "choose another OUT")
    if not any(out.iterdir()):
        return
    try:
        earlier = manifest.read(out)
    except manifest.ManifestError:
        earlier = None
    if earlier is None:
        raise StepFailed(f"{out} is not empty and holds no bundle", "choose a new or empty folder for OUT")
    if earlier.lean != version:
        raise StepFailed(
            f"{out} holds a bundle for Lean {earlier.lean}, not {version}",
            "choose another OUT, or delete it to build the new bundle there",
        )


def copy_parts(steps: Steps, prepared: Prepared, out: Path) -> None:
    """Three steps: toolchain, project, REPL. A part already in OUT with the file count
    the previous manifest recorded is kept."""
    try:
        earlier = manifest.read(out) if out.is_dir() else None
    except manifest.ManifestError:
        earlier = None
    parts = [
        (manifest.TOOLCHAIN_DIR, prepared.toolchain, "the toolchain"),
        (manifest.PROJECT_DIR, prepared.project, "the project"),
    ]
    for name, source, what in parts:
        with steps.step(f"copy {what} into {out / name}") as step:
            dest = out / name
            if source is None:
                step.skip("no project: the bundle runs Lean's core library only")
                continue
            if earlier is not None and dest.is_dir() and manifest.count_files(dest) == earlier.files.get(name):
                step.skip(f"{dest} is complete (as the earlier manifest counts)")
                continue
            _replace_tree(source, dest)
            step.done(f"{manifest.count_files(dest)} files")
    with steps.step(f"copy the REPL into {out / manifest.REPL_DIR}") as step:
        dest = out / manifest.REPL_DIR
        if dest.exists():
            shutil.rmtree(dest)
        (dest / ".lake" / "build" / "bin").mkdir(parents=True)
        shutil.copy2(prepared.repl_dir / "lean-toolchain", dest / "lean-toolchain")
        shutil.copy2(prepared.repl, out / manifest.REPL_BINARY)
        step.done(f"{out / manifest.REPL_BINARY} (built for Lean {prepared.tag})")


def write_manifest(steps: Steps, prepared: Prepared, out: Path, *, created_by: str) -> manifest.Manifest:
    with steps.step(f"write the manifest ({manifest.MANIFEST_NAME})") as step:
        project: dict[str, object] = {}
        if prepared.project is not None:
            project = {
                "name": prepared.project.name,
                "mathlib": prepared.mathlib,
                "packages": _packages(prepared.project),
            }
        found = manifest.describe(
            out,
            lean=prepared.version,
            repl={"tag": prepared.tag, "commit": prepared.repl_commit},
            project=project,
            created_by=created_by,
        )
        manifest.write(out, found)
        step.done(f"{sum(found.files.values())} files, sha256 of {len(found.sha256)} binaries")
    return found


def archive(steps: Steps, out: Path) -> Path:
    """``OUT.zip`` with the bundle folder at its top. Zip keeps Unix modes in its entries,
    but Kaggle does not restore them: ``lean_magic.setup()`` copes with that."""
    target = out.with_name(out.name + ".zip")
    with steps.step(f"pack {target}") as step:
        tmp = target.with_name(target.name + ".partial")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            for folder, dirs, files in os.walk(out):
                dirs.sort()
                for name in sorted(files):
                    path = Path(folder) / name
                    zf.write(path, Path(out.name) / path.relative_to(out))
        os.replace(tmp, target)
        step.done(f"{target.stat().st_size / 2**20:.1f} MiB")
    return target


def _replace_tree(source: Path, dest: Path) -> None:
    partial = dest.with_name(dest.name + ".partial")
    for stale in (partial, dest):
        if stale.exists():
            shutil.rmtree(stale)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # symlinks=False: links are copied as the files they point to (uploads drop links).
    shutil.copytree(source, partial, symlinks=False, ignore=_SKIP, ignore_dangling_symlinks=True)
    os.replace(partial, dest)


def _packages(project: Path) -> dict[str, str]:
    """name -> revision of each package in the project's lake-manifest.json."""
    try:
        data = json.loads((project / "lake-manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    out = {}
    for pkg in data.get("packages", []):
        if isinstance(pkg, dict) and pkg.get("name"):
            out[str(pkg["name"])] = str(pkg.get("rev", ""))
    return out
