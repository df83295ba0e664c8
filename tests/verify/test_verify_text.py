"""The verifier's text side, without a REPL: the lexer, the cheat scan, reading a statement
and building its renamed copy and check commands. No responses are scripted here."""

from __future__ import annotations

import pytest
from lean_magic.verify import (
    StatementError,
    candidate_checks,
    clean_probe,
    normalise,
    parse_print_header,
    parse_statement,
    scan_candidate,
)

from lean_kernel.lean_text import find_declarations, lex


def reasons(candidate: str, names=("foo",), imports=()) -> list[str]:
    return [m.reason for m in scan_candidate(candidate, list(names), list(imports))]


# --------------------------------------------------------------------------- declarations (lean_text)


def test_declarations_resolve_namespaces_and_root():
    text = "namespace A\ntheorem foo : True := trivial\nsection\ndef B.g := 1\nend\nend A\ntheorem _root_.bar : True := trivial\nexample : 1 = 1 := rfl"
    decls = find_declarations(lex(text).code)
    assert [(d.kind, d.full_name) for d in decls] == [
        ("theorem", "A.foo"),
        ("def", "A.B.g"),
        ("theorem", "bar"),
        ("example", None),
    ]


def test_declarations_skip_deriving_and_attribute_instances():
    text = "deriving instance Repr for Foo\nattribute [local instance] bar\ninstance baz : Inhabited Nat := ⟨0⟩"
    decls = find_declarations(text)
    assert [(d.kind, d.full_name) for d in decls] == [("instance", "baz")]


# --------------------------------------------------------------------------- cheat scan (one per reason)


def test_scan_ignores_cheats_in_comments_and_strings():
    candidate = '-- axiom cheat : False\n/- sorryAx, implemented_by, set_option debug.skipKernelTC true -/\ntheorem foo : "open private" = "open private" := rfl'
    assert reasons(candidate) == []


def test_scan_new_axiom():
    assert reasons("axiom cheat : False\ntheorem foo : False := cheat") == ["new_axiom"]


def test_scan_axioms_command_is_not_an_axiom():
    assert reasons("theorem foo : True := trivial\n#print axioms foo") == []


def test_scan_sorryax():
    assert reasons("theorem foo : False := sorryAx False false") == ["sorryAx"]


def test_scan_implemented_by_and_extern():
    assert reasons("@[implemented_by g] def f := 1") == ["implemented_by"]
    assert reasons('@[extern "c_f"] def f := 1') == ["extern"]


@pytest.mark.parametrize(
    "option",
    ["debug.skipKernelTC", "debug.byAsSorry", "debug.anything", "pp.explicit", "«debug».skipKernelTC", "warn.sorry"],
)
def test_scan_unsafe_options(option):
    assert reasons(f"set_option {option} true in\ntheorem foo : True := trivial") == ["unsafe_option"]


@pytest.mark.parametrize("option", ["maxHeartbeats 400000", "maxRecDepth 10000", "linter.unusedVariables false"])
def test_scan_harmless_options(option):
    assert reasons(f"set_option {option} in\ntheorem foo : True := trivial") == []


def test_scan_open_private():
    assert reasons("open private secret in\ntheorem foo : True := trivial") == ["open_private"]


@pytest.mark.parametrize(
    "command",
    [
        "run_cmd pure ()",
        "#eval 1",
        'elab "x" : term => pure default',
        'macro "x" : term => `(1)',
        # Entry points without those keywords: a tactic run inside a proof, a simproc, and
        # definitions registered by attribute as code the elaborator runs.
        "theorem t : True := by run_tac pure ()",
        "simproc s (Nat.succ _) := fun _ => pure .continue",
        "@[tactic Lean.Parser.Tactic.decide] def t : Lean.Elab.Tactic.Tactic := fun _ => pure ()",
        "attribute [local norm_num Nat.succ _] e",
        "@[«tactic» Lean.Parser.Tactic.decide] def t := 1",
        # The API such code needs (defence in depth behind the entry points).
        "def t : Lean.Meta.MetaM Unit := Lean.modifyEnv id",
        "def t := withOptions (·.setBool `debug.skipKernelTC true) x",
    ],
)
def test_scan_metaprogramming(command):
    found = reasons(command + "\ntheorem foo : True := trivial")
    assert "metaprogramming" in found or "unsafe_option" in found, found


def test_scan_native_reduction_and_hidden_messages():
    # The kernel runs compiled code for `Lean.reduceBool c` and records no axiom: with
    # @[implemented_by] (or a compiler bug) that proves False with a clean axiom list.
    assert reasons("theorem t : Lean.reduceBool c = true := rfl") == ["native_reduction"]
    assert reasons("open Lean in\ntheorem t : reduceNat c = 1 := rfl") == ["native_reduction"]
    # `#guard_msgs` swallows an error or a sorry warning (the sorry check reads those).
    assert reasons("/-- warning: declaration uses 'sorry' -/\n#guard_msgs in\ntheorem foo : True := sorry") == [
        "hidden_messages"
    ]


def test_scan_notation_that_spells_a_word_of_the_checks():
    assert reasons('notation (priority := high) "type_of% " x => True') == ["notation_clash"]
    assert reasons('local notation "PLift.up" x => ()') == ["notation_clash"]
    assert reasons('scoped[Foo] infixl:50 " = " => Nat.le') == ["notation_clash"]
    # Other notations, and the same strings outside a notation, are fine.
    assert reasons('local notation "‖" x "‖" => Int.natAbs x\ntheorem foo : "(" ++ "=" = "(=" := rfl') == []


def test_scan_quoted_names_are_the_same_names():
    assert reasons("@[«implemented_by» g] def f := 1") == ["implemented_by"]
    assert reasons("theorem foo : False := «sorryAx» False false") == ["sorryAx"]


@pytest.mark.parametrize(
    "honest",
    [
        "theorem foo (n : Nat) : n + 0 = n := by simp [Nat.add_zero]",
        "@[simp] theorem foo : True := trivial\nattribute [local instance] Classical.propDecidable",
        "theorem foo (tactic init : Nat) : tactic + init = init + tactic := Nat.add_comm _ _",
        "theorem foo : (2 : Nat) + 2 = 4 := by decide",
    ],
)
def test_scan_leaves_honest_proofs_alone(honest):
    assert reasons(honest) == []


def test_scan_redefined_name_in_other_namespace():
    found = scan_candidate("namespace X\ntheorem foo : True := trivial\nend X", ["foo"], [])
    assert [(m.reason, m.declaration) for m in found] == [("redefined_statement_name", "foo")]
    assert "X.foo" in found[0].message


def test_scan_redefined_name_by_notation_or_reserved_name():
    assert reasons('local notation "foo" => 1') == ["redefined_statement_name"]
    assert reasons("theorem foo__stmt : True := trivial") == ["redefined_statement_name"]
    assert reasons("export Nat (foo)") == ["redefined_statement_name"]


def test_scan_same_name_in_statement_namespace_is_fine():
    assert reasons("namespace A\ntheorem foo : True := trivial\nend A", names=("A.foo",)) == []


def test_scan_extra_import():
    assert reasons("import Lean\ntheorem foo : True := trivial", imports=()) == ["extra_import"]
    assert reasons("import Mathlib\ntheorem foo : True := trivial", imports=("Mathlib",)) == []


# --------------------------------------------------------------------------- statements


def test_statement_copy_renames_declarations_and_references():
    stmt = parse_statement(
        "import Mathlib\ndef f (n : Nat) : Nat := n + 1\nabbrev answer : Nat := sorry\n"
        "namespace A\ntheorem foo : f answer = answer + 1 := by\n  sorry -- f here\nend A"
    )
    assert stmt.imports == ["Mathlib"]
    assert [(d.name, d.free) for d in stmt.decls] == [("f", False), ("answer", True), ("A.foo", False)]
    # Free definitions keep their references: the copy must mean the candidate's answer.
    assert "theorem foo__stmt : f__stmt answer = answer + 1" in stmt.copy_text
    assert "abbrev answer__stmt : Nat := sorry" in stmt.copy_text
    assert "-- f here" in stmt.copy_text  # comments untouched


def test_statement_copy_renames_declared_universes():
    # A candidate that repeats `universe u` leaves `u` in scope; the copy, elaborated
    # after it, must not declare `u` again.
    stmt = parse_statement(
        "universe u v in\ntheorem foo {α : Sort (max u v)} (x : ULift.{v} α) (y : α) : y = y := sorry"
    )
    assert stmt.copy_text.startswith("universe u__stmt v__stmt in\ntheorem foo__stmt {α : Sort (max u__stmt v__stmt)}")
    assert "ULift.{v__stmt} α" in stmt.copy_text and "x.u" not in stmt.copy_text


def test_statement_copy_renames_dotted_and_root_references():
    stmt = parse_statement(
        "theorem foo : True := trivial\ntheorem bar : True := _root_.foo\ntheorem baz (h : True) : True := foo.elim"
    )
    assert "_root_.foo__stmt" in stmt.copy_text and "foo__stmt.elim" in stmt.copy_text


@pytest.mark.parametrize(
    "statement, fix",
    [
        ("example : 1 = 1 := sorry", "name it"),
        ("axiom a : False", "not supported"),
        ("instance : Inhabited Nat := sorry", "give it a name"),
        ("-- nothing here", "declares nothing"),
        ("theorem foo__stmt : True := sorry", "reserved"),
    ],
)
def test_statement_errors_name_the_fix(statement, fix):
    with pytest.raises(StatementError, match=fix):
        parse_statement(statement)


def test_check_command_fixes_universes_and_uses_root_names():
    stmt = parse_statement(
        "theorem foo (α : Type u) (a : α) : a = a := sorry\ndef g : Nat := 3\ntheorem h : g = 3 := sorry"
    )
    stmt.decls[0].universes = ["u"]
    text = candidate_checks(stmt).text
    # Not a theorem: Lean would turn the universe metavariable of `@_root_.foo` into a fresh
    # parameter before the proof runs. Our own universe names: the candidate may have `u`.
    # HEq and `apply`: no coercion can be inserted, neither between the two sides nor into
    # the proof.
    assert (
        "noncomputable def _root_.stmt__verify_type_1.{u__verify_1} : "
        "PLift (HEq (type_of% @_root_.foo__stmt.{u__verify_1}) (type_of% @_root_.foo)) := PLift.up (by apply HEq.refl)"
    ) in text
    assert "PLift (HEq @_root_.g__stmt @_root_.g) := PLift.up (by with_unfolding_all apply HEq.refl)" in text
    assert (
        "theorem _root_.stmt__verify" not in text
        and ":= rfl" not in text
        and " = " not in text.split("#print axioms")[-1]
    )
    assert "#print axioms _root_.h" in text
    # The probe starts with the copy so its positions do not depend on the candidate.
    assert text.startswith(stmt.copy_text)
    assert clean_probe(stmt).text.startswith(stmt.text + "\n" + stmt.copy_text)


@pytest.mark.parametrize(
    "printed, expected",
    [
        ("theorem foo : ∀ (n : Nat), n + 0 = n :=\nfun n => rfl", ("theorem", [])),
        ("@[reducible] def answer.{u, v} : Sort (max u v) :=\nsorry", ("def", ["u", "v"])),
        ("private theorem A.b : True :=\ntrivial", ("theorem", [])),
        ("axiom cheat : False", ("axiom", [])),
        ("unsafe opaque x : Nat", ("opaque", [])),
        # Newer Lean: more attributes, `private` before `protected`, `meta`; names with «».
        ("@[reducible, expose] private protected meta def A.b.{u} : Sort u :=\nsorry", ("def", ["u"])),
        ("@[defeq] theorem foo' : 1 = 1 :=\nrfl", ("theorem", [])),
        ("theorem «my thm».{u_1} : True :=\ntrivial", ("theorem", ["u_1"])),
    ],
)
def test_print_header(printed, expected):
    assert parse_print_header(printed) == expected


@pytest.mark.parametrize(
    "clean, after",
    [
        # `#check @c` names universe parameters afresh; a leftover `universe u_1` shifts them.
        ("@f.{u_1} : ∀ {α : Sort u_1}, α → α", "@f.{u_2} : ∀ {α : Sort u_2}, α → α"),
        ("@g.{u_1, u_2} : Sort (max u_1 u_2)", "@g.{v, w} : Sort (max v w)"),
    ],
)
def test_universe_names_are_compared_by_position(clean, after):
    assert normalise(clean) == normalise(after)


def test_universe_renaming_keeps_real_differences():
    # The order of parameters matters, and a changed type still differs.
    assert normalise("@g.{u_1, u_2} : Sort (max u_1 u_2) → Sort u_1") != normalise(
        "@g.{u_1, u_2} : Sort (max u_1 u_2) → Sort u_2"
    )
    assert normalise("@f.{u_1} : Sort u_1") != normalise("@f.{u_1} : Type u_1")
