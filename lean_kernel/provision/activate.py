"""Make a prepared Lean the one Jupyter uses: save its settings (what ``%%lean`` and
``LeanChecker()`` fall back on) and install the "Lean 4" kernelspec with the same
settings."""

from __future__ import annotations

import json
from pathlib import Path

from .. import install
from ..config import (
    ENV_EXTRA_ENV,
    ENV_LAKE,
    ENV_MEMORY_MB,
    ENV_PROJECT,
    ENV_REPL_PATH,
    ENV_TIMEOUT,
    write_saved_settings,
)
from ..steps import StepFailed, Steps
from .prepare import Prepared


def settings_for(
    prepared: Prepared, *, timeout: str | None = None, memory_limit_mb: int | None = None
) -> dict[str, str]:
    """The LEAN_* variables that start this REPL. In a project, ``lake env repl`` (with
    the toolchain's own lake, so no elan is needed at run time); without one, the REPL
    itself with LEAN_SYSROOT pointing at the toolchain, where it finds Lean's library."""
    env = {ENV_REPL_PATH: str(prepared.repl)}
    if prepared.project is not None:
        env[ENV_PROJECT] = str(prepared.project)
        env[ENV_LAKE] = str(prepared.lake)
    else:
        env[ENV_EXTRA_ENV] = json.dumps({"LEAN_SYSROOT": str(prepared.toolchain)})
    if timeout is not None:
        env[ENV_TIMEOUT] = timeout
    if memory_limit_mb is not None:
        env[ENV_MEMORY_MB] = str(memory_limit_mb)
    return env


def activate(
    steps: Steps,
    prepared: Prepared,
    settings: dict[str, str],
    *,
    kernel_args: list[str],
    settings_file: Path | None = None,
) -> tuple[Path, str]:
    """One step: write the settings file and install the kernelspec. ``kernel_args`` are
    install_kernel.py's location options (``--user``, ``--prefix P``, ``--name`` ...).
    Returns (settings file, kernelspec folder)."""
    with steps.step("save the settings and install the Jupyter kernel") as step:
        about = {"written_by": "lean-kernel setup", "lean": prepared.tag, "repl_commit": prepared.repl_commit}
        try:
            path = write_saved_settings(settings, about=about, path=settings_file)
        except OSError as exc:
            raise StepFailed(
                f"cannot write the settings file ({exc})", "set LEAN_KERNEL_CONFIG to a writable file path"
            ) from None
        argv = [*kernel_args]
        for key, value in settings.items():
            argv += ["--env", f"{key}={value}"]
        try:
            spec_dir = install.install(install.parse_args(argv))
        except SystemExit as exc:  # argparse or build_env refusing an option
            raise StepFailed(f"the kernelspec options were refused ({exc})", "see `lean-kernel setup --help`") from None
        except OSError as exc:
            raise StepFailed(
                f"cannot install the kernelspec ({exc})",
                "choose where with --user, --sys-prefix or --prefix P (P/share/jupyter must be writable)",
            ) from None
        step.done(f"settings in {path}; kernelspec in {spec_dir}")
    return path, spec_dir
