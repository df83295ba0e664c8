"""Shared fixtures: where the recordings are, and how to start a stand-in REPL on them.

The stand-in is always a separate process (``python -m lean_kernel.testing.standin``) on
real pipes; these fixtures only build its configuration.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

import lean_kernel
from lean_kernel.config import ReplConfig
from lean_kernel.testing.standin import standin_command
from lean_kernel.testing.transcripts import default_root

REPO = Path(__file__).resolve().parent.parent
SCRIPTED_DIR = REPO / "tests" / "fixtures" / "scripted"
DEFAULT_VERSION = "v4.33.0-rc2"


def _python_path() -> str:
    # The stand-in must import lean_kernel even when the package is not installed. Tests
    # run against an installed copy (ci/kaggle_stack.sh installs the wheel) keep every
    # subprocess on that copy instead.
    existing = os.environ.get("PYTHONPATH")
    if Path(lean_kernel.__file__).resolve().parent.parent != REPO:
        return existing or ""
    return str(REPO) + (os.pathsep + existing if existing else "")


def _argv(root: Path, args, recordings, version: str, scripted: bool) -> list[str]:
    if recordings is None:
        recordings = [root / version]
    elif isinstance(recordings, (str, os.PathLike)):
        recordings = [recordings]
    # Relative recordings name files under the transcripts root ("v4.8.0/readme.in").
    paths = [Path(r) if Path(r).is_absolute() else root / r for r in recordings]
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"no recordings at {p}")
    extra = [SCRIPTED_DIR] if scripted and SCRIPTED_DIR.is_dir() else []
    return standin_command(paths, extra, [str(a) for a in args])


@pytest.fixture(scope="session")
def transcripts_root() -> Path:
    root = default_root()
    if not root.is_dir():
        pytest.fail(
            f"recorded REPL transcripts not found at {root}; set LEAN_TRANSCRIPTS to the "
            "repl-transcripts folder",
            pytrace=False,
        )
    return root


@pytest.fixture(scope="session")
def standin_config(transcripts_root):
    """Factory: ``standin_config(*fault_args, recordings=None, version=..., scripted=True,
    timeout=10, **other ReplConfig fields) -> ReplConfig`` for a stand-in REPL."""

    def make(*args, recordings=None, version=DEFAULT_VERSION, scripted=True, timeout=10, **changes):
        argv = _argv(transcripts_root, args, recordings, version, scripted)
        env = {"PYTHONPATH": _python_path(), **changes.pop("env", {})}
        return ReplConfig(repl_path=argv[0], repl_args=argv[1:], timeout=timeout, env=env, **changes)

    return make


@pytest.fixture(scope="session")
def standin_env(transcripts_root):
    """Factory: the same stand-in as environment variables (LEAN_REPL_PATH, LEAN_REPL_ARGS,
    LEAN_TIMEOUT, PYTHONPATH), to merge into a kernel subprocess's environment."""

    def make(*args, recordings=None, version=DEFAULT_VERSION, scripted=True, timeout=10) -> dict[str, str]:
        argv = _argv(transcripts_root, args, recordings, version, scripted)
        return {
            "LEAN_REPL_PATH": argv[0],
            "LEAN_REPL_ARGS": shlex.join(argv[1:]),
            "LEAN_TIMEOUT": str(timeout),
            "PYTHONPATH": _python_path(),
        }

    return make


@pytest.fixture(scope="session")
def recording_client():
    """nbclient's NotebookClient that also keeps every iopub message of each cell
    (``client.messages[cell_index]``), for tests of what a frontend receives."""
    from nbclient import NotebookClient

    class RecordingClient(NotebookClient):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.messages: dict[int, list[dict]] = {}

        def process_message(self, msg, cell, cell_index):
            self.messages.setdefault(cell_index, []).append(msg)
            return super().process_message(msg, cell, cell_index)

    return RecordingClient
