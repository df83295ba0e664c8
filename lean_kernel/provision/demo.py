"""``lean-kernel demo``: JupyterLab on the tour notebook, before any Lean is installed.

The kernel is the real one; its REPL is the replay process (``lean_kernel.testing.standin``)
answering from recorded sessions of the real Lean REPL (v4.33.0-rc2, the version the
tour's cells were recorded with). Every output of that kernel carries a notice saying so
(``LEAN_KERNEL_NOTICE``), and the kernel's name in the launcher says "replay".

It runs from a source checkout: the tour (``examples/``), the answers written for the
start-up check (``tests/fixtures/scripted``) and the recordings (``LEAN_TRANSCRIPTS`` or
``../shared/repl-transcripts``, or fetched by ``scripts/fetch_recordings.py``) are not
part of the wheel. Everything the demo installs lives in its own folder (a kernelspec
under ``<dir>/prefix``, found through JUPYTER_PATH), so the user's Jupyter set-up is
neither read for kernels nor changed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import install
from ..config import ENV_NOTICE
from ..steps import StepFailed, Steps
from ..testing.standin import standin_command
from ..testing.transcripts import default_root, missing_recordings_help

CHECKOUT = Path(__file__).resolve().parents[2]
TOUR = CHECKOUT / "examples" / "lean4_tour.ipynb"
SCRIPTED = CHECKOUT / "tests" / "fixtures" / "scripted"
RECORDED_VERSION = "v4.33.0-rc2"
KERNEL_NAME = "lean4-replay"
KERNEL_DISPLAY_NAME = "Lean 4 (replay of recorded sessions)"
NOTICE = "replay of recorded Lean sessions (lean-kernel demo): only the tour's commands have answers; for Lean itself, lean-kernel setup"


@dataclass
class Demo:
    folder: Path  # everything the demo wrote
    jupyter_path: Path  # holds kernels/lean4-replay
    notebook: Path  # the tour, set to the replay kernel


def find_recordings(recordings: Path | None = None) -> Path:
    root = recordings or default_root()
    folder = root / RECORDED_VERSION
    if not folder.is_dir():
        raise StepFailed(
            f"the recorded Lean sessions the demo replays are not at {folder}",
            missing_recordings_help(root) + "; or pass --recordings DIR",
        )
    return folder


def prepare(steps: Steps, folder: Path, *, recordings: Path | None = None) -> Demo:
    """Steps: the recordings, the replay kernel, the notebook."""
    with steps.step("find the recorded Lean sessions") as step:
        if not TOUR.is_file() or not SCRIPTED.is_dir():
            raise StepFailed(
                f"the tour notebook or the scripted answers are missing ({TOUR}, {SCRIPTED})",
                "run the demo from a source checkout: git clone the lean-kernel repository, `pip install -e '.[lab]'` "
                "in it, then `lean-kernel demo`",
            )
        found = find_recordings(recordings)
        step.done(str(found))
    with steps.step(f"install the replay kernel ({KERNEL_NAME}) in {folder / 'prefix'}") as step:
        argv = standin_command([found], [SCRIPTED])
        options = [
            "--prefix",
            str(folder / "prefix"),
            "--name",
            KERNEL_NAME,
            "--display-name",
            KERNEL_DISPLAY_NAME,
            "--repl",
            argv[0],
            f"--repl-args={shlex.join(argv[1:])}",
            "--timeout",
            "60",
            "--env",
            f"{ENV_NOTICE}={NOTICE}",
        ]
        spec = install.install(install.parse_args(options))
        step.done(spec)
    with steps.step("copy the tour notebook") as step:
        notebooks = folder / "notebooks"
        notebooks.mkdir(parents=True, exist_ok=True)
        nb = json.loads(TOUR.read_text(encoding="utf-8"))
        nb["metadata"]["kernelspec"] = {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME, "language": "lean4"}
        target = notebooks / TOUR.name
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        step.done(str(target))
    return Demo(folder, folder / "prefix" / "share" / "jupyter", target)


def lab_command(demo: Demo, lab_args: list[str]) -> list[str]:
    if importlib.util.find_spec("jupyterlab") is None:
        raise StepFailed(
            "JupyterLab is not installed",
            "pip install 'lean-kernel[lab]' (JupyterLab and jupyter-console), or pip install jupyterlab",
        )
    argv = [sys.executable, "-m", "jupyterlab", demo.notebook.name, f"--ServerApp.root_dir={demo.notebook.parent}"]
    if os.geteuid() == 0 and "--allow-root" not in lab_args:
        argv.append("--allow-root")  # containers often run as root; JupyterLab refuses without it
    return argv + lab_args


def lab_env(demo: Demo) -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(demo.jupyter_path), env.get("JUPYTER_PATH")) if p)
    return env


def run_lab(argv: list[str], env: dict[str, str], cwd: Path) -> int:
    """JupyterLab in its own process group until it exits, or until Ctrl-C or SIGTERM
    reach this process; then it is asked to stop (SIGTERM: it shuts its kernels down), and
    killed if it does not. Its own session keeps the terminal's Ctrl-C from reaching it
    twice (JupyterLab asks "Shutdown this Jupyter server?" on a lone SIGINT)."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    proc = subprocess.Popen(argv, env=env, cwd=cwd, start_new_session=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
