"""Run elan, git and lake: find them, stream what they print into the step's progress,
and turn a failure into the problem and its fix.

Each tool runs in its own process group (lake forks compilers; a Ctrl-C kills the whole
group, not only lake), with stdout and stderr merged into one stream of lines, since both
are progress text for the user. A fixed tail of the output is kept for the error message.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
from collections import deque
from collections.abc import Mapping
from pathlib import Path

from ..steps import Step, StepFailed

REPL_URL = "https://github.com/leanprover-community/repl"
ELAN_INSTALL = (
    "curl https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh -sSf "
    "| sh -s -- -y --default-toolchain none"
)
TAIL_LINES = 30

# What git, curl (used by elan and `lake exe cache get`) and elan print when the network
# is not there. Matched on lowercased output.
_OFFLINE = re.compile(
    r"could not resolve host|temporary failure in name resolution|network is unreachable|failed to connect"
    r"|connection refused|connection timed out|could not download file|unable to access|no route to host"
    r"|name or service not known|ssl connect error"
)

OFFLINE_FIX = (
    "run `lean-kernel setup` on a machine with internet access; for a machine without it, build a bundle on "
    "one that has it (`lean-kernel bundle OUT`) and load it there with %lean_setup OUT / lean_magic.setup(OUT)"
)


def elan_home(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("ELAN_HOME") or Path.home() / ".elan").expanduser()


def tool_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for elan, git and lake: elan's ``bin`` on PATH (the installer puts
    it there only for new shells), git never prompting for a password."""
    env = dict(os.environ if environ is None else environ)
    bin_dir = str(elan_home(env) / "bin")
    if bin_dir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def find_tool(name: str, env: Mapping[str, str]) -> str | None:
    from shutil import which

    return which(name, path=env.get("PATH"))


def require_tool(name: str, env: Mapping[str, str]) -> str:
    """The tool's path, or StepFailed naming how to install it."""
    found = find_tool(name, env)
    if found:
        return found
    if name == "elan":
        raise StepFailed(
            "elan (the Lean toolchain manager) is not installed",
            f"install it with `{ELAN_INSTALL}` (or see https://github.com/leanprover/elan), then run "
            "lean-kernel setup again; it finds elan in $ELAN_HOME/bin (default ~/.elan/bin) even before a new shell",
        )
    if name == "git":
        raise StepFailed(
            "git is not installed", "install git (e.g. `apt-get install git`), then run lean-kernel setup again"
        )
    raise StepFailed(
        f"{name} was not found on PATH",
        f"{name} comes with the Lean toolchain that elan installs: check that $ELAN_HOME/bin (default ~/.elan/bin) "
        "exists, or install elan again",
    )


def run(
    step: Step, argv: list[str], *, cwd: Path | None = None, env: Mapping[str, str], show_output: bool = True
) -> str:
    """Run one tool, streaming its output into the step (unless ``show_output`` is False:
    for queries whose answer we read ourselves). Returns its output's tail; raises
    ToolFailed (exit status and tail) when it does not exit 0."""
    shown = shlex.join([Path(argv[0]).name, *argv[1:]])
    step.running(f"{shown}" + (f"   (in {cwd})" if cwd else ""))
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        raise ToolFailed(shown, None, str(exc)) from exc
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            # Progress bars redraw with \r: only the last state of the line is news.
            line = line.rsplit("\r", 1)[-1]
            tail.append(line)
            if show_output:
                step.output(line)
        code = proc.wait()
    except BaseException:
        _kill_group(proc)
        raise
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
    if code != 0:
        raise ToolFailed(shown, code, "\n".join(tail))
    return "\n".join(tail)


def _kill_group(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=5)
            break
        except subprocess.TimeoutExpired:
            continue


class ToolFailed(Exception):
    """A tool exited with a non-zero status (``code`` None: it could not be started)."""

    def __init__(self, command: str, code: int | None, output: str) -> None:
        self.command = command
        self.code = code
        self.output = output
        super().__init__(
            f"`{command}` " + (f"exited with status {code}" if code is not None else f"could not start: {output}")
        )

    @property
    def offline(self) -> bool:
        return bool(_OFFLINE.search(self.output.lower()))

    def failure(self, action: str, fix: str) -> StepFailed:
        """A StepFailed for this failure while trying to ``action`` ("clone the REPL"). No
        network wins over the caller's fix: it has a fix of its own."""
        if self.offline:
            return StepFailed(
                f"no network: could not {action}: {self}" + _last_lines(self.output, 2), OFFLINE_FIX, output=self.output
            )
        return StepFailed(f"could not {action}: {self}" + _last_lines(self.output), fix, output=self.output)


def _last_lines(output: str, n: int = 6) -> str:
    lines = [line for line in output.splitlines() if line.strip()][-n:]
    return ("\nlast output:\n  " + "\n  ".join(lines)) if lines else ""
