"""What a notebook shows: HTML and plain output of real recorded answers, through a
real kernel and a stand-in REPL (v4.33.0-rc2 recordings).

No recording contains ``#eval`` (none of the seven versions has one; only our scripted
positive control ``#eval 2+2`` does), so command output is shown with ``#print`` and
``#check``, which arrive as info messages exactly as ``#eval`` output does.
Each test starts with ``%reset`` so its recorded commands run on a fresh env, as recorded.
"""

from __future__ import annotations


def test_info_output_of_print_and_check(fresh):
    printed = fresh.run("#print List.cons")  # options.in
    assert printed.status == "ok"
    shown = printed.displays[-1]["data"]
    assert shown["text/plain"] == "constructor List.cons.{u} : {α : Type u} → α → List α → List α"
    assert "constructor List.cons.{u} : {α : Type u} → α → List α → List α" in shown["text/html"]
    assert "application/json" not in shown  # JupyterLab would show a JSON tree instead of the HTML

    fresh.run("%reset")
    fresh.run("def f := 2")  # dup_msg.in
    checked = fresh.run("#check f")
    assert checked.status == "ok"
    assert checked.displays[-1]["data"]["text/plain"] == "f : Nat"
    assert '<pre class="lean-output"' in checked.html


def test_sorry_is_shown_with_its_goal_and_is_not_an_error(fresh):
    result = fresh.run("def f : Nat := by sorry")  # proof_step.in
    assert result.status == "ok"
    assert not result.errors
    plain = result.displays[-1]["data"]["text/plain"]
    assert "declaration uses `sorry`" in plain
    assert "⊢ Nat" in plain
    assert "%proofstate 0" in plain  # how to continue it in this kernel
    assert "⊢" in result.html and "lean-sorry" in result.html


def test_warning_is_not_an_error(fresh):
    fresh.run("variable (x y : Nat)")  # variables.in
    result = fresh.run("variable (f : Nat → Nat)")
    assert result.status == "ok"
    assert "Variable name `y` is not explicitly referenced" in result.text
    assert "lean-warning" in result.html


def test_error_is_an_error_message_with_the_source_span(fresh):
    result = fresh.run("def f : Nat := by apply Nat.succ")  # incomplete.in
    assert result.status == "error"
    content = result.reply["content"]
    assert content["ename"] == "LeanError"
    assert content["evalue"] == "1:15: unsolved goals\n⊢ Nat"
    assert result.of_type("error")[0]["traceback"] == content["traceback"]
    tb = "\n".join(content["traceback"])
    assert "def f : Nat := by apply Nat.succ" in tb and "^~~~" in tb  # the span, marked
    assert not result.displays  # nothing but the error: no empty display


def test_error_with_other_output_shows_both(fresh):
    result = fresh.run("theorem foo (x : Int) : x = x := by\n  have h : x = 1 := by sorry")  # have_by_sorry.in
    assert result.status == "error"
    assert "unsolved goals" in result.reply["content"]["evalue"]
    # The sorry (not an error) is displayed; the error is not repeated in the display.
    plain = result.displays[-1]["data"]["text/plain"]
    assert "x : Int\n  ⊢ x = 1" in plain or "⊢ x = 1" in plain
    assert "unsolved goals" not in plain


def test_tactic_steps_with_proofstate(fresh):
    fresh.run("def f : Nat := by sorry")  # proof_step.in
    step = fresh.run("%proofstate\napply Int.natAbs")  # the latest proof state: 0
    assert step.status == "ok"
    plain = step.displays[-1]["data"]["text/plain"]
    assert "Incomplete: open goals remain" in plain and "⊢ Int" in plain
    assert "⊢ Int" in step.html

    branch = fresh.run("%proofstate 0\nhave t : Nat := 42")
    assert branch.status == "ok"
    assert "t : Nat" in branch.text and "⊢ Nat" in branch.text

    done = fresh.run("%proofstate\nexact t")  # the latest: the state `have` produced
    assert done.status == "ok"
    assert "Completed" in done.text


def test_tactic_error_is_an_error(fresh):
    fresh.run("def f : Nat := by sorry")  # unknown_tactic.in
    result = fresh.run("%proofstate 0\nexat 42")
    assert result.status == "error"
    assert result.reply["content"]["ename"] == "LeanError"
    assert "unknown tactic" in result.reply["content"]["evalue"]


def test_proofstate_without_a_sorry_names_the_fix(fresh):
    result = fresh.run("%proofstate\nrfl")
    assert result.status == "error"
    assert "run a cell with `sorry` first" in result.reply["content"]["evalue"]


def test_silent_success_shows_a_discreet_ok(fresh):
    result = fresh.run("def f := 37")  # def_eval.in: no messages
    assert result.status == "ok"
    assert result.displays[-1]["data"]["text/plain"] == ""
    assert "✓ ok" in result.html
