"""The status line of a running kernel cell, over the Jupyter protocol and as nbclient
saves it: shown after LEAN_STATUS_AFTER, updated in place (update_display_data), taken
down before the result; a fast cell sends no status message at all.

The stand-in delays chosen replies (--delay-on): the recorded `#check (rfl : f = 37)`
(def_eval.in, on the env of `def f := 37`) by 3 s, and the fresh `theorem thm1 : 1 = 1
:= sorry` (dup_sorries.in) by 1.5 s, which its replay after %restart pays again. The
line shows after 0.5 s here, so the 3 s reply leaves room for two updates on a loaded
machine (at the default 1 s the second update would race the reply); it mentions
interrupting after 2 s. The console test needs jupyter_console (the `test` extra).
"""

from __future__ import annotations

import os
import re
import sys

import nbformat
import pytest

from lean_kernel.status import ENV_STATUS_AFTER, ENV_STATUS_HINT_AFTER

from .conftest import KernelHarness, install_kernelspec

SLOW = "#check (rfl : f = 37)"
SLOW_REPLAYED = "theorem thm1 : 1 = 1 := sorry"


@pytest.fixture(scope="module")
def status_env(standin_env) -> dict[str, str]:
    env = standin_env("--delay-on", f"{SLOW}=3", "--delay-on", f"{SLOW_REPLAYED}=1.5")
    return {**env, ENV_STATUS_AFTER: "0.5", ENV_STATUS_HINT_AFTER: "2"}


def status_id(content: dict) -> str | None:
    display_id = (content.get("transient") or {}).get("display_id") or ""
    return display_id if display_id.startswith("lean-status-") else None


def status_messages(messages: list[dict]) -> list[dict]:
    """The messages that are about a status line: its display, its updates, the clearing."""
    return [
        m
        for m in messages
        if m["msg_type"] == "clear_output"
        or (m["msg_type"] in ("display_data", "update_display_data") and status_id(m["content"]))
    ]


def assert_status_then_result(messages: list[dict], result_text: str, words: str) -> list[str]:
    """One status line shown, updated in place, cleared (waiting for the next output), then
    the result: returns the texts the line showed."""
    kinds = [m["msg_type"] for m in messages]
    first = kinds.index("display_data")
    shown = messages[first]["content"]
    line = status_id(shown)
    assert line, f"the first display is not a status line: {shown}"
    updates = [m["content"] for m in messages if m["msg_type"] == "update_display_data"]
    assert len(updates) >= 2, kinds
    assert {status_id(u) for u in updates} == {line}
    clear = kinds.index("clear_output")
    assert messages[clear]["content"] == {"wait": True}
    last_update = max(i for i, k in enumerate(kinds) if k == "update_display_data")
    assert first < last_update < clear
    after = [m["content"] for m in messages[clear + 1 :] if m["msg_type"] == "display_data"]
    assert after and not any(status_id(c) for c in after)
    assert result_text in after[-1]["data"]["text/plain"] + after[-1]["data"]["text/html"]
    texts = [shown["data"]["text/plain"]] + [u["data"]["text/plain"] for u in updates]
    assert all(t.startswith(words + " · ") for t in texts), texts
    # Plain text for `jupyter console` (it prints the first display), HTML for JupyterLab.
    assert '<div class="lean-status"' in shown["data"]["text/html"]
    return texts


def test_over_nbclient_the_slow_cell_shows_a_live_line_and_keeps_only_its_result(
    status_env, tmp_path, recording_client
):
    jupyter_path = install_kernelspec(tmp_path / "prefix", status_env)
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "lean4", "display_name": "Lean 4", "language": "lean4"}}
    )
    nb.cells = [nbformat.v4.new_code_cell(src) for src in ("def f := 37", SLOW, "%reset\ndef f := 2")]
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = jupyter_path
    try:
        client = recording_client(nb, timeout=60, startup_timeout=60)
        client.execute()
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old

    texts = assert_status_then_result(client.messages[1], "rfl : f = f", "elaborating")
    assert "■ / Ctrl-C to interrupt" not in texts[0]
    assert texts[-1].endswith("· ■ / Ctrl-C to interrupt")  # past LEAN_STATUS_HINT_AFTER

    # What the saved notebook keeps: the result alone, no status line and no empty output.
    (output,) = nb.cells[1].outputs
    assert output.output_type == "display_data" and "rfl : f = f" in output.data["text/plain"]
    # Fast cells: not one status message.
    for fast in (0, 2):
        assert status_messages(client.messages[fast]) == [], client.messages[fast]
        assert nb.cells[fast].outputs and all("lean-status" not in str(o) for o in nb.cells[fast].outputs)


def test_output_before_a_slow_body_is_kept_and_a_replay_says_so(base_kernelspec, status_env):
    kernel = KernelHarness(base_kernelspec, status_env)
    try:
        slow = kernel.run(f"%timeout 20\n{SLOW_REPLAYED}")
        assert slow.status == "ok", slow.text
        msgs = slow.messages
        kinds = [m["msg_type"] for m in msgs]
        clear = kinds.index("clear_output")
        plain = [(i, m["content"]["data"]["text/plain"]) for i, m in enumerate(msgs) if m["msg_type"] == "display_data"]
        # %timeout's output, then the line (shown while the body ran) ...
        assert plain[0] == (0, "timeout per cell: 20 s") and status_id(msgs[1]["content"])
        assert plain[1][1].startswith("elaborating · ")
        # ... then, after the clearing, %timeout's output again and the result.
        again = [text for i, text in plain if i > clear]
        assert again[0] == "timeout per cell: 20 s" and "declaration uses `sorry`" in again[1]
        assert not any(status_id(m["content"]) for m in msgs[clear:] if m["msg_type"] == "display_data")

        restart = kernel.run("%restart")
        lines = [m["content"] for m in restart.messages if m["msg_type"] == "display_data" and status_id(m["content"])]
        assert lines and lines[0]["data"]["text/plain"].startswith("replaying 1 cell after a restart · ")
        kinds = [m["msg_type"] for m in restart.messages]
        assert kinds.index("clear_output") < kinds.index("display_data", kinds.index("clear_output"))
        assert "restarted and replayed 1 cell" in restart.messages[-1]["content"]["data"]["text/plain"]
    finally:
        kernel.close()


def test_jupyter_console_prints_the_line_once_then_the_result(status_env, tmp_path):
    """`jupyter console` prints a display's text/plain and ignores update_display_data:
    the user reads one status line, then the result, and nothing garbled."""
    pexpect = pytest.importorskip("pexpect")
    pytest.importorskip("jupyter_console")  # the `test` extra installs it
    jupyter_path = install_kernelspec(tmp_path / "prefix", status_env)
    env = {**os.environ, "JUPYTER_PATH": jupyter_path, "TERM": "dumb", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    argv = ["-m", "jupyter_console", "--kernel", "lean4", "--simple-prompt"]
    console = pexpect.spawn(sys.executable, argv, env=env, encoding="utf-8", timeout=60)
    try:
        console.expect(r"In \[1\]: ")
        console.sendline(SLOW_REPLAYED)
        console.expect(r"In \[2\]: ")
        shown = [line for line in console.before.replace("\r", "").split("\n") if line.strip()]
        assert shown[0] == SLOW_REPLAYED  # the echoed input
        # (the start-up check ran first: "elaborating · 0 s (1 s in all)")
        assert re.fullmatch(r"elaborating · \d+ s( \(\d+ s in all\))?", shown[1]), shown
        assert shown[2].startswith("note: Lean REPL ready") and "declaration uses `sorry`" in "\n".join(shown[3:])
        assert not any("elaborating" in line for line in shown[2:]), shown
        console.sendeof()  # quits, and shuts the kernel down
        if console.expect([r"exit \(\[y\]/n\)\? ", pexpect.EOF]) == 0:
            console.sendline("y")
            console.expect(pexpect.EOF)
    finally:
        console.terminate(force=True)
