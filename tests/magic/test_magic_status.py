"""The %%lean status line: in an IPython shell whose display publisher records what a
frontend would receive, and in a real python3 kernel over nbclient (the saved outputs).

Recordings: def_eval (`def f := 37`, then `#check (rfl : f = 37)` on its env), made slow
by the stand-in's --delay-on."""

from __future__ import annotations

import threading

import nbformat
import pytest
from IPython.core.displaypub import DisplayPublisher

from lean_kernel.status import ENV_STATUS_AFTER, ENV_STATUS_HINT_AFTER

SLOW = "#check (rfl : f = 37)"


class RecordingPublisher(DisplayPublisher):
    """IPython's display publisher as a kernel's would behave, keeping every call."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.events: list[tuple] = []  # (kind, text/plain or wait, display_id, thread name)

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
        kind = "update" if update else "display"
        self.events.append(
            (kind, data.get("text/plain"), (transient or {}).get("display_id"), threading.current_thread().name)
        )

    def clear_output(self, wait=False):
        self.events.append(("clear", wait, None, threading.current_thread().name))


@pytest.fixture
def shell(ip, use_standin):
    """The test shell with its REPL started, the stand-in delaying SLOW by 1.6 s, and a
    recording publisher; the status line shows after 0.3 s and is updated once a second."""
    use_standin("--delay-on", f"{SLOW}=1.6")
    assert ip.run_cell("%%lean\ndef f := 37").result.ok  # starts the REPL
    recorder = RecordingPublisher(shell=ip)
    plain, ip.display_pub = ip.display_pub, recorder
    ip.run_line_magic("config", "LeanMagics.status_after = 0.3")
    yield ip, recorder
    ip.display_pub = plain
    ip.run_line_magic("config", "LeanMagics.status_after = 1.0")


def test_slow_cell_shows_updates_and_clears_before_its_result(shell):
    ip, rec = shell
    assert ip.run_cell("%%lean --fresh\ndef f := 2").result.ok  # dup_msg.in
    assert rec.events == []  # a fast cell: nothing at all
    result = ip.run_cell(f"%%lean --env 0\n{SLOW}").result
    assert result.ok and result.infos[0].text == "rfl : f = f"
    kinds = [e[0] for e in rec.events]
    assert kinds[0] == "display" and kinds[-1] == "clear" and kinds.count("update") >= 1, kinds
    assert kinds.count("display") == 1 and kinds.count("clear") == 1
    shown_id = rec.events[0][2]
    assert shown_id.startswith("lean-status-") and {e[2] for e in rec.events if e[0] == "update"} == {shown_id}
    assert all(e[1].startswith("elaborating · ") for e in rec.events[:-1])
    # Drawn by the clock's thread; the clearing waits for the result that IPython shows next.
    assert {e[3] for e in rec.events[:-1]} == {"lean-status-line"}
    assert rec.events[-1][1:] == (True, None, threading.main_thread().name)


def test_quiet_clears_at_once(shell):
    ip, rec = shell
    assert ip.run_cell(f"%%lean --quiet --out r --env 0\n{SLOW}").result is None
    assert ip.user_ns["r"].ok
    assert rec.events[0][0] == "display" and rec.events[-1][:2] == ("clear", False)


def test_no_line_for_the_line_magic_or_when_off(shell):
    ip, rec = shell
    assert ip.run_cell(f"%lean {SLOW}").result.ok  # on env 0
    ip.run_line_magic("config", "LeanMagics.status_after = None")
    assert ip.run_cell(f"%%lean --env 0\n{SLOW}").result.ok
    assert rec.events == []


def test_terminal_shell_shows_no_line(ip, use_standin, capsys):
    use_standin("--delay-on", f"{SLOW}=0.5")
    assert type(ip.display_pub) is DisplayPublisher  # IPython in a terminal
    ip.run_line_magic("config", "LeanMagics.status_after = 0.1")
    try:
        ip.run_cell("%%lean\ndef f := 37")
        assert ip.run_cell(f"%%lean\n{SLOW}").result.ok
    finally:
        ip.run_line_magic("config", "LeanMagics.status_after = 1.0")
    assert "elaborating" not in capsys.readouterr().out


def test_in_a_python_kernel_the_result_replaces_the_line(use_standin, clean_env, tmp_path, recording_client):
    """The Done-when case: a reply delayed 3 s; the line shows after 0.5 s (room for two
    updates on a loaded machine) and mentions interrupting after 2 s."""
    use_standin("--delay-on", f"{SLOW}=3")
    clean_env.setenv(ENV_STATUS_AFTER, "0.5")
    clean_env.setenv(ENV_STATUS_HINT_AFTER, "2")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(s) for s in ("%load_ext lean_magic", "%%lean\ndef f := 37", f"%%lean\n{SLOW}")
    ]
    client = recording_client(nb, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    msgs = client.messages[2]
    kinds = [m["msg_type"] for m in msgs if m["msg_type"] not in ("status", "execute_input")]
    assert kinds[0] == "display_data" and kinds.count("update_display_data") >= 2, kinds
    assert kinds[-2:] == ["clear_output", "execute_result"], kinds
    shown = [m["content"] for m in msgs if m["msg_type"] in ("display_data", "update_display_data")]
    ids = {c["transient"]["display_id"] for c in shown}
    assert len(ids) == 1 and ids.pop().startswith("lean-status-")
    texts = [c["data"]["text/plain"] for c in shown]
    assert all(t.startswith("elaborating · ") for t in texts) and texts[-1].endswith("■ / Ctrl-C to interrupt")
    assert all(m["parent_header"]["msg_type"] == "execute_request" for m in msgs)
    assert next(m for m in msgs if m["msg_type"] == "clear_output")["content"] == {"wait": True}
    # Saved: the result only.
    (output,) = nb.cells[2].outputs
    assert output.output_type == "execute_result" and "rfl : f = f" in output.data["text/html"]
    # The fast cell: no status message at all.
    assert not [
        m for m in client.messages[1] if m["msg_type"] in ("display_data", "update_display_data", "clear_output")
    ]
