"""LeanChecker / LeanResult against the stand-in REPL replaying real recordings
(v4.33.0-rc2 unless a test says otherwise)."""

from __future__ import annotations

import json

import pytest
from lean_magic import LeanChecker, LeanError, LeanMessage, LeanResult, LeanSorry

from lean_kernel.config import ReplConfig
from lean_kernel.render import RESULT_MIME_TYPE


@pytest.fixture
def checker(standin_config):
    with LeanChecker(standin_config()) as c:
        yield c


def test_error_fields(checker):
    # recording: unfinished_tactic_block
    r = checker.run("def f : Nat := by")
    assert isinstance(r, LeanResult) and not r.ok
    (err,) = r.errors
    assert isinstance(err, LeanMessage)
    assert (err.severity, err.line, err.column, err.end_line, err.end_column) == ("error", 1, 15, 1, 17)
    assert err.text == "unsolved goals\n⊢ Nat"
    assert r.warnings == [] and r.infos == [] and r.sorries == []
    assert r.env == 0  # the REPL made an env, but a failed cell commits nothing:
    assert checker.env is None
    data = json.loads(json.dumps(r.to_dict()))
    assert data["ok"] is False and data["env"] == 0
    assert data["messages"][0]["data"] == "unsolved goals\n⊢ Nat"
    with pytest.raises(LeanError) as info:
        r.raise_for_errors()
    assert info.value.result is r
    assert info.value.errors[0].text == "unsolved goals\n⊢ Nat"
    assert "1:15-1:17: error: unsolved goals" in str(info.value)
    assert repr(r).startswith("<LeanResult FAILED · env 0 · 1 error")


def test_sorry_then_tactic_steps(checker):
    # recording: readme (a sorry, then two tactic steps on its proof state)
    r = checker.run("def f (x : Unit) : Nat := by sorry")
    assert r.ok
    (s,) = r.sorries
    assert isinstance(s, LeanSorry)
    assert (s.goal, s.proof_state, s.line, s.column, s.end_line, s.end_column) == ("x : Unit\n⊢ Nat", 0, 1, 29, 1, 34)
    assert "sorry" in r.warnings[0].text and r.warnings[0].line == 1
    assert r.raise_for_errors() is r  # sorries are allowed by default ...
    with pytest.raises(LeanError, match="uses sorry"):
        r.raise_for_errors(allow_sorry=False)  # ... unless the caller forbids them

    step = checker.tactic(r, "apply Int.natAbs")  # a result: continue its last sorry
    assert step.kind == "tactic" and step.ok
    assert step.proof_state_before == 0
    assert step.goals == ["x : Unit\n⊢ Int"]
    assert step.proof_status == "Incomplete: open goals remain"
    assert step.proof_state == 1

    done = checker.tactic(step, "exact -37")
    assert done.ok and done.proof_status == "Completed" and done.goals == []
    assert "Completed" in repr(done)

    again = checker.tactic(s, "apply Int.natAbs")  # a Sorry works too (a branch from state 0)
    assert again.goals == ["x : Unit\n⊢ Int"] and again.proof_state_before == 0


def test_tactic_refused_by_the_repl(checker):
    # recording: unknown_tactic
    r = checker.run("def f : Nat := by sorry")
    step = checker.tactic(0, "exat 42")
    assert not step.ok
    assert step.repl_error == "Lean error:\n<input>:1:1: unknown tactic"
    with pytest.raises(LeanError, match="refused the request: Lean error"):
        step.raise_for_errors()
    assert r.sorries[0].proof_state == 0


def test_runs_chain_envs(checker):
    # recording: def_eval (`def f := 37`, then `#check` on its env)
    first = checker.run("def f := 37")
    second = checker.run("#check (rfl : f = 37)")
    assert second.env_before == first.env == 0
    assert [m.text for m in second.infos] == ["rfl : f = f"]
    assert checker.env == second.env == 1
    on_first = checker.run("#check (rfl : f = 37)", env=first.env)
    assert on_first.env_before == 0 and on_first.ok
    fresh = checker.run("def f := 37", fresh=True)
    assert fresh.env_before is None and fresh.ok


def test_axioms_of_declarations(checker):
    # scripted transcript: tests/fixtures/scripted/magic_axioms (`#print axioms` answers)
    r = checker.run("theorem magic_two : 1 + 1 = 2 := rfl", axioms=True)
    assert r.axioms == {"magic_two": []}
    em = checker.run("theorem magic_em (p : Prop) : p ∨ ¬p := Classical.em p", axioms=True)
    assert em.env_before == r.env  # the axiom queries committed nothing
    assert em.axioms == {"magic_em": ["propext", "Classical.choice", "Quot.sound"]}
    assert em.to_dict()["axioms"] == {"magic_em": ["propext", "Classical.choice", "Quot.sound"]}
    assert "depends on axioms: [propext" in em._repr_mimebundle_()["text/plain"]
    assert checker.run("theorem magic_two : 1 + 1 = 2 := rfl", fresh=True).axioms is None  # not asked


def test_axioms_of_a_declaration_in_a_namespace(checker):
    # scripted transcript: tests/fixtures/scripted/magic_axioms_namespace. `theorem
    # magic_three` inside `namespace MagicSpace` is `MagicSpace.magic_three`: asked by its
    # short name, `#print axioms` would not find it once the namespace is closed.
    code = "namespace MagicSpace\ntheorem magic_three : 1 + 2 = 3 := rfl\nend MagicSpace"
    r = checker.run(code, axioms=True)
    assert r.ok
    assert r.axioms == {"MagicSpace.magic_three": []}


def test_rich_display(checker):
    # recording: unfinished_tactic_block
    r = checker.run("def f : Nat := by")
    bundle = r._repr_mimebundle_()
    assert "unsolved goals" in bundle["text/html"] and "unsolved goals" in bundle["text/plain"]
    # JupyterLab would show application/json as a JSON tree instead of the HTML (tests/browser).
    assert "application/json" not in bundle
    assert bundle[RESULT_MIME_TYPE]["ok"] is False  # the raw result, under a type frontends skip
    assert set(r._repr_mimebundle_(include={"text/plain"})) == {"text/plain"}
    # a silent success still has a plain-text form (a saved notebook shows something)
    ok = checker.run("def f := 37", fresh=True)
    assert ok._repr_mimebundle_()["text/plain"].startswith("<LeanResult ok · env")


def test_widget_from_all_tactics(checker):
    # recording: all_tactics
    r = checker.run("def f : Nat := by have t := 37; exact t", all_tactics=True)
    assert [t.tactic for t in r.response.tactics] == ["have t := 37", "exact t"]
    w = r.widget()
    assert len(w.steps) == 2
    assert "exact t" in w._repr_mimebundle_()["text/plain"]


def test_bad_input_names_the_fix_and_the_checker_stays_usable(checker):
    with pytest.raises(TypeError, match="Lean source text"):
        checker.run(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="contradict"):
        checker.run("def f := 37", fresh=True, env=0)
    with pytest.raises(ValueError, match="env id"):
        checker.run("def f := 37", env=-1)
    plain = checker.run("def f := 37")
    with pytest.raises(ValueError, match="no proof state to continue"):
        checker.tactic(plain, "simp")
    with pytest.raises(TypeError, match="proof state id"):
        checker.tactic("0", "simp")  # type: ignore[arg-type]
    assert checker.run("#check (rfl : f = 37)").ok


def test_unconfigured_checker_reports_the_fix():
    with LeanChecker(ReplConfig()) as c:
        r = c.run("#eval 2+2")
        assert not r.ok and r.failure_kind == "ReplNotFound"
        assert "LEAN_REPL_PATH" in r.failure
        with pytest.raises(LeanError, match="LEAN_REPL_PATH"):
            r.raise_for_errors()


def test_close_ends_the_process(standin_config):
    with LeanChecker(standin_config()) as c:
        c.run("def f := 37")
        proc = c.session.process
        assert proc.alive
    assert not proc.alive
    assert c.env is None  # a closed checker starts over (new process) if used again
    assert c.run("def f := 37").env == 0
    c.close()


def test_ctrl_c_stops_python_and_the_checker_recovers(standin_config):
    import os
    import signal
    import threading

    with LeanChecker(standin_config("--hang-on", "HANG")) as c:
        # recording: def_eval; the hang is a stand-in fault
        c.run("def f := 37")
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt, match="restarted and replayed 1 cell"):
                c.run("#eval 1 -- HANG")
        finally:
            timer.cancel()
        assert c.run("#check (rfl : f = 37)").infos[0].text == "rfl : f = f"


def test_check_many_and_verification_delegate(checker):
    # recordings: def_eval, unfinished_tactic_block, readme
    codes = ["def f := 37", "def f : Nat := by", "def f (x : Unit) : Nat := by sorry"]
    results = checker.check_many(codes, workers=2, progress=False)
    assert all(isinstance(r, LeanResult) for r in results)
    assert [r.code for r in results] == codes  # input order
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].errors[0].text == "unsolved goals\n⊢ Nat" and results[2].sorries[0].goal == "x : Unit\n⊢ Nat"
    assert checker.env is None  # nothing committed to the checker's own chain

    # scripted transcripts (H-verify): tests/fixtures/scripted/verify_ok_rfl, verify_sorry
    statement = "theorem foo (n : Nat) : n + 0 = n := by\n  sorry"
    good = "theorem foo (n : Nat) : n + 0 = n := rfl"
    cheat = "theorem foo (n : Nat) : n + 0 = n := by\n  sorry"
    assert checker.verify(statement, good).okay
    verdicts = checker.verify_many(statement, [good, cheat], workers=2, progress=False)
    assert [v.okay for v in verdicts] == [True, False] and "sorry" in verdicts[1].reasons
    assert checker.env is None


def test_negative_proof_state_is_refused_before_it_reaches_the_repl(checker):
    # The real REPL dies on `"proofState": -1` (no request shape fits: uncaught exception,
    # exit 1), which would cost a restart and a replay of every cell. The stand-in does too.
    r = checker.run("def f (x : Unit) : Nat := by sorry")  # recording: readme
    generation = checker.session.process.generation
    with pytest.raises(ValueError, match="proof state id"):
        checker.tactic(-1, "apply Int.natAbs")
    assert checker.session.process.generation == generation
    assert checker.tactic(r, "apply Int.natAbs").goals == ["x : Unit\n⊢ Int"]
