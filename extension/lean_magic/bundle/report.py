"""Judge and present what set-up found: the checks with their fixes (missing binaries,
version mismatches, a bundle that does not match its manifest) and the reports that
``setup()``, ``%lean_setup`` and ``%lean_doctor`` show."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field

from lean_kernel.config import ReplConfig
from lean_kernel.doctor import Advice, Check, HealthReport
from lean_kernel.render import report_html
from lean_kernel.versions import release_tag

from .discover import Installation, SetupError

# How a Python-notebook user gets a working Lean (the doctor's fixes name settings only).
NOTEBOOK_ADVICE = Advice(
    configure="in this notebook, %lean_setup BUNDLE (an offline bundle, e.g. a Kaggle dataset); or run "
    "`lean-kernel setup` in a terminal, then restart this notebook's kernel",
    details="run %lean_doctor for the versions and paths in use",
    memory="set os.environ['LEAN_MEMORY_LIMIT_MB'] higher (or delete it) before %lean_setup, or run "
    "`lean-kernel setup --memory-limit-mb N` in a terminal; Mathlib needs 12 GiB or more at v4.26+",
)

_LAYOUTS_HINT = (
    "put a built REPL at <bundle>/repl/.lake/build/bin/repl or <bundle>/bin/repl (build it with "
    "`lake build` in leanprover-community/repl checked out at your toolchain's tag), or pass repl=PATH"
)


def _rebuild(tag: str) -> str:
    """The one-command way to a complete bundle; each fix also says how to repair by hand."""
    return f"on a machine with network, `lean-kernel bundle OUT --lean {tag}` builds a complete bundle"


def installation_checks(inst: Installation, *, from_bundle: bool) -> list[Check]:
    """Missing binaries (in a bundle, every part is required) and version mismatches."""
    checks: list[Check] = []
    where = inst.bundle or "the bundle"
    if from_bundle:
        if inst.toolchain_dir is None:
            checks.append(
                Check(
                    "toolchain",
                    False,
                    f"no Lean toolchain (a folder with bin/lean) in {where}",
                    _rebuild(_tag(inst))
                    + "; or copy a toolchain into the bundle as <bundle>/toolchain (e.g. ~/.elan/toolchains/"
                    "leanprover--lean4---vX.Y.Z from a machine where elan installed it)",
                )
            )
        else:
            for tool in ("lean", "lake"):
                binary = inst.toolchain_dir / "bin" / tool
                ok = binary.is_file() and os.access(binary, os.X_OK)
                checks.append(
                    Check(
                        f"{tool} binary",
                        ok,
                        str(binary) if ok else f"missing or not executable: {binary}",
                        None
                        if ok
                        else f"the toolchain at {inst.toolchain_dir} is incomplete; copy the "
                        f"whole toolchain folder (bin/{tool} included) into the bundle",
                    )
                )
        if inst.repl_path is None:
            checks.append(
                Check(
                    "repl binary", False, f"no repl binary found in {where}", f"{_LAYOUTS_HINT}; {_rebuild(_tag(inst))}"
                )
            )
    if inst.repl_path is not None and not (inst.repl_path.is_file() and os.access(inst.repl_path, os.X_OK)):
        checks.append(
            Check(
                "repl binary",
                False,
                f"missing or not executable: {inst.repl_path}",
                f"chmod +x {inst.repl_path}, or {_LAYOUTS_HINT}",
            )
        )
    pin, have = inst.project_pin, inst.toolchain_version
    if pin and have and pin != have:
        checks.append(
            Check(
                "toolchain version",
                False,
                f"the toolchain is Lean {have} ({inst.toolchain_version_source}) but the project pins {pin} "
                f"({inst.source_project_dir}/lean-toolchain); its .olean files will not load",
                _rebuild(release_tag(pin))
                + f"; or bundle the toolchain the project pins (on a machine with network: `elan toolchain install "
                f"leanprover/lean4:{release_tag(pin)}`, then copy ~/.elan/toolchains/leanprover--lean4---{release_tag(pin)} "
                f"into the bundle), or rebuild the project with Lean {have}",
            )
        )
    elif pin and have:
        checks.append(Check("toolchain version", True, f"Lean {have}, as the project pins"))
    expected = pin or have
    if inst.repl_pin and expected and inst.repl_pin != expected:
        checks.append(
            Check(
                "repl version",
                False,
                f"the REPL was built for Lean {inst.repl_pin} ({inst.repl_path}) but "
                + (f"the project pins {pin}" if pin else f"the toolchain is {have}"),
                f"rebuild the REPL for Lean {expected}: in leanprover-community/repl run `git checkout {release_tag(expected)}` "
                "and `lake build`, then copy it into the bundle",
            )
        )
    return checks


def _tag(inst: Installation) -> str:
    version = inst.project_pin or inst.toolchain_version or inst.repl_pin
    return release_tag(version) if version else "vX.Y.Z"


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
        return report_html(self.as_text(), self.ok)

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
        return report_html(self.as_text(), self.ok)


def _installation_lines(inst: Installation) -> list[str]:
    version = (
        f"Lean {inst.toolchain_version} (from {inst.toolchain_version_source})"
        if inst.toolchain_version
        else "version unknown"
    )
    lines = [f"toolchain: {inst.toolchain_dir or 'not found'}" + (f" · {version}" if inst.toolchain_dir else "")]
    if inst.other_toolchains:
        lines.append("  other toolchains (not used): " + ", ".join(str(t) for t in inst.other_toolchains))
    project = inst.project_dir or "none (Lean core only)"
    lines.append(f"project: {project}" + (f" · pins Lean {inst.project_pin}" if inst.project_pin else ""))
    if inst.copied and inst.source_project_dir:
        lines.append(f"  copied from: {inst.source_project_dir}")
    lines.append(
        f"repl: {inst.repl_path or 'not found'}" + (f" · built for Lean {inst.repl_pin}" if inst.repl_pin else "")
    )
    return lines


def package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("lean-kernel", "ipython", "ipykernel", "ipywidgets", "jupyter_client"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out
