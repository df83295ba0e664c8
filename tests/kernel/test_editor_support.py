"""complete_request, inspect_request and is_complete_request through a real kernel."""

from __future__ import annotations

from lean_kernel.kernel import _constants_query

from .conftest import read_log


def complete(kernel, code, cursor=None):
    return kernel.request("complete", code, len(code) if cursor is None else cursor)


def test_completion_lists_notebook_names_first(kernel):
    kernel.run("%reset")
    kernel.run("def f := 2")  # dup_msg.in
    reply = complete(kernel, "#check f")
    assert reply["status"] == "ok"
    assert reply["matches"][0] == "f"
    assert {"fun", "from", "funext"} <= set(reply["matches"])
    assert (reply["cursor_start"], reply["cursor_end"]) == (7, 8)
    kinds = {t["text"]: t["type"] for t in reply["metadata"]["_jupyter_types_experimental"]}
    assert kinds["f"] == "declared" and kinds["fun"] == "keyword" and kinds["funext"] == "tactic"


def test_completion_of_magics(kernel):
    assert complete(kernel, "%re")["matches"] == ["%reset", "%restart"]


def test_completion_mid_line(kernel):
    reply = complete(kernel, "example := by simp_a foo", 20)
    assert reply["matches"] == ["simp_all"]
    assert (reply["cursor_start"], reply["cursor_end"]) == (14, 20)


def test_constants_need_meta_code_and_degrade_quietly(kernel, log_path):
    """Without imports there is no meta code: no REPL query is made at all."""
    kernel.run("%reset")
    kernel.run("def f := 2")
    before = len(read_log(log_path))
    reply = complete(kernel, "Nat.su")
    assert reply["status"] == "ok" and reply["matches"] == []
    assert len(read_log(log_path)) == before


def test_constants_from_the_repl_after_import(kernel, log_path):
    """Scripted transcript tests/fixtures/scripted/v4.33.0-rc2/kernel_complete_constants
    answers the constants query after `import Lean` (no recording contains meta code)."""
    kernel.run("%reset")
    kernel.run("import Lean")
    reply = complete(kernel, "#check Nat.su")
    assert reply["matches"] == ["Nat.sub", "Nat.sub_add_cancel", "Nat.succ", "Nat.succ_le_succ"]
    assert read_log(log_path)[-1]["cmd"] == _constants_query("Nat.su")


def test_constants_query_failure_is_remembered_per_env(kernel, log_path):
    """The stand-in has no answer for this prefix: one failed query, then no more on that env."""
    kernel.run("%reset")
    kernel.run("import Lean")
    before = len(read_log(log_path))
    assert complete(kernel, "List.ma")["matches"] == []
    assert complete(kernel, "List.ma")["matches"] == []
    assert len(read_log(log_path)) == before + 1
    assert kernel.run("%env").status == "ok"  # nothing was committed by the query
    assert "import Lean" in kernel.run("%env").text


def test_inspect_a_notebook_name(kernel):
    kernel.run("%reset")
    kernel.run("def f := 2")  # dup_msg.in: `#check f` on that env is recorded
    reply = kernel.request("inspect", "theorem t : f = 2 := rfl", 12)
    assert reply["status"] == "ok" and reply["found"] is True
    assert reply["data"]["text/plain"] == "f : Nat"


def test_inspect_a_library_name(kernel):
    kernel.run("%reset")
    reply = kernel.request("inspect", "#print List.cons", 10)  # options.in: `#print List.cons`
    assert reply["found"] is True
    assert "constructor List.cons.{u}" in reply["data"]["text/plain"]


def test_inspect_unknown_or_nothing(kernel):
    kernel.run("%reset")
    assert kernel.request("inspect", "no_such_thing", 3)["found"] is False
    assert kernel.request("inspect", "1 + 2", 2)["found"] is False


def test_is_complete(kernel):
    assert kernel.request("is_complete", "theorem t : 1 = 1 := by") == {"status": "incomplete", "indent": "  "}
    assert kernel.request("is_complete", "def f := 37") == {"status": "complete"}
    assert kernel.request("is_complete", "def f := 1)")["status"] == "invalid"
