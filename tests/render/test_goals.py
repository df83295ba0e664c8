"""Goal parsing (lean_kernel.goals) and goal_html, on recorded goal texts."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from lean_kernel.goals import Goal, Hypothesis, parse_goals
from lean_kernel.protocol import CommandResponse, TacticResponse
from lean_kernel.render import goal_html, goals_text

from .render_recordings import all_recorded, cell

V = "v4.33.0-rc2"


def _recorded_goal_texts() -> set[str]:
    texts: set[str] = set()
    for _, r in all_recorded():
        resp = r.response
        if isinstance(resp, (CommandResponse, TacticResponse)):
            texts.update(s.goal for s in resp.sorries)
        if isinstance(resp, TacticResponse):
            texts.update(resp.goals)
        if isinstance(resp, CommandResponse):
            texts.update(t.goals for t in resp.tactics)
    return texts


def test_case_tags_and_shared_hypotheses_from_a_recorded_step():
    goals = parse_goals(cell(f"{V}/Mathlib/test", "on_goal", 2).goals)
    assert [g.case for g in goals] == ["pos", "neg"]
    pos = goals[0]
    assert pos.hypotheses == (
        Hypothesis(("x",), "ℝ"),
        Hypothesis(("h0",), "|x| > 1"),
        Hypothesis(("h1", "h2"), "x = x"),
        Hypothesis(("h3",), "x < 0"),
    )
    assert pos.target == "x < 0 ∨ 2 * x > 2"
    assert goals[1].hypotheses[-1] == Hypothesis(("h3",), "¬x < 0")


def test_every_recorded_goal_text_parses_and_round_trips():
    texts = _recorded_goal_texts()
    assert len(texts) > 50  # all versions, sorries, steps and allTactics entries
    for text in texts:
        goals = parse_goals(text)
        if text == "no goals":
            assert goals == []
            continue
        assert goals and all(g.target is not None for g in goals), text
        if "\n⊢" in text or text.startswith("⊢"):
            assert "\n\n".join(g.to_text() for g in goals) == text


def test_one_line_goal_of_old_all_tactics():
    # v4.8.0 prints allTactics goals flattened on one line.
    entry = cell("v4.8.0", "all_tactics", 0).command.tactics[1]
    assert entry.goals == "t : Nat ⊢ Nat"
    assert parse_goals(entry.goals) == [Goal((Hypothesis(("t",), "Nat"),), "Nat")]


def test_unsolved_goals_message_holds_two_goals():
    msg = cell(f"{V}/Mathlib/test", "H20231115_3", 1).errors[0]
    first, _, rest = msg.data.partition("\n")
    assert first == "unsolved goals"
    goals = parse_goals(rest)
    assert [g.case for g in goals] == ["zero", "succ"]
    assert goals[1].hypotheses[1] == Hypothesis(("hx",), "x + 1 > x")
    assert goals[1].target == "x + 1 + 1 > x + 1"


def test_wrapped_hypothesis_and_target():
    # No recording has a goal long enough to wrap; this is Lean's layout for one:
    # the type moves to indented lines after "name :", the target continues indented.
    text = "f : ℕ → ℕ\nh :\n  ∀ (n : ℕ),\n    f n = n\n⊢ f 0 = 0 ∧\n    f 1 = 1"
    (goal,) = parse_goals(text)
    assert goal.hypotheses[0] == Hypothesis(("f",), "ℕ → ℕ")
    assert goal.hypotheses[1] == Hypothesis(("h",), "∀ (n : ℕ),\n    f n = n")
    assert goal.target == "f 0 = 0 ∧\n    f 1 = 1"


def test_list_input_and_empty_inputs():
    assert parse_goals(["⊢ A", "case b\n⊢ B"]) == [Goal((), "A"), Goal((), "B", "b")]
    assert parse_goals("") == [] and parse_goals("no goals") == [] and parse_goals([]) == []


def test_text_that_is_not_a_goal_is_kept_verbatim():
    (goal,) = parse_goals("something else")
    assert goal.target is None
    assert goal.to_text() == "something else"
    assert "something else" in goal_html("something else")


def test_goal_html_structure_and_escaping():
    page = goal_html(cell(f"{V}/Mathlib/test", "on_goal", 2).goals)
    assert page.count('class="lean-goal"') == 2
    assert page.count('<div class="lean-goal-target">⊢ x &lt; 0 ∨ 2 * x &gt; 2</div>') == 2
    assert '<span class="lean-hyp-type">x &lt; 0</span>' in page
    assert re.search(r'<span class="lean-hyp-name">h1</span> <span class="lean-hyp-name">h2</span>', page)
    assert "x < 0" not in page
    assert "no goals" in goal_html([])


def test_inaccessible_names_are_dimmed():
    page = goal_html(cell(V, "app_type_mismatch", 3).goals)
    assert '<span class="lean-hyp-name" style="opacity: 0.6">n✝</span>' in page


def test_goals_text_is_lean_layout():
    assert goals_text(cell(V, "app_type_mismatch", 2).goals) == (
        "case zero\n⊢ 0 = 0\n\ncase succ\nn✝ : Nat\n⊢ n✝ + 1 = 0"
    )


_ident = st.from_regex(r"[a-zA-Zα-ωₐ-ₜ][a-zA-Z0-9_'₀-₉✝]{0,6}", fullmatch=True)
_expr = (
    st.text(st.sampled_from("abcxyz012 +*<>&→∀∃ℝℕ()=¬|"), min_size=1, max_size=20)
    .map(str.strip)
    .filter(lambda s: s and " : " not in s and not s.endswith(" :"))
)


@given(
    case=st.none() | _ident,
    hyps=st.lists(st.tuples(st.lists(_ident, min_size=1, max_size=3), _expr), max_size=5),
    target=_expr,
)
def test_parse_inverts_to_text(case, hyps, target):
    goal = Goal(tuple(Hypothesis(tuple(n), t) for n, t in hyps), target, case)
    assert parse_goals(goal.to_text()) == [goal]
    assert parse_goals(goal.to_text() + "\n\n" + goal.to_text()) == [goal, goal]


def test_goals_joined_by_single_newlines_split_at_each_target():
    # allTactics joins goals with one newline (no blank line), e.g. after `constructor`.
    from lean_kernel.goals import split_goals

    text = "case left\np q : Prop\nh : p\n⊢ p\ncase right\np q : Prop\n⊢ q"
    goals = parse_goals(text)
    assert [g.case for g in goals] == ["left", "right"]
    assert [g.target for g in goals] == ["p", "q"]
    assert split_goals("t : Nat ⊢ Nat\nx : Nat ⊢ Bool") == ["t : Nat ⊢ Nat", "x : Nat ⊢ Bool"]
