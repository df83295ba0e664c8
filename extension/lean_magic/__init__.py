"""Lean 4 from Python notebooks: ``%%lean`` cells and a Python API, offline included.

    %load_ext lean_magic
    %lean_setup /kaggle/input/lean-bundle        # or set LEAN_REPL_PATH / LEAN_PROJECT

    from lean_magic import LeanChecker
    with LeanChecker() as lean:
        result = lean.run("theorem t : 1 + 1 = 2 := rfl")

``lean_magic.setup()`` (in ``api``) configures Lean from an offline bundle; the bundle
machinery itself is the package ``lean_magic.bundle``.
"""

from __future__ import annotations

from lean_kernel import __version__

from .api import (
    LeanChecker,
    LeanError,
    LeanMessage,
    LeanResult,
    LeanSorry,
    close_shared_checker,
    setup,
    shared_checker,
)
from .bundle import DoctorReport, SetupError, SetupReport, doctor

__all__ = [
    "DoctorReport",
    "LeanChecker",
    "LeanError",
    "LeanMessage",
    "LeanResult",
    "LeanSorry",
    "SetupError",
    "SetupReport",
    "__version__",
    "close_shared_checker",
    "doctor",
    "load_ipython_extension",
    "setup",
    "shared_checker",
    "unload_ipython_extension",
]


def load_ipython_extension(ip) -> None:
    """``%load_ext lean_magic``: registers %%lean, %lean_env, %lean_restart, %lean_setup,
    %lean_doctor, %lean_result and %lean_output, and Tab completion of ``\\to`` → ``→`` in
    Lean cells. Nothing starts until the first cell runs."""
    from .magic import load

    load(ip)


def unload_ipython_extension(ip) -> None:
    from .magic import unload

    unload(ip)
