"""jupyter_kernel_test against the INSTALLED kernelspec, with a stand-in REPL.

install_kernel.py --prefix writes the kernelspec (with the stand-in's settings passed as
--env) into a temp folder; JUPYTER_PATH points there, so jupyter_client starts the kernel
exactly as JupyterLab would.

The stand-in answers only recorded (env, command) pairs, while the kernel chains every
cell on the previous one. So every test starts from a fresh env (``setUp`` runs
``%reset``), and the history samples begin with ``%reset`` because they run several times
in one test. Every sample is a recorded v4.33.0-rc2 request sent on a fresh env:
``#print List.cons`` (options.in) and ``def f : Nat := by apply Nat.succ`` (incomplete.in).
"""

from __future__ import annotations

import os

import jupyter_kernel_test
import pytest

from .conftest import install_kernelspec


@pytest.fixture(scope="module", autouse=True)
def installed_lean4(tmp_path_factory, standin_env):
    jupyter_path = install_kernelspec(tmp_path_factory.mktemp("prefix"), standin_env())
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = jupyter_path
    yield jupyter_path
    if old is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = old


class TestLean4Kernel(jupyter_kernel_test.KernelTests):
    kernel_name = "lean4"
    language_name = "lean4"
    file_extension = ".lean"

    code_display_data = [
        {"code": "#print List.cons", "mime": "text/html"},
        {"code": "%reset\n#print List.cons", "mime": "text/plain"},
    ]
    # Only an error: the test wants exactly one output message, the `error` (recorded
    # answer: "unsolved goals ⊢ Nat").
    code_generate_error = "def f : Nat := by apply Nat.succ"

    # Lean output is display_data (so a stale cell's output can be updated in place), never
    # execute_result: these samples serve the history test; test_execute_result is replaced.
    code_execute_result = [{"code": "%reset\n#print List.cons"}, {"code": "%timeout"}]
    code_history_pattern = "%reset*List.cons"
    supported_history_operations = ("tail", "range", "search")

    completion_samples = [
        {"text": "theo", "matches": ["theorem"]},
        {"text": "intr", "matches": ["intro", "intros"]},
        {"text": "%wid", "matches": ["%widget"]},
        {"text": "#pri", "matches": ["#print"]},
    ]
    code_inspect_sample = "List.cons"

    complete_code_samples = ["def f := 37", "#print List.cons", "theorem t : 1 = 1 := by\n  rfl\n", "%env"]
    incomplete_code_samples = [
        "theorem t : 1 = 1 := by",
        "def f :=",
        "structure P where",
        "def g := (1 +",
        "/- an unclosed comment",
        "example : True := by\n  trivial",
    ]
    invalid_code_samples = ["def f := (1 + 2))"]

    def setUp(self) -> None:
        self.flush_channels()
        reply, _ = self.execute_helper("%reset")
        assert reply["content"]["status"] == "ok"

    def test_execute_result(self) -> None:
        # Replaces the base test (see code_execute_result): each sample shows display_data.
        for sample in self.code_execute_result:
            self.flush_channels()
            reply, outputs = self.execute_helper(sample["code"])
            self.assertEqual(reply["content"]["status"], "ok")
            self.assertIn("display_data", [m["msg_type"] for m in outputs])

    def test_error_content(self) -> None:
        self.flush_channels()
        reply, outputs = self.execute_helper(self.code_generate_error)
        self.assertEqual(reply["content"]["ename"], "LeanError")
        self.assertIn("unsolved goals", reply["content"]["evalue"])
        self.assertIn("⊢ Nat", "\n".join(outputs[0]["content"]["traceback"]))

    def test_inspect_content(self) -> None:
        self.flush_channels()
        msg_id = self.kc.inspect("List.cons", 4)
        reply = self.get_non_kernel_info_reply(timeout=15)
        assert reply is not None and reply["parent_header"]["msg_id"] == msg_id
        self.assertIn("List.cons.{u} : {α : Type u} → α → List α → List α", reply["content"]["data"]["text/plain"])

    def test_kernel_info_no_debugger(self) -> None:
        self.flush_channels()
        self.kc.kernel_info()
        reply = self.kc.get_shell_msg(timeout=15)
        content = reply["content"]
        self.assertNotIn("debugger", content.get("supported_features", []))
        self.assertEqual(content["language_info"]["pygments_lexer"], "lean4")
        self.assertEqual(content["implementation"], "lean_kernel")
