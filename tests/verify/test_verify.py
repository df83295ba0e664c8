"""verify() end to end through a stand-in REPL: one test per check and per cheat.

Scripted responses: the recordings never ran the verifier's requests, so every Lean
answer in this file comes from a scripted transcript in tests/fixtures/scripted, written
by hand in tests/verify/verify_transcripts.py (see its docstring) and replayed by the
stand-in next to the v4.33.0-rc2 recordings. A verification sends three requests (the
statement probe, the candidate, the checks); the file that answers them is named in each
test:

    verify_ok_rfl, verify_ok_renamed_binder, verify_ok_answer, verify_ok_permitted_sorry,
    verify_native_decide, verify_statement_error, verify_compile_error,
    verify_missing_declaration, verify_kind_mismatch, verify_type_mismatch,
    verify_value_mismatch, verify_sorry, verify_sorryax, verify_new_axiom,
    verify_implemented_by, verify_extern, verify_skip_kernel, verify_open_private,
    verify_metaprogramming, verify_redefined_name, verify_statement_changed,
    verify_ok_universe, verify_native_reduction, verify_guard_msgs, verify_quoted_option,
    verify_tactic_attribute, verify_permitted_where, verify_notation_clash

The timeout and crash tests use the statement probe of the verify_ok_rfl family (all the
add_zero transcripts answer it alike) and a stand-in fault for the candidate. The
extra_import and unsupported-statement tests send nothing. tests/lean/test_verify_real.py
runs every case here against a real REPL.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from lean_magic.verify import DEFAULT_ALLOWED_AXIOMS, REASONS, VerificationResult, verify
from verify_transcripts import CASES, SCRIPTED, STATEMENTS, UNSCRIPTED_CANDIDATES, transcript_for

from lean_kernel.protocol import Message

CASE = {c.name: c for c in CASES}


def run_case(standin_session, name: str, **options) -> VerificationResult:
    case = CASE[name]
    session = standin_session()
    result = verify(session, STATEMENTS[case.statement].text, case.candidate, **{**case.options, **options})
    assert result.reasons == case.expect or set(result.reasons) == set(case.expect), result.summary()
    assert result.okay is (not case.expect)
    # Nothing a verification does is committed to the session.
    assert session.current_env is None and session.cells == []
    return result


# --------------------------------------------------------------------------- accepted


def test_accepts_honest_proof(standin_session):
    # Scripted: verify_ok_rfl answers the statement probe, the candidate and the checks.
    r = run_case(standin_session, "verify_ok_rfl")
    assert r.tool_messages == [] and r.failed_declarations == []
    assert r.declarations == ["foo"] and r.axioms == {"foo": []}
    assert set(r.timings) == {"scan", "statement", "self_check", "candidate", "checks", "total"}
    data = json.loads(json.dumps(r.to_dict()))
    assert data["okay"] is True
    # The receipt: every check ran and passed (values: no definition to compare).
    receipt = data["receipt"]
    assert receipt["checks"] == {
        "scan": "passed",
        "command_allowlist": "passed",
        "types": "passed",
        "values": "not_applicable",
        "sorries": "passed",
        "axioms": "passed",
        "self_check": "passed",
    }
    assert receipt["lean_version"] == "4.33.0-rc2"  # asked from Lean (scripted: verify_self_check)
    assert receipt["statement_sha256"] == hashlib.sha256(STATEMENTS["add_zero"].text.encode()).hexdigest()
    assert receipt["candidate_sha256"] == hashlib.sha256(CASE["verify_ok_rfl"].candidate.encode()).hexdigest()
    assert receipt["axioms"] == {"foo": []} and receipt["header"] == ""
    # The candidate's infotree was read and dropped: results stay small.
    assert r.candidate is not None and r.candidate.command.infotree is None


def test_accepts_renamed_binder_and_allowed_axiom(standin_session):
    # Scripted: verify_ok_renamed_binder (the candidate says `m` where the statement says `n`).
    r = run_case(standin_session, "verify_ok_renamed_binder")
    assert r.axioms == {"foo": ["propext"]}


def test_accepts_filled_in_answer(standin_session):
    # Scripted: verify_ok_answer (`abbrev answer : Nat := sorry` is the candidate's to fill).
    r = run_case(standin_session, "verify_ok_answer")
    assert r.declarations == ["answer", "answer_spec"]


def test_accepts_universe_polymorphic_candidate(standin_session):
    # Scripted: verify_ok_universe (statement and candidate both say `universe u`; the
    # candidate names its binder β). What matters is what is sent: the copy declares
    # `u__stmt`, and the type check is a def over our own universe name.
    r = run_case(standin_session, "verify_ok_universe")
    assert r.declarations == ["self_eq"] and r.axioms == {"self_eq": []}
    # The .in file is what verify() sends (test_verify_scripted_files_are_current).
    checks = (SCRIPTED / "verify_ok_universe.in").read_text(encoding="utf-8").split("\n\n")[2]
    assert "universe u__stmt" in checks and "universe u\\n" not in checks
    assert "noncomputable def _root_.stmt__verify_type_1.{u__verify_1}" in checks


def test_accepts_sorry_in_permitted_declaration(standin_session):
    # Scripted: verify_ok_permitted_sorry (helper keeps its sorry; main_thm uses helper).
    r = run_case(standin_session, "verify_ok_permitted_sorry")
    assert r.axioms == {"main_thm": ["sorryAx"]}  # excused: its only sorry is in helper
    assert [m.data for m in r.lean_messages] == ["declaration uses `sorry`"]
    assert all(isinstance(m, Message) for m in r.lean_messages)


def test_permitted_sorry_does_not_cover_where_constants(standin_session):
    # Scripted: verify_permitted_where (helper's `where cheat : False := sorry` is the
    # constant helper.cheat, and main_thm is `helper.cheat.elim`).
    r = run_case(standin_session, "verify_permitted_where")
    assert "`where`" in r.tool_messages[0].message
    assert r.failed_declarations == ["helper", "main_thm"]


def test_permitted_sorry_warning_must_be_on_the_declaration_name():
    # No REPL: _check_sorries on a constructed answer. `irreducible_def` (Mathlib) is not
    # a command the scan knows, so its line falls inside helper's text; Lean's sorry
    # warning on `cheat` (not on `helper`) is what shows it is another declaration.
    from lean_magic.verify import judge_sorries as _check_sorries

    from lean_kernel.protocol import parse_response

    candidate = "theorem helper (n : Nat) : n + 0 = n := by\n  sorry\nirreducible_def cheat : False := sorry\ntheorem main_thm : 1 = 1 := rfl"
    warning = "declaration uses `sorry`"
    answer = parse_response(
        {
            "env": 0,
            "messages": [
                {
                    "severity": "warning",
                    "pos": {"line": 1, "column": 8},
                    "endPos": {"line": 1, "column": 14},
                    "data": warning,
                },
                {
                    "severity": "warning",
                    "pos": {"line": 3, "column": 16},
                    "endPos": {"line": 3, "column": 21},
                    "data": warning,
                },
            ],
            "sorries": [
                {
                    "proofState": 0,
                    "pos": {"line": 2, "column": 2},
                    "endPos": {"line": 2, "column": 7},
                    "goal": "⊢ n + 0 = n",
                },
                {
                    "proofState": 1,
                    "pos": {"line": 3, "column": 33},
                    "endPos": {"line": 3, "column": 38},
                    "goal": "⊢ False",
                },
            ],
        }
    )
    result = VerificationResult(okay=False)
    found = _check_sorries(candidate, answer, {"helper"}, result)
    assert found.outside == ["helper"] and found.inside == 3  # both sorries and helper's own warning
    assert "another declaration" in result.tool_messages[0].message
    # The same answer without the foreign warning: every sorry is helper's own.
    answer.messages.pop()
    again = _check_sorries(candidate, answer, {"helper"}, VerificationResult(okay=False))
    assert (again.outside, again.inside) == ([], 3)


def test_same_sorry_is_rejected_without_permission(standin_session):
    # Scripted: verify_ok_permitted_sorry again; the same answers, no permission this time.
    case = CASE["verify_ok_permitted_sorry"]
    r = verify(standin_session(), STATEMENTS[case.statement].text, case.candidate)
    assert r.reasons == ["sorry", "sorryAx"]
    assert r.failed_declarations == ["helper", "main_thm"]


def test_native_decide_is_opt_in(standin_session):
    # Scripted: verify_native_decide (axioms Lean.ofReduceBool, Lean.trustCompiler), twice.
    r = run_case(standin_session, "verify_native_decide")
    assert "allow_native_decide=True" in r.tool_messages[0].message
    ok = verify(
        standin_session(),
        STATEMENTS["two_add_two"].text,
        CASE["verify_native_decide"].candidate,
        allow_native_decide=True,
    )
    assert ok.okay, ok.summary()


# --------------------------------------------------------------------------- rejected: the checks


def test_rejects_statement_that_does_not_compile(standin_session):
    # Scripted: verify_statement_error (one request: the statement probe reports an error).
    r = run_case(standin_session, "verify_statement_error")
    assert "Nat.undefinedThing" in r.tool_messages[0].message


@pytest.mark.parametrize("statement", ["example : 1 = 1 := sorry", "structure S where\n  x : Nat"])
def test_rejects_unsupported_statement_without_a_request(standin_session, statement):
    # No responses: the statement is refused before anything is sent.
    session = standin_session()
    r = verify(session, statement, "theorem foo : 1 = 1 := rfl")
    assert r.reasons == ["statement_error"]
    assert session.process.pid is None  # no REPL was even started


def test_rejects_compile_error(standin_session):
    # Scripted: verify_compile_error (the candidate's answer has a type mismatch error).
    r = run_case(standin_session, "verify_compile_error")
    assert r.lean_messages[0].severity == "error" and r.lean_messages[0].pos.line == 2
    assert "line 2" in r.tool_messages[0].message
    assert "checks" not in r.timings  # nothing is checked on a broken env


def test_rejects_missing_declaration(standin_session):
    # Scripted: verify_missing_declaration (`#print _root_.foo` answers Unknown constant).
    r = run_case(standin_session, "verify_missing_declaration")
    assert r.failed_declarations == ["foo"]


def test_rejects_kind_mismatch(standin_session):
    # Scripted: verify_kind_mismatch (`#print _root_.foo` answers `def foo ...`).
    r = run_case(standin_session, "verify_kind_mismatch")
    assert "def in the candidate but a theorem" in r.tool_messages[0].message


def test_rejects_changed_hypothesis(standin_session):
    # Scripted: verify_type_mismatch (the type check's `apply HEq.refl` fails: not defeq).
    r = run_case(standin_session, "verify_type_mismatch")
    assert r.failed_declarations == ["foo"]
    assert "Variable name `h`" in r.lean_messages[0].data  # the candidate's own linter warning


def test_rejects_changed_definition_value(standin_session):
    # Scripted: verify_value_mismatch (f_one still holds, but f is another function).
    r = run_case(standin_session, "verify_value_mismatch")
    assert r.failed_declarations == ["f"]


def test_rejects_sorry(standin_session):
    # Scripted: verify_sorry (sorry warning and sorries in the candidate; axioms [sorryAx]).
    r = run_case(standin_session, "verify_sorry")
    assert r.axioms == {"foo": ["sorryAx"]}
    assert r.tool_messages[0].message == "`sorry` in foo (line 2)"


def test_rejects_sorryax_written_out(standin_session):
    # Scripted: verify_sorryax.
    run_case(standin_session, "verify_sorryax")


def test_rejects_new_axiom(standin_session):
    # Scripted: verify_new_axiom (axioms of foo: [cheat]).
    r = run_case(standin_session, "verify_new_axiom")
    assert any("cheat" in m.message for m in r.tool_messages if m.reason == "disallowed_axiom")


def test_allowed_axioms_can_be_narrowed(standin_session):
    # Scripted: verify_ok_renamed_binder (uses propext), checked with an empty allowed set.
    case = CASE["verify_ok_renamed_binder"]
    r = verify(standin_session(), STATEMENTS["add_zero"].text, case.candidate, allowed_axioms=())
    assert r.reasons == ["disallowed_axiom"] and "propext" in r.tool_messages[0].message
    assert "propext" in DEFAULT_ALLOWED_AXIOMS


# --------------------------------------------------------------------------- rejected: known cheats


def test_rejects_implemented_by(standin_session):
    # Scripted: verify_implemented_by (the Lean checks pass; the scan finds the attribute).
    run_case(standin_session, "verify_implemented_by")


def test_rejects_extern(standin_session):
    # Scripted: verify_extern.
    run_case(standin_session, "verify_extern")


def test_rejects_skip_kernel_option(standin_session):
    # Scripted: verify_skip_kernel.
    r = run_case(standin_session, "verify_skip_kernel")
    assert "debug.skipKernelTC" in r.tool_messages[0].message


def test_rejects_open_private(standin_session):
    # Scripted: verify_open_private (on Init alone `open private` is a parse error too; the
    # scan names the cheat whether or not Batteries makes it parse).
    r = run_case(standin_session, "verify_open_private")
    assert r.reasons[0] == "open_private"


def test_rejects_metaprogramming(standin_session):
    # Scripted: verify_metaprogramming (`#eval 1 + 1` prints 2).
    run_case(standin_session, "verify_metaprogramming")


def test_rejects_native_reduction(standin_session):
    # Scripted: verify_native_reduction (Lean accepts it and foo's axioms are clean; only
    # the scan sees `Lean.reduceBool`, which the kernel evaluates with compiled code).
    r = run_case(standin_session, "verify_native_reduction")
    assert r.axioms == {"foo": []} and "reduceBool" in r.tool_messages[0].message


def test_rejects_guard_msgs(standin_session):
    # Scripted: verify_guard_msgs (`#guard_msgs` consumed `#reduce`'s info: no messages).
    r = run_case(standin_session, "verify_guard_msgs")
    assert r.lean_messages == []


def test_rejects_notation_that_rewrites_the_checks(standin_session):
    # Scripted: verify_notation_clash (foo : True; with `type_of%` overridden, Lean's type
    # check compares True with True and passes, so only the scan can reject it).
    r = run_case(standin_session, "verify_notation_clash")
    assert r.axioms == {"foo": []} and "type_of%" in r.tool_messages[0].message


def test_rejects_option_name_in_guillemets(standin_session):
    # Scripted: verify_quoted_option (`«debug».skipKernelTC` is debug.skipKernelTC).
    r = run_case(standin_session, "verify_quoted_option")
    assert "debug.skipKernelTC" in r.tool_messages[0].message


def test_rejects_tactic_registered_by_attribute(standin_session):
    # Scripted: verify_tactic_attribute (on Init alone the Tactic type is unknown too).
    r = run_case(standin_session, "verify_tactic_attribute")
    assert "`tactic`" in r.tool_messages[0].message


def test_rejects_statement_name_in_another_namespace(standin_session):
    # Scripted: verify_redefined_name (`open Evil` cannot make `_root_.foo` resolve to Evil.foo).
    r = run_case(standin_session, "verify_redefined_name")
    assert "Evil.foo" in r.tool_messages[0].message


def test_rejects_instance_that_changes_the_statement(standin_session):
    # Scripted: verify_statement_changed (after the candidate's `instance : Add Nat`, the
    # copy's pp.all type names instAddNat_1 where the clean env has instAddNat; the type
    # check alone would pass, since the candidate's foo uses the same instance).
    r = run_case(standin_session, "verify_statement_changed")
    assert r.failed_declarations == ["foo"]


def test_rejects_extra_import_without_a_request(standin_session):
    # No responses: the import scan stops before anything is sent.
    session = standin_session()
    r = verify(session, STATEMENTS["add_zero"].text, UNSCRIPTED_CANDIDATES["extra_import"])
    assert r.reasons == ["extra_import"] and "Lean" in r.tool_messages[0].message
    assert session.process.pid is None


def test_rejects_a_module_system_extra_import(standin_session):
    # No responses: `public import` is an import too, caught by the same scan.
    session = standin_session()
    candidate = "public import Lean\ntheorem foo (n : Nat) : n + 0 = n := rfl"
    r = verify(session, STATEMENTS["add_zero"].text, candidate)
    assert r.reasons == ["extra_import"] and "Lean" in r.tool_messages[0].message
    assert session.process.pid is None


# --------------------------------------------------------------------------- faults


def test_timeout_fails_only_this_verification(standin_session):
    # Scripted: the statement probe is answered by the add_zero transcripts; the candidate
    # hangs (stand-in --hang-on). Afterwards verify_ok_rfl answers a normal verification.
    session = standin_session("--hang-on", "verify_test_hang_here")
    r = verify(session, STATEMENTS["add_zero"].text, UNSCRIPTED_CANDIDATES["hang"], timeout=1.5)
    assert r.reasons == ["timeout"] and "ReplTimeout" in r.tool_messages[0].message
    assert session.process.generation == 2  # killed and started again
    again = verify(session, STATEMENTS["add_zero"].text, CASE["verify_ok_rfl"].candidate)
    assert again.okay, again.summary()


def test_crash_is_a_repl_failure(standin_session):
    # Scripted: statement probe from the add_zero transcripts; the candidate crashes the
    # stand-in (--crash-on), which exits with "uncaught exception" on stderr.
    session = standin_session("--crash-on", "verify_test_crash_here")
    r = verify(session, STATEMENTS["add_zero"].text, UNSCRIPTED_CANDIDATES["crash"])
    assert r.reasons == ["repl_failure"] and "ReplExited" in r.tool_messages[0].message
    assert session.process.generation == 2


# --------------------------------------------------------------------------- plumbing


def test_header_less_candidate_runs_on_statement_imports(standin_session):
    # Scripted: none needed for the assertion; the stand-in has no `import Lean` answer for
    # this probe, so the statement probe fails as a REPL refusal and says so.
    session = standin_session()
    r = verify(session, "import Lean\n" + STATEMENTS["add_zero"].text, CASE["verify_ok_rfl"].candidate)
    assert r.reasons == ["repl_failure"]
    assert "no recording" in r.tool_messages[0].message


def test_every_reason_is_documented():
    used = {r for c in CASES for r in c.expect} | {"extra_import", "timeout", "repl_failure"}
    assert used <= set(REASONS)
    assert len([c for c in CASES if c.expect]) >= 12


def test_verify_scripted_files_are_current():
    # The transcripts must be exactly what verify() sends now (else: run
    # `python tests/verify/verify_transcripts.py` and review the diff).
    for case in CASES:
        requests, responses = transcript_for(case)
        assert (SCRIPTED / f"{case.name}.in").read_text(encoding="utf-8") == requests, case.name
        assert (SCRIPTED / f"{case.name}.expected.out").read_text(encoding="utf-8") == responses, case.name


def test_bad_arguments_name_the_fix(standin_session):
    with pytest.raises(TypeError, match="Lean source text"):
        verify(standin_session(), STATEMENTS["add_zero"].text, None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- version-true checks (issue 9)


@pytest.mark.parametrize("name", ["verify_native_decide", "verify_native_decide_v429"])
def test_allow_native_decide_accepts_both_encodings(standin_session, name):
    # Scripted: verify_native_decide (Lean.ofReduceBool, Lean.trustCompiler: before v4.29)
    # and verify_native_decide_v429 (two_add_two._native.native_decide.ax_1_1: v4.29 on).
    # Rejected by default, with the hint; accepted with allow_native_decide.
    r = run_case(standin_session, name)
    assert "allow_native_decide=True" in r.tool_messages[0].message
    ok = verify(standin_session(), STATEMENTS["two_add_two"].text, CASE[name].candidate, allow_native_decide=True)
    assert ok.okay, ok.summary()


def test_native_axiom_rules_know_every_encoding():
    # No REPL: the rule itself, for the names Lean's nativeEqTrue mints
    # (src/Lean/Meta/Native.lean: `_native ++ tacticName ++ `ax`, numbered by mkAuxDeclName).
    from lean_magic.verify.lean_checks import disallowed_axioms

    names = [
        "Lean.ofReduceBool",
        "Lean.trustCompiler",
        "foo._native.native_decide.ax_1_1",
        "A.b._native.bv_decide.ax_2",
        "foo._native.decide.ax_1_3",
    ]
    assert disallowed_axioms(names, {"propext"}, allow_native=True) == []
    assert disallowed_axioms(names, {"propext"}, allow_native=False) == names
    # Look-alikes are not native axioms: a made-up name, or a native one with a tail.
    assert disallowed_axioms(["foo._native.evil.ax_1", "foo._native.native_decide.ax_1.x"], set(), True) == [
        "foo._native.evil.ax_1",
        "foo._native.native_decide.ax_1.x",
    ]


def test_open_classical_proof_passes(standin_session):
    # Scripted: verify_ok_open_classical. The axioms are asked under pp.fullNames, so an
    # `open Classical` in the candidate cannot make Lean print `choice`.
    r = run_case(standin_session, "verify_ok_open_classical")
    assert r.axioms == {"foo": ["propext", "Classical.choice", "Quot.sound"]}
    checks = (SCRIPTED / "verify_ok_open_classical.in").read_text(encoding="utf-8").split("\n\n")[2]
    assert "set_option pp.fullNames true in #print axioms _root_.foo" in checks


def test_leftover_universe_name_does_not_change_the_statement(standin_session):
    # Scripted: verify_ok_universe_shift (after the candidate's `universe u_1`, `#check
    # @self_eq__stmt` prints u_2 where the clean env printed u_1).
    r = run_case(standin_session, "verify_ok_universe_shift")
    assert r.okay


def test_import_line_with_a_comment_is_one_module(standin_session):
    # No responses: `import Mathlib -- reals` imports Mathlib only (the scan sends nothing).
    from lean_magic.verify import scan_candidate

    candidate = "import Mathlib -- reals\nimport Lake open Lake DSL\ntheorem foo : True := trivial"
    assert [m.reason for m in scan_candidate(candidate, ["foo"], ["Mathlib", "Lake"])] == []
    assert [m.message for m in scan_candidate(candidate, ["foo"], ["Mathlib"])] == [
        "imports Lake, which the statement does not import (its contents would be trusted)"
    ]


def test_command_outside_the_allowlist_is_rejected_by_lean_alone(standin_session):
    # Scripted: verify_export_command (its infotree has an `export` command, elaborator
    # Lean.Elab.Command.elabExport; the text scan has no rule for it).
    from lean_magic.verify import scan_candidate

    case = CASE["verify_export_command"]
    assert scan_candidate(case.candidate, ["foo"], []) == []
    r = run_case(standin_session, "verify_export_command")
    assert "Lean.Elab.Command.elabExport" in r.tool_messages[0].message
    assert r.receipt.checks["command_allowlist"] == "failed" and r.receipt.checks["scan"] == "passed"


def test_macro_made_option_is_seen_in_the_infotree(standin_session):
    # Scripted: verify_skip_kernel (`set_option … in`: the `in` macro's expansion holds the
    # set_option command; both the scan and the allowlist name it).
    r = run_case(standin_session, "verify_skip_kernel")
    messages = [m.message for m in r.tool_messages]
    assert any(m.startswith("Lean ran `set_option debug.skipKernelTC`") for m in messages), messages
    assert r.receipt.checks["command_allowlist"] == "failed"


def test_oversized_candidate_is_refused_before_anything_is_sent(standin_session):
    session = standin_session()
    big = "theorem foo (n : Nat) : n + 0 = n := rfl\n" + "-- padding\n" * 200
    r = verify(session, STATEMENTS["add_zero"].text, big, max_candidate_bytes=1000)
    assert r.reasons == ["candidate_too_large"] and "max_candidate_bytes=1000" in r.tool_messages[0].message
    assert session.process.pid is None


# --------------------------------------------------------------------------- fail closed (issue 9)


def _misbehaving_recordings(tmp_path, transcripts_root):
    """A copy of the v4.33 recordings plus a self-check transcript in which Lean accepts the
    `sorry` control: no sorry warning, no `sorries`, clean axioms (a Lean that misbehaves)."""
    from verify_transcripts import CONTROL_CASES, NO_AXIOMS, self_check_transcript

    bad = dict(CONTROL_CASES)
    sorry_case = CONTROL_CASES["sorry"]
    bad["sorry"] = type(sorry_case)(
        "",
        "control",
        sorry_case.candidate,
        kinds=sorry_case.kinds,
        axioms={"selfcheck_add_zero": NO_AXIOMS.format("selfcheck_add_zero")},
    )
    requests, responses = self_check_transcript(bad, require_pass=False)
    folder = tmp_path / "v4.33.0-rc2"
    folder.mkdir()
    (folder / "misbehaving_self_check.in").write_text(requests, encoding="utf-8")
    (folder / "misbehaving_self_check.expected.out").write_text(responses, encoding="utf-8")
    return [transcripts_root / "v4.33.0-rc2", folder]


def test_misbehaving_control_fails_every_verdict(standin_session, tmp_path, transcripts_root):
    # Scripted: verify_ok_rfl and verify_sorry answer the candidates; the self-check is a
    # variant of verify_self_check (written here) whose `sorry` control Lean "accepts".
    session = standin_session(recordings=_misbehaving_recordings(tmp_path, transcripts_root))
    for name in ("verify_ok_rfl", "verify_sorry"):
        r = verify(session, STATEMENTS["add_zero"].text, CASE[name].candidate)
        assert r.reasons == ["verifier_self_check_failed"] and not r.okay, r.summary()
        message = r.tool_messages[0].message
        assert "Lean 4.33.0-rc2" in message and "'sorry' misbehaved: it was accepted (expected sorry)" in message
        assert r.receipt.checks["self_check"] == "failed"
    # The outcome is kept for this process: the second verdict ran no control again.
    assert "self_check" in r.timings and r.timings["self_check"] < 0.5


def test_control_that_cannot_run_fails_this_verdict_and_is_retried(standin_session):
    # Scripted: the controls' candidates are answered by verify_self_check, except the
    # first, which crashes the stand-in (--crash-on): a fault, not a misbehaviour.
    session = standin_session("--crash-on", 'selfcheck_add_zero (n : Nat) : n + 0 = n := rfl"')
    r = verify(session, STATEMENTS["add_zero"].text, CASE["verify_ok_rfl"].candidate)
    assert r.reasons == ["repl_failure"] and "running the verifier's controls" in r.tool_messages[0].message
    assert r.receipt.checks["self_check"] == "not_run"


def test_okay_needs_every_check_to_have_run():
    # No REPL: a verdict with no finding but a check that never ran is not okay.
    from lean_magic.verify.result import Receipt

    receipt = Receipt()
    for check in receipt.checks:
        receipt.mark(check, "passed")
    assert receipt.complete
    receipt.checks["command_allowlist"] = "not_run"
    assert not receipt.complete


# --------------------------------------------------------------------------- the receipt in the notebook


def test_receipt_is_shown_in_the_notebook_view(standin_session):
    # Scripted: verify_ok_rfl (and verify_self_check for the Lean version).
    r = run_case(standin_session, "verify_ok_rfl")
    bundle = r._repr_mimebundle_()
    html, text = bundle["text/html"], bundle["text/plain"]
    assert "✓ verified" in html and "receipt" in html and "command_allowlist" in html and "4.33.0-rc2" in html
    assert r.receipt.candidate_sha256 in html
    assert text.startswith("verified (foo)") and "self_check passed" in text
    assert bundle["application/vnd.lean.verdict+json"] == r.to_dict()
    rejected = run_case(standin_session, "verify_sorry")._repr_mimebundle_()["text/html"]
    assert "✗ rejected: sorry, sorryAx" in rejected
