"""The kernel on a REAL Lean REPL (marker ``lean``): skipped unless LEAN_REPL_PATH or
LEAN_PROJECT is set. These check what the stand-in cannot answer: ``#eval``, the
completion query's meta code after ``import Lean``, and inspection of library names."""

from __future__ import annotations

import os

import pytest

from .conftest import KernelHarness

pytestmark = [
    pytest.mark.lean,
    pytest.mark.skipif(
        not (os.environ.get("LEAN_REPL_PATH") or os.environ.get("LEAN_PROJECT")),
        reason="no real Lean REPL configured: set LEAN_REPL_PATH or LEAN_PROJECT",
    ),
]


@pytest.fixture(scope="module")
def kernel(base_kernelspec):
    k = KernelHarness(base_kernelspec, {})  # the LEAN_* variables of this environment
    yield k
    k.close()


def test_eval_and_chaining(kernel):
    first = kernel.run("#eval 2 + 2", timeout=300)
    assert first.status == "ok", first.text
    assert "4" in first.displays[-1]["data"]["text/plain"].splitlines()
    assert kernel.run("def double (n : Nat) := 2 * n", "d").status == "ok"
    assert "42" in kernel.run("#eval double 21").text
    assert kernel.run("def double (n : Nat) := n + n", "d").status == "ok"  # a re-run replaces it


def test_error_and_sorry(kernel):
    err = kernel.run("example : 1 = 2 := rfl")
    assert err.status == "error" and err.reply["content"]["ename"] == "LeanError"
    sorry = kernel.run("theorem t (p : Prop) (hp : p) : p ∧ p := by sorry")
    assert sorry.status == "ok" and "⊢ p ∧ p" in sorry.text
    step = kernel.run("%proofstate\nexact ⟨hp, hp⟩")
    assert step.status == "ok" and "Completed" in step.text


def test_completion_of_constants_after_import_lean(kernel):
    assert kernel.run("import Lean", timeout=300).status == "ok"
    reply = kernel.request("complete", "#check Nat.su", 13, timeout=120)
    assert "Nat.succ" in reply["matches"] and "Nat.sub" in reply["matches"]


def test_inspect_library_name(kernel):
    reply = kernel.request("inspect", "#check Nat.succ", 12, timeout=120)
    assert reply["found"] and "Nat.succ" in reply["data"]["text/plain"]
