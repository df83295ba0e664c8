"""The scripted REPL answers behind tests/verify (tests/fixtures/scripted/verify_*).

The recordings never ran our verifier's requests, so these transcripts answer them. They
are NOT recordings. How each file is made (run this module to rewrite them):

- the requests (.in) are exactly what ``lean_magic.verify.verify`` sends from a fresh
  process, captured by running it on ``_ScriptedProcess`` below;
- the answers (.expected.out) are written by hand in ``STATEMENTS`` and ``CASES``: the
  Lean messages a real v4.33 REPL would print (wording copied from the recordings where
  they show it: "declaration uses `sorry`", "Unknown identifier `x`", the unused-variable
  linter; ``#print`` / ``#print axioms`` in the format of Lean's Print.lean). Positions
  are computed from the request text the way Lean reports them (a declaration's sorry
  warning on its name, ``#check``/``#print`` output on the command's keyword, an
  elaboration error on the offending term);
- the layout is Lean's JSON pretty printer (``verify_lean_format.pretty``, checked
  against every recorded response), env and proof-state ids numbered as a fresh REPL
  numbers them (the stand-in renumbers them live).

``test_verify_scripted_files_are_current`` regenerates them in memory and compares, so
a change to verify.py's requests cannot leave stale transcripts behind unnoticed.

    python tests/verify/verify_transcripts.py      # rewrite tests/fixtures/scripted/verify_*
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO), str(REPO / "extension")]

from lean_magic.verify import (  # noqa: E402
    CONTROLS,
    SELF_CHECKS,
    candidate_checks,
    clean_probe,
    parse_print_header,
    parse_statement,
    verify,
)
from lean_magic.verify.lean_checks import CONTROL_STATEMENT, VERSION_QUERY, SelfCheck  # noqa: E402
from verify_infotree import declarations_tree, infotree_for  # noqa: E402
from verify_lean_format import pretty  # noqa: E402

from lean_kernel.config import ReplConfig  # noqa: E402
from lean_kernel.lean_text import find_declarations, lex  # noqa: E402
from lean_kernel.protocol import CommandRequest, parse_response_text  # noqa: E402
from lean_kernel.session import LeanSession  # noqa: E402

SCRIPTED = REPO / "tests" / "fixtures" / "scripted"
PREFIX = "verify_"

SORRY_WARNING = "declaration uses `sorry`"


# --------------------------------------------------------------------------- what Lean says


@dataclass
class StatementFacts:
    """What Lean prints about a statement's declarations (hand-written)."""

    text: str
    goals: dict[str, str]  # declaration name as written (copy: x__stmt) -> goal at its sorry
    prints: dict[str, str]  # full name -> `#print _root_.x__stmt` (default options)
    types: dict[str, str]  # full name -> `set_option pp.all true in #check @_root_.x__stmt`
    values: dict[str, str] = field(default_factory=dict)  # non-free defs -> pp.all `#print`
    errors: list = field(default_factory=list)  # (segment tag, needle, data): Lean errors in the probe


@dataclass
class Case:
    name: str
    statement: str  # key of STATEMENTS
    candidate: str
    options: dict = field(default_factory=dict)  # verify() keyword arguments
    messages: list = field(default_factory=list)  # candidate: (severity, needle, occurrence, data)
    sorries: list = field(default_factory=list)  # candidate: (needle, occurrence, goal)
    # `set_option pp.proofs false in #print _root_.x`; absent: unknown. A proof value
    # prints as `⋯` then (pp.proofs set explicitly, so not even the top-level term shows).
    kinds: dict[str, str] = field(default_factory=dict)
    axioms: dict[str, str] = field(default_factory=dict)
    type_errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (needle, data)
    value_errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    changed_types: dict[str, str] = field(default_factory=dict)  # pp.all #check after the candidate
    expect: list[str] = field(default_factory=list)  # reasons the test expects (empty: okay)
    scripted: str = ""  # which answers are scripted, for the test's comment
    # The candidate's infotree; None: built from its text by verify_infotree.infotree_for.
    infotree: list | None = None
    evidence: str = ""  # where this case's answers come from, beyond EVIDENCE


NAT_ADD_ZERO = (
    "∀ (n : Nat), @Eq.{1} Nat (@HAdd.hAdd.{0, 0, 0} Nat Nat Nat (@instHAdd.{0} Nat instAddNat) n "
    "(@OfNat.ofNat.{0} Nat 0 (instOfNatNat 0))) n"
)

STATEMENTS: dict[str, StatementFacts] = {
    "add_zero": StatementFacts(
        text="theorem foo (n : Nat) : n + 0 = n := by\n  sorry",
        goals={"foo": "n : Nat\n⊢ n + 0 = n", "foo__stmt": "n : Nat\n⊢ n + 0 = n"},
        prints={"foo": "theorem foo__stmt : ∀ (n : Nat), n + 0 = n :=\nfun n => sorry"},
        types={"foo": "foo__stmt : " + NAT_ADD_ZERO},
    ),
    "two_add_two": StatementFacts(
        text="theorem two_add_two : 2 + 2 = 4 := by\n  sorry",
        goals={"two_add_two": "⊢ 2 + 2 = 4", "two_add_two__stmt": "⊢ 2 + 2 = 4"},
        prints={"two_add_two": "theorem two_add_two__stmt : 2 + 2 = 4 :=\nsorry"},
        types={
            "two_add_two": "two_add_two__stmt : @Eq.{1} Nat (@HAdd.hAdd.{0, 0, 0} Nat Nat Nat "
            "(@instHAdd.{0} Nat instAddNat) (@OfNat.ofNat.{0} Nat 2 (instOfNatNat 2)) "
            "(@OfNat.ofNat.{0} Nat 2 (instOfNatNat 2))) (@OfNat.ofNat.{0} Nat 4 (instOfNatNat 4))"
        },
    ),
    "def_value": StatementFacts(
        text="def f (n : Nat) : Nat := n + 1\ntheorem f_one : f 1 = 2 := by\n  sorry",
        goals={"f_one": "⊢ f 1 = 2", "f_one__stmt": "⊢ f__stmt 1 = 2"},
        prints={
            "f": "def f__stmt : Nat → Nat :=\nfun n => n + 1",
            "f_one": "theorem f_one__stmt : f__stmt 1 = 2 :=\nsorry",
        },
        types={
            "f": "f__stmt : Nat → Nat",
            "f_one": "f_one__stmt : @Eq.{1} Nat (f__stmt (@OfNat.ofNat.{0} Nat 1 (instOfNatNat 1))) "
            "(@OfNat.ofNat.{0} Nat 2 (instOfNatNat 2))",
        },
        values={
            "f": "def f__stmt : Nat → Nat :=\nfun (n : Nat) => @HAdd.hAdd.{0, 0, 0} Nat Nat Nat "
            "(@instHAdd.{0} Nat instAddNat) n (@OfNat.ofNat.{0} Nat 1 (instOfNatNat 1))"
        },
    ),
    "answer": StatementFacts(
        text="abbrev answer : Nat := sorry\ntheorem answer_spec : answer + answer = 6 := by\n  sorry",
        goals={
            "answer": "⊢ Nat",
            "answer__stmt": "⊢ Nat",
            "answer_spec": "⊢ answer + answer = 6",
            "answer_spec__stmt": "⊢ answer + answer = 6",
        },
        prints={
            "answer": "@[reducible] def answer__stmt : Nat :=\nsorry",
            "answer_spec": "theorem answer_spec__stmt : answer + answer = 6 :=\nsorry",
        },
        types={
            "answer": "answer__stmt : Nat",
            "answer_spec": "answer_spec__stmt : @Eq.{1} Nat (@HAdd.hAdd.{0, 0, 0} Nat Nat Nat "
            "(@instHAdd.{0} Nat instAddNat) answer answer) (@OfNat.ofNat.{0} Nat 6 (instOfNatNat 6))",
        },
    ),
    "helper": StatementFacts(
        text=(
            "theorem helper (n : Nat) : n + 0 = n := by\n  sorry\n"
            "theorem main_thm (n : Nat) : n + 0 + 0 = n := by\n  sorry"
        ),
        goals={
            "helper": "n : Nat\n⊢ n + 0 = n",
            "helper__stmt": "n : Nat\n⊢ n + 0 = n",
            "main_thm": "n : Nat\n⊢ n + 0 + 0 = n",
            "main_thm__stmt": "n : Nat\n⊢ n + 0 + 0 = n",
        },
        prints={
            "helper": "theorem helper__stmt : ∀ (n : Nat), n + 0 = n :=\nfun n => sorry",
            "main_thm": "theorem main_thm__stmt : ∀ (n : Nat), n + 0 + 0 = n :=\nfun n => sorry",
        },
        types={
            "helper": "helper__stmt : " + NAT_ADD_ZERO,
            "main_thm": "main_thm__stmt : ∀ (n : Nat), @Eq.{1} Nat (@HAdd.hAdd.{0, 0, 0} Nat Nat Nat "
            "(@instHAdd.{0} Nat instAddNat) (@HAdd.hAdd.{0, 0, 0} Nat Nat Nat (@instHAdd.{0} Nat instAddNat) n "
            "(@OfNat.ofNat.{0} Nat 0 (instOfNatNat 0))) (@OfNat.ofNat.{0} Nat 0 (instOfNatNat 0))) n",
        },
    ),
    # Universe-polymorphic, with a `universe` command the candidate repeats: the copy
    # declares `u__stmt` instead (redeclaring `u` after the candidate would be an error).
    "poly": StatementFacts(
        text="universe u\ntheorem self_eq {α : Sort u} (a : α) : a = a := by\n  sorry",
        goals={"self_eq": "α : Sort u\na : α\n⊢ a = a", "self_eq__stmt": "α : Sort u__stmt\na : α\n⊢ a = a"},
        prints={
            "self_eq": "theorem self_eq__stmt.{u__stmt} : ∀ {α : Sort u__stmt} (a : α), a = a :=\nfun {α} a => sorry"
        },
        # `#check @c` names c's universe parameters afresh (u_1, u_2...): lean4
        # tests/lean/run/6090.lean (`@id : {α : Sort u_1} → α → α`; pp.all adds `.{u_1}`).
        types={"self_eq": "@self_eq__stmt.{u_1} : ∀ {α : Sort u_1} (a : α), @Eq.{u_1} α a a"},
    ),
    # A statement that does not compile: a dotted name is never auto-bound, so Lean
    # reports it (in the statement and in its copy) and elaborates the rest with sorry.
    "broken": StatementFacts(
        text="theorem bad_stmt : Nat.undefinedThing = 1 := by\n  sorry",
        goals={"bad_stmt": "⊢ sorry = 1", "bad_stmt__stmt": "⊢ sorry = 1"},
        prints={"bad_stmt": "theorem bad_stmt__stmt : sorry = 1 :=\nsorry"},
        types={
            "bad_stmt": "bad_stmt__stmt : @Eq.{1} Nat (sorryAx.{1} Nat Bool.true) (@OfNat.ofNat.{0} Nat 1 (instOfNatNat 1))"
        },
        errors=[
            ("statement", "Nat.undefinedThing", "Unknown identifier `Nat.undefinedThing`"),
            ("copy", "Nat.undefinedThing", "Unknown identifier `Nat.undefinedThing`"),
        ],
    ),
}

NO_AXIOMS = "'{}' does not depend on any axioms"
UNUSED_H = (
    "Variable name `h` is not explicitly referenced.\n\nHint: The binding can be removed (if unused) or "
    "named `_` (if used implicitly). Alternatively, prefix the name with `_` to silence this warning:\n"
    "  [apply] _h\n\nNote: This linter can be disabled with `set_option linter.unusedVariables false`"
)


def _not_defeq(lhs: str, rhs: str) -> str:
    """`apply HEq.refl` failing, as v4.33 words it (HEq printed as `≍`; a binder side in
    parentheses): the conclusion, the goal, the full type, then the goal again."""
    side = lambda t: f"({t})" if t.startswith(("∀", "fun", "∃")) else t  # noqa: E731
    goal = f"{side(lhs)} ≍ {side(rhs)}"
    return (
        f"Tactic `apply` failed: could not unify the conclusion of `@HEq.refl`\n  ?a ≍ ?a\n"
        f"with the goal\n  {goal}\n\nNote: The full type of `@HEq.refl` is\n"
        f"  ∀ {{α : Sort ?u.1}} (a : α), a ≍ a\n\n⊢ {goal}"
    )


CASES: list[Case] = [
    Case(
        "verify_statement_error",
        "broken",
        "theorem bad_stmt : Nat.undefinedThing = 1 := rfl",
        expect=["statement_error"],
    ),
    Case(
        "verify_ok_rfl",
        "add_zero",
        "theorem foo (n : Nat) : n + 0 = n := rfl",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
    ),
    Case(
        "verify_ok_renamed_binder",
        "add_zero",
        "theorem foo (m : Nat) : m + 0 = m := by\n  simp",
        kinds={"foo": "theorem foo : ∀ (m : Nat), m + 0 = m :=\n⋯"},
        axioms={"foo": "'foo' depends on axioms: [propext]"},
    ),
    Case(
        "verify_ok_answer",
        "answer",
        "abbrev answer : Nat := 3\ntheorem answer_spec : answer + answer = 6 := rfl",
        kinds={
            "answer": "@[reducible] def answer : Nat :=\n3",
            "answer_spec": "theorem answer_spec : answer + answer = 6 :=\n⋯",
        },
        axioms={"answer": NO_AXIOMS.format("answer"), "answer_spec": NO_AXIOMS.format("answer_spec")},
    ),
    Case(
        "verify_ok_permitted_sorry",
        "helper",
        "theorem helper (n : Nat) : n + 0 = n := by\n  sorry\n"
        "theorem main_thm (n : Nat) : n + 0 + 0 = n := by\n  rw [helper, helper]",
        options={"permitted_sorries": ["helper"]},
        messages=[("warning", "helper", 1, SORRY_WARNING)],
        sorries=[("sorry", 1, "n : Nat\n⊢ n + 0 = n")],
        kinds={
            "helper": "theorem helper : ∀ (n : Nat), n + 0 = n :=\n⋯",
            "main_thm": "theorem main_thm : ∀ (n : Nat), n + 0 + 0 = n :=\n⋯",
        },
        axioms={"main_thm": "'main_thm' depends on axioms: [sorryAx]"},
    ),
    # native_decide before v4.29: the shared axioms Lean.ofReduceBool (and, in the last
    # versions before the change, Lean.trustCompiler). Evidence: lean4 tests printing
    # `'foo' depends on axioms: [propext, Classical.choice, Lean.ofReduceBool, Quot.sound]`.
    Case(
        "verify_native_decide",
        "two_add_two",
        "theorem two_add_two : 2 + 2 = 4 := by\n  native_decide",
        kinds={"two_add_two": "theorem two_add_two : 2 + 2 = 4 :=\n⋯"},
        axioms={"two_add_two": "'two_add_two' depends on axioms: [Lean.ofReduceBool, Lean.trustCompiler]"},
        expect=["disallowed_axiom"],
        evidence="native_decide before v4.29: Lean.ofReduceBool (lean4 tests print it among the axioms of native_decide/bv_decide proofs); Lean.trustCompiler: no published output seen, kept as the previous fixture had it",
    ),
    # native_decide from v4.29 (lean4 PR #12217, src/Lean/Meta/Native.lean nativeEqTrue):
    # one axiom per use, `<decl>._native.native_decide.ax_1_1`, as published outputs print
    # (`... depends on axioms: [<name>._native.native_decide.ax_1_1]`).
    Case(
        "verify_native_decide_v429",
        "two_add_two",
        "theorem two_add_two : 2 + 2 = 4 := by\n  native_decide",
        kinds={"two_add_two": "theorem two_add_two : 2 + 2 = 4 :=\n⋯"},
        axioms={"two_add_two": "'two_add_two' depends on axioms: [two_add_two._native.native_decide.ax_1_1]"},
        expect=["disallowed_axiom"],
        evidence="native_decide from v4.29: lean4 src/Lean/Meta/Native.lean (nativeEqTrue, PR #12217) and published outputs `<decl>._native.native_decide.ax_1_1`",
    ),
    Case(
        "verify_compile_error",
        "add_zero",
        "theorem foo (n : Nat) : n + 0 = n := by\n  exact Nat.zero_add n",
        messages=[
            (
                "error",
                "Nat.zero_add n",
                1,
                "Type mismatch\n  Nat.zero_add n\nhas type\n  0 + n = n : Prop\nbut is expected to have type\n  n + 0 = n : Prop",
            )
        ],
        expect=["compile_error"],
    ),
    Case(
        "verify_missing_declaration",
        "add_zero",
        "theorem foo' (n : Nat) : n + 0 = n := rfl",
        type_errors={"foo": ("_root_.foo", "Unknown identifier `_root_.foo`")},
        expect=["missing_declaration"],
    ),
    Case(
        "verify_kind_mismatch",
        "add_zero",
        "def foo (n : Nat) : n + 0 = n := rfl",
        kinds={"foo": "def foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["kind_mismatch"],
    ),
    Case(
        "verify_type_mismatch",
        "add_zero",
        "theorem foo (n : Nat) (h : n = 0) : n + 0 = n := rfl",
        messages=[("warning", "h", 1, UNUSED_H)],
        kinds={"foo": "theorem foo : ∀ (n : Nat), n = 0 → n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        type_errors={"foo": ("apply HEq.refl", _not_defeq("∀ (n : Nat), n + 0 = n", "∀ (n : Nat), n = 0 → n + 0 = n"))},
        expect=["type_mismatch"],
    ),
    Case(
        "verify_value_mismatch",
        "def_value",
        "def f (n : Nat) : Nat := 2 * n\ntheorem f_one : f 1 = 2 := rfl",
        kinds={"f": "def f : Nat → Nat :=\nfun n => 2 * n", "f_one": "theorem f_one : f 1 = 2 :=\n⋯"},
        axioms={"f": NO_AXIOMS.format("f"), "f_one": NO_AXIOMS.format("f_one")},
        value_errors={"f": ("apply HEq.refl", _not_defeq("f__stmt", "f"))},
        expect=["value_mismatch"],
    ),
    Case(
        "verify_sorry",
        "add_zero",
        "theorem foo (n : Nat) : n + 0 = n := by\n  sorry",
        messages=[("warning", "foo", 1, SORRY_WARNING)],
        sorries=[("sorry", 1, "n : Nat\n⊢ n + 0 = n")],
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": "'foo' depends on axioms: [sorryAx]"},
        expect=["sorry", "sorryAx"],
    ),
    Case(
        "verify_sorryax",
        "add_zero",
        "theorem foo (n : Nat) : n + 0 = n := sorryAx _ false",
        messages=[("warning", "foo", 1, SORRY_WARNING)],
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": "'foo' depends on axioms: [sorryAx]"},
        expect=["sorryAx", "sorry"],
    ),
    Case(
        "verify_new_axiom",
        "add_zero",
        "axiom cheat (n : Nat) : n + 0 = n\ntheorem foo (n : Nat) : n + 0 = n := cheat n",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": "'foo' depends on axioms: [cheat]"},
        expect=["new_axiom", "disallowed_axiom"],
    ),
    Case(
        "verify_implemented_by",
        "add_zero",
        "def fastId (n : Nat) : Nat := n + 1\n@[implemented_by fastId] def myId (n : Nat) : Nat := n\n"
        "theorem foo (n : Nat) : n + 0 = n := rfl",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["implemented_by"],
    ),
    Case(
        "verify_extern",
        "add_zero",
        '@[extern "lean_nat_add"] def myAdd (a b : Nat) : Nat := a + b\ntheorem foo (n : Nat) : n + 0 = n := rfl',
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["extern"],
    ),
    Case(
        "verify_skip_kernel",
        "add_zero",
        "set_option debug.skipKernelTC true in\ntheorem foo (n : Nat) : n + 0 = n := rfl",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["unsafe_option"],
    ),
    # `open private` comes from Batteries (Mathlib): on Init alone it does not parse, so
    # Lean reports the parse error, skips to the next command and elaborates foo.
    Case(
        "verify_open_private",
        "add_zero",
        "private theorem aux (n : Nat) : n + 0 = n := rfl\nopen private aux in\n"
        "theorem foo (n : Nat) : n + 0 = n := aux n",
        messages=[("error", "private", 2, "unexpected token 'private'; expected identifier")],
        # Lean elaborates only what it could parse: the two theorems.
        infotree=declarations_tree(
            "private theorem aux (n : Nat) : n + 0 = n := rfl\nopen private aux in\ntheorem foo (n : Nat) : n + 0 = n := aux n",
            ["private theorem aux", "theorem foo"],
        ),
        expect=["open_private", "compile_error"],
    ),
    Case(
        "verify_metaprogramming",
        "add_zero",
        "#eval 1 + 1\ntheorem foo (n : Nat) : n + 0 = n := rfl",
        messages=[("info", "#eval", 1, "2")],
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["metaprogramming", "disallowed_command"],
    ),
    Case(
        "verify_redefined_name",
        "add_zero",
        "namespace Evil\ntheorem foo (n : Nat) : n + 0 = n := rfl\nend Evil\nopen Evil",
        type_errors={"foo": ("_root_.foo", "Unknown identifier `_root_.foo`")},
        expect=["redefined_statement_name", "missing_declaration"],
    ),
    Case(
        "verify_statement_changed",
        "add_zero",
        "instance : Add Nat := ⟨fun a _ => a⟩\ntheorem foo (n : Nat) : n + 0 = n := rfl",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        changed_types={"foo": "foo__stmt : " + NAT_ADD_ZERO.replace("instAddNat)", "instAddNat_1)")},
        expect=["statement_changed"],
    ),
    # Universe-polymorphic, binder renamed, `universe u` repeated: the type check must
    # unify the candidate's universe with the statement's (a theorem-shaped check cannot).
    Case(
        "verify_ok_universe",
        "poly",
        "universe u\ntheorem self_eq {β : Sort u} (b : β) : b = b := rfl",
        kinds={"self_eq": "theorem self_eq.{u} : ∀ {β : Sort u} (b : β), b = b :=\n⋯"},
        axioms={"self_eq": NO_AXIOMS.format("self_eq")},
    ),
    # The kernel evaluates `Lean.reduceBool c` with compiled code and records no axiom.
    Case(
        "verify_native_reduction",
        "add_zero",
        "theorem aux : Lean.reduceBool true = Lean.reduceBool true := rfl\ntheorem foo (n : Nat) : n + 0 = n := rfl",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["native_reduction"],
    ),
    # `#guard_msgs` consumes the messages it expects (here harmlessly `#reduce`'s info; it
    # would swallow a sorry warning or an error just as well).
    Case(
        "verify_guard_msgs",
        "add_zero",
        "/-- info: 2 -/\n#guard_msgs in\n#reduce 1 + 1\ntheorem foo (n : Nat) : n + 0 = n := rfl",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["hidden_messages", "disallowed_command"],
    ),
    # «» around a name part does not change the name: this is debug.skipKernelTC.
    Case(
        "verify_quoted_option",
        "add_zero",
        "set_option «debug».skipKernelTC true in\ntheorem foo (n : Nat) : n + 0 = n := rfl",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["unsafe_option"],
    ),
    # A high-priority notation for `type_of%`, a token of our own type check: there both
    # sides become `True`, so a `foo : True` passes Lean's checks (as scripted here); the
    # statement's printout does not use `type_of%`, so only the scan sees it.
    Case(
        "verify_notation_clash",
        "add_zero",
        'notation (priority := high) "type_of% " x => (fun _ => True) x\ntheorem foo : True := trivial',
        kinds={"foo": "theorem foo : True :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["notation_clash"],
    ),
    # A permitted declaration's `where` clause is a constant of its own (helper.cheat):
    # its sorry would be excused, and main_thm's sorryAx with it, while main_thm is proved
    # from False. The sorries sit in helper's text, so only the `where` gives it away.
    Case(
        "verify_permitted_where",
        "helper",
        "theorem helper (n : Nat) : n + 0 = n := by\n  sorry\nwhere cheat : False := sorry\n"
        "theorem main_thm (n : Nat) : n + 0 + 0 = n := helper.cheat.elim",
        options={"permitted_sorries": ["helper"]},
        messages=[("warning", "helper", 1, SORRY_WARNING), ("warning", "cheat", 1, SORRY_WARNING)],
        sorries=[("sorry", 1, "n : Nat\n⊢ n + 0 = n"), ("sorry", 2, "⊢ False")],
        kinds={
            "helper": "theorem helper : ∀ (n : Nat), n + 0 = n :=\n⋯",
            "main_thm": "theorem main_thm : ∀ (n : Nat), n + 0 + 0 = n :=\n⋯",
        },
        axioms={"main_thm": "'main_thm' depends on axioms: [sorryAx]"},
        expect=["sorry", "sorryAx"],
    ),
    # A tactic elaborator registered by attribute (no `elab`/`macro` keyword). On Init
    # alone `Lean.Elab.Tactic.Tactic` is not there, so it does not compile either; with
    # `import Lean` (Mathlib) it would replace `decide` with arbitrary MetaM code.
    Case(
        "verify_tactic_attribute",
        "add_zero",
        "@[tactic Lean.Parser.Tactic.decide] def evil : Lean.Elab.Tactic.Tactic := fun _ => pure ()\n"
        "theorem foo (n : Nat) : n + 0 = n := rfl",
        messages=[("error", "Lean.Elab.Tactic.Tactic", 1, "Unknown identifier `Lean.Elab.Tactic.Tactic`")],
        expect=["metaprogramming", "compile_error"],
    ),
    # `open Classical`: #print axioms prints names relative to open namespaces unless
    # pp.fullNames is set (its names are MessageData); with it, Classical.choice in full.
    Case(
        "verify_ok_open_classical",
        "add_zero",
        "open Classical\ntheorem foo (n : Nat) : n + 0 = n := by\n  cases em (n = 0) <;> rfl",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": "'foo' depends on axioms: [propext, Classical.choice, Quot.sound]"},
        evidence="pp.fullNames: #print axioms prints a MessageData of names, relative to open namespaces unless pp.fullNames is set (lean4 src/Lean/Elab/Print.lean); recorded full names: scripted/magic_axioms",
    ),
    # A leftover `universe u_1` makes `#check @self_eq__stmt` name its universe u_2 after
    # the candidate (levelMVarToParam skips names in scope); the comparison renames by
    # position, so this honest candidate passes.
    Case(
        "verify_ok_universe_shift",
        "poly",
        "universe u_1\ntheorem self_eq {β : Sort u_1} (b : β) : b = b := rfl",
        kinds={"self_eq": "theorem self_eq.{u_1} : ∀ {β : Sort u_1} (b : β), b = b :=\n⋯"},
        axioms={"self_eq": NO_AXIOMS.format("self_eq")},
        changed_types={"self_eq": "@self_eq__stmt.{u_2} : ∀ {α : Sort u_2} (a : α), @Eq.{u_2} α a a"},
        evidence="u_2: #check runs levelMVarToParam, which names fresh universe parameters u_1, u_2... skipping names in scope (lean4 src/Lean/Elab/BuiltinCommand.lean elabCheckCore; tests/lean/run/6090.lean)",
    ),
    # A command the text scan has no rule for: only Lean's infotree shows it ran.
    Case(
        "verify_export_command",
        "add_zero",
        "export Nat (add_zero)\ntheorem foo (n : Nat) : n + 0 = n := rfl",
        kinds={"foo": "theorem foo : ∀ (n : Nat), n + 0 = n :=\n⋯"},
        axioms={"foo": NO_AXIOMS.format("foo")},
        expect=["disallowed_command"],
    ),
]

# Cases that need no transcript of their own: rejected before any request, or answered by
# a fault of the stand-in (the statement probe comes from the add_zero transcripts).
UNSCRIPTED_CANDIDATES = {
    "extra_import": "import Lean\ntheorem foo (n : Nat) : n + 0 = n := rfl",
    "hang": "theorem foo (n : Nat) : n + 0 = n := by\n  verify_test_hang_here",
    "crash": "theorem foo (n : Nat) : n + 0 = n := by\n  verify_test_crash_here",
}


# --------------------------------------------------------------------------- positions


def _where(text: str, needle: str, occurrence: int = 1, after: int = 0) -> tuple[dict, dict]:
    at = after - 1
    for _ in range(occurrence):
        at = text.find(needle, at + 1)
        if at < 0:
            raise ValueError(f"{needle!r} not found in {text!r}")
    return _pos(text, at), _pos(text, at + len(needle))


def _pos(text: str, offset: int) -> dict:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return {"line": line, "column": column}


def _message(severity: str, pos: dict, end: dict, data: str) -> dict:
    return {"severity": severity, "pos": pos, "endPos": end, "data": data}


def _line_start(text: str, line: int) -> int:
    return sum(len(ln) + 1 for ln in text.split("\n")[: line - 1])


def _segment_findings(text: str, seg, goals: dict[str, str]) -> tuple[list, list]:
    """Sorry warnings and sorries of the declarations in one segment, as Lean reports them:
    the warning on the declaration's name, each sorry with the goal it stands for."""
    start = _line_start(text, seg.first)
    end = _line_start(text, seg.last + 1) if seg.last < text.count("\n") + 1 else len(text)
    part = text[start:end]
    stripped = lex(part).code
    warnings, sorries = [], []
    for decl in find_declarations(stripped):
        holes = [m.start() for m in re.finditer(r"(?<![\w'.])sorry(?![\w'])", stripped[decl.start : decl.end])]
        if not holes:
            continue
        name_at = decl.name_start if decl.name_start is not None else decl.start
        word = decl.name if decl.name is not None else decl.kind
        warnings.append(
            _message("warning", _pos(text, start + name_at), _pos(text, start + name_at + len(word)), SORRY_WARNING)
        )
        for h in holes:
            at = start + decl.start + h
            sorries.append(
                {"proofState": None, "pos": _pos(text, at), "goal": goals[decl.name], "endPos": _pos(text, at + 5)}
            )
    return warnings, sorries


def _info_on(text: str, seg, keyword: str, data: str, severity: str = "info") -> dict:
    start = _line_start(text, seg.first)
    pos, end = _where(text, keyword, 1, start)
    return _message(severity, pos, end, data)


def _sorted(items: list) -> list:
    return sorted(items, key=lambda m: (m["pos"]["line"], m["pos"]["column"]))


def _response(messages: list, sorries: list) -> dict:
    out: dict = {}
    if sorries:
        out["sorries"] = _sorted(sorries)
    if messages:
        out["messages"] = _sorted(messages)
    return out


def answer_clean_probe(facts: StatementFacts, text: str) -> dict:
    stmt = parse_statement(facts.text)
    script = clean_probe(stmt)
    assert script.text == text, "the statement probe changed: regenerate"
    messages, sorries = [], []
    for seg in script.segments:
        if seg.tag in ("statement", "copy"):
            w, s = _segment_findings(text, seg, facts.goals)
            messages += w
            sorries += s
            for tag, needle, data in facts.errors:
                if tag == seg.tag:
                    pos, end = _where(text, needle, 1, _line_start(text, seg.first))
                    messages.append(_message("error", pos, end, data))
        elif seg.tag == "stmt_print":
            messages.append(_info_on(text, seg, "#print", facts.prints[seg.decl]))
        elif seg.tag == "stmt_type":
            messages.append(_info_on(text, seg, "#check", facts.types[seg.decl]))
        elif seg.tag == "stmt_value":
            messages.append(_info_on(text, seg, "#print", facts.values[seg.decl]))
    return _response(messages, sorries)


def answer_candidate(case: Case, text: str) -> dict:
    assert text == case.candidate, "the candidate is sent as written"
    messages = [_message(sev, *_where(text, needle, occ), data) for sev, needle, occ, data in case.messages]
    sorries = []
    for needle, occ, goal in case.sorries:
        pos, end = _where(text, needle, occ)
        sorries.append({"proofState": None, "pos": pos, "goal": goal, "endPos": end})
    out = _response(messages, sorries)
    out["infotree"] = case.infotree if case.infotree is not None else infotree_for(text)
    return out


def answer_checks(facts: StatementFacts, case: Case, text: str) -> dict:
    stmt = parse_statement(facts.text)
    # The universe parameters come from the statement probe's `#print` of each copy.
    for d in stmt.decls:
        d.lean_kind, d.universes = parse_print_header(facts.prints[d.name])
    script = candidate_checks(stmt)
    assert script.text == text, "the check command changed: regenerate"
    messages, sorries = [], []
    for seg in script.segments:
        name = seg.decl
        if seg.tag == "copy":
            w, s = _segment_findings(text, seg, facts.goals)
            messages += w
            sorries += s
        elif seg.tag == "stmt_type":
            messages.append(_info_on(text, seg, "#check", case.changed_types.get(name, facts.types[name])))
        elif seg.tag == "stmt_value":
            messages.append(_info_on(text, seg, "#print", facts.values[name]))
        elif seg.tag == "kind":
            if name in case.kinds:
                messages.append(_info_on(text, seg, "#print", case.kinds[name]))
            else:
                messages.append(_info_on(text, seg, "#print", f"Unknown constant `_root_.{name}`", "error"))
        elif seg.tag == "axioms":
            if name in case.kinds:
                if name in case.axioms:
                    messages.append(_info_on(text, seg, "#print", case.axioms[name]))
                else:  # a permitted declaration: not asked about by verify, but Lean still answers
                    messages.append(_info_on(text, seg, "#print", f"'{name}' depends on axioms: [sorryAx]"))
            else:
                messages.append(_info_on(text, seg, "#print", f"Unknown constant `_root_.{name}`", "error"))
        elif seg.tag == "type" and name in case.type_errors:
            needle, data = case.type_errors[name]
            start = _line_start(text, seg.first)
            # a failed `apply` is reported on the tactic; an unknown name on the name
            at = text.find(
                needle,
                text.find(":=", start)
                if needle.startswith("apply")
                else text.find("(type_of% @_root_." + name + ")", start),
            )
            messages.append(_message("error", _pos(text, at), _pos(text, at + len(needle)), data))
        elif seg.tag == "value" and name in case.value_errors:
            needle, data = case.value_errors[name]
            start = _line_start(text, seg.first)
            at = text.find(needle, text.find("with_unfolding_all", start))
            messages.append(_message("error", _pos(text, at), _pos(text, at + len(needle)), data))
    return _response(messages, sorries)


# --------------------------------------------------------------------------- capturing requests


class _ScriptedProcess:
    """Stands in for ReplProcess while the transcripts are written: answers each request
    with the hand-written answer and numbers ids like a fresh REPL."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.generation = 1
        self.requests_served = 0
        self.exchanges: list[tuple[dict, str]] = []
        self.next_env = 0
        self.next_state = 0
        self.pid = 1  # "running", so the session does not start it

    def start(self) -> None:
        pass

    def request(self, request, timeout=None):
        obj = request.to_json()
        body = self.answer(len(self.exchanges), request)
        for s in body.get("sorries", []):
            s["proofState"] = self.next_state
            self.next_state += 1
        body["env"] = self.next_env
        self.next_env += 1
        text = pretty(body)
        self.exchanges.append((obj, text))
        self.requests_served += 1
        return parse_response_text(text)

    def restart(self) -> None:  # pragma: no cover - never needed here
        raise AssertionError("no restarts while scripting")

    def close(self) -> None:
        pass


# Written at the end of every generated .in file, as a comment block (the REPL, and so the
# stand-in, skips requests that start with `--`).
EVIDENCE = (
    "scripted, not recorded (tests/verify/verify_transcripts.py); evidence:",
    'message wording from repl-transcripts/v4.33.0-rc2 ("declaration uses `sorry`", "Unknown identifier", the unused-variable linter);',
    "#print / #print axioms in the format of lean4 src/Lean/Elab/Print.lean and published outputs;",
    "#check @c under pp.all: lean4 tests/lean/run/6090.lean; positions computed as Lean reports them;",
    "infotree: the CommandInfo shape of repl-transcripts/v4.33.0-rc2/infotree_theorem.expected.out (tests/verify/verify_infotree.py).",
)


def _exchanges(process: _ScriptedProcess, evidence: str = "") -> tuple[str, str]:
    requests = "\n\n".join(json.dumps(obj, ensure_ascii=False) for obj, _ in process.exchanges) + "\n"
    lines = list(EVIDENCE) + ([evidence] if evidence else [])
    requests += "\n" + "\n".join("-- " + line for line in lines) + "\n"
    responses = "".join(text + "\n\n" for _, text in process.exchanges)
    return requests, responses


def transcript_for(case: Case) -> tuple[str, str]:
    """(.in text, .expected.out text) for one case: the statement probe, the candidate and
    the checks (the self-check has its own transcript, SELF_CHECK_NAME)."""
    facts = STATEMENTS[case.statement]

    def answer(index: int, request) -> dict:
        assert isinstance(request, CommandRequest)
        if index == 0:
            return answer_clean_probe(facts, request.cmd)
        if index == 1:
            return answer_candidate(case, request.cmd)
        if index == 2:
            return answer_checks(facts, case, request.cmd)
        raise AssertionError(f"unexpected request {index}: {request}")

    process = _ScriptedProcess(answer)
    session = LeanSession(ReplConfig(repl_path="scripted"), process=process)  # type: ignore[arg-type]
    SELF_CHECKS.record(session, "", SelfCheck(lean_version=LEAN_VERSION))  # scripted separately
    verify(session, facts.text, case.candidate, **case.options)
    return _exchanges(process, case.evidence)


# --------------------------------------------------------------------------- the self-check

SELF_CHECK_NAME = "verify_self_check"
LEAN_VERSION = "4.33.0-rc2"
STATEMENTS["control"] = StatementFacts(
    text=CONTROL_STATEMENT,
    goals={"selfcheck_add_zero": "n : Nat\n⊢ n + 0 = n", "selfcheck_add_zero__stmt": "n : Nat\n⊢ n + 0 = n"},
    prints={"selfcheck_add_zero": "theorem selfcheck_add_zero__stmt : ∀ (n : Nat), n + 0 = n :=\nfun n => sorry"},
    types={"selfcheck_add_zero": "selfcheck_add_zero__stmt : " + NAT_ADD_ZERO},
)
_CONTROL_KIND = {"selfcheck_add_zero": "theorem selfcheck_add_zero : ∀ (n : Nat), n + 0 = n :=\n⋯"}
CONTROL_CASES: dict[str, Case] = {
    "honest proof": Case(
        "",
        "control",
        CONTROLS[0].candidate,
        kinds=_CONTROL_KIND,
        axioms={"selfcheck_add_zero": NO_AXIOMS.format("selfcheck_add_zero")},
    ),
    "sorry": Case(
        "",
        "control",
        CONTROLS[1].candidate,
        messages=[("warning", "selfcheck_add_zero", 1, SORRY_WARNING)],
        sorries=[("sorry", 1, "n : Nat\n⊢ n + 0 = n")],
        kinds=_CONTROL_KIND,
        axioms={"selfcheck_add_zero": "'selfcheck_add_zero' depends on axioms: [sorryAx]"},
    ),
    "changed hypothesis": Case(
        "",
        "control",
        CONTROLS[2].candidate,
        messages=[("warning", "h", 1, UNUSED_H)],
        kinds={"selfcheck_add_zero": "theorem selfcheck_add_zero : ∀ (n : Nat), n = 0 → n + 0 = n :=\n⋯"},
        axioms={"selfcheck_add_zero": NO_AXIOMS.format("selfcheck_add_zero")},
        type_errors={
            "selfcheck_add_zero": (
                "apply HEq.refl",
                _not_defeq("∀ (n : Nat), n + 0 = n", "∀ (n : Nat), n = 0 → n + 0 = n"),
            )
        },
    ),
    "extra axiom": Case(
        "",
        "control",
        CONTROLS[3].candidate,
        kinds=_CONTROL_KIND,
        axioms={"selfcheck_add_zero": "'selfcheck_add_zero' depends on axioms: [selfcheck_cheat]"},
    ),
    "banned command": Case(
        "",
        "control",
        CONTROLS[4].candidate,
        messages=[("info", "#eval", 1, "0")],
        kinds=_CONTROL_KIND,
        axioms={"selfcheck_add_zero": NO_AXIOMS.format("selfcheck_add_zero")},
    ),
}


def answer_version(text: str) -> dict:
    # `#eval` of a String: Lean prints it with its quotes (no recording shows #eval of a
    # String; lean_checks.parse_version takes it with or without them).
    return _response([_message("info", *_where(text, "#eval"), json.dumps(LEAN_VERSION))], [])


def self_check_transcript(control_cases: dict[str, Case] = CONTROL_CASES, require_pass: bool = True) -> tuple[str, str]:
    """The requests of a first verification's self-check on a fresh process (Lean's
    version, then each control's statement probe (once), candidate and checks)."""
    from lean_magic.verify import core

    facts = STATEMENTS["control"]
    by_candidate = {c.candidate: c for c in control_cases.values()}
    last: list[Case] = []

    def answer(index: int, request) -> dict:
        cmd = request.cmd
        if cmd == VERSION_QUERY:
            return answer_version(cmd)
        if cmd in by_candidate:
            last[:] = [by_candidate[cmd]]
            return answer_candidate(by_candidate[cmd], cmd)
        if cmd.startswith(CONTROL_STATEMENT):
            return answer_clean_probe(facts, cmd)
        return answer_checks(facts, last[0], cmd)

    process = _ScriptedProcess(answer)
    session = LeanSession(ReplConfig(repl_path="scripted"), process=process)  # type: ignore[arg-type]
    saved = dict(core._CONTROL_CACHE._data)
    core._CONTROL_CACHE._data.clear()
    try:
        outcome = core.run_self_check(session, "", core._Budget(None))
    finally:
        core._CONTROL_CACHE._data.update(saved)
    assert outcome.passed or not require_pass, outcome
    return _exchanges(
        process,
        "the version query: Lean.versionString (lean4 src/Init/Meta.lean); no recording shows #eval of a String, its quotes are assumed (parse_version takes it either way)",
    )


def write_all(folder: Path = SCRIPTED) -> list[Path]:
    written = []
    for name, (requests, responses) in [(c.name, transcript_for(c)) for c in CASES] + [
        (SELF_CHECK_NAME, self_check_transcript())
    ]:
        (folder / f"{name}.in").write_text(requests, encoding="utf-8")
        (folder / f"{name}.expected.out").write_text(responses, encoding="utf-8")
        written.append(folder / f"{name}.in")
    return written


if __name__ == "__main__":
    for path in write_all():
        print("wrote", path.relative_to(REPO), "and .expected.out")
