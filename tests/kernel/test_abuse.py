"""The kernel under abuse, as a hostile (or unlucky) user drives it over jupyter_client:
bad timeouts, text no REPL can take, a folder that is not a Lean project, two Ctrl-Cs.

Recordings (v4.33.0-rc2): def_eval (``def f := 37``, then ``#check (rfl : f = 37)``
answered ``rfl : f = f`` only on the env where ``def f`` ran), options
(``#print List.cons`` on a fresh env) and trace_simp (a chain of three cells).
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from jupyter_client.session import json_default

from .conftest import KernelHarness, read_log

PRINT_CONS = "#print List.cons"


def assert_f_is_still_defined(kernel) -> None:
    after = kernel.run("#check (rfl : f = 37)", "check-f")  # a re-run: same env each time
    assert after.status == "ok", after.text
    assert "rfl : f = f" in after.text


# --------------------------------------------------------------------------- timeouts


@pytest.mark.parametrize("bad", ["nan", "-1", "-0.5", "soon", "NaN"])
def test_a_timeout_that_is_no_duration_is_a_magic_error_and_nothing_desyncs(fresh, bad):
    assert fresh.run("def f := 37").status == "ok"
    refused = fresh.run(f"%timeout {bad}")
    assert refused.status == "error" and refused.reply["content"]["ename"] == "MagicError"
    assert "%timeout wants seconds or 'off'" in refused.reply["content"]["evalue"]
    assert "timeout per cell: 10 s" in fresh.run("%timeout").text  # unchanged
    # Each answer is still its own request's.
    assert_f_is_still_defined(fresh)
    again = fresh.run("%reset\n" + PRINT_CONS)
    assert again.status == "ok" and "constructor List.cons" in again.text


@pytest.mark.parametrize("off", ["0", "off", "inf", "OFF"])
def test_zero_inf_and_off_all_switch_the_limit_off(kernel, off):
    try:
        assert "timeout per cell: off (no limit)" in kernel.run(f"%timeout {off}").text
    finally:
        kernel.run("%timeout 10")


# --------------------------------------------------------------------------- text no REPL can take


def test_a_lone_surrogate_is_an_error_naming_its_position(fresh):
    # JupyterLab sends a lone surrogate as the JSON escape "\ud800"; jupyter_client's own
    # packer cannot encode one, so this client escapes everything as a browser would.
    packer = fresh.kc.session.pack
    fresh.kc.session.pack = lambda obj: json.dumps(obj, default=json_default, ensure_ascii=True).encode()
    try:
        assert fresh.run("def f := 37").status == "ok"
        result = fresh.run('def g : String :=\n  "\ud800"', timeout=20)
        # Magics echo their arguments in errors: those must be sendable too.
        echoed = [fresh.run(cell, timeout=20) for cell in ("%\ud800", "%pickle a\udc00b.olean", "%project /tmp/\ud83d")]
    finally:
        fresh.kc.session.pack = packer
    assert result.status == "error"
    assert result.reply["content"]["ename"] == "UnsendableText"
    assert "line 2, column 3 holds U+D800" in result.reply["content"]["evalue"]
    assert all(e.status == "error" and e.reply["content"]["ename"] == "MagicError" for e in echoed)
    assert "\ufffd" in echoed[0].reply["content"]["evalue"]
    assert_f_is_still_defined(fresh)
    history = fresh.request("history", hist_access_type="tail", n=3, output=False, raw=True)
    assert history["status"] == "ok"


# --------------------------------------------------------------------------- %project


def test_project_that_is_not_a_lean_project_keeps_the_session(fresh, tmp_path):
    assert fresh.run("def f := 37").status == "ok"
    for folder in (tmp_path, "/etc"):
        refused = fresh.run(f"%project {folder}")
        assert refused.status == "error"
        evalue = refused.reply["content"]["evalue"]
        assert "is not a Lean project" in evalue and "the current session is kept" in evalue
        assert_f_is_still_defined(fresh)


def test_project_whose_repl_cannot_start_keeps_the_session(fresh, tmp_path):
    # A real project folder, but no `lake` on this machine: the new session fails its
    # start-up check, and the working one must survive that.
    (tmp_path / "lean-toolchain").write_text("leanprover/lean4:v4.33.0-rc2\n")
    assert fresh.run("def f := 37").status == "ok"
    refused = fresh.run(f"%project {tmp_path}")
    assert refused.status == "error"
    assert "the current session is kept" in refused.reply["content"]["evalue"]
    assert "lake" in "\n".join(refused.reply["content"]["traceback"])
    assert_f_is_still_defined(fresh)


# --------------------------------------------------------------------------- two Ctrl-Cs


@pytest.fixture(scope="module")
def slow_replay(base_kernelspec, standin_env, tmp_path_factory):
    """A kernel whose REPL hangs on HANG and takes 2 s for the cell that defines f_def
    (trace_simp's second cell), so a replay can be caught in the middle."""
    log = tmp_path_factory.mktemp("standin") / "requests.jsonl"
    env = standin_env("--log", str(log), "--hang-on", "HANG", "--delay-on", "f_def=2")
    k = KernelHarness(base_kernelspec, env)
    yield k, log
    k.close()


def _wait_for(log, predicate, start: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(predicate(r) for r in read_log(log)[start:]):
            return
        time.sleep(0.02)
    raise AssertionError("the stand-in never received the request waited for")


def test_a_second_interrupt_during_the_replay_keeps_the_committed_cells(slow_replay):
    kernel, log = slow_replay
    kernel.run("%reset")
    for i, code in enumerate(["def f := 37", "@[simp] theorem f_def : f = 37 := by rfl", "set_option trace.Meta.Tactic.simp true"]):
        assert kernel.run(code, f"chain-{i}", timeout=30).status == "ok"
    start = len(read_log(log))
    msg = kernel.send("theorem HANG : True := trivial")
    _wait_for(log, lambda r: "HANG" in r.get("cmd", ""), start)
    kernel.km.interrupt_kernel()  # first Ctrl-C: the hung cell is killed, the replay begins
    _wait_for(log, lambda r: "f_def" in r.get("cmd", ""), start + 1)
    kernel.km.interrupt_kernel()  # second Ctrl-C, while the slow cell is being replayed
    result = kernel.wait(msg, timeout=60)
    assert result.status == "error"
    assert "3 committed cells are kept" in result.text, result.text
    # The next cell replays the chain first, and runs on it.
    after = kernel.run("example : f = 37 := by simp", timeout=60)
    assert after.status == "ok", after.text
    assert "replayed 3 cells" in after.text
    sent = read_log(log)
    assert sent[-1]["cmd"] == "example : f = 37 := by simp" and "env" in sent[-1]


# --------------------------------------------------------------------------- orphans


def _processes_with(text: str) -> list[int]:
    """Live processes whose command line contains ``text`` (zombies do not count)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().decode("utf-8", "replace")
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text in cmdline and state not in (b"Z", b"X"):
            found.append(int(name))
    return found


def test_a_sigkilled_kernel_takes_its_hung_repl_along(base_kernelspec, standin_env, tmp_path):
    log = tmp_path / "requests.jsonl"  # unique to this test: it names our REPL's processes
    k = KernelHarness(base_kernelspec, standin_env("--log", str(log), "--hang-on", "HANG"))
    try:
        assert k.run("def f := 37").status == "ok"
        k.send("theorem HANG : True := trivial")
        _wait_for(log, lambda r: "HANG" in r.get("cmd", ""), 0)
        repls = _processes_with(str(log))
        assert len(repls) == 1
        os.kill(k.km.provisioner.process.pid, signal.SIGKILL)  # no shutdown, no atexit
        deadline = time.monotonic() + 10
        while _processes_with(str(log)) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = _processes_with(str(log))
    finally:
        for pid in _processes_with(str(log)):  # the defect: do not leak it into other tests
            os.kill(pid, signal.SIGKILL)
        k.close()
    assert left == [], "the REPL outlived its SIGKILLed kernel"
