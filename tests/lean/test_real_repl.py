"""ReplProcess against a real Lean REPL: what a Lean user relies on first.

Skipped unless LEAN_REPL_PATH or LEAN_PROJECT is set (see conftest.py). Requests are
written for any Lean 4 version the REPL supports (v4.8 onwards); wording of messages is
never compared, only severities, ids and values.
"""

from __future__ import annotations

import os

import pytest

from lean_kernel.process import ReplExited
from lean_kernel.protocol import CommandRequest, CommandResponse, TacticRequest, TacticResponse

pytestmark = pytest.mark.lean

# Generous: the first command of a process loads the prelude (and lake may start first).
SLOW = 300.0


def infos(resp: CommandResponse) -> list[str]:
    return [m.data.strip() for m in resp.messages if m.severity == "info"]


def errors(resp) -> list[str]:
    return [m.data for m in resp.messages if m.severity == "error"]


def test_eval_prints_four(lean_repl):
    resp = lean_repl.request(CommandRequest("#eval 2+2"), timeout=SLOW)
    assert isinstance(resp, CommandResponse), resp
    assert resp.env == 0, "the first env of a fresh process is 0"
    assert errors(resp) == []
    assert infos(resp) == ["4"]


def test_env_chaining_sees_earlier_definitions(lean_repl):
    first = lean_repl.request(CommandRequest("def leanKernelTestValue : Nat := 37"), timeout=SLOW)
    assert isinstance(first, CommandResponse) and errors(first) == []
    second = lean_repl.request(CommandRequest("#eval leanKernelTestValue + 5", env=first.env), timeout=SLOW)
    assert isinstance(second, CommandResponse)
    assert errors(second) == []
    assert infos(second) == ["42"]
    assert second.env == first.env + 1, "every non-error command takes the next env id"
    # Without the env the definition is unknown: chaining really did the work.
    fresh = lean_repl.request(CommandRequest("#eval leanKernelTestValue + 5"), timeout=SLOW)
    assert isinstance(fresh, CommandResponse)
    assert errors(fresh), "a fresh env must not know the definition"


def test_sorry_then_tactic_step_completes_the_proof(lean_repl):
    cmd = lean_repl.request(CommandRequest("theorem leanKernelAddZero (n : Nat) : n + 0 = n := by sorry"), timeout=SLOW)
    assert isinstance(cmd, CommandResponse)
    assert [m.severity for m in cmd.messages] == ["warning"], "only 'declaration uses sorry'"
    assert len(cmd.sorries) == 1
    sorry = cmd.sorries[0]
    assert sorry.proof_state is not None
    assert "n + 0 = n" in sorry.goal

    step = lean_repl.request(TacticRequest("simp", sorry.proof_state), timeout=SLOW)
    assert isinstance(step, TacticResponse), step
    assert step.goals == []
    assert step.errors == []
    if step.proof_status is not None:  # v4.19 onwards
        assert step.proof_status == "Completed"
    assert step.completed


def test_unfinished_tactic_step_keeps_the_goal(lean_repl):
    cmd = lean_repl.request(
        CommandRequest("theorem leanKernelAnd (p q : Prop) (hp : p) (hq : q) : p ∧ q := by sorry"), timeout=SLOW
    )
    assert isinstance(cmd, CommandResponse) and len(cmd.sorries) == 1
    step = lean_repl.request(TacticRequest("constructor", cmd.sorries[0].proof_state), timeout=SLOW)
    assert isinstance(step, TacticResponse)
    assert len(step.goals) == 2
    assert not step.completed
    done = lean_repl.request(TacticRequest("(exact hp; exact hq)", step.proof_state), timeout=SLOW)
    assert isinstance(done, TacticResponse)
    assert done.goals == [] and done.completed


def test_import_lean_then_use_it(lean_repl):
    header = lean_repl.request(CommandRequest("import Lean"), timeout=SLOW)
    assert isinstance(header, CommandResponse)
    assert errors(header) == [], "import Lean must succeed in any REPL setup"
    use = lean_repl.request(
        CommandRequest('open Lean in\n#eval (Name.mkSimple "leanKernel").toString', env=header.env), timeout=SLOW
    )
    assert isinstance(use, CommandResponse)
    assert errors(use) == []
    assert any("leanKernel" in text for text in infos(use))


@pytest.mark.skipif(
    os.environ.get("LEAN_TEST_MATHLIB") != "1", reason="set LEAN_TEST_MATHLIB=1 (and LEAN_PROJECT to a Mathlib project)"
)
def test_import_mathlib_and_norm_num(lean_repl):
    header = lean_repl.request(CommandRequest("import Mathlib"), timeout=1800)
    assert isinstance(header, CommandResponse)
    assert errors(header) == [], errors(header)
    proof = lean_repl.request(CommandRequest("example : (2 : ℝ) + 2 = 4 := by norm_num", env=header.env), timeout=SLOW)
    assert isinstance(proof, CommandResponse)
    assert proof.messages == [], proof.messages


def test_malformed_request_kills_and_the_client_recovers(lean_repl):
    warm = lean_repl.request(CommandRequest("#eval 2+2"), timeout=SLOW)
    assert isinstance(warm, CommandResponse)
    generation = lean_repl.generation
    # A wrong field type is fatal to the REPL: "uncaught exception" on stderr, exit 1.
    with pytest.raises(ReplExited) as info:
        lean_repl.request_json({"cmd": "#eval 1", "env": "not a number"}, timeout=SLOW)
    failure = info.value
    assert failure.returncode == 1
    assert "uncaught exception" in failure.stderr_tail
    assert "exited with code 1" in str(failure)
    assert failure.restarted and lean_repl.generation == generation + 1
    again = lean_repl.request(CommandRequest("#eval 2+2"), timeout=SLOW)
    assert isinstance(again, CommandResponse)
    assert again.env == 0, "a restarted REPL counts envs from 0 again"
    assert infos(again) == ["4"]
