"""The session's readings of Lean text (lean_kernel.lean_text): import headers as Lean's
header parser reads them, and tactics sent the way the recordings send them."""

from __future__ import annotations

import json

import pytest

from lean_kernel.session import (
    LeanSession,
    as_single_tactic,
    declared_names_in,
    imported_modules,
    split_cell,
    split_header,
)


@pytest.mark.parametrize(
    "cell, header, modules",
    [
        ("import Mathlib -- reals\ntheorem t : True := trivial", "import Mathlib", ["Mathlib"]),
        (
            "import Mathlib /- block -/\nimport Lean.Elab -- more\n\ndef x := 1",
            "import Mathlib\nimport Lean.Elab",
            ["Mathlib", "Lean.Elab"],
        ),
        (
            "public import Lean\nmeta import all Foo\n#check 1",
            "public import Lean\nmeta import all Foo",
            ["Lean", "Foo"],
        ),
        ("def x := 1\nimport A", "", []),
    ],
)
def test_header_ends_where_lean_ends_it(cell, header, modules):
    assert split_header(cell)[0] == header
    assert imported_modules(split_header(cell)[0]) == modules


def test_command_on_the_import_line_stays_in_the_body_at_its_position():
    cell = "import Lake open Lake DSL\ndef x := 1"
    header, body, lines = split_header(cell)
    assert header == "import Lake" and lines == 0
    # The body keeps the line, blanked up to `open`: Lean's positions still match the cell.
    assert body == " " * len("import Lake") + " open Lake DSL\ndef x := 1"
    assert split_cell(cell) == ("import Lake", body, 0)


def test_trailing_comment_on_the_last_import_is_not_a_command():
    header, _body, lines = split_header("import Mathlib -- reals\n\ntheorem t : True := trivial")
    assert (header, lines) == ("import Mathlib", 1)
    assert split_cell("import Mathlib -- reals\n\ntheorem t : True := trivial") == (
        "import Mathlib",
        "theorem t : True := trivial",
        2,
    )


def test_declared_names_use_the_lexer():
    code = '-- theorem fake : True\ndef s := "theorem fake2"\ntheorem real : True := trivial\n  lemma inner : True := trivial'
    assert declared_names_in(code) == ["s", "real", "inner"]


@pytest.mark.parametrize(
    "text, sent",
    [
        # One tactic over several lines, as the recordings send it (Mathlib/test/induction.in,
        # app_type_mismatch2.in): as written.
        (
            "induction x with\n| zero => sorry\n| succ x => sorry",
            "induction x with\n| zero => sorry\n| succ x => sorry",
        ),
        ("have: true := by\n    apply ?succ\n    trivial", "have: true := by\n    apply ?succ\n    trivial"),
        ("  calc p x = 6 := h\n     _ = 7 := h'", "  calc p x = 6 := h\n     _ = 7 := h'"),
        ("constructor\n<;> simp", "constructor\n<;> simp"),
        ("rfl -- done\n", "rfl -- done"),
        # Several tactics: grouped, one step.
        ("intro h\nexact h", "(intro h\n exact h\n)"),
        ("constructor\n· simp\n· simp", "(constructor\n · simp\n · simp\n)"),
        ("  intro h\n  -- a comment line\n  exact h", "(intro h\n -- a comment line\n exact h\n)"),
    ],
)
def test_one_tactic_is_sent_as_written_and_only_sequences_are_grouped(text, sent):
    assert as_single_tactic(text) == sent


def test_recorded_multi_line_tactic_is_answered(standin_config, tmp_path):
    # Recorded: v4.33.0-rc2/Mathlib/test/induction.in. The stand-in answers only the exact
    # recorded text, so an answer proves the tactic went out as written, not wrapped.
    log = tmp_path / "requests.log"
    with LeanSession(standin_config("--log", str(log))) as session:
        assert session.run_cell("import Mathlib").ok
        cell = session.run_cell("theorem foo (x : Nat) : x = x := by sorry")
        assert cell.ok, cell.failure
        step = session.run_tactic(
            "induction x with\n| zero => sorry\n| succ x => sorry", proof_state=cell.sorries[0].proof_state
        )
        assert step.ok and step.repl_error is None, step.repl_error
    sent = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert sent[-1]["tactic"] == "induction x with\n| zero => sorry\n| succ x => sorry"
