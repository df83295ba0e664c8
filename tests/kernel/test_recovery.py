"""Interrupt, timeout, crash and out-of-memory: the REPL is restarted, the committed
cells are replayed, the failed cell is not, and the next cell sees earlier definitions.

Faults come from the stand-in's options, keyed on text only the faulty cells contain.
The other cells are recorded (def_eval.in: ``def f := 37`` then ``#check (rfl : f = 37)``,
which the stand-in answers only on an env where the recorded ``def f := 37`` ran).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from .conftest import KernelHarness, read_log

HANG = "theorem hangs_forever : True := by trivial"
SLOW = "theorem takes_long : True := by trivial"
CRASH = "theorem crashes_lean : True := by trivial"
EAT = "theorem eats_memory : True := by trivial"


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    return tmp_path_factory.mktemp("standin") / "requests.jsonl"


@pytest.fixture(scope="module")
def kernel(base_kernelspec, standin_env, log_path):
    env = standin_env(
        "--log",
        str(log_path),
        "--hang-on",
        "hangs_forever",
        "--delay-on",
        "takes_long=30",
        "--crash-on",
        "crashes_lean",
    )
    k = KernelHarness(base_kernelspec, env)
    yield k
    k.close()


def wait_for_request(log_path, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in r.get("cmd", "") for r in read_log(log_path)):
            return
        time.sleep(0.05)
    raise AssertionError(f"the stand-in never received {text!r}")


def assert_recovered(kernel, log_path, before: int) -> None:
    """The definition of f was replayed on the new process and the next cell uses it."""
    replayed = read_log(log_path)[before:]
    assert {"cmd": "def f := 37"} in replayed
    nxt = kernel.run("#check (rfl : f = 37)")
    assert nxt.status == "ok", nxt.text
    assert "rfl : f = f" in nxt.text


def test_interrupt_restarts_and_replays(kernel, log_path):
    kernel.run("%reset")
    assert kernel.run("def f := 37").status == "ok"
    msg = kernel.send(HANG)
    wait_for_request(log_path, "hangs_forever")
    before = len(read_log(log_path))
    kernel.km.interrupt_kernel()
    result = kernel.wait(msg, timeout=30)
    assert result.status == "error"
    assert result.reply["content"]["ename"] == "ReplInterrupted"
    assert "restarted and replayed 1 cell" in result.text
    assert_recovered(kernel, log_path, before)
    # The interrupted cell was not committed, so it was not replayed.
    assert not any("hangs_forever" in r.get("cmd", "") for r in read_log(log_path)[before:])


def test_timeout_restarts_and_replays(kernel, log_path):
    kernel.run("%reset")
    assert "timeout per cell: 1 s" in kernel.run("%timeout 1").text
    try:
        assert kernel.run("def f := 37").status == "ok"
        before = len(read_log(log_path))
        result = kernel.run(SLOW, timeout=30)
        assert result.status == "error"
        assert result.reply["content"]["ename"] == "ReplTimeout"
        assert "timed out after 1 s" in result.text
        assert "restarted and replayed 1 cell" in result.text
        assert_recovered(kernel, log_path, before + 1)
    finally:
        kernel.run("%timeout 10")


def test_crash_mid_cell_restarts_and_replays(kernel, log_path):
    kernel.run("%reset")
    assert kernel.run("def f := 37").status == "ok"
    before = len(read_log(log_path))
    result = kernel.run(CRASH)
    assert result.status == "error"
    assert result.reply["content"]["ename"] == "ReplExited"
    assert "uncaught exception" in result.text  # the REPL's last words, from stderr
    assert "restarted and replayed 1 cell" in result.text
    assert_recovered(kernel, log_path, before + 1)


def test_kernel_survives_repeated_faults(kernel):
    kernel.run("%reset")
    for _ in range(3):
        assert kernel.run(CRASH).status == "error"
    ok = kernel.run("#print List.cons")
    assert ok.status == "ok" and "constructor List.cons" in ok.text


def test_out_of_memory_kill_is_reported_as_such(base_kernelspec, standin_env, tmp_path):
    log = tmp_path / "requests.jsonl"
    env = standin_env("--log", str(log), "--kill-on", "eats_memory")
    env["LEAN_MEMORY_LIMIT_MB"] = "4096"  # RLIMIT_AS for the REPL; SIGKILL under it reads as OOM
    k = KernelHarness(base_kernelspec, env)
    try:
        assert k.run("def f := 37").status == "ok"
        result = k.run(EAT)
        assert result.status == "error"
        assert result.reply["content"]["ename"] == "ReplOutOfMemory"
        assert "out of memory" in result.text
        assert "LEAN_MEMORY_LIMIT_MB" in result.text  # names the fix
        assert_recovered(k, log, 0)
    finally:
        k.close()


def test_keyboard_interrupt_in_kernel_code_restarts_the_repl(standin_env, monkeypatch):
    """An interrupt that lands outside a REPL request (here: while parsing magics) is handled
    by the kernel itself: the REPL is killed, the reply comes at once, and the committed
    cells are replayed before the next cell (not in the handler: a Mathlib replay takes
    minutes, and a second Ctrl-C must not land in it).
    In-process, so the interrupt can be placed exactly; the REPL is the real stand-in."""
    for key, value in standin_env().items():
        monkeypatch.setenv(key, value)
    from jupyter_client.session import Session

    import lean_kernel.kernel as kernel_module

    k = kernel_module.LeanKernel(session=Session())
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(k, "_send", lambda msg_type, content: sent.append((msg_type, content)))
    try:
        assert asyncio.run(k.do_execute("def f := 37", False))["status"] == "ok"
        pid_before = k._session.process.pid
        real_split = kernel_module.split_magics

        def interrupted(*args, **kwargs):
            monkeypatch.setattr(kernel_module, "split_magics", real_split)
            raise KeyboardInterrupt

        monkeypatch.setattr(kernel_module, "split_magics", interrupted)
        reply = asyncio.run(k.do_execute("#check (rfl : f = 37)", False))
        assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
        assert "the 1 committed cell is kept and replayed before the next cell" in "\n".join(reply["traceback"])
        assert k._session.process.pid is None and pid_before is not None
        sent.clear()
        again = asyncio.run(k.do_execute("#check (rfl : f = 37)", False))
        assert again["status"] == "ok"
        shown = sent[0][1]["data"]["text/plain"]
        assert "restarted and replayed 1 cell" in shown and "rfl : f = f" in shown
    finally:
        asyncio.run(k.do_shutdown(False))
