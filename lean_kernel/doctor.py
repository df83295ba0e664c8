"""Is this REPL usable? A positive control run at start-up, and a diagnosis that names the
fix when it is not. Shared by the kernel (first cell's output) and ``%lean_doctor``.

The fixes name settings (LEAN_REPL_PATH, LEAN_SYSROOT ...), never a frontend's tool: the
caller passes ``Advice`` saying how its user configures Lean (the kernel: ``lean-kernel
setup`` / install_kernel.py; a Python notebook: ``%lean_setup`` / ``%lean_doctor``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError, ReplConfig, TimeoutArg
from .process import ReplFailure, ReplNotFound, ReplProcess, says_out_of_memory
from .protocol import CommandRequest, CommandResponse, ReplErrorResponse
from .versions import read_toolchain_file, release_tag

# `#eval 2+2` needs nothing but Lean's prelude, so it separates "the REPL runs" from
# "the project's imports work".
POSITIVE_CONTROL = "#eval 2+2"
POSITIVE_CONTROL_EXPECTED = "4"


@dataclass(frozen=True)
class Advice:
    """How a frontend's user points it at a working Lean (``configure``) and where they
    see the details (``details``, None when the report being shown is the details)."""

    configure: str = "set LEAN_REPL_PATH to the repl binary (or LEAN_PROJECT to a Lean project)"
    details: str | None = None
    # How this user raises the REPL's memory limit, for a REPL that ran out of it.
    memory: str = "raise LEAN_MEMORY_LIMIT_MB or unset it"


NO_ADVICE = Advice()


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None


@dataclass
class HealthReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def first_failure(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)

    def summary(self) -> str:
        failed = self.first_failure
        if failed is None:
            return "Lean REPL ready: " + "; ".join(c.detail for c in self.checks)
        text = f"Lean REPL not usable: {failed.name} failed: {failed.detail}"
        return text + (f"\nFix: {failed.fix}" if failed.fix else "")

    def as_text(self) -> str:
        lines = []
        for c in self.checks:
            lines.append(f"[{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}")
            if not c.ok and c.fix:
                lines.append(f"       fix: {c.fix}")
        return "\n".join(lines)


def read_toolchain(project_dir: str | None) -> str | None:
    """The release a project pins in ``lean-toolchain`` (e.g. ``v4.19.0``); None without one."""
    version = read_toolchain_file(project_dir)
    return release_tag(version) if version else None


def diagnose_stderr(stderr: str, config: ReplConfig, advice: Advice = NO_ADVICE) -> tuple[str, str] | None:
    """Map the REPL's dying words to (what is wrong, how to fix it)."""
    low = stderr.lower()
    project = config.project_dir or "the Lean project"
    if "incompatible header" in low or "invalid header" in low or "compiled with a different" in low:
        return (
            "toolchain mismatch: the .olean files were built by another Lean version than the REPL",
            f"rebuild the REPL with the toolchain in {project}/lean-toolchain, or run `lake build` in {project}",
        )
    if re.search(
        r"object file .*\.olean.* does not exist|unknown package|file not found.*\.olean|failed to read file", low
    ):
        return (
            "missing .olean files for an import",
            f"run `lake build` (or `lake exe cache get` for Mathlib, where a network is available) in {project}",
        )
    if "lean_sysroot" in low or "print-prefix" in low or "lean: not found" in low:
        return (
            "the Lean toolchain was not found",
            f"put the toolchain's bin folder on PATH, or set LEAN_SYSROOT; or {advice.configure}",
        )
    if says_out_of_memory(low):
        return ("the REPL ran out of memory", advice.memory)
    return None


def positive_control(process: ReplProcess, timeout: TimeoutArg = 60.0, advice: Advice = NO_ADVICE) -> Check:
    """Run ``#eval 2+2`` on a fresh env and expect ``4``, within ``timeout`` (as for
    ``ReplProcess.request``: seconds, NO_LIMIT, or CONFIGURED, which None means too)."""
    try:
        response = process.request(CommandRequest(cmd=POSITIVE_CONTROL), timeout=timeout)
    except ReplNotFound as exc:
        return Check("start", False, str(exc), _fix_for_start(advice))
    except ReplFailure as exc:
        found = diagnose_stderr(exc.stderr_tail, process.config, advice)
        if found:
            return Check("positive control", False, f"{found[0]} ({exc.cause})", found[1])
        return Check(
            "positive control",
            False,
            f"the REPL {exc.cause}"
            + (f"; stderr: {exc.stderr_tail.strip()[-300:]}" if exc.stderr_tail.strip() else ""),
            "check that LEAN_REPL_PATH is the repl binary for this toolchain"
            + (f"; {advice.details}" if advice.details else ""),
        )
    if isinstance(response, ReplErrorResponse):
        return Check("positive control", False, f"the REPL refused `{POSITIVE_CONTROL}`: {response.message}", None)
    if isinstance(response, CommandResponse):
        outputs = [m.data.strip() for m in response.messages if m.severity == "info"]
        if POSITIVE_CONTROL_EXPECTED in outputs and not response.errors:
            return Check("positive control", True, f"`{POSITIVE_CONTROL}` printed {POSITIVE_CONTROL_EXPECTED}")
        errors = "; ".join(m.data for m in response.errors) or f"printed {outputs!r}"
        found = diagnose_stderr(errors, process.config, advice)
        return Check(
            "positive control",
            False,
            f"`{POSITIVE_CONTROL}` did not print {POSITIVE_CONTROL_EXPECTED}: {errors}",
            found[1] if found else "the Lean prelude does not load; check LEAN_PATH / LEAN_SYSROOT for this toolchain",
        )
    return Check("positive control", False, f"unexpected answer to `{POSITIVE_CONTROL}`", None)


def _fix_for_start(advice: Advice) -> str:
    return advice.configure


def check_config(config: ReplConfig, advice: Advice = NO_ADVICE) -> list[Check]:
    """Static checks that need no process: paths exist, toolchain pin readable."""
    checks: list[Check] = []
    try:
        argv = config.command()
        checks.append(Check("repl binary", True, " ".join(argv)))
    except ConfigError as exc:
        checks.append(Check("repl binary", False, str(exc), _fix_for_start(advice)))
        return checks
    if config.project_dir:
        pin = read_toolchain(config.project_dir)
        checks.append(
            Check(
                "project",
                pin is not None,
                f"{config.project_dir} pins {pin}" if pin else f"no lean-toolchain file in {config.project_dir}",
                None if pin else "point LEAN_PROJECT at the folder that holds lean-toolchain and lakefile",
            )
        )
    for var in ("LEAN_PATH", "LEAN_SYSROOT"):
        value = config.env.get(var) or os.environ.get(var)
        if value:
            missing = [p for p in value.split(os.pathsep) if p and not Path(p).exists()]
            checks.append(
                Check(
                    var,
                    not missing,
                    value if not missing else f"missing: {', '.join(missing)}",
                    None if not missing else f"fix {var}: these folders do not exist",
                )
            )
    return checks


def run_checks(process: ReplProcess, timeout: TimeoutArg = 60.0, advice: Advice = NO_ADVICE) -> HealthReport:
    report = HealthReport(check_config(process.config, advice))
    if report.ok:
        report.checks.append(positive_control(process, timeout=timeout, advice=advice))
    return report
