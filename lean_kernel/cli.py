"""``lean-kernel``: one command for everything around the kernel (also ``python -m
lean_kernel ...``).

    lean-kernel setup  [--lean vX.Y.Z] [--mathlib | --project DIR]   install Lean for Jupyter
    lean-kernel bundle OUT [--lean vX.Y.Z] [--mathlib | --project DIR] [--archive]
                                                                     the same, packed for offline use
    lean-kernel demo                                                 JupyterLab on the tour (a replay)

This module is a frontend: it parses options, prints each step as it happens
(``steps.TextProgress``) and composes the layers below it: ``provision`` (tools, toolchain,
REPL, project, bundle, demo), ``install`` (the kernelspec), ``doctor`` (the positive
control) and ``lean_magic`` (the ``%%lean`` check, and reading a bundle as a notebook
would). Nothing below imports it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from . import install
from .config import ENV_PROJECT, ENV_REPL_PATH, ConfigError, ReplConfig
from .steps import StepFailed, Steps, TextProgress
from .versions import DEFAULT_VERSION, NEWEST_TESTED, OLDEST_SUPPORTED

COMMANDS = ("setup", "bundle", "demo")
# The %%lean cell `setup` runs (answers are scripted for the tests: tests/fixtures/scripted/setup_check*.in).
CHECK_CELL = "theorem lean_kernel_setup_check : 2 + 2 = 4 := by decide"
CHECK_CELL_MATHLIB = "import Mathlib\n\ntheorem lean_kernel_setup_check : Nat.Prime 2 := Nat.prime_two"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    progress = TextProgress(sys.stdout, max_output_lines=args.output_lines)
    try:
        return args.run(args, progress)
    except StepFailed:
        # TextProgress already printed the failed step, its problem and its fix.
        again = " (finished steps are skipped)" if args.command != "demo" else ""
        print(f"\nlean-kernel {args.command} stopped: fix the problem above and run it again{again}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nlean-kernel {args.command}: interrupted", file=sys.stderr)
        return 130


# --------------------------------------------------------------------------- setup


def run_setup(args: argparse.Namespace, progress: TextProgress) -> int:
    from .provision.activate import activate, settings_for
    from .provision.prepare import prepare

    steps = Steps(8, progress)
    project = Path(args.project).expanduser().resolve() if args.project else None
    version = _resolve(steps, args.lean, project)
    prepared = prepare(
        steps, version=version, home=_home(args), mathlib=args.mathlib, project=project, repl_url=args.repl_url
    )
    settings = settings_for(prepared, timeout=args.timeout, memory_limit_mb=args.memory_limit_mb)
    path, spec = activate(steps, prepared, settings, kernel_args=install.location_argv(args))
    if args.no_check:
        for title in ("positive control", "a %%lean cell"):
            with steps.step(title) as step:
                step.skip("--no-check")
    else:
        positive_control(steps, settings)
        magic_check(steps, path, CHECK_CELL_MATHLIB if prepared.mathlib else CHECK_CELL)
    print(f"\nLean {prepared.tag} is ready" + (" with Mathlib" if prepared.mathlib else "") + ":")
    print(
        f'  kernel:  "{args.display_name}" in JupyterLab / Notebook, or `jupyter console --kernel {args.name}` ({spec})'
    )
    if args.prefix:
        print(f"           (Jupyter finds it with JUPYTER_PATH={Path(args.prefix).resolve() / 'share' / 'jupyter'})")
    print("  Python:  %load_ext lean_magic, then %%lean cells, or lean_magic.LeanChecker()")
    print(f"  settings: {path}")
    shadow = [k for k in (ENV_REPL_PATH, ENV_PROJECT) if os.environ.get(k)]
    if shadow:
        print(
            f"  note: {' and '.join(shadow)} set in this shell win over these settings for Python notebooks "
            "started from it; unset them to use this Lean"
        )
    return 0


def _resolve(steps: Steps, requested: str | None, project: Path | None) -> str:
    from .provision.prepare import resolve_version

    try:
        return resolve_version(requested, project)
    except StepFailed as exc:
        # Not a step of its own: show it the way a failed step is shown.
        with steps.step("choose the Lean version"):
            raise exc


def positive_control(steps: Steps, settings: dict[str, str]) -> None:
    from .doctor import POSITIVE_CONTROL, run_checks
    from .process import ReplProcess

    with steps.step(f"positive control: `{POSITIVE_CONTROL}` must print 4") as step:
        try:
            config = ReplConfig.from_env(settings)
            step.running(" ".join(config.command()) + (f"   (in {config.cwd()})" if config.cwd() else ""))
        except ConfigError as exc:
            raise StepFailed(str(exc), "run lean-kernel setup again; it rebuilds what is missing") from None
        process = ReplProcess(config)
        try:
            report = run_checks(process, timeout=config.startup_timeout)
        finally:
            process.close()
        failed = report.first_failure
        if failed is not None:
            raise StepFailed(f"{failed.name}: {failed.detail}", failed.fix or "run lean-kernel setup again")
        step.done(report.checks[-1].detail)


def magic_check(steps: Steps, settings_file: Path, cell: str) -> None:
    """Run one ``%%lean`` cell the way a Python notebook would: the extension loaded in an
    IPython shell, the REPL found through the settings file just written."""
    with steps.step("a %%lean cell in IPython, as a Python notebook runs it") as step:
        step.running("%%lean " + cell.replace("\n\n", " ⏎ "))
        import lean_magic
        from IPython.core.interactiveshell import InteractiveShell
        from lean_magic.bundle import reset_active

        # Only the saved settings may decide which REPL runs: hide this shell's own, and
        # any bundle this process set up.
        reset_active()
        hidden = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("LEAN_") and k != "LEAN_TRANSCRIPTS"}
        os.environ["LEAN_KERNEL_CONFIG"] = str(settings_file)
        try:
            lean_magic.close_shared_checker()
            shell = InteractiveShell.instance()
            shell.run_line_magic("load_ext", "lean_magic")
            shell.run_cell_magic("lean", "--quiet --out lean_kernel_setup_check", cell)
            result = shell.user_ns.pop("lean_kernel_setup_check")
        finally:
            lean_magic.close_shared_checker()
            os.environ.pop("LEAN_KERNEL_CONFIG", None)
            os.environ.update(hidden)
        if not result.ok:
            raise StepFailed(
                f"the %%lean cell failed: {result.problem_summary()}",
                "run `%lean_doctor` in a Python notebook for the versions and paths in use",
            )
        step.done("Lean accepted the cell")


# --------------------------------------------------------------------------- bundle


def run_bundle(args: argparse.Namespace, progress: TextProgress) -> int:
    from .provision import bundle
    from .provision.prepare import prepare

    out = Path(args.out).expanduser().resolve()
    steps = Steps(10 + bool(args.archive), progress)
    project = Path(args.project).expanduser().resolve() if args.project else None
    version = _resolve(steps, args.lean, project)
    try:
        bundle.check_destination(out, version)
    except StepFailed as exc:
        with steps.step("choose the bundle folder"):
            raise exc
    prepared = prepare(
        steps, version=version, home=_home(args), mathlib=args.mathlib, project=project, repl_url=args.repl_url
    )
    bundle.copy_parts(steps, prepared, out)
    bundle.write_manifest(steps, prepared, out, created_by=f"lean-kernel {_version()} bundle")
    load_check(steps, out, check=not args.no_check)
    packed = bundle.archive(steps, out) if args.archive else None
    print(f"\nThe bundle for Lean {prepared.tag} is in {out}" + (f" and {packed}" if packed else "") + ".")
    print(
        "  On Kaggle: upload it as a dataset (`kaggle datasets create -p "
        f"{out} --dir-mode zip`: without --dir-mode its folders are skipped"
        + (f"; or upload {packed.name} in the web page" if packed else "")
        + "), attach it, and run"
    )
    print("    import lean_magic; lean_magic.setup()    # finds it under /kaggle/input")
    print(f"  Elsewhere: %lean_setup {out} in a Python notebook, or lean_magic.setup({str(out)!r}).")
    return 0


def load_check(steps: Steps, out: Path, *, check: bool) -> None:
    """Read the bundle exactly as ``lean_magic.setup()`` will on the offline machine (into
    a temporary work folder, changing nothing in this process's environment)."""
    with steps.step("load the bundle as a notebook would (lean_magic.setup)") as step:
        from lean_magic.bundle import configure, reset_active

        with tempfile.TemporaryDirectory(prefix="lean-bundle-check-") as work:
            try:
                report = configure(out, workdir=work, check=check, export=False, environ=dict(os.environ))
            finally:
                reset_active()  # a check, not a choice of Lean for this process
        if not report.ok:
            failed = report.health.first_failure
            raise StepFailed(
                f"the bundle does not load: {failed.name}: {failed.detail}" if failed else "the bundle does not load",
                (failed.fix if failed and failed.fix else None) or "run lean-kernel bundle again",
            )
        shown = [c.detail for c in report.health.checks if c.name in ("bundle manifest", "positive control")]
        step.done("; ".join(shown) or "found every part")


# --------------------------------------------------------------------------- demo


def run_demo(args: argparse.Namespace, progress: TextProgress) -> int:
    from .provision import demo

    keep = args.dir is not None
    folder = Path(args.dir).expanduser().resolve() if keep else Path(tempfile.mkdtemp(prefix="lean-kernel-demo-"))
    steps = Steps(4, progress)
    try:
        found = demo.prepare(steps, folder, recordings=Path(args.recordings).expanduser() if args.recordings else None)
        with steps.step("start JupyterLab") as step:
            lab_args = list(args.lab_args)
            if lab_args[:1] == ["--"]:
                lab_args = lab_args[1:]
            if args.no_browser:
                lab_args.append("--no-browser")
            if args.port:
                lab_args.append(f"--port={args.port}")
            argv = demo.lab_command(found, lab_args)
            step.running(" ".join(argv[1:]))
            step.done("Ctrl-C stops it" + ("" if keep else f"; {folder} is deleted then (--dir DIR keeps it)"))
        print(
            "\nEvery answer in this demo is a replay of recorded Lean sessions. For real Lean: lean-kernel setup.\n",
            flush=True,
        )
        return demo.run_lab(argv, demo.lab_env(found), found.notebook.parent)
    finally:
        if not keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- options


def _home(args: argparse.Namespace) -> Path:
    from .provision.prepare import default_home

    return Path(args.home).expanduser().resolve() if args.home else default_home()


def _version() -> str:
    from .kernel import __version__

    return __version__


def _parser() -> argparse.ArgumentParser:
    from .provision.prepare import HOME_ENV
    from .provision.tools import REPL_URL

    p = argparse.ArgumentParser(
        prog="lean-kernel",
        description="Lean 4 in Jupyter: install Lean for the kernel and %%lean, build offline bundles, try the demo.",
    )
    p.add_argument(
        "--output-lines",
        type=int,
        default=12,
        metavar="N",
        help="lines of each tool's output to show (the rest is counted; a failure shows its tail)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{setup,bundle,demo}")

    def lean_options(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--lean",
            metavar="VERSION",
            help=f"the Lean release, e.g. v4.19.0 (default: v{DEFAULT_VERSION}, or the version --project pins); "
            f"supported from v{OLDEST_SUPPORTED}, tested up to v{NEWEST_TESTED}",
        )
        which = q.add_mutually_exclusive_group()
        which.add_argument(
            "--mathlib",
            action="store_true",
            help="also a project with Mathlib at the same version (downloads Mathlib's prebuilt files, a few GB)",
        )
        which.add_argument(
            "--project", metavar="DIR", help="your own Lean project: its lean-toolchain decides the version"
        )
        q.add_argument(
            "--home",
            metavar="DIR",
            help=f"where the REPL and projects go (default: ${HOME_ENV}, else ~/.local/share/lean-kernel)",
        )
        q.add_argument("--repl-url", default=REPL_URL, help="the REPL's git repository (default: %(default)s)")
        q.add_argument("--no-check", action="store_true", help="skip the positive control and the %%%%lean check")

    s = sub.add_parser(
        "setup",
        help="install Lean, the REPL and (optionally) Mathlib; configure the kernel and %%%%lean",
        description="Install a Lean toolchain with elan, build the Lean REPL at the same version, "
        "optionally prepare Mathlib, save the settings %%lean uses and install the "
        '"Lean 4" Jupyter kernel; then check that both run Lean. Re-running skips '
        "what is done. Downloads happen only in these steps.",
    )
    lean_options(s)
    install.add_location_options(s)
    s.add_argument("--timeout", metavar="S", help="seconds per cell, or off (default 60)")
    s.add_argument(
        "--memory-limit-mb",
        type=int,
        metavar="N",
        help="address-space limit for the REPL (Mathlib needs 12 GiB or more at v4.26+)",
    )
    s.set_defaults(run=run_setup)

    b = sub.add_parser(
        "bundle",
        help="build an offline bundle (toolchain, project, REPL, manifest) for Kaggle and the like",
        description="Do what setup does (without the kernelspec), then copy the toolchain, the project "
        "and the REPL into OUT with a manifest (lean-bundle.json), and load it the way "
        "lean_magic.setup() will on the offline machine.",
    )
    b.add_argument(
        "out", metavar="OUT", help="the bundle folder (new, empty, or an earlier bundle of the same version)"
    )
    lean_options(b)
    b.add_argument("--archive", action="store_true", help="also pack OUT.zip, one file to upload as a Kaggle dataset")
    b.set_defaults(run=run_bundle)

    d = sub.add_parser(
        "demo",
        help="JupyterLab on the tour notebook, answered by recorded Lean sessions (no Lean needed)",
        description="Start JupyterLab on examples/lean4_tour.ipynb with a kernel whose REPL replays "
        "recorded sessions of the real Lean REPL. Runs from a source checkout. Arguments "
        "after -- go to JupyterLab.",
    )
    d.add_argument(
        "--dir",
        metavar="DIR",
        help="keep the demo's notebook and kernelspec here (default: a temp folder, deleted at exit)",
    )
    d.add_argument(
        "--recordings",
        metavar="DIR",
        help="the recorded sessions (default: $LEAN_TRANSCRIPTS, else ../shared/repl-transcripts)",
    )
    d.add_argument("--no-browser", action="store_true", help="do not open a browser")
    d.add_argument("--port", type=int, help="JupyterLab's port")
    d.add_argument("lab_args", nargs=argparse.REMAINDER, help="-- then options for JupyterLab")
    d.set_defaults(run=run_demo)
    return p


if __name__ == "__main__":
    sys.exit(main())
