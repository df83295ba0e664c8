"""Kernel tests: a real kernel process (``python -m lean_kernel``) started from an
installed kernelspec, talking to a stand-in REPL, driven over jupyter_client.

Helpers here:
- ``installed_kernelspec(env)`` runs ``install_kernel.py --prefix`` into a temp dir and
  returns the JUPYTER_PATH that finds it;
- ``KernelHarness`` starts one kernel and runs cells on it, with an optional ``cellId``
  (as JupyterLab sends it), collecting every iopub message of each request.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import pytest
from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "install_kernel.py"


def execute_notebook(nb, jupyter_path: str | None = None, timeout: float = 60) -> None:
    """Run a notebook with nbclient as Jupyter would (``allow_errors=False``: only cells
    tagged raises-exception may fail), with JUPYTER_PATH pointing at ``jupyter_path``."""
    from nbclient import NotebookClient

    old = os.environ.get("JUPYTER_PATH")
    if jupyter_path is not None:
        os.environ["JUPYTER_PATH"] = jupyter_path
    try:
        NotebookClient(nb, timeout=timeout, startup_timeout=max(60, min(timeout, 120)), allow_errors=False).execute()
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


def install_kernelspec(prefix: Path, env: dict[str, str] | None = None, name: str = "lean4") -> str:
    """Install the kernelspec with install_kernel.py (the user's path) and return the
    JUPYTER_PATH entry that finds it."""
    args = [sys.executable, str(INSTALL), "--prefix", str(prefix), "--name", name]
    for key, value in (env or {}).items():
        args += ["--env", f"{key}={value}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return str(prefix / "share" / "jupyter")


@dataclass
class Execution:
    """One execute_request: its reply and the iopub messages it caused."""

    reply: dict
    messages: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    def of_type(self, msg_type: str) -> list[dict]:
        return [m["content"] for m in self.messages if m["msg_type"] == msg_type]

    @property
    def displays(self) -> list[dict]:
        return self.of_type("display_data")

    @property
    def errors(self) -> list[dict]:
        return self.of_type("error")

    @property
    def text(self) -> str:
        """Everything a console user would read: plain text of displays and tracebacks."""
        parts = [d["data"].get("text/plain", "") for d in self.displays]
        parts += ["\n".join(e["traceback"]) for e in self.errors]
        return "\n".join(parts)

    @property
    def html(self) -> str:
        return "\n".join(d["data"].get("text/html", "") for d in self.displays)


class KernelHarness:
    def __init__(self, jupyter_path: str, env: dict[str, str], name: str = "lean4") -> None:
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = jupyter_path
        try:
            self.km = KernelManager(kernel_name=name)
            self.km.start_kernel(env={**os.environ, **env})
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def send(self, code: str, cell_id: str | None = None, silent: bool = False) -> dict:
        content = {
            "code": code,
            "silent": silent,
            "store_history": not silent,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": False,
        }
        # jupyter_client's execute() cannot set metadata; JupyterLab puts cellId there.
        msg = self.kc.session.msg("execute_request", content, metadata={"cellId": cell_id} if cell_id else {})
        self.kc.shell_channel.send(msg)
        return msg

    def wait(self, msg: dict, timeout: float = 30) -> Execution:
        msg_id = msg["header"]["msg_id"]
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        return Execution(reply, self.iopub_until_idle(msg_id, deadline))

    def iopub_until_idle(self, msg_id: str, deadline: float) -> list[dict]:
        out = []
        while True:
            try:
                m = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except Empty:
                raise AssertionError(f"no idle status for {msg_id} before the deadline") from None
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "status":
                if m["content"]["execution_state"] == "idle":
                    return out
                continue
            if m["msg_type"] != "execute_input":
                out.append(m)

    def run(self, code: str, cell_id: str | None = None, timeout: float = 30) -> Execution:
        return self.wait(self.send(code, cell_id), timeout)

    def request(self, method: str, *args, timeout: float = 30, **kwargs) -> dict:
        """complete / inspect / is_complete / history: the reply's content."""
        msg_id = getattr(self.kc, method)(*args, **kwargs)
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def read_log(path: Path) -> list[dict]:
    """Requests the stand-in received, in order (its --log file)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def base_kernelspec(tmp_path_factory) -> str:
    """A kernelspec without REPL settings: harnesses pass the stand-in's env at start."""
    return install_kernelspec(tmp_path_factory.mktemp("kernelspec"))


@pytest.fixture(scope="module")
def log_path(tmp_path_factory) -> Path:
    """Where the stand-in logs every request it receives (one JSON object a line)."""
    return tmp_path_factory.mktemp("standin") / "requests.jsonl"


@pytest.fixture(scope="module")
def kernel(base_kernelspec, standin_env, log_path):
    """One kernel for the module, on the stand-in, with the start-up check already done."""
    k = KernelHarness(base_kernelspec, standin_env("--log", str(log_path)))
    k.run("#print List.cons")
    yield k
    k.close()


@pytest.fixture
def fresh(kernel):
    """The module's kernel with its cells forgotten: the next cell starts a fresh env."""
    kernel.run("%reset")
    return kernel
