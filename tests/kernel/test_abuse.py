"""The kernel under abuse, as a hostile (or unlucky) user drives it over jupyter_client:
bad timeouts, text no REPL can take, a folder that is not a Lean project, two Ctrl-Cs.

Recordings (v4.33.0-rc2): def_eval (``def f := 37``, then ``#check (rfl : f = 37)``
answered ``rfl : f = f`` only on the env where ``def f`` ran), options
(``#print List.cons`` on a fresh env) and trace_simp (a chain of three cells).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time

import pytest
from jupyter_client.session import json_default
from processes import processes_with, rss_mb

from lean_kernel.testing.chains import chain_cell, write_chain_transcript

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
def abused(base_kernelspec, standin_env, tmp_path_factory):
    """The module's one kernel (each costs seconds to start). Its REPL hangs on HANG,
    takes 1 s for the cell that defines f_def (trace_simp's second cell, so a replay can
    be caught in the middle), answers HUGE with a 20 MiB #eval output (an info message and
    a new env holding what the old one held), and also answers a generated chain of
    `def ck := k` cells."""
    log = tmp_path_factory.mktemp("standin") / "requests.jsonl"
    folder = write_chain_transcript(tmp_path_factory.mktemp("chain"), 200)
    env = standin_env(
        "--log", str(log), "--hang-on", "HANG", "--delay-on", "f_def=1", "--huge-on", "HUGE", "--huge-mb", "20"
    )
    env["LEAN_REPL_ARGS"] += f" --scripted {folder}"
    k = KernelHarness(base_kernelspec, env)
    assert k.run(PRINT_CONS).status == "ok"  # the start-up check, done
    yield k, log
    k.close()


@pytest.fixture
def fresh(abused):
    kernel, _ = abused
    kernel.run("%reset")
    return kernel


@pytest.fixture
def kernel(fresh):
    return fresh


@pytest.fixture
def huge(fresh):
    return fresh


@pytest.fixture
def chain(fresh):
    return fresh


def _wait_for(log, predicate, start: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(predicate(r) for r in read_log(log)[start:]):
            return
        time.sleep(0.02)
    raise AssertionError("the stand-in never received the request waited for")


def test_a_second_interrupt_during_the_replay_keeps_the_committed_cells(abused):
    kernel, log = abused
    kernel.run("%reset")
    for i, code in enumerate(
        ["def f := 37", "@[simp] theorem f_def : f = 37 := by rfl", "set_option trace.Meta.Tactic.simp true"]
    ):
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


def test_a_sigkilled_kernel_takes_its_hung_repl_along(base_kernelspec, standin_env, tmp_path):
    log = tmp_path / "requests.jsonl"  # unique to this test: it names our REPL's processes
    k = KernelHarness(base_kernelspec, standin_env("--log", str(log), "--hang-on", "HANG"))
    try:
        assert k.run("def f := 37").status == "ok"
        k.send("theorem HANG : True := trivial")
        _wait_for(log, lambda r: "HANG" in r.get("cmd", ""), 0)
        repls = processes_with(str(log))
        assert len(repls) == 1
        os.kill(k.km.provisioner.process.pid, signal.SIGKILL)  # no shutdown, no atexit
        deadline = time.monotonic() + 10
        while processes_with(str(log)) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = processes_with(str(log))
    finally:
        for pid in processes_with(str(log)):  # the defect: do not leak it into other tests
            os.kill(pid, signal.SIGKILL)
        k.close()
    assert left == [], "the REPL outlived its SIGKILLed kernel"


# --------------------------------------------------------------------------- huge answers


def _iopub_chars(execution) -> int:
    """What the frontend received for one cell, in characters of JSON."""
    return sum(len(json.dumps(m["content"], ensure_ascii=False)) for m in execution.messages) + len(
        json.dumps(execution.reply["content"], ensure_ascii=False)
    )


def test_a_20_mib_answer_sends_about_a_megabyte_and_names_the_whole_result(huge, tmp_path):
    huge.run("%reset")
    assert huge.run("def f := 37").status == "ok"
    big = huge.run('#eval "HUGE"', timeout=60)
    assert big.status == "ok"
    assert _iopub_chars(big) < 1_100_000  # was 63 MB: HTML, text and JSON each held it all
    n = big.reply["content"]["execution_count"]
    assert f"output truncated: 21.0 MB of output, 0.3 MB shown; full result: %lean_result {n}" in big.text
    # The whole result, in parts or as a file.
    part = huge.run(f"%lean_result {n}", timeout=60)
    parts = int(re.search(rf"cell {n}, whole result: part 1 of (\d+); %lean_result {n} 2 shows the next", part.text)[1])
    assert parts == 84  # 20.95 M characters of text (the --huge-mb 20 data, its \n escapes read), 250 k a part
    assert _iopub_chars(part) < 1_100_000
    assert f"part {parts} of {parts}" in huge.run(f"%lean_result {n} {parts}", timeout=60).text
    saved = tmp_path / "whole.json"
    assert "saved" in huge.run(f"%lean_result {n} {saved}", timeout=60).text
    assert len(json.loads(saved.read_text())["messages"][0]["data"]) > 20_000_000
    listed = huge.run("%lean_result").text
    assert str(n) in listed
    # The chain goes on (the huge #eval's env holds f), and a small result is shown whole.
    assert_f_is_still_defined(huge)
    # The history keeps a few characters of that output, not 20 MB.
    history = huge.request("history", hist_access_type="tail", n=20, output=True, raw=True)
    assert max(len(out or "") for _, _, (_, out) in history["history"]) < 5000
    bad = huge.run(f"%lean_result {n + 1000}")
    assert bad.status == "error" and "no whole result of cell" in bad.reply["content"]["evalue"]


def test_output_limit_is_configurable(huge):
    huge.run("%reset")
    try:
        assert "5,000,000 characters per cell" in huge.run("%output 5MB").text
        big = huge.run('#eval "HUGE"', timeout=60)
        assert 2_500_000 < _iopub_chars(big) <= 5_100_000
        assert huge.run("%output 5").status == "error"
    finally:
        huge.run("%output 1MB")


def test_reset_gives_the_memory_of_huge_answers_back(huge):
    huge.run("%reset")
    pid = huge.km.provisioner.process.pid
    huge.run('#eval "HUGE"', timeout=60)  # warm up: imports, caches, the first huge buffers
    huge.run("%reset")
    start = rss_mb(pid)
    for _ in range(5):
        assert huge.run('#eval "HUGE"', timeout=60).status == "ok"
    peak_kept = rss_mb(pid)
    huge.run("%reset")
    end = rss_mb(pid)
    # Five 20 MiB answers: the last three are kept for %lean_result until %reset.
    assert end - start < 20, f"RSS {start:.0f} MB -> {peak_kept:.0f} MB -> {end:.0f} MB after %reset"


# --------------------------------------------------------------------------- long chains


def test_rerunning_an_early_cell_sends_a_few_banners_and_one_short_note(chain):
    chain.run("%reset")
    for k in range(1, 121):
        assert chain.run(chain_cell(k), f"c{k}").status == "ok"
    rerun = chain.run(chain_cell(2), "c2")
    assert rerun.status == "ok"
    updates = rerun.of_type("update_display_data")
    assert len(updates) == 20  # not 118
    assert [u["transient"]["display_id"] for u in updates] == [f"lean-cell-c{k}" for k in range(3, 23)]
    assert "stale: re-run 118 later cells: `def c3 := 3`, `def c4 := 4`, `def c5 := 5` and 115 more" in rerun.text
    assert len(rerun.text) < 2000
    # A stale cell re-run goes on the current env; the cells built on it are stale
    # already, and those that had their banner get no second one.
    again = chain.run(chain_cell(3), "c3")
    assert again.status == "ok"
    # Banners go to the first 20 dependents: c4 to c22 have theirs, c23 gets one now.
    later = [u["transient"]["display_id"] for u in again.of_type("update_display_data")]
    assert later == ["lean-cell-c23"]


def test_env_comes_in_pages(chain):
    chain.run("%reset")
    for k in range(1, 121):
        assert chain.run(chain_cell(k), f"e{k}").status == "ok"
    chain.run(chain_cell(100), "e100")  # 20 stale cells
    first = chain.run("%env").text
    assert "cells 71–120 of 120 (page 1 of 3, oldest first); %env 2 shows the 50 before them" in first
    assert "current env:" in first and "120 committed cells (20 stale)" in first
    rows = [line for line in first.splitlines() if line.startswith("e")]
    assert len(rows) == 50 and rows[0].startswith("e71 ") and rows[-1].startswith("e100 ")
    last = chain.run("%env 3").text
    rows = [line for line in last.splitlines() if line.startswith("e")]
    assert len(rows) == 20 and rows[0].startswith("e1 ")
    stale = chain.run("%env stale").text
    assert sum(1 for line in stale.splitlines() if " stale " in line) == 20
    assert len([line for line in chain.run("%env all").text.splitlines() if line.startswith("e")]) == 120
    for bad in ("%env 9", "%env x", "%env 0"):
        assert chain.run(bad).status == "error"
