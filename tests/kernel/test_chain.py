"""Which env ids the kernel really sends, read from the stand-in's request log.

Cells carry a ``cellId`` as JupyterLab sends it. Every cell is a recorded v4.33.0-rc2
request, so the stand-in answers each one only if the kernel chained it on the env the
recording used: def_eval.in (``def f := 37``, then ``#check (rfl : f = 37)`` on it),
trace_simp.in (a chain of four), dup_msg.in (``#check g`` fails), import_lean.in.
The first request of every kernel is the start-up check ``#eval 2+2`` (scripted
positive_control transcript, tests/fixtures/scripted).
"""

from __future__ import annotations

import pytest

from lean_kernel.render import RESULT_MIME_TYPE

from .conftest import KernelHarness, read_log


@pytest.fixture(scope="module")
def kernel(base_kernelspec, standin_env, log_path):
    k = KernelHarness(base_kernelspec, standin_env("--log", str(log_path)))
    yield k
    k.close()


@pytest.fixture
def sent(kernel, log_path):
    """Requests sent by the cells of one test: starts each test from a fresh env."""
    kernel.run("%reset")
    start = len(read_log(log_path))
    return lambda: read_log(log_path)[start:]


def test_first_request_is_the_startup_check(kernel, log_path):
    kernel.run("%reset")
    first = kernel.run("#print List.cons")
    assert read_log(log_path)[:2] == [{"cmd": "#eval 2+2"}, {"cmd": "#print List.cons"}]
    assert "Lean REPL ready" in first.text and "printed 4" in first.text


def test_chain_of_cells_sends_each_on_the_previous_env(kernel, sent):
    cells = [
        ("a", "def f := 37"),
        ("b", "@[simp] theorem f_def : f = 37 := by rfl"),
        ("c", "set_option trace.Meta.Tactic.simp true"),
        ("d", "example : f = 37 := by simp"),
    ]
    runs = [kernel.run(code, cell_id) for cell_id, code in cells]
    assert [r.status for r in runs] == ["ok"] * 4
    reqs = sent()
    assert [r["cmd"] for r in reqs] == [code for _, code in cells]
    assert "env" not in reqs[0]  # the first cell runs on a fresh env
    envs = [r["env"] for r in reqs[1:]]
    assert envs == sorted(envs) and len(set(envs)) == 3  # each on the env of the cell before
    # The simp trace of the last cell is shown (folded) in its output.
    assert "Meta.Tactic.simp.rewrite" in runs[3].text


def test_rerun_of_a_middle_cell_uses_its_old_env_and_marks_later_cells_stale(kernel, sent):
    kernel.run("def f := 37", "a")
    kernel.run("@[simp] theorem f_def : f = 37 := by rfl", "b")
    first_c = kernel.run("set_option trace.Meta.Tactic.simp true", "c")
    assert first_c.status == "ok"
    env_a = sent()[1]["env"]

    rerun = kernel.run("@[simp] theorem f_def : f = 37 := by rfl", "b")
    assert rerun.status == "ok"
    assert sent()[-1] == {"cmd": "@[simp] theorem f_def : f = 37 := by rfl", "env": env_a}
    # The re-run cell says which cells are now stale, and c's old output gets a banner.
    assert "stale: re-run 1 later cell: `set_option trace.Meta.Tactic.simp true`" in rerun.text
    updates = rerun.of_type("update_display_data")
    assert [u["transient"]["display_id"] for u in updates] == ["lean-cell-c"]
    assert updates[0]["data"]["text/plain"].startswith("stale: re-run")
    assert first_c.displays[0]["transient"]["display_id"] == "lean-cell-c"

    # A stale cell that is re-run goes on the current env: the new f_def's.
    env_b2 = int(rerun.displays[0]["data"][RESULT_MIME_TYPE]["env_after"])
    again = kernel.run("set_option trace.Meta.Tactic.simp true", "c")
    assert again.status == "ok"
    assert sent()[-1] == {"cmd": "set_option trace.Meta.Tactic.simp true", "env": env_b2}

    env_table = kernel.run("%env").text
    assert "stale" not in env_table.split("current env")[0].split("\n", 1)[1]


def test_failed_cell_commits_nothing(kernel, sent):
    kernel.run("def f := 2")
    ok = kernel.run("#check f")
    assert ok.status == "ok" and "f : Nat" in ok.text
    env_after_check = ok.displays[-1]["data"][RESULT_MIME_TYPE]["env_after"]
    failed = kernel.run("#check g")
    assert failed.status == "error"
    assert failed.reply["content"]["ename"] == "LeanError"
    assert "Unknown identifier `g`" in failed.reply["content"]["evalue"]
    again = kernel.run("#check g")  # still on the env of `#check f`, not the failed cell's
    assert again.status == "error"
    reqs = sent()
    assert reqs[2] == reqs[3] == {"cmd": "#check g", "env": reqs[2]["env"]}
    assert reqs[2]["env"] == env_after_check


def test_import_cell_rerun_imports_nothing(kernel, sent):
    first = kernel.run("import Lean", "imp")
    assert first.status == "ok"
    assert sent() == [{"cmd": "import Lean"}]
    second = kernel.run("import Lean", "imp")
    assert second.status == "ok"
    assert sent() == [{"cmd": "import Lean"}]  # 0 new requests: the header env is cached
    assert "nothing re-imported" in second.text
    cont = kernel.run("def f := 42", "def")
    assert cont.status == "ok"
    header_env = int(first.displays[0]["data"][RESULT_MIME_TYPE]["env_after"])
    assert sent()[-1] == {"cmd": "def f := 42", "env": header_env}
