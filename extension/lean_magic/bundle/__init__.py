"""Offline bundles: a folder with a Lean toolchain, a built project and a built REPL (on
Kaggle, a dataset under the read-only ``/kaggle/input``), so nothing is ever fetched.

- ``discover``: find the parts and their versions (the layouts accepted are listed there);
- ``copy``: make a read-only bundle usable (writable project copy, executable binaries);
- ``report``: the checks with their fixes, and the reports shown to the user;
- ``active``: turn a bundle into the active configuration (``configure()``); the doctor.
  (Named apart from its function, so that ``bundle.configure`` is only the function.)

``lean_magic.setup()`` is the entry point; ``lean-kernel bundle`` builds such a folder.
"""

from __future__ import annotations

from .active import active_config, active_report, configure, doctor, lean_path, reset_active
from .copy import COPY_MARKER, is_writable, prepare_project
from .discover import BUNDLE_ENV, Installation, SetupError, inspect_bundle, locate_bundle
from .report import DoctorReport, SetupReport

__all__ = [
    "BUNDLE_ENV",
    "COPY_MARKER",
    "DoctorReport",
    "Installation",
    "SetupError",
    "SetupReport",
    "active_config",
    "active_report",
    "configure",
    "doctor",
    "inspect_bundle",
    "is_writable",
    "lean_path",
    "locate_bundle",
    "prepare_project",
    "reset_active",
]
