"""Offline set-up from a frozen bundle, and the doctor that explains what is wrong.

A *bundle* is a folder (on Kaggle: a dataset under the read-only ``/kaggle/input``) that
holds everything Lean needs, so nothing is ever fetched from the network. Layouts accepted
(every part is searched for; the names below are the ones tried first):

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

When several toolchains are present (an ``.elan`` folder), the one the project pins wins.

What ``setup`` does:
- runs the REPL binary directly (not ``lake env``) with ``LEAN_PATH`` (every
  ``.lake/build/lib/lean`` of the project and its packages, then the toolchain's
  ``lib/lean``), ``LEAN_SYSROOT`` (the toolchain) and ``PATH`` (toolchain ``bin`` first).
  Lake is avoided on purpose: on a read-only copy it wants to re-elaborate lakefiles and
  may try to fetch packages whose git metadata was not bundled.
- copies the project to a writable folder when the bundle is read-only, because the REPL
  runs in the project folder and ``pickleTo`` / lake write there. The copy holds the
  project's own files; ``.lake/build`` and every ``.lake/packages/<pkg>`` are symlinks
  to the read-only originals (Lean only reads .olean files), so Mathlib's gigabytes are
  not copied. ``link_packages=False`` copies package sources too and links only their
  ``.lake/build`` (for lake, which writes into package folders); see
  benchmarks/bench_magic_setup.py for the cost of each on a Mathlib-sized fake tree.
  The copy goes to ``<workdir>/<project name>``; ``workdir`` defaults to
  ``<tempdir>/lean-magic``, not ``/kaggle/working``: that folder is the notebook's saved
  output.
- copies binaries that lost their executable bit (uploading a Kaggle dataset loses it,
  and chmod is impossible on a read-only mount): the toolchain's ``bin`` files go to
  ``<workdir>/toolchain/bin`` (its other folders are symlinks), the repl to
  ``<workdir>/bin/repl``.
- runs the positive control (``#eval 2+2`` must print 4) from ``lean_kernel.doctor``.
"""

from __future__ import annotations

import html
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, MutableMapping

from lean_kernel.config import ConfigError, ReplConfig
from lean_kernel.doctor import Check, HealthReport, read_toolchain, run_checks
from lean_kernel.process import ReplProcess

BUNDLE_ENV = "LEAN_BUNDLE"  # where %lean_setup / setup() look when given no path
KAGGLE_INPUT = Path("/kaggle/input")
COPY_MARKER = ".lean-magic-copy"  # written into a project copy; names its source

_TOOLCHAIN_DIRS = ("toolchain", "lean-toolchain", "lean", "lean4")
_TOOLCHAIN_GLOBS = ("lean-*", ".elan/toolchains/*", "elan/toolchains/*", "toolchains/*", "*/.elan/toolchains/*")
_PRUNE = {".lake", ".git", "lake-packages", "__pycache__", "node_modules"}
_VERSION = re.compile(r"v?(\d+\.\d+\.\d+(?:-rc\d+)?)|(nightly-\d{4}-\d{2}-\d{2})")
_LAYOUTS_HINT = (
    "put a built REPL at <bundle>/repl/.lake/build/bin/repl or <bundle>/bin/repl (build it with "
    "`lake build` in leanprover-community/repl checked out at your toolchain's tag), or pass repl=PATH"
)


class SetupError(RuntimeError):
    """The bundle cannot be used at all (no such folder, nothing Lean-like in it)."""


# --------------------------------------------------------------------------- versions


def normalize_version(text: str | None) -> str | None:
    """``leanprover/lean4:v4.19.0``, ``leanprover--lean4---v4.19.0``, ``Lean (version
    4.19.0, ...)`` all give ``4.19.0``; nightlies keep their date."""
    if not text:
        return None
    match = _VERSION.search(text)
    if not match:
        return None
    return match.group(1) or match.group(2)


def release_tag(version: str) -> str:
    """``4.19.0`` -> ``v4.19.0`` (how toolchains and REPL tags are named); nightlies as is."""
    return f"v{version}" if version[:1].isdigit() else version


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
    return (path / "lean-toolchain").is_file() and any(
        (path / n).is_file() for n in ("lakefile.lean", "lakefile.toml")
    )


def find_project(root: Path) -> Path | None:
    candidates = [root] + [p for p in _bounded_walk(root, 2)]
    projects = [p for p in candidates if _is_project(p) and not _is_repl_source(p)]
    if not projects:
        return None

    def rank(p: Path) -> tuple[int, int]:
        packages = p / ".lake" / "packages"
        return (0 if packages.is_dir() and any(packages.iterdir()) else 1 if (p / ".lake").is_dir() else 2, len(p.parts))

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
        return normalize_version(read_toolchain(str(repl.parents[3])))
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
    bundle: Path, *, toolchain: str | Path | None = None, project: str | Path | None = None, repl: str | Path | None = None
) -> Installation:
    bundle = Path(bundle).expanduser()
    if not bundle.is_dir():
        raise SetupError(f"bundle folder not found: {bundle}; pass the folder that holds the toolchain, project and repl")
    inst = Installation(bundle=bundle)
    inst.source_project_dir = Path(project).expanduser() if project else find_project(bundle)
    inst.project_pin = normalize_version(read_toolchain(str(inst.source_project_dir))) if inst.source_project_dir else None
    if toolchain:
        chains = [Path(toolchain).expanduser()]
    else:
        chains = find_toolchains(bundle)
    versions = [(tc, *toolchain_version(tc)) for tc in chains]
    chosen = next((v for v in versions if inst.project_pin and v[1] == inst.project_pin), versions[0] if versions else None)
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
        inst.project_pin = normalize_version(read_toolchain(config.project_dir))
    env = config.process_env()
    sysroot = env.get("LEAN_SYSROOT")
    lean = shutil.which("lean", path=env.get("PATH"))
    if sysroot and Path(sysroot).is_dir():
        inst.toolchain_dir = Path(sysroot)
    elif lean:
        inst.toolchain_dir = Path(lean).resolve().parent.parent
    inst.toolchain_version, inst.toolchain_version_source = toolchain_version(inst.toolchain_dir)
    return inst


def installation_checks(inst: Installation, *, from_bundle: bool) -> list[Check]:
    """Missing binaries (in a bundle, every part is required) and version mismatches."""
    checks: list[Check] = []
    where = inst.bundle or "the bundle"
    if from_bundle:
        if inst.toolchain_dir is None:
            checks.append(Check("toolchain", False, f"no Lean toolchain (a folder with bin/lean) in {where}",
                                "copy a toolchain into the bundle as <bundle>/toolchain (e.g. ~/.elan/toolchains/"
                                "leanprover--lean4---vX.Y.Z from a machine where elan installed it)"))
        else:
            for tool in ("lean", "lake"):
                binary = inst.toolchain_dir / "bin" / tool
                ok = binary.is_file() and os.access(binary, os.X_OK)
                checks.append(Check(f"{tool} binary", ok, str(binary) if ok else f"missing or not executable: {binary}",
                                    None if ok else f"the toolchain at {inst.toolchain_dir} is incomplete; copy the "
                                    f"whole toolchain folder (bin/{tool} included) into the bundle"))
        if inst.repl_path is None:
            checks.append(Check("repl binary", False, f"no repl binary found in {where}", _LAYOUTS_HINT))
    if inst.repl_path is not None and not (inst.repl_path.is_file() and os.access(inst.repl_path, os.X_OK)):
        checks.append(Check("repl binary", False, f"missing or not executable: {inst.repl_path}",
                            f"chmod +x {inst.repl_path}, or {_LAYOUTS_HINT}"))
    pin, have = inst.project_pin, inst.toolchain_version
    if pin and have and pin != have:
        checks.append(Check(
            "toolchain version", False,
            f"the toolchain is Lean {have} ({inst.toolchain_version_source}) but the project pins {pin} "
            f"({inst.source_project_dir}/lean-toolchain); its .olean files will not load",
            f"bundle the toolchain the project pins (on a machine with network: `elan toolchain install "
            f"leanprover/lean4:{release_tag(pin)}`, then copy ~/.elan/toolchains/leanprover--lean4---{release_tag(pin)} "
            f"into the bundle), or rebuild the project with Lean {have}",
        ))
    elif pin and have:
        checks.append(Check("toolchain version", True, f"Lean {have}, as the project pins"))
    expected = pin or have
    if inst.repl_pin and expected and inst.repl_pin != expected:
        checks.append(Check(
            "repl version", False,
            f"the REPL was built for Lean {inst.repl_pin} ({inst.repl_path}) but "
            + (f"the project pins {pin}" if pin else f"the toolchain is {have}"),
            f"rebuild the REPL for Lean {expected}: in leanprover-community/repl run `git checkout {release_tag(expected)}` "
            "and `lake build`, then copy it into the bundle",
        ))
    return checks


# --------------------------------------------------------------------------- copying


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


# --------------------------------------------------------------------------- environment


def lean_path(project: Path | None, toolchain: Path | None) -> list[str]:
    """What ``lake env`` would put in LEAN_PATH: the project's build, each package's build,
    then the toolchain's own library."""
    entries: list[Path] = []
    if project is not None:
        roots = [project] + (sorted((project / ".lake" / "packages").iterdir()) if (project / ".lake" / "packages").is_dir() else [])
        for root in roots:
            lib = root / ".lake" / "build" / "lib"
            # Lake puts .olean files in build/lib/lean; older Lakes used build/lib itself.
            entries.append(lib / "lean" if (lib / "lean").is_dir() else lib)
    if toolchain is not None:
        entries.append(toolchain / "lib" / "lean")
    return [str(p) for p in entries if p.is_dir()]


def _prepend(path: str, rest: str | None) -> str:
    return path + (os.pathsep + rest if rest else "")


# --------------------------------------------------------------------------- reports


@dataclass
class SetupReport:
    installation: Installation
    config: ReplConfig | None
    exported: dict[str, str] = field(default_factory=dict)  # variables set in os.environ
    health: HealthReport = field(default_factory=HealthReport)

    @property
    def ok(self) -> bool:
        return self.config is not None and self.health.ok

    def as_text(self) -> str:
        inst = self.installation
        lines = [f"Lean bundle: {inst.bundle}"]
        lines += _installation_lines(inst)
        lines += [f"  note: {n}" for n in inst.notes]
        for key in ("LEAN_SYSROOT", "LEAN_PATH"):
            if self.config and key in self.config.env:
                lines.append(f"{key}: {self.config.env[key]}")
        lines.append(self.health.as_text())
        lines.append("ready: %%lean cells and LeanChecker() use this REPL" if self.ok else self.health.summary())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<SetupReport {'ok' if self.ok else 'FAILED'}: {self.installation.bundle}>"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.as_text())

    def _repr_html_(self) -> str:
        return _pre_html(self.as_text(), self.ok)

    def raise_for_problems(self) -> SetupReport:
        if not self.ok:
            raise SetupError(self.health.summary() if self.health.checks else "setup found no usable REPL")
        return self


@dataclass
class DoctorReport:
    installation: Installation
    config: ReplConfig
    health: HealthReport
    versions: dict[str, str]

    @property
    def ok(self) -> bool:
        return self.health.ok

    def as_text(self) -> str:
        inst = self.installation
        lines = ["== versions"]
        lines += [f"{k}: {v}" for k, v in self.versions.items()]
        lines.append("== Lean")
        lines += _installation_lines(inst)
        lines.append("== paths")
        try:
            lines.append("command: " + " ".join(self.config.command()))
        except Exception as exc:  # ConfigError: shown as the failing check below too
            lines.append(f"command: (none: {exc})")
        lines.append(f"cwd: {self.config.cwd() or os.getcwd()}")
        env = self.config.process_env()
        for key in ("LEAN_SYSROOT", "LEAN_PATH"):
            lines.append(f"{key}: {env.get(key) or '(unset)'}")
        lines.append(f"PATH (first entry): {(env.get('PATH') or '').split(os.pathsep)[0] or '(unset)'}")
        lines.append("== checks")
        lines.append(self.health.as_text() or "(none)")
        lines.append(self.health.summary())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return _pre_html(self.as_text(), self.ok)


def _installation_lines(inst: Installation) -> list[str]:
    version = f"Lean {inst.toolchain_version} (from {inst.toolchain_version_source})" if inst.toolchain_version else "version unknown"
    lines = [f"toolchain: {inst.toolchain_dir or 'not found'}" + (f" · {version}" if inst.toolchain_dir else "")]
    if inst.other_toolchains:
        lines.append("  other toolchains (not used): " + ", ".join(str(t) for t in inst.other_toolchains))
    project = inst.project_dir or "none (Lean core only)"
    lines.append(f"project: {project}" + (f" · pins Lean {inst.project_pin}" if inst.project_pin else ""))
    if inst.copied and inst.source_project_dir:
        lines.append(f"  copied from: {inst.source_project_dir}")
    lines.append(f"repl: {inst.repl_path or 'not found'}" + (f" · built for Lean {inst.repl_pin}" if inst.repl_pin else ""))
    return lines


def _pre_html(text: str, ok: bool) -> str:
    colour = "#2e7d32" if ok else "#d32f2f"
    return (f'<pre style="font-family: monospace; white-space: pre-wrap; border-left: 3px solid {colour}; '
            f'padding-left: 6px">{html.escape(text)}</pre>')


def package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("lean-kernel", "ipython", "ipykernel", "ipywidgets", "jupyter_client"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


# --------------------------------------------------------------------------- entry points

_active: SetupReport | None = None


def active_config() -> ReplConfig | None:
    """The configuration made by the last ``setup()``, if any (LeanChecker() uses it)."""
    return _active.config if _active is not None else None


def active_report() -> SetupReport | None:
    return _active


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


def setup(
    bundle: str | Path | None = None,
    *,
    toolchain: str | Path | None = None,
    project: str | Path | None = None,
    repl: str | Path | None = None,
    workdir: str | Path | None = None,
    copy: bool | None = None,
    link_packages: bool = True,
    check: bool = True,
    timeout: float | None = 120.0,
    export: bool = True,
    environ: MutableMapping[str, str] | None = None,
) -> SetupReport:
    """Configure Lean from an offline bundle; nothing is downloaded.

    A bundle holds (each part is searched for; the module lean_magic.setup lists every
    accepted name): a toolchain (``<bundle>/toolchain/bin/lean``, or an ``.elan/toolchains``
    folder), a Lean project (``lean-toolchain``, ``lakefile.lean|toml``, its ``.lake``
    build with ``.lake/packages``), and a built REPL (``<bundle>/repl/.lake/build/bin/repl``,
    ``<bundle>/bin/repl``, or the project's ``.lake/packages/REPL``).

    ``bundle``: the bundle folder (default: ``$LEAN_BUNDLE``, else a dataset under
    /kaggle/input). ``toolchain``/``project``/``repl`` override what the search finds.
    ``workdir``: a writable folder for copies (default ``<tempdir>/lean-magic``).
    ``copy``: copy the project into it (None: only when the bundle is read-only).
    ``export``: also set PATH, LEAN_SYSROOT, LEAN_PATH, LEAN_REPL_PATH (and LEAN_REPL_ENV)
    in ``environ`` (default os.environ), so child processes (pool workers, ``!lean``) see
    the same Lean. ``check``: run the positive control. Returns a SetupReport; check
    ``.ok`` (or call ``.raise_for_problems()``). Raises SetupError only when no bundle can
    be found at all.
    """
    global _active
    environ = os.environ if environ is None else environ
    if bundle is None:
        bundle = locate_bundle(environ)
        if bundle is None:
            raise SetupError(
                f"no bundle given and none found: pass setup(bundle=PATH) / %lean_setup PATH, or set {BUNDLE_ENV}"
                + (f" (nothing usable under {KAGGLE_INPUT}: attach the dataset that holds the Lean bundle)" if KAGGLE_INPUT.is_dir() else "")
            )
    inst = inspect_bundle(Path(bundle), toolchain=toolchain, project=project, repl=repl)

    root = Path(workdir).expanduser() if workdir else default_workdir()
    if inst.source_project_dir is not None:
        wanted = copy if copy is not None else not is_writable(inst.source_project_dir)
        if wanted:
            name = inst.source_project_dir.name
            dest = root / (name if name not in ("toolchain", "bin") else f"project-{name}")
            inst.project_dir = prepare_project(inst.source_project_dir, dest, link_packages=link_packages)
            inst.copied = True
            inst.notes.append(f"read-only bundle: project copied to {dest} (build outputs are symlinks)")
    inst.notes += make_runnable(inst, root)

    health = HealthReport(installation_checks(inst, from_bundle=True))
    if inst.repl_path is None:
        return SetupReport(installation=inst, config=None, health=health)

    env: dict[str, str] = {}
    if inst.toolchain_dir is not None:
        tc = inst.toolchain_dir
        env["PATH"] = _prepend(str(tc / "bin"), environ.get("PATH"))
        env["LEAN_SYSROOT"] = str(tc)
        # Only the REPL gets the toolchain's libraries: exporting LD_LIBRARY_PATH would
        # make every other program in the notebook load them too.
        env["LD_LIBRARY_PATH"] = _prepend(os.pathsep.join([str(tc / "lib" / "lean"), str(tc / "lib")]), environ.get("LD_LIBRARY_PATH"))
    path = lean_path(inst.project_dir, inst.toolchain_dir)
    if path:
        env["LEAN_PATH"] = os.pathsep.join(path)

    base = ReplConfig.from_env({k: v for k, v in environ.items() if k in ("LEAN_TIMEOUT", "LEAN_MEMORY_LIMIT_MB")})
    config = base.with_changes(
        repl_path=str(inst.repl_path),
        repl_args=[],
        project_dir=str(inst.project_dir) if inst.project_dir else None,
        use_lake=False,
        lake_path=str(inst.toolchain_dir / "bin" / "lake") if inst.toolchain_dir else "lake",
        env=env,
    )
    report = SetupReport(installation=inst, config=config, health=health)

    if check and inst.repl_path.is_file():
        process = ReplProcess(config)
        try:
            health.checks += run_checks(process, timeout=timeout).checks
        finally:
            process.close()

    if export:
        report.exported = _export(environ, config, inst)
    _active = report
    # The %%lean cells' REPL was started from the previous configuration: the next cell
    # starts one from this bundle. (Imported here: api imports this module.)
    from .api import close_shared_checker

    close_shared_checker()
    return report


def _export(environ: MutableMapping[str, str], config: ReplConfig, inst: Installation) -> dict[str, str]:
    out = {k: v for k, v in config.env.items() if k in ("PATH", "LEAN_SYSROOT", "LEAN_PATH")}
    out["LEAN_REPL_PATH"] = str(inst.repl_path)
    extra = {k: v for k, v in config.env.items() if k == "LD_LIBRARY_PATH"}
    if extra:
        out["LEAN_REPL_ENV"] = json.dumps(extra)
    environ.update(out)
    # Left over from an earlier configuration, these would make ReplConfig.from_env()
    # start some other REPL (or `lake env` in some other project).
    for stale in ("LEAN_PROJECT", "LEAN_REPL_ARGS"):
        environ.pop(stale, None)
    return out


def reset_active() -> None:
    """Forget the last setup (tests, or to go back to the environment variables)."""
    global _active
    _active = None


def doctor(config: ReplConfig | None = None, *, run: bool = True, timeout: float | None = 60.0) -> DoctorReport:
    """Versions, paths and checks (the positive control included), each failure with its fix."""
    active = _active
    if config is None:
        config = active_config() or ReplConfig.from_env()
    from_bundle = active is not None and active.config is config
    inst = active.installation if from_bundle else inspect_config(config)
    checks = installation_checks(inst, from_bundle=from_bundle)
    if run:
        process = ReplProcess(config)
        try:
            checks += run_checks(process, timeout=timeout).checks
        finally:
            process.close()
    versions = package_versions()
    versions["Lean toolchain"] = inst.toolchain_version or "unknown (no `lean` on PATH, LEAN_SYSROOT unset)"
    if inst.project_pin:
        versions["project pin (lean-toolchain)"] = inst.project_pin
    versions["repl"] = str(inst.repl_path or "not found")
    if inst.repl_pin:
        versions["repl built for"] = inst.repl_pin
    return DoctorReport(installation=inst, config=config, health=HealthReport(checks), versions=versions)


__all__ = [
    "BUNDLE_ENV",
    "DoctorReport",
    "Installation",
    "SetupError",
    "SetupReport",
    "active_config",
    "doctor",
    "inspect_bundle",
    "lean_path",
    "locate_bundle",
    "prepare_project",
    "setup",
]
