"""Lean versions and the names the tools give them.

One version has several spellings, and each tool wants its own:

- ``4.19.0``: what ``lean --version`` prints (``Lean (version 4.19.0, ...)``); the form
  compared everywhere here.
- ``v4.19.0``: the release tag. Lean's releases, the REPL's tags
  (leanprover-community/repl tags each toolchain it supports, e.g. ``v4.19.0``,
  ``v4.22.0-rc4``: the tag's commit pins ``leanprover/lean4:v4.19.0`` in its
  ``lean-toolchain``) and Mathlib's tags (``rev = "v4.33.0-rc2"`` in the REPL's own
  test/Mathlib/lakefile.toml) all use it.
- ``leanprover/lean4:v4.19.0``: the toolchain name, as ``lean-toolchain`` files and
  ``elan toolchain install`` write it.
- ``leanprover--lean4---v4.19.0``: elan's folder for it under ``$ELAN_HOME/toolchains``
  (elan encodes "/" as "--" and ":" as "---": src/elan/toolchain.rs, and the test
  ``from_toolchain_dir_desanitizes_separators`` in src/elan-dist/src/dist.rs).
"""

from __future__ import annotations

import re
from pathlib import Path

LEAN_ORIGIN = "leanprover/lean4"

# The REPL versions this release is checked against: the recorded sessions
# (../shared/repl-transcripts) span v4.8.0 to v4.33.0-rc2. Older REPLs lack request
# fields the client relies on; newer ones are used with a warning.
OLDEST_SUPPORTED = "4.8.0"
NEWEST_TESTED = "4.33.0-rc2"
# What `lean-kernel setup` installs when no --lean is given: the newest stable release in
# that range (release candidates are for those who ask for them).
DEFAULT_VERSION = "4.32.0"

_VERSION = re.compile(r"v?(\d+\.\d+\.\d+(?:-rc\d+)?)|(nightly-\d{4}-\d{2}-\d{2})")
_PARTS = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-rc(\d+))?$")


def normalize_version(text: str | None) -> str | None:
    """``leanprover/lean4:v4.19.0``, ``leanprover--lean4---v4.19.0``, ``Lean (version
    4.19.0, ...)`` all give ``4.19.0``; nightlies keep their date; None when no version."""
    if not text:
        return None
    match = _VERSION.search(text)
    if not match:
        return None
    return match.group(1) or match.group(2)


def release_tag(version: str) -> str:
    """``4.19.0`` -> ``v4.19.0`` (how toolchains and REPL tags are named); nightlies as is."""
    return f"v{version}" if version[:1].isdigit() else version


def toolchain_name(version: str) -> str:
    """``4.19.0`` -> ``leanprover/lean4:v4.19.0``."""
    return f"{LEAN_ORIGIN}:{release_tag(version)}"


def elan_folder_name(version: str) -> str:
    """``4.19.0`` -> ``leanprover--lean4---v4.19.0`` (elan's folder under toolchains/)."""
    return toolchain_name(version).replace("/", "--").replace(":", "---")


def version_key(version: str) -> tuple[int, int, int, int] | None:
    """A sort key: releases after their release candidates; None for nightlies and junk."""
    m = _PARTS.match(version)
    if not m:
        return None
    rc = int(m.group(4)) if m.group(4) else 10**6
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), rc


def read_toolchain_file(folder: str | Path | None) -> str | None:
    """The Lean version a project (or the REPL's source tree) pins in ``lean-toolchain``,
    normalized (``4.19.0``); None without a readable pin."""
    if not folder:
        return None
    try:
        text = (Path(folder).expanduser() / "lean-toolchain").read_text()
    except OSError:
        return None
    return normalize_version(text)
