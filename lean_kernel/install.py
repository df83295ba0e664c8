"""Install the "Lean 4" Jupyter kernelspec.

    python install_kernel.py [--user | --sys-prefix | --prefix P] [--repl PATH]
        [--project DIR] [--timeout S] [--memory-limit-mb N] [--env KEY=VALUE ...]

The REPL settings go into the kernelspec's ``env`` as the variables ``ReplConfig.from_env``
reads (LEAN_REPL_PATH, LEAN_PROJECT, ...), so the kernel needs no config file, and
``jupyter kernelspec list`` / the kernel.json show exactly what it will run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .config import (
    ENV_LAKE,
    ENV_MEMORY_MB,
    ENV_PROJECT,
    ENV_REPL_ARGS,
    ENV_REPL_PATH,
    ENV_TIMEOUT,
    ConfigError,
    ReplConfig,
)

RESOURCES = Path(__file__).parent / "resources"
LOGOS = ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg")


def kernel_json(name_display: str, env: dict[str, str]) -> dict:
    return {
        "argv": [sys.executable, "-m", "lean_kernel", "-f", "{connection_file}"],
        "display_name": name_display,
        "language": "lean4",
        # SIGINT to the kernel's process group; the REPL sits in its own session and is
        # restarted by the kernel, so an interrupt never kills the kernel itself.
        "interrupt_mode": "signal",
        "env": env,
        "metadata": {"debugger": False},
    }


def build_env(args: argparse.Namespace) -> dict[str, str]:
    """The kernelspec's env from the options; paths become absolute, since the kernel
    starts in the notebook's folder, not here."""
    env: dict[str, str] = {}
    if args.repl:
        found = shutil.which(args.repl) if os.sep not in args.repl else None
        env[ENV_REPL_PATH] = found or os.path.abspath(os.path.expanduser(args.repl))
    if args.repl_args:
        env[ENV_REPL_ARGS] = args.repl_args
    if args.project:
        env[ENV_PROJECT] = os.path.abspath(os.path.expanduser(args.project))
    if args.lake:
        env[ENV_LAKE] = args.lake
    if args.timeout is not None:
        env[ENV_TIMEOUT] = args.timeout
    if args.memory_limit_mb is not None:
        env[ENV_MEMORY_MB] = str(args.memory_limit_mb)
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key or any(c.isspace() for c in key):
            raise SystemExit(f"--env wants KEY=VALUE, got {item!r}; e.g. --env LEAN_PATH=/path/to/lib")
        env[key] = value
    # Fail now on values the kernel would refuse at its first cell.
    try:
        ReplConfig.from_env(env)
    except ConfigError as exc:
        raise SystemExit(f"invalid setting: {exc}") from None
    return env


def check_repl(env: dict[str, str]) -> str | None:
    """A warning when the REPL cannot be started as configured (it may be built later)."""
    try:
        ReplConfig.from_env(env).command()
    except ConfigError as exc:
        return str(exc)
    return None


def add_location_options(p: argparse.ArgumentParser) -> None:
    """Where the kernelspec goes and what it is called (shared with `lean-kernel setup`)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--user", action="store_true", help="install for the current user (default outside a virtualenv)"
    )
    where.add_argument(
        "--sys-prefix", action="store_true", help="install into sys.prefix (default inside a virtualenv)"
    )
    where.add_argument(
        "--prefix",
        metavar="P",
        help="install into P/share/jupyter/kernels (use JUPYTER_PATH=P/share/jupyter to find it)",
    )
    p.add_argument("--name", default="lean4", help="kernelspec name (default: lean4)")
    p.add_argument("--display-name", default="Lean 4", help="name shown in the launcher (default: Lean 4)")


def location_argv(args: argparse.Namespace) -> list[str]:
    """The options of ``add_location_options`` back as arguments."""
    out = ["--name", args.name, "--display-name", args.display_name]
    if args.user:
        out.append("--user")
    elif args.sys_prefix:
        out.append("--sys-prefix")
    elif args.prefix:
        out += ["--prefix", args.prefix]
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="install_kernel.py",
        description="Install the Lean 4 Jupyter kernel (kernelspec 'lean4').",
    )
    add_location_options(p)
    p.add_argument("--repl", metavar="PATH", help="the Lean REPL binary (sets LEAN_REPL_PATH)")
    p.add_argument("--repl-args", metavar="ARGS", help="extra REPL arguments, shell-quoted (sets LEAN_REPL_ARGS)")
    p.add_argument(
        "--project", metavar="DIR", help="a Lean project: the REPL runs as `lake env repl` there (sets LEAN_PROJECT)"
    )
    p.add_argument("--lake", metavar="PATH", help="the lake binary when it is not on PATH (sets LEAN_LAKE_PATH)")
    p.add_argument("--timeout", metavar="S", help="seconds per cell, or 'off' (sets LEAN_TIMEOUT; default 60)")
    p.add_argument(
        "--memory-limit-mb",
        type=int,
        metavar="N",
        help="address-space limit for the REPL in MiB (sets LEAN_MEMORY_LIMIT_MB)",
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other variable for the kernel and the REPL; repeatable",
    )
    return p.parse_args(argv)


def install(args: argparse.Namespace) -> str:
    env = build_env(args)
    user = args.user
    prefix = args.prefix
    if args.sys_prefix:
        prefix = sys.prefix
    elif not user and prefix is None:
        in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
        prefix, user = (sys.prefix, False) if in_venv else (None, True)
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory() as tmp:
        spec_dir = Path(tmp) / args.name
        spec_dir.mkdir()
        (spec_dir / "kernel.json").write_text(json.dumps(kernel_json(args.display_name, env), indent=2) + "\n")
        for logo in LOGOS:
            shutil.copy(RESOURCES / logo, spec_dir / logo)
        return KernelSpecManager().install_kernel_spec(str(spec_dir), args.name, user=user, prefix=prefix)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dest = install(args)
    print(f"Installed kernelspec {args.name} ({args.display_name!r}) in {dest}")
    warning = check_repl(json.loads((Path(dest) / "kernel.json").read_text())["env"])
    if warning:
        print(f"warning: the kernel cannot start the Lean REPL yet: {warning}", file=sys.stderr)
    if args.prefix:
        print(f"Jupyter finds it with JUPYTER_PATH={os.path.join(os.path.abspath(args.prefix), 'share', 'jupyter')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
