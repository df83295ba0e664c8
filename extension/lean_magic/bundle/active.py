"""Turn a bundle into the configuration ``%%lean`` and ``LeanChecker()`` use, and remember
it; the doctor for whatever configuration is active.

What ``configure`` does, in four steps (shown as they happen when given ``progress``):
1. finds the parts (``discover``);
2. compares the bundle with its manifest, when it has one (``lean-bundle.json``);
3. makes it usable here (``copy``): a writable copy of a read-only project, executable
   copies of binaries that lost their bit;
4. runs the positive control (``#eval 2+2`` must print 4) from ``lean_kernel.doctor``.

The REPL is run directly (not ``lake env``) with ``LEAN_PATH`` (every
``.lake/build/lib/lean`` of the project and its packages, then the toolchain's
``lib/lean``), ``LEAN_SYSROOT`` (the toolchain) and ``PATH`` (toolchain ``bin`` first).
Lake is avoided on purpose: on a read-only copy it wants to re-elaborate lakefiles and may
try to fetch packages whose git metadata was not bundled.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from dataclasses import replace
from pathlib import Path

from lean_kernel.config import ReplConfig, TimeoutArg
from lean_kernel.doctor import Check, HealthReport, run_checks
from lean_kernel.process import ReplProcess
from lean_kernel.provision import manifest
from lean_kernel.steps import Listener, Steps

from .copy import default_workdir, is_writable, make_runnable, prepare_project
from .discover import Installation, inspect_bundle, inspect_config, require_bundle
from .report import NOTEBOOK_ADVICE, DoctorReport, SetupReport, installation_checks, package_versions

_active: SetupReport | None = None


def active_config() -> ReplConfig | None:
    """The configuration made by the last ``setup()``, if any (LeanChecker() uses it)."""
    return _active.config if _active is not None else None


def active_report() -> SetupReport | None:
    return _active


def reset_active() -> None:
    """Forget the last setup (tests, or to go back to the environment variables)."""
    global _active
    _active = None


# --------------------------------------------------------------------------- environment


def lean_path(project: Path | None, toolchain: Path | None) -> list[str]:
    """What ``lake env`` would put in LEAN_PATH: the project's build, each package's build,
    then the toolchain's own library."""
    entries: list[Path] = []
    if project is not None:
        roots = [project] + (
            sorted((project / ".lake" / "packages").iterdir()) if (project / ".lake" / "packages").is_dir() else []
        )
        for root in roots:
            lib = root / ".lake" / "build" / "lib"
            # Lake puts .olean files in build/lib/lean; older Lakes used build/lib itself.
            entries.append(lib / "lean" if (lib / "lean").is_dir() else lib)
    if toolchain is not None:
        entries.append(toolchain / "lib" / "lean")
    return [str(p) for p in entries if p.is_dir()]


def _prepend(path: str, rest: str | None) -> str:
    return path + (os.pathsep + rest if rest else "")


def _repl_config(inst: Installation, environ: MutableMapping[str, str]) -> ReplConfig:
    assert inst.repl_path is not None
    env: dict[str, str] = {}
    if inst.toolchain_dir is not None:
        tc = inst.toolchain_dir
        env["PATH"] = _prepend(str(tc / "bin"), environ.get("PATH"))
        env["LEAN_SYSROOT"] = str(tc)
        # Only the REPL gets the toolchain's libraries: exporting LD_LIBRARY_PATH would
        # make every other program in the notebook load them too.
        env["LD_LIBRARY_PATH"] = _prepend(
            os.pathsep.join([str(tc / "lib" / "lean"), str(tc / "lib")]), environ.get("LD_LIBRARY_PATH")
        )
    path = lean_path(inst.project_dir, inst.toolchain_dir)
    if path:
        env["LEAN_PATH"] = os.pathsep.join(path)
    base = ReplConfig.from_env({k: v for k, v in environ.items() if k in ("LEAN_TIMEOUT", "LEAN_MEMORY_LIMIT_MB")})
    return base.with_changes(
        repl_path=str(inst.repl_path),
        repl_args=[],
        project_dir=str(inst.project_dir) if inst.project_dir else None,
        use_lake=False,
        lake_path=str(inst.toolchain_dir / "bin" / "lake") if inst.toolchain_dir else "lake",
        env=env,
    )


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


# --------------------------------------------------------------------------- manifest


def manifest_check(inst: Installation) -> Check | None:
    """Compare the bundle with the manifest ``lean-kernel bundle`` wrote (None: it has none)."""
    assert inst.bundle is not None
    try:
        found = manifest.read(inst.bundle)
    except manifest.ManifestError as exc:
        return Check("bundle manifest", False, str(exc).split("; ")[0], str(exc).split("; ", 1)[-1])
    if found is None:
        return None
    problems = manifest.differences(inst.bundle, found, toolchain_version=inst.toolchain_version)
    if not problems:
        total = sum(found.files.values())
        return Check(
            "bundle manifest", True, f"Lean {found.lean}, {total} files and {len(found.sha256)} binaries as bundled"
        )
    return Check(
        "bundle manifest",
        False,
        "; ".join(problems),
        "upload the whole bundle folder again: `kaggle datasets create -p BUNDLE --dir-mode zip` (without "
        "--dir-mode the sub-folders are skipped), or the archive `lean-kernel bundle BUNDLE --archive` makes; "
        f"{manifest.MANIFEST_NAME} describes what the bundle held when it was built",
    )


# --------------------------------------------------------------------------- configure


def configure(
    bundle: str | Path | None = None,
    *,
    toolchain: str | Path | None = None,
    project: str | Path | None = None,
    repl: str | Path | None = None,
    workdir: str | Path | None = None,
    copy: bool | None = None,
    link_packages: bool = True,
    check: bool = True,
    verify: bool = True,
    timeout: TimeoutArg = 120.0,
    export: bool = True,
    environ: MutableMapping[str, str] | None = None,
    progress: Listener | None = None,
) -> SetupReport:
    """The work of ``lean_magic.setup()`` (see its help), minus restarting the REPL of
    the ``%%lean`` cells, which is the caller's business."""
    global _active
    environ = os.environ if environ is None else environ
    steps = Steps(4, progress)
    with steps.step("find the toolchain, the project and the REPL") as step:
        inst = inspect_bundle(
            Path(bundle) if bundle is not None else require_bundle(environ),
            toolchain=toolchain,
            project=project,
            repl=repl,
        )
        step.done(_found_summary(inst))

    health = HealthReport()
    with steps.step(f"compare the bundle with its manifest ({manifest.MANIFEST_NAME})") as step:
        found = manifest_check(inst) if verify else None
        if not verify:
            step.skip("verify=False")
        elif found is None:
            step.skip("the bundle has no manifest (it was not made by `lean-kernel bundle`)")
        else:
            health.checks.append(found)
            if found.ok:
                step.done(found.detail)
            else:
                step.fail(f"{found.detail}\nfix: {found.fix}")

    with steps.step("make the bundle usable here") as step:
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
        if inst.notes:
            step.done("; ".join(inst.notes))
        else:
            step.skip("nothing to change: the bundle is writable and its binaries are executable")

    health.checks += installation_checks(inst, from_bundle=True)
    config = _repl_config(inst, environ) if inst.repl_path is not None else None
    report = SetupReport(installation=inst, config=config, health=health)

    with steps.step("positive control: `#eval 2+2` must print 4") as step:
        if config is None or inst.repl_path is None:
            step.fail(health.summary())
        elif not check:
            step.skip("check=False")
        elif inst.repl_path.is_file():
            process = ReplProcess(config)
            try:
                health.checks += run_checks(process, timeout=timeout, advice=NOTEBOOK_ADVICE).checks
            finally:
                process.close()
            if health.ok:
                step.done("printed 4")
            else:
                step.fail(health.summary())
        else:
            step.fail(health.summary())

    if config is None:
        return report
    if export:
        report.exported = _export(environ, config, inst)
    _active = report
    return report


def _found_summary(inst: Installation) -> str:
    parts = [
        f"Lean {inst.toolchain_version}"
        if inst.toolchain_version
        else ("a toolchain" if inst.toolchain_dir else "no toolchain"),
        f"project {inst.source_project_dir.name}" if inst.source_project_dir else "no project",
        "a repl" if inst.repl_path else "no repl",
    ]
    return ", ".join(parts)


def doctor(config: ReplConfig | None = None, *, run: bool = True, timeout: TimeoutArg = 60.0) -> DoctorReport:
    """Versions, paths and checks (the positive control included), each failure with its fix.
    ``timeout``: seconds for the positive control, ``"off"`` for no limit, None for the
    configured limit."""
    active = _active
    if config is None:
        config = active_config() or ReplConfig.from_env()
    from_bundle = active is not None and active.config is config
    inst = active.installation if active is not None and from_bundle else inspect_config(config)
    checks = installation_checks(inst, from_bundle=from_bundle)
    if from_bundle and active is not None:
        checks = [c for c in active.health.checks if c.name == "bundle manifest"] + checks
    if run:
        process = ReplProcess(config)
        try:
            # This report is the details: its fixes do not send the user to %lean_doctor.
            checks += run_checks(process, timeout=timeout, advice=replace(NOTEBOOK_ADVICE, details=None)).checks
        finally:
            process.close()
    versions = package_versions()
    versions["Lean toolchain"] = inst.toolchain_version or "unknown (no `lean` on PATH, LEAN_SYSROOT unset)"
    if inst.project_pin:
        versions["project pin (lean-toolchain)"] = inst.project_pin
    versions["repl"] = str(inst.repl_path or "not found")
    if inst.repl_pin:
        versions["repl built for"] = inst.repl_pin
    if config.settings_file:
        versions["settings"] = f"{config.settings_file} (written by lean-kernel setup)"
    return DoctorReport(installation=inst, config=config, health=HealthReport(checks), versions=versions)
