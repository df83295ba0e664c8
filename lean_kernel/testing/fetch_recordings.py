"""Fetch the recorded REPL sessions the tests replay, from the REPL's own repository.

    python scripts/fetch_recordings.py [DEST]        # default: ../shared/repl-transcripts
    python -m lean_kernel.testing.fetch_recordings [DEST]

The recordings are the REPL's test suite (leanprover-community/repl, Apache-2.0) at one
commit per Lean version: every file directly in its ``test/`` folder (``.in`` requests,
``.expected.out`` answers, ``.lean`` files they read) and its ``test/Mathlib/test/``
folder. Each version folder gets a ``SOURCE`` file naming the commit, in the words of
the existing folders ("v4.19.0 from leanprover-community/repl commit 3b27c85...").
``PINS`` below are those commits; the tests check them against the SOURCE files.

Needs git and network (one ``git clone --bare`` of the REPL, under a megabyte). A version
whose folder already has the right SOURCE is left alone; a folder with another SOURCE is
never overwritten. Stdlib only, so a fresh clone can run it before installing anything.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

REPO_URL = "https://github.com/leanprover-community/repl"
REPO_NAME = "leanprover-community/repl"
# version -> commit: the SOURCE files of ../shared/repl-transcripts.
PINS = {
    "v4.8.0": "439687b2465afa316dfc6bb49df9a8facbdfa15b",
    "v4.14.0-rc1": "29a9aae9d1f7b91202886a6ddf606c1b925d2ee2",
    "v4.19.0": "3b27c8543a48444ffab4077f47526d91849cca3d",
    "v4.22.0-rc4": "df02476107206bd7a576ee61aad92ed9cbe0943d",
    "v4.26.0-rc2": "0b64f4e06f90ae71a1e0616bb1a90d15494ea69f",
    "v4.30.0-rc1": "c9cde4d461fcf1d56e121bbe7d0c96a7ad40e492",
    "v4.33.0-rc2": "8948401ab4924499421c94b7facdfca5ff27d81d",
}
README = """# Recorded Lean REPL transcripts

Real input/output pairs of the Lean 4 REPL (leanprover-community/repl, Apache-2.0), taken
from that project's own test suite, one folder per Lean toolchain; each folder's SOURCE
names the commit. Fetched by lean-kernel's scripts/fetch_recordings.py.
"""


class FetchError(RuntimeError):
    """The recordings could not be fetched; the message names the fix."""


def source_line(version: str, commit: str) -> str:
    return f"{version} from {REPO_NAME} commit {commit}\n"


def default_dest() -> Path:
    from lean_kernel.testing.transcripts import default_root

    return default_root()


def _git(args: list[str], *, what: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        raise FetchError("git is not installed; install git and run this again") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise FetchError(f"could not {what}: git {' '.join(args[:2])} failed: {err}")
    return done.stdout


def _wanted(path: str) -> str | None:
    """The path inside a version folder for a file of the REPL's test tree, or None."""
    for prefix in ("test/Mathlib/test/", "test/"):
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            if rest and "/" not in rest:
                return rest if prefix == "test/" else f"Mathlib/test/{rest}"
    return None


def fetch(
    dest: Path,
    *,
    pins: Mapping[str, str] = PINS,
    repo_url: str = REPO_URL,
    log: Callable[[str], None] = print,
) -> list[str]:
    """Write every pinned version folder that is missing under ``dest``; returns the
    versions written."""
    todo = {}
    for version, commit in pins.items():
        folder = dest / version
        source = folder / "SOURCE"
        if source.is_file():
            if source.read_text() == source_line(version, commit):
                continue
            raise FetchError(
                f"{folder} holds other recordings ({source.read_text().strip()}); move it away to fetch {version}"
            )
        if folder.exists() and any(folder.iterdir()):
            raise FetchError(f"{folder} exists without a SOURCE file; move it away to fetch {version}")
        todo[version] = commit
    if not todo:
        log(f"all {len(pins)} versions are already in {dest}")
        return []
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lean-recordings-") as tmp:
        bare = Path(tmp) / "repl.git"
        log(f"cloning {repo_url} ...")
        try:
            _git(["clone", "--bare", "--quiet", repo_url, str(bare)], what=f"clone {repo_url}")
        except FetchError as exc:
            raise FetchError(
                f"{exc}\nfix: this needs network access to {repo_url} (or pass --repo with a local clone)"
            ) from None
        for version, commit in todo.items():
            _write_version(bare, dest, version, commit)
            log(f"{version}: written from commit {commit[:12]}")
    if not (dest / "README.md").exists():
        (dest / "README.md").write_text(README)
    return list(todo)


def _write_version(bare: Path, dest: Path, version: str, commit: str) -> None:
    gd = ["--git-dir", str(bare)]
    try:
        _git([*gd, "cat-file", "-e", f"{commit}^{{commit}}"], what=f"find commit {commit}")
    except FetchError:
        raise FetchError(f"the pinned commit {commit} for {version} is not in the repository") from None
    toolchain = (
        _git([*gd, "show", f"{commit}:lean-toolchain"], what=f"read lean-toolchain at {commit}").decode().strip()
    )
    if not toolchain.endswith(":" + version):
        raise FetchError(f"commit {commit} pins {toolchain}, not {version}: the pin for {version} is wrong")
    tar = _git([*gd, "archive", "--format=tar", commit, "test"], what=f"read test/ at {commit}")
    partial = dest / f".{version}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    count = 0
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        for member in archive.getmembers():
            rel = _wanted(member.name) if member.isfile() else None
            if rel is None:
                continue
            target = partial / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            data = archive.extractfile(member)
            assert data is not None
            target.write_bytes(data.read())
            count += 1
    if count == 0:
        raise FetchError(f"commit {commit} has no test files: the pin for {version} is wrong")
    (partial / "SOURCE").write_text(source_line(version, commit))
    folder = dest / version
    if folder.exists():
        folder.rmdir()  # empty (checked in fetch)
    os.replace(partial, folder)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="fetch_recordings.py",
        description="Fetch the recorded Lean REPL sessions the tests replay (from leanprover-community/repl).",
    )
    p.add_argument(
        "dest",
        nargs="?",
        type=Path,
        help="where to put them (default: $LEAN_TRANSCRIPTS, else ../shared/repl-transcripts)",
    )
    p.add_argument("--repo", default=REPO_URL, help="the REPL's repository (a URL or a local clone)")
    p.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="VERSION=COMMIT",
        help="fetch these versions instead of the pinned ones (repeatable)",
    )
    args = p.parse_args(argv)
    dest = args.dest or default_dest()
    pins = dict(PINS)
    if args.pin:
        try:
            pins = dict(item.split("=", 1) for item in args.pin)
        except ValueError:
            p.error("--pin wants VERSION=COMMIT, e.g. --pin v4.19.0=3b27c8543a48444ffab4077f47526d91849cca3d")
    try:
        written = fetch(dest, pins=pins, repo_url=args.repo)
    except FetchError as exc:
        print(f"fetch_recordings: {exc}", file=sys.stderr)
        return 1
    if written and dest != default_dest():
        print(f"set LEAN_TRANSCRIPTS={dest} for the tests to find them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
