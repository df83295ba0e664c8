"""Shared fixtures: where the recordings are, and how to start a stand-in REPL on them.

The stand-in is always a separate process (``python -m lean_kernel.testing.standin``) on
real pipes; these fixtures only build its configuration.

Two things every run gets from here:
- Missing recordings (a fresh clone has no ``../shared/repl-transcripts``): the tests that
  replay them are skipped, and the run says so once, at the end, with how to fetch them.
  ``LEAN_REQUIRE_RECORDINGS=1`` (set by ``.ci/run``) makes that an error instead.
- The settings ``lean-kernel setup`` saves (``~/.config/lean-kernel/config.json``) would
  make every "no REPL configured" test start someone's real Lean: they are hidden for
  the run. A run of the real-Lean suite (``-m lean``) gets them as LEAN_* variables.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

import pytest

import lean_kernel
from lean_kernel.config import (
    ENV_PROJECT,
    ENV_REPL_PATH,
    ENV_SETTINGS_FILE,
    ReplConfig,
    read_saved_settings,
    settings_path,
)
from lean_kernel.testing.standin import standin_command
from lean_kernel.testing.transcripts import default_root, missing_recordings_help

REPO = Path(__file__).resolve().parent.parent
SCRIPTED_DIR = REPO / "tests" / "fixtures" / "scripted"
DEFAULT_VERSION = "v4.33.0-rc2"
RECORDINGS = default_root()
REQUIRE_RECORDINGS = "LEAN_REQUIRE_RECORDINGS"


def recordings_missing_message() -> str:
    return f"the recorded REPL sessions are not at {RECORDINGS}: {missing_recordings_help(RECORDINGS)}"


def _selects_real_lean(markexpr: str) -> bool:
    return "lean" in markexpr.replace("not lean", "")


def pytest_configure(config):
    config.addinivalue_line("markers", "recordings: replays ../shared/repl-transcripts (skipped when they are missing)")
    saved = {}
    if not (os.environ.get(ENV_REPL_PATH) or os.environ.get(ENV_PROJECT)):
        try:
            saved = read_saved_settings(settings_path())
        except Exception:  # a broken file is the doctor's business, not the test run's
            saved = {}
    if saved and _selects_real_lean(config.option.markexpr or ""):
        os.environ.update(saved)
    # Nothing the tests start may fall back on the user's saved settings.
    os.environ[ENV_SETTINGS_FILE] = str(
        Path(tempfile.gettempdir()) / f"lean-kernel-tests-{os.getpid()}" / "no-settings.json"
    )
    if not RECORDINGS.is_dir() and os.environ.get(REQUIRE_RECORDINGS) == "1":
        raise pytest.UsageError(f"{REQUIRE_RECORDINGS}=1 and {recordings_missing_message()}")


def _needs_recordings(item) -> bool:
    return "transcripts_root" in getattr(item, "fixturenames", ()) or item.get_closest_marker("recordings") is not None


def pytest_collection_modifyitems(config, items):
    if RECORDINGS.is_dir():
        return
    skip = pytest.mark.skip(reason="recordings missing (see the note at the end of the run)")
    for item in items:
        if _needs_recordings(item):
            item.add_marker(skip)


def _is_missing_recording(exc: BaseException) -> bool:
    """A FileNotFoundError for a path under the missing recordings folder: a test that read
    a recording directly (render, goals) rather than through a fixture."""
    if not isinstance(exc, FileNotFoundError) or RECORDINGS.is_dir():
        return False
    return str(RECORDINGS) in str(exc.filename or exc)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and _is_missing_recording(call.excinfo.value):
        report.outcome = "skipped"
        report.longrepr = (
            str(item.path),
            item.location[1] or 0,
            "Skipped: recordings missing (see the note at the end of the run)",
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if RECORDINGS.is_dir():
        return
    skipped = terminalreporter.stats.get("skipped", [])
    count = sum(1 for r in skipped if "recordings missing" in str(getattr(r, "longrepr", "")))
    if not count:
        return
    terminalreporter.write_sep("-", "recordings missing")
    terminalreporter.write_line(
        f"{count} tests that replay recorded REPL sessions were skipped: {recordings_missing_message()}"
    )


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
    if not RECORDINGS.is_dir():
        pytest.skip(recordings_missing_message())
    return RECORDINGS


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
