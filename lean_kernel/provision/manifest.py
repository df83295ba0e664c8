"""The manifest of an offline bundle (``lean-bundle.json`` at its top): which Lean it
holds, how many files each part has, and the sha256 of its binaries.

``lean-kernel bundle`` writes it; ``lean_magic.setup()`` compares the bundle it finds
against it. The usual way a bundle breaks is its upload: ``kaggle datasets create``
skips sub-folders unless given ``--dir-mode``, a browser upload may stop half-way, and a
re-upload may mix two versions. File counts tell which part is incomplete; checksums
tell a binary that is not the one built.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_NAME = "lean-bundle.json"
FORMAT = 1

# The folders of a bundle `lean-kernel bundle` makes, and the binaries it checksums.
TOOLCHAIN_DIR = "toolchain"
PROJECT_DIR = "project"
REPL_DIR = "repl"
REPL_BINARY = f"{REPL_DIR}/.lake/build/bin/repl"
BINARIES = (f"{TOOLCHAIN_DIR}/bin/lean", f"{TOOLCHAIN_DIR}/bin/lake", REPL_BINARY)


class ManifestError(ValueError):
    """The manifest file exists but cannot be read; the message names the fix."""


@dataclass
class Manifest:
    lean: str  # "4.19.0"
    files: dict[str, int]  # part folder -> number of files under it
    sha256: dict[str, str]  # binary (path relative to the bundle) -> hex digest
    repl: dict[str, str] = field(default_factory=dict)  # tag, commit
    project: dict[str, object] = field(default_factory=dict)  # name, pin, packages
    created_by: str = ""
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"unknown manifest format {data.get('format') if isinstance(data, dict) else data!r}")
        return cls(
            lean=str(data["lean"]),
            files={str(k): int(v) for k, v in data["files"].items()},
            sha256={str(k): str(v) for k, v in data["sha256"].items()},
            repl=dict(data.get("repl") or {}),
            project=dict(data.get("project") or {}),
            created_by=str(data.get("created_by", "")),
        )


def count_files(folder: Path) -> int:
    """Files (and symlinks) under ``folder``, without following links."""
    total = 0
    for _dirpath, dirnames, filenames in os.walk(folder):
        total += len(filenames)
        total += sum(1 for d in dirnames if os.path.islink(os.path.join(_dirpath, d)))
    return total


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def describe(bundle: Path, *, lean: str, repl: dict[str, str], project: dict[str, object], created_by: str) -> Manifest:
    """The manifest of a finished bundle folder (counts and checksums read from disk)."""
    parts = [p for p in (TOOLCHAIN_DIR, PROJECT_DIR, REPL_DIR) if (bundle / p).is_dir()]
    return Manifest(
        lean=lean,
        files={p: count_files(bundle / p) for p in parts},
        sha256={b: sha256_file(bundle / b) for b in BINARIES if (bundle / b).is_file()},
        repl=repl,
        project=project,
        created_by=created_by,
    )


def write(bundle: Path, manifest: Manifest) -> Path:
    path = bundle / MANIFEST_NAME
    path.write_text(manifest.to_json())
    return path


def read(bundle: Path) -> Manifest | None:
    """The bundle's manifest; None when it has none (a bundle made by hand)."""
    path = bundle / MANIFEST_NAME
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestError(f"cannot read {path} ({exc})") from exc
    try:
        return Manifest.from_json(text)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ManifestError(
            f"{path} is not a manifest this version of lean-kernel reads ({exc}); rebuild the bundle with "
            "`lean-kernel bundle OUT`, or delete the file to skip the check"
        ) from exc


def differences(bundle: Path, manifest: Manifest, *, toolchain_version: str | None) -> list[str]:
    """What differs between the bundle on disk and its manifest, in words ([] when all matches)."""
    problems = []
    if toolchain_version and toolchain_version != manifest.lean:
        problems.append(f"the bundle was built for Lean {manifest.lean} but its toolchain is Lean {toolchain_version}")
    for part, expected in sorted(manifest.files.items()):
        folder = bundle / part
        found = count_files(folder) if folder.is_dir() else 0
        if found < expected:
            problems.append(f"{part}/ has {found} of its {expected} files" if found else f"{part}/ is missing")
    for binary, digest in sorted(manifest.sha256.items()):
        path = bundle / binary
        if path.is_file() and sha256_file(path) != digest:
            problems.append(f"{binary} is not the binary that was bundled (sha256 differs)")
    return problems
