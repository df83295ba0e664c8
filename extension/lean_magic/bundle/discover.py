"""Find the parts of an offline Lean bundle (toolchain, project, REPL) and what versions
they are, or the same facts for a REPL configured by environment variables.

Layouts accepted (every part is searched for; the names below are the ones tried first):

    <bundle>/
      toolchain/ | lean-toolchain/ | lean/ | lean-4.x.y-linux/ |
      .elan/toolchains/<name>/ | elan/toolchains/<name>/ | toolchains/<name>/
          bin/lean, bin/lake, lib/lean/          <- the Lean toolchain
      <project>/ (the bundle itself, project/, or any folder up to two levels down)
          lean-toolchain, lakefile.lean|lakefile.toml
          .lake/build/lib/lean/                  <- the project's own .olean files
          .lake/packages/<pkg>/.lake/build/lib/lean/   (mathlib, batteries, ...)
      the REPL binary, first found of:
          <project>/.lake/packages/REPL/.lake/build/bin/repl
          <bundle>/repl/.lake/build/bin/repl     (a built clone of leanprover-community/repl)
          <bundle>/bin/repl, <bundle>/repl (a file)
          <project>/.lake/build/bin/repl, <bundle>/*/.lake/build/bin/repl
      lean-bundle.json                           <- the manifest `lean-kernel bundle` writes

When several toolchains are present (an ``.elan`` folder), the one the project pins wins.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from lean_kernel.config import ConfigError, ReplConfig
from lean_kernel.versions import normalize_version, read_toolchain_file

BUNDLE_ENV = "LEAN_BUNDLE"  # where %lean_setup / setup() look when given no path
KAGGLE_INPUT = Path("/kaggle/input")

_TOOLCHAIN_DIRS = ("toolchain", "lean-toolchain", "lean", "lean4")
_TOOLCHAIN_GLOBS = ("lean-*", ".elan/toolchains/*", "elan/toolchains/*", "toolchains/*", "*/.elan/toolchains/*")
_PRUNE = {".lake", ".git", "lake-packages", "__pycache__", "node_modules"}


class SetupError(RuntimeError):
    """The bundle cannot be used at all (no such folder, nothing Lean-like in it)."""


# --------------------------------------------------------------------------- versions


def toolchain_version(toolchain: Path | None, *, timeout: float = 20.0) -> tuple[str | None, str | None]:
    """(version, where it came from). ``lean --version`` is the authority; the folder name
    (elan names toolchains ``leanprover--lean4---v4.19.0``) is the fallback."""
    if toolchain is None:
        return None, None
    lean = toolchain / "bin" / "lean"
    if lean.is_file() and os.access(lean, os.X_OK):
        try:
            out = subprocess.run(
                [str(lean), "--version"], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        found = normalize_version(out)
        if found:
            return found, f"{lean} --version"
    found = normalize_version(toolchain.name)
    if found:
        return found, "folder name"
    return None, None


# --------------------------------------------------------------------------- search


def _is_toolchain(path: Path) -> bool:
    return (path / "bin" / "lean").is_file() or (path / "bin" / "lake").is_file()


def _bounded_walk(root: Path, depth: int):
    """Folders under root up to ``depth`` levels, never entering .lake/.git (Mathlib's
    .lake alone holds tens of thousands of files)."""
    frontier = [root]
    for _ in range(depth):
        nxt = []
        for folder in frontier:
            try:
                children = sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in _PRUNE)
            except OSError:
                continue
            yield from children
            nxt.extend(children)
        frontier = nxt


def find_toolchains(root: Path) -> list[Path]:
    found: list[Path] = []

    def add(p: Path) -> None:
        if p.is_dir() and _is_toolchain(p) and p.resolve() not in [f.resolve() for f in found]:
            found.append(p)

    add(root)
    for name in _TOOLCHAIN_DIRS:
        add(root / name)
    for pattern in _TOOLCHAIN_GLOBS:
        for p in sorted(root.glob(pattern)):
            add(p)
    if not found:
        for p in _bounded_walk(root, 3):
            add(p)
    return found


def _is_repl_source(path: Path) -> bool:
    # The REPL's own repository is a Lean project too; it is not the user's project.
    return (path / "REPL" / "Main.lean").is_file() or (path / "REPL.lean").is_file()


def _is_project(path: Path) -> bool:
    return (path / "lean-toolchain").is_file() and any((path / n).is_file() for n in ("lakefile.lean", "lakefile.toml"))


def find_project(root: Path) -> Path | None:
    candidates = [root] + [p for p in _bounded_walk(root, 2)]
    projects = [p for p in candidates if _is_project(p) and not _is_repl_source(p)]
    if not projects:
        return None

    def rank(p: Path) -> tuple[int, int]:
        packages = p / ".lake" / "packages"
        return (
            0 if packages.is_dir() and any(packages.iterdir()) else 1 if (p / ".lake").is_dir() else 2,
            len(p.parts),
        )

    return min(projects, key=rank)


def find_repl(root: Path, project: Path | None) -> Path | None:
    build = Path(".lake") / "build" / "bin" / "repl"
    candidates: list[Path] = []
    if project is not None:
        packages = project / ".lake" / "packages"
        if packages.is_dir():
            candidates += [p / build for p in sorted(packages.iterdir()) if p.name.lower() == "repl"]
    candidates += [root / "repl" / build, root / "REPL" / build, root / "bin" / "repl", root / "repl"]
    if project is not None:
        candidates.append(project / build)
    candidates += sorted(root.glob(f"*/{build}"))
    return next((c for c in candidates if c.is_file()), None)


def repl_pin(repl: Path | None) -> str | None:
    """The Lean version a REPL was built for, when it sits in its source tree
    (``<src>/.lake/build/bin/repl`` next to ``<src>/lean-toolchain``)."""
    if repl is None:
        return None
    parts = repl.parts
    if len(parts) >= 4 and parts[-4:-1] == (".lake", "build", "bin"):
        return read_toolchain_file(repl.parents[3])
    return None


# --------------------------------------------------------------------------- the installation


@dataclass
class Installation:
    """What was found: the facts the doctor prints and checks."""

    bundle: Path | None = None
    toolchain_dir: Path | None = None
    toolchain_version: str | None = None
    toolchain_version_source: str | None = None
    source_project_dir: Path | None = None  # as found in the bundle
    project_dir: Path | None = None  # what the REPL runs in (a writable copy when needed)
    project_pin: str | None = None
    repl_path: Path | None = None
    repl_pin: str | None = None  # the Lean version the REPL was built for, if knowable
    copied: bool = False
    other_toolchains: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what setup changed to make it usable


def inspect_bundle(
    bundle: Path,
    *,
    toolchain: str | Path | None = None,
    project: str | Path | None = None,
    repl: str | Path | None = None,
) -> Installation:
    bundle = Path(bundle).expanduser()
    if not bundle.is_dir():
        raise SetupError(
            f"bundle folder not found: {bundle}; pass the folder that holds the toolchain, project and repl"
        )
    inst = Installation(bundle=bundle)
    inst.source_project_dir = Path(project).expanduser() if project else find_project(bundle)
    inst.project_pin = read_toolchain_file(inst.source_project_dir)
    if toolchain:
        chains = [Path(toolchain).expanduser()]
    else:
        chains = find_toolchains(bundle)
    versions = [(tc, *toolchain_version(tc)) for tc in chains]
    chosen = next(
        (v for v in versions if inst.project_pin and v[1] == inst.project_pin), versions[0] if versions else None
    )
    if chosen is not None:
        inst.toolchain_dir, inst.toolchain_version, inst.toolchain_version_source = chosen
        inst.other_toolchains = [tc for tc in chains if tc != chosen[0]]
    inst.repl_path = Path(repl).expanduser() if repl else find_repl(bundle, inst.source_project_dir)
    inst.repl_pin = repl_pin(inst.repl_path)
    inst.project_dir = inst.source_project_dir
    if inst.toolchain_dir is None and inst.source_project_dir is None and inst.repl_path is None:
        raise SetupError(
            f"nothing Lean-like in {bundle}: no toolchain (bin/lean), no project (lean-toolchain + lakefile) "
            "and no repl binary; see help(lean_magic.setup) for the layouts accepted"
        )
    return inst


def inspect_config(config: ReplConfig) -> Installation:
    """The same facts for a REPL configured by environment variables (no bundle)."""
    inst = Installation()
    try:
        inst.repl_path = Path(config.resolve_repl())
    except ConfigError:  # the doctor's checks report it, with its fix
        inst.repl_path = None
    inst.repl_pin = repl_pin(inst.repl_path)
    if config.project_dir:
        inst.project_dir = inst.source_project_dir = Path(config.project_dir).expanduser()
        inst.project_pin = read_toolchain_file(config.project_dir)
    env = config.process_env()
    sysroot = env.get("LEAN_SYSROOT")
    lean = shutil.which("lean", path=env.get("PATH"))
    if sysroot and Path(sysroot).is_dir():
        inst.toolchain_dir = Path(sysroot)
    elif lean:
        inst.toolchain_dir = Path(lean).resolve().parent.parent
    inst.toolchain_version, inst.toolchain_version_source = toolchain_version(inst.toolchain_dir)
    return inst


def locate_bundle(environ: MutableMapping[str, str] | None = None) -> Path | None:
    """``$LEAN_BUNDLE``, else the first Kaggle dataset that looks like a bundle."""
    environ = os.environ if environ is None else environ
    if environ.get(BUNDLE_ENV):
        return Path(environ[BUNDLE_ENV]).expanduser()
    if KAGGLE_INPUT.is_dir():
        for candidate in [KAGGLE_INPUT, *_bounded_walk(KAGGLE_INPUT, 2)]:
            if find_toolchains(candidate) and (find_repl(candidate, find_project(candidate)) is not None):
                return candidate
    return None

    return None


def require_bundle(environ: MutableMapping[str, str] | None = None) -> Path:
    """``locate_bundle()``, or a SetupError that says where to point it."""
    found = locate_bundle(environ)
    if found is None:
        raise SetupError(
            f"no bundle given and none found: pass setup(bundle=PATH) / %lean_setup PATH, or set {BUNDLE_ENV}"
            + (
                f" (nothing usable under {KAGGLE_INPUT}: attach the dataset that holds the Lean bundle)"
                if KAGGLE_INPUT.is_dir()
                else ""
            )
        )
    return found
