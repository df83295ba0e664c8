"""ProofSteps built from real REPL answers (recordings), without any widget."""

from __future__ import annotations

import json

import pytest

from lean_kernel.protocol import CommandResponse, Pos, ReplErrorResponse, TacticEntry, parse_response_text
from lean_kernel.widget import NO_STEPS, ProofSteps, StepCursor, split_goal_text

V_NEW = "v4.33.0-rc2"


# --------------------------------------------------------------------------- tactics shape


@pytest.mark.parametrize("version", ["v4.8.0", "v4.19.0", V_NEW])
def test_all_tactics_two_steps(recorded, version):
    code, response = recorded(version, "all_tactics")
    steps = ProofSteps.from_response(code, response)

    assert steps.shape == "tactics"
    assert len(steps) == 2
    have, exact = steps
    assert (have.source, exact.source) == ("have t := 37", "exact t")
    for s in steps:
        assert code[s.start : s.end] == s.source
    assert (have.proof_state, exact.proof_state) == (0, 1)
    # v4.8.0 prints "t : Nat ⊢ Nat" on one line; it is broken before ⊢ like the later versions.
    assert have.goals_before == ["⊢ Nat"]
    assert have.goals_after == ["t : Nat\n⊢ Nat"]
    assert have.after_rule == "next step"
    assert exact.goals_before == ["t : Nat\n⊢ Nat"]
    # The last tactic of an error-free `by` block must have closed it.
    assert exact.goals_after == []
    assert exact.after_rule == "closed block"


def test_calc_nested_steps_v433(recorded):
    code, response = recorded(V_NEW, "calc")
    steps = ProofSteps.from_response(code, response)

    assert len(steps) == 4
    calc, calc_steps, sorry1, sorry2 = steps
    assert calc.source.startswith("calc\n  3 = 4") and calc.depth == 0
    assert calc.goals_before == ["⊢ 3 = 5"]
    assert calc.goals_after == []
    # The REPL lists calc's step block with "no goals" before it; nothing says what follows.
    assert calc_steps.goals_before == [] and calc_steps.goals_after is None
    assert calc_steps.depth == 1
    # The two sorries share a parent but sit in different `by` blocks: not siblings.
    assert sorry1.source == sorry2.source == "sorry"
    assert (sorry1.pos, sorry2.pos) == (Pos(2, 14), Pos(3, 14))
    assert sorry1.goals_before == ["⊢ 3 = 4"] and sorry1.goals_after == []
    assert sorry2.goals_before == ["⊢ 4 = 5"] and sorry2.goals_after == []
    assert sorry1.depth == 2


def test_calc_v48_has_no_step_block(recorded):
    code, response = recorded("v4.8.0", "calc")
    steps = ProofSteps.from_response(code, response)
    assert [s.source for s in steps] == [code[code.index("calc") :], "sorry", "sorry"]
    assert [s.goals_before for s in steps] == [["⊢ 3 = 5"], ["⊢ 3 = 4"], ["⊢ 4 = 5"]]


def test_file_request_code_is_the_lean_file(recorded):
    code, response = recorded("v4.19.0", "file")
    steps = ProofSteps.from_response(code, response)
    assert [s.source for s in steps] == ["exact rfl"]
    assert steps[0].goals_before == ["⊢ f + g = 39"]


def _with_unsolved_goals(response: CommandResponse) -> CommandResponse:
    """The recorded tactics with an "unsolved goals" error on the `by` (made up)."""
    tactics = json.dumps([t.to_json() for t in response.tactics])
    return parse_response_text(
        f'{{"tactics": {tactics}, "messages": [{{"severity": "error", "pos": {{"line": 1, "column": 15}},'
        ' "endPos": {"line": 1, "column": 17}, "data": "unsolved goals"}], "env": 0}'
    )


def test_errors_make_closed_blocks_unknown(recorded):
    code, response = recorded(V_NEW, "all_tactics")
    assert isinstance(response, CommandResponse)
    # Same recorded answer plus an error: "unsolved goals" could be about this block.
    broken = _with_unsolved_goals(response)
    steps = ProofSteps.from_response(code, broken)
    assert steps[0].goals_after == ["t : Nat\n⊢ Nat"]  # a sibling still tells
    assert steps[1].goals_after is None and steps[1].after_rule == "unknown"
    assert steps.has_errors


def test_scripted_cdot_block_rules(scripted):
    # Scripted transcript tests/fixtures/scripted/widget_cdot_exact (no recording has a
    # `·` block or a multi-goal `goals` string): v4.33 format, written by us.
    code, response = scripted("widget_cdot_exact")
    steps = ProofSteps.from_response(code, response)
    constructor, skip, exact_hp, exact_q = steps
    left = "case left\np q : Prop\nhp : p\nhq : q\n⊢ p"
    right = "case right\np q : Prop\nhp : p\nhq : q\n⊢ q"
    assert skip.goals_before == [left, right]
    assert constructor.goals_after == [left, right]
    # The next thing after `skip` is a `·` block the REPL does not list: unknown.
    assert skip.goals_after is None
    assert exact_hp.goals_before == [left] and exact_hp.goals_after == []
    assert exact_q.source == "exact?" and exact_q.goals_after == []


# --------------------------------------------------------------------------- infotree shape


def test_infotree_full_keeps_only_user_tactics(recorded):
    code, response = recorded(V_NEW, "infotree_theorem")
    assert isinstance(response, CommandResponse) and not response.tactics
    tactic_nodes = [n for root in response.infotree or [] for n in root.walk() if n.is_tactic]
    assert len(tactic_nodes) == 5  # by-block, `by` keyword, tacticSeq, tacticSeq1Indented, exact

    steps = ProofSteps.from_response(code, response)
    assert steps.shape == "infotree"
    assert len(steps) == 1
    (exact,) = steps
    assert exact.name == "Lean.Parser.Tactic.exact"
    assert exact.source == code[exact.start : exact.end] == "exact h"
    assert exact.goals_before == ["p : Prop\nh : p\n⊢ p"]
    assert exact.goals_after == [] and exact.after_rule == "infotree"
    assert exact.proof_state is None


@pytest.mark.parametrize("version", ["v4.8.0", "v4.19.0", V_NEW])
def test_infotree_substantive(recorded, version):
    code, response = recorded(version, "infotree")
    steps = ProofSteps.from_response(code, response)
    assert [s.source for s in steps] == ["constructor"]
    assert steps[0].goals_before == ["h : Int\n⊢ Nat"]
    assert steps[0].goals_after == []
    # The unused-variable warning points at the binder, before every tactic.
    assert len(steps.messages) == 1 and steps.messages[0].step is None


def test_tactics_take_goals_after_from_an_infotree_with_the_same_span(recorded):
    code, response = recorded(V_NEW, "infotree_theorem")
    node = next(
        n for root in response.infotree or [] for n in root.walk() if n.tactic_name == "Lean.Parser.Tactic.exact"
    )
    # Made-up combination (no recording has both keys): a tactics entry on the same span,
    # and an infotree whose goalsAfter differ from what rule 3 would infer.
    node.node["goalsAfter"] = ["p : Prop\nh : p\n⊢ p"]
    rng = node.range
    both = CommandResponse(
        env=0,
        tactics=[TacticEntry("exact h", "p : Prop\nh : p\n⊢ p", 0, rng.start, rng.finish)],
        infotree=response.infotree,
    )
    steps = ProofSteps.from_response(code, both)
    assert steps.shape == "tactics"
    assert steps[0].goals_after == ["p : Prop\nh : p\n⊢ p"]
    assert steps[0].after_rule == "infotree"


# --------------------------------------------------------------------------- no steps


def test_def_without_tactics_has_zero_steps(recorded):
    code, response = recorded(V_NEW, "def_eval")
    assert code == "def f := 37"
    steps = ProofSteps.from_response(code, response)
    assert len(steps) == 0 and steps.empty and steps.shape is None
    assert steps.reason.startswith(NO_STEPS)
    assert steps.step_for_position(Pos(1, 4)) is None
    assert steps.text().startswith(NO_STEPS)


def test_messages_kept_without_steps(recorded):
    # rootGoals but no allTactics: a message inside the proof, no step to jump to.
    code, response = recorded(V_NEW, "root_goals")
    steps = ProofSteps.from_response(code, response)
    assert steps.empty
    assert [(m.severity, m.pos, m.step) for m in steps.messages] == [("info", Pos(3, 2), None)]
    assert code[steps.messages[0].start : steps.messages[0].end] == "exact?"


def test_tactic_answers_and_repl_errors_have_zero_steps(recorded):
    code, tactic_answer = recorded(V_NEW, "all_tactics-20250622", 1)
    steps = ProofSteps.from_response(code, tactic_answer)
    assert steps.empty and "tactic-mode" in steps.reason

    steps = ProofSteps.from_response("example", ReplErrorResponse("Unknown environment."))
    assert steps.empty and "Unknown environment." in steps.reason
    assert ProofSteps.from_response("x", None).empty


def test_raw_json_is_refused_with_the_fix():
    with pytest.raises(TypeError, match="parse_response"):
        ProofSteps.from_response("x", {"env": 0})


# --------------------------------------------------------------------------- positions


def test_step_for_position(recorded):
    code, response = recorded(V_NEW, "all_tactics")
    steps = ProofSteps.from_response(code, response)
    assert steps.step_for_position(Pos(1, 20)) == 0  # inside "have t := 37"
    assert steps.step_for_position(Pos(1, 32)) == 1  # start of "exact t"
    assert steps.step_for_position(Pos(1, 31)) == 0  # the ";" between: nearest before
    assert steps.step_for_position(Pos(1, 39)) == 1  # the end of the code
    assert steps.step_for_position(Pos(1, 0)) is None  # "def", before every step
    assert steps.step_for_position(0, len(code)) == 0  # a range over the declaration


def test_innermost_step_wins(recorded):
    code, response = recorded(V_NEW, "calc")
    steps = ProofSteps.from_response(code, response)
    assert steps.step_for_position(Pos(2, 15)) == 2  # in the first sorry, inside calc
    assert steps.step_for_position(Pos(2, 4)) == 1  # in calc's step block
    assert steps.step_for_position(Pos(1, 23)) == 0
    # The sorry warning sits on `example`, before every tactic.
    assert steps.messages[0].step is None


def test_message_over_a_declaration_goes_to_its_first_step(recorded):
    code, response = recorded("v4.19.0", "file")
    steps = ProofSteps.from_response(code, response)
    (m,) = steps.messages
    assert m.data == "Goals accomplished!" and m.pos == Pos(5, 0)
    assert m.step == 0


# --------------------------------------------------------------------------- goal text


def test_split_goal_text():
    assert split_goal_text("no goals") == []
    assert split_goal_text("") == []
    assert split_goal_text("⊢ Nat") == ["⊢ Nat"]
    # Lean joins goals with one newline; a goal ends after its ⊢ line and continuations.
    assert split_goal_text("case a\nx : Nat\n⊢ x = x\n  + 0\ncase b\n⊢ True") == [
        "case a\nx : Nat\n⊢ x = x\n  + 0",
        "case b\n⊢ True",
    ]
    # Blank-line separated goals ("unsolved goals" style) split the same way.
    assert split_goal_text("⊢ A\n\nh : B\n⊢ C") == ["⊢ A", "h : B\n⊢ C"]
    # Wrapped hypothesis types stay in their goal.
    assert split_goal_text("h :\n  ∀ n,\n    n = n\n⊢ P") == ["h :\n  ∀ n,\n    n = n\n⊢ P"]
    # Pre-v4.9 one-line goals.
    assert split_goal_text("t : Nat ⊢ Nat") == ["t : Nat\n⊢ Nat"]


def test_model_import_does_not_load_ipywidgets():
    import subprocess
    import sys

    code = "import sys, lean_kernel.widget; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _made_up(code: str, spans: list[tuple[str, str]]) -> CommandResponse:
    """A tactics answer for ``code``: each (source text, goals) at its first occurrence
    after the previous one's start (so nested tactics can follow their parent). Made up (no recording has these shapes); it exercises the
    goals-after rules, not the REPL."""
    entries, at = [], 0
    for text, goals in spans:
        start = code.index(text, at)
        at = start + 1
        pos = lambda off: Pos(code.count("\n", 0, off) + 1, off - (code.rfind("\n", 0, off) + 1))  # noqa: E731
        entries.append(TacticEntry(text, goals, len(entries), pos(start), pos(start + len(text))))
    return CommandResponse(env=0, tactics=entries)


@pytest.mark.parametrize(
    ("code", "spans", "expected"),
    [
        # `<;>` continues the sequence: the left side does not close anything.
        (
            "example : p ∧ p := by\n  constructor <;> exact hp",
            [("constructor", "⊢ p ∧ p"), ("exact hp", "⊢ p")],
            [None, None],
        ),
        # `case ... =>` blocks must be finished; `conv =>` blocks need not be.
        (
            "example : P := by\n  case a => exact h\n  rfl",
            [("case a => exact h", "case a\n⊢ A"), ("exact h", "⊢ A"), ("rfl", "⊢ P")],
            [["⊢ P"], [], []],
        ),
        (
            "example : P := by\n  conv => rfl\n  rfl",
            [("conv => rfl", "⊢ P"), ("rfl", "| P"), ("rfl", "⊢ P")],
            [["⊢ P"], None, []],
        ),
        # `try` is no block of its own; a comment does not break a sequence.
        (
            "example : P := by\n  try simp\n  rfl",
            [("try simp", "⊢ P"), ("simp", "⊢ P"), ("rfl", "⊢ P")],
            [["⊢ P"], None, []],
        ),
        ("example : P := by\n  skip -- by\n  rfl", [("skip", "⊢ P"), ("rfl", "⊢ P")], [["⊢ P"], []]),
        # A term-level `by` inside brackets ends at the bracket.
        ("example : P := by\n  exact f (by simp) h", [("exact f (by simp) h", "⊢ P"), ("simp", "⊢ Q")], [[], []]),
    ],
)
def test_goals_after_rules_on_made_up_answers(code, spans, expected):
    steps = ProofSteps.from_response(code, _made_up(code, spans))
    assert [s.goals_after for s in steps] == expected


def test_from_cell_result(recorded):
    from lean_kernel.results import CellResult

    code, response = recorded(V_NEW, "all_tactics")
    steps = ProofSteps.from_result(CellResult(code=code, response=response))
    assert [s.source for s in steps] == ["have t := 37", "exact t"]

    failed = ProofSteps.from_result(CellResult(code=code, failure="the REPL timed out after 10 s"))
    assert failed.empty and failed.reason == f"{NO_STEPS}: the REPL timed out after 10 s"


def test_cursor_navigates_without_a_view(recorded):
    # recording: all_tactics (two steps), plus a made-up error on the `by` block (as above)
    code, response = recorded(V_NEW, "all_tactics")
    broken = _with_unsolved_goals(response)
    cursor = StepCursor(ProofSteps.from_response(code, broken))
    assert cursor.index == 0 and cursor.prev() == 0
    assert cursor.next() == 1 and cursor.next() == 1 and cursor.step.source == "exact t"
    # The error sits on `by`, before every step: it has no step, so the cursor stays.
    assert cursor.steps.messages[0].step is None
    assert cursor.click_message(0) == 1 and cursor.message.data == "unsolved goals"
    with pytest.raises(IndexError, match="numbered 0 to 1"):
        cursor.go(2)
    empty = StepCursor(ProofSteps.from_response("def f := 1", None))
    assert empty.index is None and empty.next() is None
    with pytest.raises(IndexError, match=NO_STEPS):
        empty.go(0)
