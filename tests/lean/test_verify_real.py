"""verify() and the pool against a real Lean REPL: every case of tests/verify, with the
same statements and candidates, must come out with the same reasons. (The stand-in's
--crash-on case has no real-Lean counterpart: a real REPL cannot be made to crash on
demand; the timeout case uses the `sleep` tactic instead of --hang-on.)

Skipped unless LEAN_REPL_PATH or LEAN_PROJECT is set (see conftest.py); the Mathlib case
also needs LEAN_TEST_MATHLIB=1. Nothing here is scripted: the cases are the ones whose
answers tests/verify replays from tests/fixtures/scripted/verify_*, taken from
tests/verify/verify_transcripts.py so the two suites cannot drift apart. Only reasons
are compared, never the wording of Lean's messages.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "verify"))

from lean_magic.pool import LeanPool
from lean_magic.verify import verify
from verify_transcripts import CASES, STATEMENTS, UNSCRIPTED_CANDIDATES

from lean_kernel.session import LeanSession

pytestmark = pytest.mark.lean

SLOW = 300.0  # the first command of a process loads the prelude (and lake may start first)


@pytest.fixture(scope="module")
def real_session():
    from lean_kernel.config import ReplConfig

    session = LeanSession(ReplConfig.from_env(timeout=SLOW))
    yield session
    session.close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_has_the_same_reasons_on_real_lean(real_session, case):
    result = verify(real_session, STATEMENTS[case.statement].text, case.candidate, **case.options)
    assert set(result.reasons) == set(case.expect), result.summary()
    assert result.okay is (not case.expect)


def test_native_decide_accepted_when_allowed(real_session):
    case = next(c for c in CASES if c.name == "verify_native_decide")
    result = verify(real_session, STATEMENTS[case.statement].text, case.candidate, allow_native_decide=True)
    assert result.okay, result.summary()


def test_extra_import_rejected(real_session):
    result = verify(real_session, STATEMENTS["add_zero"].text, UNSCRIPTED_CANDIDATES["extra_import"])
    assert result.reasons == ["extra_import"]


def test_unsupported_statement_rejected(real_session):
    result = verify(real_session, "example : 1 = 1 := sorry", "example : 1 = 1 := rfl")
    assert result.reasons == ["statement_error"]


def test_timeout_is_reported_and_the_session_recovers(real_session):
    slow = "theorem foo (n : Nat) : n + 0 = n := by\n  sleep 60000\n  rfl"
    result = verify(real_session, STATEMENTS["add_zero"].text, slow, timeout=20)
    assert result.reasons == ["timeout"]
    again = verify(real_session, STATEMENTS["add_zero"].text, "theorem foo (n : Nat) : n + 0 = n := rfl")
    assert again.okay, again.summary()


def test_pool_verifies_all_cases_in_order():
    from lean_kernel.config import ReplConfig

    pairs = [(STATEMENTS[c.statement].text, c.candidate) for c in CASES]
    with LeanPool(ReplConfig.from_env(timeout=SLOW), workers=2) as pool:
        results = pool.verify_many(pairs, progress=False, permitted_sorries=["helper"])
    for case, result in zip(CASES, results):
        assert set(result.reasons) == set(case.expect), (case.name, result.summary())


@pytest.mark.skipif(
    os.environ.get("LEAN_TEST_MATHLIB") != "1", reason="set LEAN_TEST_MATHLIB=1 to run the Mathlib case"
)
def test_mathlib_statement(real_session):
    statement = "import Mathlib\nopen Real\n\ntheorem amgm2 (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n  sorry"
    honest = "import Mathlib\nopen Real\n\ntheorem amgm2 (x y : ℝ) : 2 * x * y ≤ x ^ 2 + y ^ 2 := by\n  nlinarith [sq_nonneg (x - y)]"
    weaker = "import Mathlib\nopen Real\n\ntheorem amgm2 (a b : ℝ) (h : 0 ≤ a) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n  nlinarith [sq_nonneg (a - b)]"
    assert verify(real_session, statement, honest).okay
    assert verify(real_session, statement, weaker).reasons == ["type_mismatch"]
    # Without imports, the candidate runs on the statement's.
    bare = honest.split("\n", 1)[1]
    assert verify(real_session, statement, bare).okay
    # With Mathlib, Lean.Elab.Tactic is loaded: the attribute really replaces `decide`
    # (on Init alone, verify_tactic_attribute does not even compile).
    evil = honest.replace(
        "theorem amgm2",
        "open Lean Elab Tactic in\n@[tactic Lean.Parser.Tactic.decide] def evilDecide : Tactic := fun _ => pure ()\n\ntheorem amgm2",
    )
    assert verify(real_session, statement, evil).reasons == ["metaprogramming"]


# --------------------------------------------------------------------------- issue 9: what the scripted answers assume


def test_first_verification_runs_the_self_check_and_fills_the_receipt(real_session):
    # On a real Lean every control must behave, or nothing here can pass.
    result = verify(real_session, STATEMENTS["add_zero"].text, "theorem foo (n : Nat) : n + 0 = n := rfl")
    assert result.okay, result.summary()
    receipt = result.to_dict()["receipt"]
    assert receipt["lean_version"] and receipt["lean_version"][0].isdigit()  # Lean.versionString, quotes dropped
    assert all(state in ("passed", "not_applicable") for state in receipt["checks"].values()), receipt


@pytest.mark.parametrize(
    "candidate",
    [
        "theorem two_add_two : 2 + 2 = 4 := by\n  native_decide",
        "theorem two_add_two : 2 + 2 = 4 := by\n  decide +native",
    ],
)
def test_native_evaluation_either_encoding(real_session, candidate):
    # Before v4.29: Lean.ofReduceBool; from v4.29: two_add_two._native.native_decide.ax_1_1.
    statement = STATEMENTS["two_add_two"].text
    plain = verify(real_session, statement, candidate)
    if plain.reasons == ["compile_error"]:
        pytest.skip("`decide +native` needs a newer Lean: " + plain.summary())
    assert plain.reasons == ["disallowed_axiom"], plain.summary()
    assert verify(real_session, statement, candidate, allow_native_decide=True).okay


def test_bv_decide_either_encoding(real_session):
    statement = "import Std.Tactic.BVDecide\ntheorem bv (x : BitVec 4) : x + 0 = x := by\n  sorry"
    candidate = "import Std.Tactic.BVDecide\ntheorem bv (x : BitVec 4) : x + 0 = x := by\n  bv_decide"
    plain = verify(real_session, statement, candidate)
    if "statement_error" in plain.reasons or "repl_failure" in plain.reasons:
        pytest.skip("no bv_decide in this Lean: " + plain.summary())
    assert plain.reasons == ["disallowed_axiom"], plain.summary()
    assert verify(real_session, statement, candidate, allow_native_decide=True).okay


def test_import_line_comment_and_same_line_command(real_session):
    statement = "import Init\ntheorem foo (n : Nat) : n + 0 = n := by\n  sorry"
    assert verify(real_session, statement, "import Init -- the core\ntheorem foo (n : Nat) : n + 0 = n := rfl").okay
    # `import Init open Nat` imports Init, then runs `open Nat` (an allowed command).
    assert verify(real_session, statement, "import Init open Nat\ntheorem foo (n : Nat) : n + 0 = n := rfl").okay


def test_a_misbehaving_control_fails_every_verdict(monkeypatch):
    # Real Lean behaves; a control that expects the wrong thing stands in for a Lean that
    # does not. A fresh process, so the outcome of the module's session does not apply.
    from lean_magic.verify import lean_checks

    from lean_kernel.config import ReplConfig

    wrong = lean_checks.Control("honest proof, expected rejected", lean_checks.CONTROLS[0].candidate, "sorry")
    monkeypatch.setattr(lean_checks, "CONTROLS", (wrong, *lean_checks.CONTROLS[1:]))
    import lean_magic.verify.core as core

    monkeypatch.setattr(core, "CONTROLS", lean_checks.CONTROLS)
    with LeanSession(ReplConfig.from_env(timeout=SLOW)) as session:
        for _ in range(2):
            result = verify(session, STATEMENTS["add_zero"].text, "theorem foo (n : Nat) : n + 0 = n := rfl")
            assert result.reasons == ["verifier_self_check_failed"], result.summary()


ADVERSARIAL_TAIL = "\ntheorem foo (n : Nat) : n + 0 = n := rfl"


def test_lexer_adversarial_inputs_are_rejected_by_real_lean(real_session):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "text"))
    from test_lean_text import ADVERSARIAL, _text

    for name, hidden, template in ADVERSARIAL:
        result = verify(real_session, STATEMENTS["add_zero"].text, _text(template, hidden) + ADVERSARIAL_TAIL)
        assert not result.okay, (name, result.summary())


def test_multi_line_tactics_on_real_lean():
    # One tactic over several lines is sent as written; a sequence is grouped.
    from lean_kernel.config import ReplConfig

    with LeanSession(ReplConfig.from_env(timeout=SLOW)) as session:
        cell = session.run_cell("theorem t (x : Nat) (p : Prop) (h : p) : p ∧ x = x := by sorry")
        state = cell.sorries[0].proof_state
        one = session.run_tactic("constructor\n<;> first\n  | exact h\n  | rfl", proof_state=state)
        assert one.ok and one.tactic is not None and one.tactic.goals == [], one
        seq = session.run_tactic("constructor\n· exact h\n· rfl", proof_state=state)
        assert seq.ok and seq.tactic is not None and seq.tactic.goals == [], seq


@pytest.mark.skipif(
    os.environ.get("LEAN_TEST_MATHLIB") != "1", reason="set LEAN_TEST_MATHLIB=1 to run the Mathlib case"
)
def test_mathlib_lemma_macro_and_commented_import(real_session):
    statement = "import Mathlib\ntheorem amgm2 (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n  sorry"
    candidate = "import Mathlib -- reals\nlemma aux (x y : ℝ) : 0 ≤ (x - y) ^ 2 := sq_nonneg _\ntheorem amgm2 (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n  nlinarith [aux a b]"
    result = verify(real_session, statement, candidate)
    assert result.okay, result.summary()  # Mathlib's `lemma` macro expands to an allowed theorem
    classical = "import Mathlib\nopen Classical\ntheorem amgm2 (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n  nlinarith [sq_nonneg (a - b)]"
    assert verify(real_session, statement, classical).okay
