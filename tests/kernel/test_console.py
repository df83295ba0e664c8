"""`jupyter console --kernel lean4` driven as a user would, in a pseudo-terminal (pexpect):
type a cell and read its goal, Tab-complete `\\to` into `→`, quit.

Recording: v4.33.0-rc2/assumption_proof (the theorem with `sorry`); the start-up check's
`#eval 2+2` is the scripted positive_control.
"""

from __future__ import annotations

import os
import re
import sys
import time

import pexpect
import pytest

# prompt_toolkit draws with colours and cursor moves; the test reads the text without them.
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]|\r")
TIMEOUT = 60.0


class Console:
    """A terminal running jupyter console; ``wait_for`` reads the screen's text as it comes."""

    def __init__(self, env: dict[str, str]) -> None:
        try:
            import jupyter_console  # noqa: F401
        except ImportError:
            pytest.fail("jupyter_console is not installed: pip install -e '.[test]'", pytrace=False)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "jupyter_console", "--kernel", "lean4"],
            env=env,
            encoding="utf-8",
            dimensions=(40, 120),
            timeout=TIMEOUT,
        )
        self.unread = ""
        self.transcript = ""

    def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> re.Match:
        """Wait until the text printed since the last match contains ``pattern``."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, ANSI.sub("", self.unread))
            if match:
                self.unread = ""
                return match
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{pattern!r} not seen; the console printed:\n{ANSI.sub('', self.transcript)[-3000:]}"
                )
            if not self.child.isalive():
                raise AssertionError(f"jupyter console exited; it printed:\n{ANSI.sub('', self.transcript)[-3000:]}")
            try:
                chunk = self.child.read_nonblocking(65536, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                continue
            self.unread += chunk
            self.transcript += chunk

    def type(self, text: str) -> None:
        self.child.send(text)

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendcontrol("u")  # drop a half-typed line
            self.child.sendcontrol("d")
            try:
                self.wait_for(r"exit", timeout=10)
                self.child.send("y\r")
                self.child.expect(pexpect.EOF, timeout=30)
            except (AssertionError, pexpect.ExceptionPexpect):
                pass
        self.child.close(force=True)


@pytest.fixture
def console(base_kernelspec, standin_env, tmp_path):
    env = dict(os.environ)
    env.update(standin_env(timeout=30))
    env.update(
        JUPYTER_PATH=base_kernelspec,
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        IPYTHONDIR=str(tmp_path / "ipython"),
        TERM="xterm",
        # pexpect does not answer prompt_toolkit's cursor-position queries.
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    c = Console(env)
    yield c
    c.close()
    assert not c.child.isalive()


def test_console_runs_a_cell_shows_the_goal_and_completes_abbreviations(console):
    console.wait_for(r"Lean 4 kernel: each cell is a Lean command")  # the kernel's banner
    console.wait_for(r"In \[1\]: ")

    console.type("theorem aa (x : Nat) (h1 : x  = 2) : x = 2 := by sorry\r")
    shown = console.wait_for(r"(?s)declaration uses `sorry`.*⊢ x = 2.*In \[2\]: ")
    assert "h1 : x = 2" in shown.group(0)

    # Tab on `\to` (an abbreviation) replaces it at once; on `\al` the console lists choices.
    console.type("example (p q : Prop) : p \\to")
    console.wait_for(r"p \\to")
    console.type("\t")
    console.wait_for(r"example \(p q : Prop\) : p →")
    console.type(" q \\al\t")
    console.wait_for(r"(?s)∀.*ℵ")  # the completion menu
