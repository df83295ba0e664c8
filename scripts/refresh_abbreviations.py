"""Refresh Lean's Unicode abbreviation table (lean_kernel/data/abbreviations.json).

    python scripts/refresh_abbreviations.py             # the version labextension/ depends on
    python scripts/refresh_abbreviations.py --version 0.1.9

The table is the `abbreviations.json` of the npm package `@leanprover/unicode-input`
(Apache-2.0), the one VS Code's Lean extension and lean4web use. `npm pack` fetches the
package; its table, license and version are written next to each other, so the kernel's Tab
completion and the JupyterLab extension (which bundles the same package) agree. To move to
a new version, change the version in labextension/package.json, run this script and
scripts/build_labextension.py, and commit all three.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "@leanprover/unicode-input"
DATA = REPO / "lean_kernel" / "data"
TABLE = DATA / "abbreviations.json"
LICENSE = DATA / "abbreviations.LICENSE"
NOTICE = DATA / "abbreviations.NOTICE"
LABEXTENSION_PACKAGE = REPO / "labextension" / "package.json"


def pinned_version() -> str:
    deps = json.loads(LABEXTENSION_PACKAGE.read_text(encoding="utf-8"))["dependencies"]
    return deps[PACKAGE]


def notice(version: str, entries: int) -> str:
    return (
        f"abbreviations.json is the abbreviation table of the npm package {PACKAGE} {version}\n"
        "(https://github.com/leanprover/vscode-lean4, folder lean4-unicode-input), unchanged:\n"
        f"{entries} entries. It is licensed under the Apache License, Version 2.0; the license\n"
        "text is in abbreviations.LICENSE. Refreshed by scripts/refresh_abbreviations.py.\n"
    )


def fetch(version: str, into: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js with npm (Debian: apt-get install nodejs npm)")
    done = subprocess.run(
        [npm, "pack", f"{PACKAGE}@{version}", "--silent"], cwd=into, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise SystemExit(f"npm pack {PACKAGE}@{version} failed:\n{done.stderr}")
    tarball = into / done.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+: refuse paths outside `into`
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)
    return into / "package"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default=None, help=f"version of {PACKAGE} (default: labextension/package.json's)")
    args = parser.parse_args(argv)
    version = args.version or pinned_version()
    with tempfile.TemporaryDirectory() as tmp:
        package = fetch(version, Path(tmp))
        meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
        table = json.loads((package / "dist" / "abbreviations.json").read_text(encoding="utf-8"))
        if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
            raise SystemExit(f"{PACKAGE} {version}: abbreviations.json is not an object of strings")
        DATA.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(package / "dist" / "abbreviations.json", TABLE)
        shutil.copyfile(package / "LICENSE", LICENSE)
        NOTICE.write_text(notice(meta["version"], len(table)), encoding="utf-8")
    print(f"{TABLE.relative_to(REPO)}: {len(table)} abbreviations from {PACKAGE} {meta['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
