"""Install what a Lean REPL needs: the toolchain, the REPL built for it, and a project.

The steps, each skipped when a previous run finished it:

1. tools: git and elan must be there (elan brings lake);
2. the REPL's source: ``git clone https://github.com/leanprover-community/repl`` and
   ``git checkout vX.Y.Z``. The REPL tags every Lean version it supports with the
   version's release tag; the tag's commit pins that version in ``lean-toolchain``
   (checked here). Cloning first means an unknown version fails before anything big is
   downloaded;
3. the toolchain: ``elan toolchain install leanprover/lean4:vX.Y.Z`` (elan keeps it in
   ``$ELAN_HOME/toolchains/leanprover--lean4---vX.Y.Z``);
4. ``lake build`` in the REPL's source: ``.lake/build/bin/repl``;
5. the project: for ``--mathlib``, a project that requires Mathlib at the same tag
   (as the REPL's own test/Mathlib project does), then ``lake update``,
   ``lake exe cache get`` (Mathlib's prebuilt .olean files) and ``lake build`` (the
   sequence LeanInteract runs for such a project); for ``--project DIR``, the user's
   project, whose ``lean-toolchain`` must name the same version.

Sources for the commands: kimina-lean-server's setup.sh (clone the REPL, ``git checkout
${LEAN_VERSION}``, ``lake build``; Mathlib ``lake exe cache get && lake build``), the
REPL's test/Mathlib/test.sh (``lake exe cache get``, ``lake build Mathlib``) and
LeanInteract's project set-up (``lake update``, ``lake exe cache get``, ``lake build``).
Everything lives under one home folder (``--home``, default
``~/.local/share/lean-kernel``): ``<home>/<tag>/repl`` and ``<home>/<tag>/mathlib``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..steps import Step, StepFailed, Steps
from ..versions import (
    DEFAULT_VERSION,
    NEWEST_TESTED,
    OLDEST_SUPPORTED,
    elan_folder_name,
    normalize_version,
    read_toolchain_file,
    release_tag,
    toolchain_name,
    version_key,
)
from .tools import REPL_URL, ToolFailed, elan_home, require_tool, run, tool_env

MATHLIB_URL = "https://github.com/leanprover-community/mathlib4"
HOME_ENV = "LEAN_KERNEL_HOME"
STAMP = "lean-kernel-steps.json"  # in a project's .lake: the steps this tool finished there
# The first REPL tag whose own Mathlib test project uses lakefile.toml (v4.14.0); older
# ones use lakefile.lean, and so does the project made here for them.
TOML_LAKEFILE_SINCE = (4, 14, 0)


@dataclass
class Prepared:
    """What ``prepare`` made: everything a kernelspec or a bundle needs."""

    version: str  # "4.19.0"
    toolchain: Path
    repl_dir: Path  # the REPL's built source tree
    repl: Path  # its binary
    repl_commit: str
    project: Path | None  # the Lean project the REPL runs in (None: Lean core only)
    mathlib: bool

    @property
    def tag(self) -> str:
        return release_tag(self.version)

    @property
    def lake(self) -> Path:
        return self.toolchain / "bin" / "lake"


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    if environ.get(HOME_ENV):
        return Path(environ[HOME_ENV]).expanduser()
    base = environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "lean-kernel"


def resolve_version(requested: str | None, project: Path | None) -> str:
    """The Lean version to install, from ``--lean`` and ``--project``; StepFailed when
    they disagree or the version cannot be served."""
    wanted = None
    if requested:
        wanted = normalize_version(requested)
        if wanted is None:
            raise StepFailed(
                f"{requested!r} is not a Lean version",
                f"give a release tag such as v{DEFAULT_VERSION} or v{NEWEST_TESTED} (the REPL is tagged per release)",
            )
    if project is not None:
        if not project.is_dir():
            raise StepFailed(
                f"project folder not found: {project}", "pass the folder that holds lean-toolchain and the lakefile"
            )
        pin = read_toolchain_file(project)
        if pin is None:
            raise StepFailed(
                f"{project} has no lean-toolchain file naming a Lean release",
                "point --project at a Lean project (its folder holds lean-toolchain and lakefile.lean or lakefile.toml)",
            )
        if wanted and wanted != pin:
            raise StepFailed(
                f"the project {project} pins Lean {release_tag(pin)} (its lean-toolchain) but --lean asks for {release_tag(wanted)}",
                f"drop --lean to use the project's {release_tag(pin)}, or move the project to {release_tag(wanted)} "
                f"(edit {project}/lean-toolchain, then `lake update` and `lake build` there) and run setup again",
            )
        wanted = pin
    version = wanted or DEFAULT_VERSION
    key = version_key(version)
    if key is None:
        raise StepFailed(
            f"Lean {version} is not a release: the REPL is built from its release tags only",
            f"use a release or release candidate such as v{DEFAULT_VERSION}",
        )
    if key < _key(OLDEST_SUPPORTED):
        raise StepFailed(
            f"Lean {release_tag(version)} is older than v{OLDEST_SUPPORTED}, the oldest REPL this release of lean-kernel supports",
            f"use Lean v{OLDEST_SUPPORTED} or newer (--lean v{DEFAULT_VERSION} is the default)",
        )
    return version


def _key(version: str) -> tuple[int, int, int, int]:
    key = version_key(version)
    assert key is not None
    return key


class Preparer:
    """Runs the steps of ``prepare``; ``steps`` is shared with the caller's later steps."""

    def __init__(
        self, steps: Steps, *, home: Path, environ: Mapping[str, str] | None = None, repl_url: str = REPL_URL
    ) -> None:
        self.steps = steps
        self.home = home
        self.env = tool_env(environ)
        self.repl_url = repl_url
        self.elan_home = elan_home(self.env)

    # ------------------------------------------------------------------ the steps

    def check_tools(self) -> None:
        with self.steps.step("find git and elan") as step:
            git = require_tool("git", self.env)
            elan = require_tool("elan", self.env)
            step.done(f"{git}, {elan}")

    def repl_source(self, version: str) -> tuple[Path, str]:
        tag = release_tag(version)
        dest = self.home / tag / "repl"
        with self.steps.step(f"the REPL's source at tag {tag}") as step:
            if key_after(version, NEWEST_TESTED):
                step.note(f"Lean {tag} is newer than v{NEWEST_TESTED}, the newest version lean-kernel was tested with")
            fresh = not (dest / ".git").is_dir()
            if fresh:
                if dest.exists() and any(dest.iterdir()):
                    raise StepFailed(
                        f"{dest} exists but is not a clone of the REPL",
                        f"delete {dest}, or pass another --home",
                    )
                dest.parent.mkdir(parents=True, exist_ok=True)
                # Into a side folder first: an interrupted clone must not pass for a clone.
                partial = dest.with_name(dest.name + ".partial")
                if partial.exists():
                    shutil.rmtree(partial)
                self._git(step, ["clone", self.repl_url, str(partial)], action="clone the REPL")
                if dest.exists():
                    dest.rmdir()  # empty (checked above)
                os.replace(partial, dest)
            tags = self._tags(step, dest)
            if tag not in tags:
                if not fresh:  # a clone from before this release: ask for newer tags
                    self._git(step, ["-C", str(dest), "fetch", "--tags", "origin"], action="fetch the REPL's tags")
                    tags = self._tags(step, dest)
                if tag not in tags:
                    raise StepFailed(
                        f"the REPL has no tag {tag}: it was not released for Lean {tag}",
                        f"choose a version the REPL is tagged for, e.g. {', '.join(nearest_tags(tag, tags))} "
                        f"(all of them: `git -C {dest} tag`)",
                    )
            # Build outputs (.lake) are ignored by the REPL's .gitignore: a checkout keeps them.
            self._git(
                step,
                ["-C", str(dest), "-c", "advice.detachedHead=false", "checkout", "--quiet", tag],
                action=f"check out the REPL's tag {tag}",
            )
            pinned = read_toolchain_file(dest)
            if pinned != version:
                raise StepFailed(
                    f"the REPL's tag {tag} pins Lean {pinned} in its lean-toolchain, not {version}",
                    f"the clone in {dest} is not as expected: delete it and run setup again",
                )
            commit = (
                self._git(
                    step, ["-C", str(dest), "rev-parse", "HEAD"], action="read the REPL's commit", show_output=False
                )
                .strip()
                .splitlines()[-1]
            )
            step.done(
                f"{dest} at {tag} ({commit[:12]})" if fresh else f"{dest} at {tag} ({commit[:12]}; already cloned)"
            )
        return dest, commit

    def toolchain(self, version: str) -> Path:
        name = toolchain_name(version)
        folder = self.elan_home / "toolchains" / elan_folder_name(version)
        with self.steps.step(f"the Lean toolchain {release_tag(version)} (elan)") as step:
            if (folder / "bin" / "lean").is_file():
                step.skip(f"already installed in {folder}")
                return folder
            elan = require_tool("elan", self.env)
            try:
                run(step, [elan, "toolchain", "install", name], env=self.env)
            except ToolFailed as exc:
                if "nonexistent lean version" in exc.output:
                    raise StepFailed(
                        f"Lean {release_tag(version)} does not exist (elan: could not download nonexistent lean version)",
                        "check the version against https://github.com/leanprover/lean4/releases",
                        output=exc.output,
                    ) from None
                raise exc.failure(
                    f"install {name} with elan",
                    "see elan's message above; `elan toolchain list` shows what is installed",
                ) from None
            if not (folder / "bin" / "lean").is_file():
                raise StepFailed(
                    f"elan installed {name} but {folder}/bin/lean is not there",
                    "check that ELAN_HOME is the elan folder you use (elan show prints it)",
                )
            step.done(str(folder))
        return folder

    def build_repl(self, version: str, source: Path, commit: str) -> Path:
        binary = source / ".lake" / "build" / "bin" / "repl"
        with self.steps.step("build the REPL (lake build)") as step:
            stamps = Stamps(source)
            if binary.is_file() and stamps.done("build") == commit:
                step.skip(f"{binary} is built from {commit[:12]}")
                return binary
            lake = require_tool("lake", self.env)
            try:
                run(step, [lake, "build"], cwd=source, env=self.env)
            except ToolFailed as exc:
                raise exc.failure(
                    "build the REPL",
                    f"read lake's errors above; the build uses Lean {release_tag(version)} (`elan toolchain list` "
                    f"shows it installed); to build from scratch, delete {source / '.lake'} and run setup again",
                ) from None
            if not binary.is_file():
                raise StepFailed(f"`lake build` succeeded but made no {binary}", f"delete {source} and run setup again")
            stamps.mark("build", commit)
            step.done(str(binary))
        return binary

    def mathlib_project(self, version: str) -> Path:
        tag = release_tag(version)
        project = self.home / tag / "mathlib"
        with self.steps.step(f"a Mathlib project at {tag} (lake update, lake exe cache get, lake build)") as step:
            _write_if_changed(project / "lean-toolchain", toolchain_name(version) + "\n")
            order = version_key(version)
            # No order: a nightly, newer than any release that still wanted lakefile.lean.
            if order is None or order >= (*TOML_LAKEFILE_SINCE, 0):
                _write_if_changed(project / "lakefile.toml", _MATHLIB_TOML.format(tag=tag, url=MATHLIB_URL))
            else:
                _write_if_changed(project / "lakefile.lean", _MATHLIB_LEAN.format(tag=tag, url=MATHLIB_URL))
            stamps = Stamps(project)
            lake = require_tool("lake", self.env)
            ran = []
            for key, argv, action in (
                ("update", [lake, "update"], "fetch Mathlib (lake update)"),
                ("cache", [lake, "exe", "cache", "get"], "download Mathlib's prebuilt files (lake exe cache get)"),
                ("build", [lake, "build"], "build the project (lake build)"),
            ):
                if stamps.done(key) == tag:
                    continue
                try:
                    run(step, argv, cwd=project, env=self.env)
                except ToolFailed as exc:
                    raise exc.failure(action, _MATHLIB_FIX.format(project=project)) from None
                stamps.mark(key, tag)
                ran.append(key)
            if not ran:
                step.skip(f"{project} is built")
            else:
                step.done(str(project))
        return project

    def user_project(self, project: Path, version: str) -> Path:
        with self.steps.step(f"your project {project} (lake build)") as step:
            lake = require_tool("lake", self.env)
            if _requires_mathlib(project) and Stamps(project).done("cache") != release_tag(version):
                try:
                    run(step, [lake, "exe", "cache", "get"], cwd=project, env=self.env)
                except ToolFailed as exc:
                    raise exc.failure(
                        "download Mathlib's prebuilt files (lake exe cache get)", _MATHLIB_FIX.format(project=project)
                    ) from None
                Stamps(project).mark("cache", release_tag(version))
            # Always: lake knows whether the project's own files changed, and says so fast.
            try:
                run(step, [lake, "build"], cwd=project, env=self.env)
            except ToolFailed as exc:
                raise exc.failure(
                    "build your project", f"fix the errors lake shows above in {project}, then run setup again"
                ) from None
            step.done(str(project))
        return project

    # ------------------------------------------------------------------ helpers

    def _git(self, step: Step, args: list[str], *, action: str, show_output: bool = True) -> str:
        git = require_tool("git", self.env)
        try:
            return run(step, [git, *args], env=self.env, show_output=show_output)
        except ToolFailed as exc:
            raise exc.failure(action, "see git's message above") from None

    def _tags(self, step: Step, dest: Path) -> list[str]:
        out = self._git(step, ["-C", str(dest), "tag", "--list"], action="list the REPL's tags", show_output=False)
        return [line.strip() for line in out.splitlines() if line.strip()]


def prepare(
    steps: Steps,
    *,
    version: str,
    home: Path,
    mathlib: bool = False,
    project: Path | None = None,
    environ: Mapping[str, str] | None = None,
    repl_url: str = REPL_URL,
) -> Prepared:
    """Steps 1-5 (five steps of ``steps``): tools, REPL source, toolchain, REPL build, project."""
    p = Preparer(steps, home=home, environ=environ, repl_url=repl_url)
    p.check_tools()
    source, commit = p.repl_source(version)
    toolchain = p.toolchain(version)
    repl = p.build_repl(version, source, commit)
    if mathlib:
        proj: Path | None = p.mathlib_project(version)
    elif project is not None:
        proj = p.user_project(project, version)
    else:
        with steps.step("a Lean project") as step:
            step.skip("none: the REPL runs with Lean's core library (use --mathlib or --project DIR for more)")
        proj = None
    return Prepared(version, toolchain, source, repl, commit, proj, mathlib)


# --------------------------------------------------------------------------- helpers


def key_after(version: str, other: str) -> bool:
    a, b = version_key(version), version_key(other)
    return a is not None and b is not None and a > b


def nearest_tags(tag: str, tags: list[str], n: int = 3) -> list[str]:
    """The tags closest to ``tag`` (by version), for a "did you mean" list."""
    want = version_key(normalize_version(tag) or "")
    known = [(version_key(normalize_version(t) or ""), t) for t in tags]
    known = [(k, t) for k, t in known if k is not None]
    if want is None or not known:
        return sorted(tags)[-n:]

    def distance(item):
        k = item[0]
        return (abs(k[0] - want[0]) * 1000 + abs(k[1] - want[1])) * 1000 + abs(k[2] - want[2]), -k[3]

    return [t for _, t in sorted(known, key=distance)[:n]]


class Stamps:
    """Which steps of this tool finished in a folder, and for what (a tag or a commit):
    ``<folder>/.lake/lean-kernel-steps.json``."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".lake" / STAMP

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def done(self, key: str) -> str | None:
        return self._read().get(key)

    def mark(self, key: str, value: str) -> None:
        data = self._read()
        data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=2) + "\n")


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def _requires_mathlib(project: Path) -> bool:
    try:
        data = json.loads((project / "lake-manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return any(isinstance(p, dict) and p.get("name") == "mathlib" for p in data.get("packages", []))


# The REPL's own test/Mathlib project, at each tag, is this project with its test library.
_MATHLIB_TOML = """name = "lean_kernel_mathlib"

[[require]]
name = "mathlib"
git = "{url}"
rev = "{tag}"
"""
_MATHLIB_LEAN = """import Lake
open Lake DSL

package «lean_kernel_mathlib» where
  require mathlib from git "{url}" @ "{tag}"
"""
_MATHLIB_FIX = (
    "read lake's message above; Mathlib's cache needs a network and a few GB of disk; run setup again to retry "
    "(finished steps are skipped), or delete {project}/.lake to start the project over"
)
