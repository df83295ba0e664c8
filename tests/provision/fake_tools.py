"""Fake ``elan``, ``git`` and ``lake`` for the setup and bundle tests (one program; the
name it is called by picks the tool). Each records its arguments and working folder in
``$FAKE_TOOLS_LOG`` (one JSON object a line) and lays out the files the real tool would:

- ``git clone URL DEST``: a clone of the REPL (``.git``, files of the newest tag);
  ``git -C DEST tag --list`` / ``fetch --tags`` / ``checkout TAG`` / ``rev-parse HEAD``;
- ``elan toolchain install leanprover/lean4:vX``: ``$ELAN_HOME/toolchains/
  leanprover--lean4---vX`` with ``bin/lean`` (prints its version), ``bin/lake`` (this
  fake) and ``lib/lean``;
- ``lake build`` in the REPL's source: ``.lake/build/bin/repl``, a script that starts the
  stand-in REPL on the recordings of that version (``$FAKE_RECORDINGS/<tag>``, else
  v4.33.0-rc2) plus the scripted answers; in a project: its ``.lake/build/lib/lean``;
- ``lake update`` / ``lake exe cache get``: Mathlib under ``.lake/packages/mathlib``
  (sources, then built .olean files); ``lake env CMD ...`` runs CMD.

``$FAKE_TOOLS_FAIL`` (comma-separated) makes one step fail the way the real tool fails:
``git-offline``, ``elan-offline``, ``elan-nonexistent``, ``lake-build``, ``lake-offline``
(``lake update`` cannot reach GitHub), ``cache-offline``, ``wrong-pin`` (the tag's commit
pins another Lean), ``repl-broken`` (the built REPL dies at start), ``crash-on-check`` (the
REPL crashes on the ``%%lean`` check cell). The messages are the real tools' wording where we have it: elan's
"could not download nonexistent lean version" (src/elan-dist/src/dist.rs), git's and
curl's "Could not resolve host".
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTED = REPO / "tests" / "fixtures" / "scripted"
# Tags of leanprover-community/repl (a subset of `git tag` on its repository).
DEFAULT_TAGS = "v4.8.0 v4.9.0 v4.14.0 v4.19.0 v4.22.0-rc4 v4.26.0-rc2 v4.29.0 v4.30.0-rc1 v4.32.0 v4.33.0-rc2"
DEFAULT_RECORDED = "v4.33.0-rc2"


def fails(what: str) -> bool:
    return what in os.environ.get("FAKE_TOOLS_FAIL", "").split(",")


def die(message: str, code: int = 1) -> None:
    print(message, file=sys.stderr, flush=True)
    sys.exit(code)


def write(path: Path, text: str, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if executable:
        path.chmod(0o755)


def tags() -> list[str]:
    return os.environ.get("FAKE_REPL_TAGS", DEFAULT_TAGS).split()


# --------------------------------------------------------------------------- git


def git(args: list[str]) -> None:
    where = Path.cwd()
    while args[:1] in (["-C"], ["-c"]):
        if args[0] == "-C":
            where = Path(args[1])
        args = args[2:]
    cmd, rest = args[0], args[1:]
    if cmd == "clone":
        url, dest = rest[-2], Path(rest[-1])
        if fails("git-offline"):
            die(
                f"Cloning into '{dest.name}'...\nfatal: unable to access '{url}/': Could not resolve host: github.com",
                128,
            )
        print(f"Cloning into '{dest}'...", flush=True)
        (dest / ".git").mkdir(parents=True)
        checkout(dest, tags()[-1])
    elif cmd == "tag":
        print("\n".join(sorted(tags())))
    elif cmd == "fetch":
        pass
    elif cmd == "checkout":
        tag = next(a for a in rest if not a.startswith("-"))
        if tag not in tags():
            die(f"error: pathspec '{tag}' did not match any file(s) known to git")
        checkout(where, tag)
    elif cmd == "rev-parse":
        print(hashlib.sha1((where / ".git" / "HEAD").read_bytes()).hexdigest())
    else:
        die(f"fake git: unknown command {args}")


def checkout(dest: Path, tag: str) -> None:
    pinned = "v4.8.0" if fails("wrong-pin") else tag
    write(dest / "lean-toolchain", f"leanprover/lean4:{pinned}\n")
    write(dest / "lakefile.toml", 'name = "REPL"\n')
    write(dest / "REPL" / "Main.lean", "-- the REPL\n")
    write(dest / ".git" / "HEAD", tag + "\n")


# --------------------------------------------------------------------------- elan


def elan(args: list[str]) -> None:
    if args[:2] != ["toolchain", "install"]:
        die(f"fake elan: unknown command {args}")
    name = args[2]
    if fails("elan-offline"):
        die(
            f"error: could not download file from 'https://github.com/leanprover/lean4/releases/expanded_assets/{name}'\n"
            "info: caused by: [6] Couldn't resolve host name (Could not resolve host: github.com)"
        )
    if fails("elan-nonexistent"):
        die(f"error: could not download nonexistent lean version `{name}`")
    version = name.split(":")[1]
    home = Path(os.environ.get("ELAN_HOME") or Path.home() / ".elan")
    folder = home / "toolchains" / name.replace("/", "--").replace(":", "---")
    print("info: downloading component 'lean'\ninfo: installing component 'lean'", flush=True)
    write(
        folder / "bin" / "lean",
        f'#!/bin/sh\necho "Lean (version {version.lstrip("v")}, x86_64-unknown-linux-gnu, commit 0123abc, Release)"\n',
        executable=True,
    )
    # The toolchain's own lake: the same wrapper (the name it is called by picks the tool).
    write(folder / "bin" / "lake", program().read_text(), executable=True)
    write(folder / "lib" / "lean" / "Init.olean", "fake olean")


# --------------------------------------------------------------------------- lake


def lake(args: list[str]) -> None:
    here = Path.cwd()
    if args[:1] == ["env"]:
        os.execvp(args[1], args[1:])
    if args == ["build"] or args[:1] == ["build"]:
        if fails("lake-build"):
            die(
                "✖ [2/9] Building REPL.Main\nerror: ./REPL/Main.lean:1:0: unknown module prefix 'Lean'\nerror: build failed"
            )
        if (here / "REPL" / "Main.lean").is_file():
            tag = (here / "lean-toolchain").read_text().strip().split(":")[1]
            root = Path(os.environ["FAKE_RECORDINGS"])
            recordings = root / tag if (root / tag).is_dir() else root / DEFAULT_RECORDED
            faults = ["--crash-on", "lean_kernel_setup_check"] if fails("crash-on-check") else []
            argv = " ".join(
                f"'{a}'"
                for a in [
                    sys.executable,
                    "-m",
                    "lean_kernel.testing.standin",
                    "--recordings",
                    str(recordings),
                    "--scripted",
                    str(SCRIPTED),
                    *faults,
                ]
            )
            if fails("repl-broken"):  # what a REPL built against another Lean prints before dying
                script = "#!/bin/sh\necho 'uncaught exception: incompatible header in Init.Prelude' >&2\nexit 1\n"
            else:
                script = f'#!/bin/sh\nexport PYTHONPATH="{REPO}"\nexec {argv} "$@"\n'
            write(here / ".lake" / "build" / "bin" / "repl", script, executable=True)
            print("✔ [9/9] Built repl", flush=True)
        else:
            write(here / ".lake" / "build" / "lib" / "lean" / "Project.olean", "fake olean")
            print("Build completed successfully.", flush=True)
    elif args == ["update"]:
        if fails("lake-offline"):
            die(
                "info: mathlib: cloning https://github.com/leanprover-community/mathlib4\n"
                "error: fatal: unable to access 'https://github.com/leanprover-community/mathlib4/': "
                "Could not resolve host: github.com"
            )
        rev = "v4.8.0"
        for line in (here / "lakefile.toml").read_text().splitlines() if (here / "lakefile.toml").is_file() else []:
            if line.startswith("rev = "):
                rev = line.split('"')[1]
        write(here / ".lake" / "packages" / "mathlib" / "Mathlib.lean", "-- Mathlib\n")
        write(
            here / "lake-manifest.json",
            json.dumps(
                {
                    "version": "1.1.0",
                    "packages": [{"name": "mathlib", "rev": hashlib.sha1(rev.encode()).hexdigest(), "inputRev": rev}],
                }
            ),
        )
        print("info: mathlib: cloning https://github.com/leanprover-community/mathlib4", flush=True)
    elif args == ["exe", "cache", "get"]:
        if fails("cache-offline"):
            die("curl: (6) Could not resolve host: lakecache.blob.core.windows.net")
        write(
            here / ".lake" / "packages" / "mathlib" / ".lake" / "build" / "lib" / "lean" / "Mathlib.olean", "fake olean"
        )
        for i in range(3):
            print(f"Downloaded: {i + 1} file(s) [attempted {i + 1}/3 = {100 * (i + 1) // 3}%]", flush=True)
    else:
        die(f"fake lake: unknown command {args}")


def program() -> Path:
    """The wrapper this run was started as (runpy replaces sys.argv[0]; the wrapper keeps it)."""
    return Path(getattr(sys, "fake_tool_path", sys.argv[0]))


def main() -> None:
    tool = program().name
    with open(os.environ["FAKE_TOOLS_LOG"], "a") as log:
        log.write(json.dumps({"tool": tool, "argv": sys.argv[1:], "cwd": os.getcwd()}) + "\n")
    {"git": git, "elan": elan, "lake": lake}[tool](sys.argv[1:])


if __name__ == "__main__":
    main()
