"""Start-up: kernel_info answers at once whatever the set-up; the start-up check runs at
the first cell, and a broken set-up gives a message that names the fix."""

from __future__ import annotations

import time

from .conftest import KernelHarness


def test_missing_binary(base_kernelspec, tmp_path):
    env = {"LEAN_REPL_PATH": str(tmp_path / "no-such-repl"), "LEAN_REPL_ARGS": "", "LEAN_PROJECT": ""}
    k = KernelHarness(base_kernelspec, env)
    try:
        started = time.monotonic()
        info = k.request("kernel_info", timeout=10)
        assert info["status"] == "ok" and info["language_info"]["name"] == "lean4"
        assert time.monotonic() - started < 5  # nothing waits for a REPL

        first = k.run("def f := 37")
        assert first.status == "error"
        assert first.reply["content"]["ename"] == "LeanSetupError"
        text = "\n".join(first.reply["content"]["traceback"])
        assert "repl binary not found at" in text and str(tmp_path / "no-such-repl") in text
        assert "install_kernel.py --repl PATH" in text  # the fix

        assert k.run("def f := 37").status == "error"  # checked again: still broken
        assert k.run("%help").status == "ok"  # magics that need no REPL still work
        assert k.request("complete", "theo", 4)["matches"] == ["theorem"]
    finally:
        k.close()


def test_nothing_configured(base_kernelspec):
    k = KernelHarness(base_kernelspec, {"LEAN_REPL_PATH": "", "LEAN_PROJECT": ""})
    try:
        first = k.run("#print List.cons")
        assert first.status == "error"
        assert "no Lean REPL configured; set LEAN_REPL_PATH" in first.reply["content"]["evalue"]
        # The kernel's own fix, not the Python notebook's (%lean_setup / %lean_doctor).
        text = "\n".join(first.reply["content"]["traceback"])
        assert "Fix: run `lean-kernel setup` in a terminal" in text and "then restart the kernel" in text
        assert "%lean" not in text and "could not be restarted" not in text
    finally:
        k.close()


def test_bad_setting_in_env(base_kernelspec, standin_env):
    env = standin_env()
    env["LEAN_TIMEOUT"] = "soon"
    k = KernelHarness(base_kernelspec, env)
    try:
        first = k.run("#print List.cons")
        assert first.status == "error"
        assert "LEAN_TIMEOUT must be a number of seconds" in first.reply["content"]["evalue"]
    finally:
        k.close()


def test_positive_control_failure_stops_the_first_cell(base_kernelspec, standin_env, tmp_path):
    log = tmp_path / "requests.jsonl"
    k = KernelHarness(base_kernelspec, standin_env("--log", str(log), "--crash-on", "#eval 2+2"))
    try:
        first = k.run("#print List.cons")
        assert first.status == "error"
        assert first.reply["content"]["ename"] == "LeanSetupError"
        text = "\n".join(first.reply["content"]["traceback"])
        assert "positive control failed" in text and "exited with code 1" in text
        assert "Fix:" in text
        # The cell itself was not sent: only the (crashing) check reached the REPL.
        assert all(line.strip() == '{"cmd":"#eval 2+2"}' for line in log.read_text().splitlines())
    finally:
        k.close()
