"""No REPL outlives its owner: Python exiting with busy REPLs (a pool's, a checker's), and
Python killed with SIGKILL while a request hangs.

Each test runs a small Python program that starts stand-in REPLs which hang (``--hang-on
HANG``, so they are busy, not idle, when the owner goes), then ends that program and
looks for the REPLs' process groups. Whatever a failing run leaves behind is killed at
teardown, so a failure here does not leak processes into the rest of the suite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from processes import group_members

REPO = Path(__file__).resolve().parents[2]
GRACE = 5.0  # seconds an orphan-killer may take (the SIGKILL case is asynchronous)


def wait_until_gone(pgids: list[int], grace: float = GRACE) -> list[int]:
    deadline = time.monotonic() + grace
    while True:
        left = [g for g in pgids if group_members(g)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


@pytest.fixture
def owner(standin_env, tmp_path):
    """Run a Python program against hanging stand-ins; returns (its output lines, pgids)."""
    log = tmp_path / "requests.log"
    started: list[int] = []

    def run(body: str, *, expect_signal: int | None = None) -> tuple[dict, list[int]]:
        env = {**os.environ, **standin_env("--log", str(log), "--hang-on", "HANG", timeout=600)}
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "extension"), env.get("PYTHONPATH", "")])
        program = PRELUDE + textwrap.dedent(body)
        done = subprocess.run(
            [sys.executable, "-c", program, str(log)], env=env, capture_output=True, text=True, timeout=120
        )
        if expect_signal is None:
            assert done.returncode == 0, done.stderr
        else:
            assert done.returncode == -expect_signal, done.stderr
        report = json.loads(done.stdout.strip().splitlines()[-1])
        started.extend(report["pgids"])
        return report, report["pgids"]

    yield run
    for pgid in started:  # a failing run (the defect) must not leak into other tests
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass


PRELUDE = textwrap.dedent('''
    import atexit, json, os, sys, threading, time

    LOG = sys.argv[1]
    REPORT = {}

    def hung(n):
        """Wait until the stand-ins have received n hanging requests."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(LOG) and open(LOG).read().count("HANG") >= n:
                return
            time.sleep(0.02)
        raise SystemExit("the stand-ins never received the hanging requests")

    def running(pid):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
        except (OSError, IndexError):
            return False

    @atexit.register  # registered before lean_kernel is imported, so it runs after its handler
    def report():
        REPORT["running_at_exit"] = [p for p in REPORT.get("pgids", []) if running(p)]
        print(json.dumps(REPORT), flush=True)
''')


def test_python_exiting_while_pool_and_checker_repls_are_busy_kills_them(owner):
    report, pgids = owner("""
        from lean_magic import LeanChecker
        from lean_magic.pool import LeanPool

        pool = LeanPool(workers=3)
        checker = LeanChecker()
        codes = ["theorem HANG : True := trivial"] * 3
        threading.Thread(target=pool.check_many, args=(codes,), kwargs={"progress": False}, daemon=True).start()
        threading.Thread(target=checker.run, args=(codes[0],), daemon=True).start()
        hung(4)
        REPORT["pgids"] = [s.process.pid for s in pool.sessions()] + [checker.session.process.pid]
        sys.exit(0)
    """)
    assert len(pgids) == 4 and all(pgids)
    assert report["running_at_exit"] == []  # dead before Python finished exiting
    assert wait_until_gone(pgids, grace=1.0) == []  # and no respawned or escaped member


def test_python_killed_by_sigkill_during_a_hung_request_takes_its_repl_along(owner):
    _report, pgids = owner(
        """
        from lean_kernel.config import ReplConfig
        from lean_kernel.session import LeanSession

        session = LeanSession(ReplConfig.from_env())
        threading.Thread(target=session.run_cell, args=("theorem HANG : True := trivial",), daemon=True).start()
        hung(1)
        REPORT["pgids"] = [session.process.pid]
        print(json.dumps(REPORT), flush=True)
        os.kill(os.getpid(), 9)  # no atexit, no finally: only the watchdog can act
    """,
        expect_signal=signal.SIGKILL,
    )
    assert len(pgids) == 1
    assert wait_until_gone(pgids) == [], "the REPL outlived its SIGKILLed owner"
