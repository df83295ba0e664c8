"""lean_kernel.render on real recorded REPL answers (parsed with protocol.parse_response_text,
with the matching request's text as the cell's code)."""

from __future__ import annotations

import html
import json
import re

import pytest

from lean_kernel.protocol import CommandResponse, Message, Pos
from lean_kernel.render import RESULT_MIME_TYPE, error_summary, is_silent, render_bundle, render_html, render_text
from lean_kernel.results import CellResult

from .render_recordings import all_recorded, cell

V = "v4.33.0-rc2"
MATHLIB = f"{V}/Mathlib/test"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MARK = re.compile(r'<mark class="lean-span[^"]*"[^>]*>(.*?)</mark>', re.S)


def marks(page: str) -> list[str]:
    return [html.unescape(m) for m in MARK.findall(page)]


_TAG = re.compile(r"<(/?)([a-z0-9]+)([^>]*)>")
_VOID = {"hr", "br"}


def boxes(page: str, cls: str) -> list[str]:
    """The inner HTML of every element whose class attribute is exactly ``cls``.
    Lean text is escaped, so every '<' in the page starts a tag."""
    found, stack = [], []
    for m in _TAG.finditer(page):
        closing, tag, attrs = m.group(1), m.group(2), m.group(3)
        if tag in _VOID:
            continue
        if not closing:
            stack.append((tag, f'class="{cls}"' in attrs, m.end()))
            continue
        open_tag, wanted, start = stack.pop()
        assert open_tag == tag, f"unbalanced </{tag}>"
        if wanted:
            found.append(page[start : m.start()])
    assert not stack
    return found


def plain(tb: list[str]) -> list[str]:
    return [ANSI.sub("", line) for line in tb]


def caret_under(text_lines: list[str], source: str) -> tuple[int, int]:
    """(column of '^', marker length) in the marker line following the ``| source`` line."""
    i = next(k for k, ln in enumerate(text_lines) if ln.endswith("| " + source))
    src_at = text_lines[i].index("| ") + 2
    marker = text_lines[i + 1][src_at:]
    return marker.index("^"), len(marker.strip())


# --------------------------------------------------------------------------- sorries


@pytest.mark.parametrize("version", [V, "v4.8.0"])
@pytest.mark.parametrize("name", ["tactic_sorry", "term_sorry"])
def test_sorry_shows_goal_position_and_proof_state(version, name):
    r = cell(version, name, 0)
    page, text = render_html(r), render_text(r)
    s = r.sorries[0]
    where = f"{s.pos.line}:{s.pos.column}"
    (sorry_box,) = boxes(page, "lean-sorry")
    assert f"at {where}" in sorry_box
    assert '<div class="lean-goal-target">⊢ Nat</div>' in sorry_box
    assert "proof state 0 — continue with %proofstate 0" in sorry_box
    assert marks(sorry_box) == ["sorry"]
    assert f"sorry at {where} · proof state 0 — continue with %proofstate 0\n  ⊢ Nat" in text
    # the accompanying warning is shown, but neither is an error
    assert "declaration uses" in page and 'class="lean-message lean-warning"' in page
    assert error_summary(r) is None and r.ok


def test_sorry_with_hypotheses_html_and_text():
    r = cell(V, "sorry_hypotheses", 0)
    page = render_html(r)
    assert '<div class="lean-hyp"><span class="lean-hyp-names" style="font-weight: bold">' in page
    assert '<span class="lean-hyp-name">x</span></span> : <span class="lean-hyp-type">Int</span>' in page
    assert '<div class="lean-goal-target">⊢ x = x</div>' in page
    assert "  x : Int\n  ⊢ x = x" in render_text(r)
    assert error_summary(r) is None


def test_sorry_inside_a_tactic_step_has_no_position():
    r = cell(V, "sorry_hypotheses", 1)
    text = render_text(r)
    assert "sorry · proof state 1 — continue with %proofstate 1\n  x : Int\n  ⊢ x = 1" in text
    step = "Incomplete: open goals remain · proof state 2 — continue with %proofstate 2"
    assert f"{step}\nx : Int\nh : x = 1\n⊢ x = x" in text
    (sorry_box,) = boxes(render_html(r), "lean-sorry")
    assert "lean-source" not in sorry_box and "lean-pos" not in sorry_box
    assert error_summary(r) is None


def test_continue_hint_is_a_template_or_none():
    r = cell(V, "tactic_sorry", 0)
    assert "continue with :prove 0" in render_html(r, continue_hint=":prove {id}")
    page, text = render_html(r, continue_hint=None), render_text(r, continue_hint=None)
    assert "%proofstate" not in page + text and "continue" not in page + text
    assert "proof state 0" in page and "proof state 0" in text


def test_sorries_several_in_one_cell_mark_each_position():
    r = cell(MATHLIB, "H20231115_2", 1)
    (sorry1, sorry2) = boxes(render_html(r), "lean-sorry")
    assert "case zero" in sorry1 and "case succ" in sorry2
    assert marks(sorry1) == marks(sorry2) == ["sorry"]


# --------------------------------------------------------------------------- errors


def test_error_marks_exact_span_and_summarises():
    r = cell(V, "invalid_line_break", 0)
    # the REPL joined the request's two lines without a separator
    assert r.code == "theorem foo : 1 = 1 := bysorry"
    page = render_html(r)
    (err,) = boxes(page, "lean-message lean-error")
    assert "Unknown identifier `bysorry`" in err
    assert '<span class="lean-pos" style="font-family: monospace; opacity: 0.75">1:23</span>' in err
    assert marks(err) == [r.code[23:30]] == ["bysorry"]
    line = re.search(r'<div class="lean-source-line".*?</div>', err).group(0)
    assert html.unescape(re.sub(r"<[^>]+>", "", line)) == "1" + r.code

    ename, evalue, tb = error_summary(r)
    assert (ename, evalue) == ("LeanError", "1:23: Unknown identifier `bysorry`")
    tb = plain(tb)
    assert tb[0] == "error: 1:23-1:30: Unknown identifier `bysorry`"
    assert caret_under(tb, r.code) == (23, 7)
    assert not r.ok

    text = render_text(r).split("\n")
    assert text[0] == "error: 1:23-1:30: Unknown identifier `bysorry`"
    assert caret_under(text, r.code) == (23, 7)
    assert "\x1b" not in render_text(r)


def test_traceback_has_colour_only_when_asked():
    r = cell(V, "invalid_line_break", 0)
    assert any("\x1b[" in ln for ln in error_summary(r)[2])
    assert not any("\x1b[" in ln for ln in error_summary(r, color=False)[2])


def test_kernel_error_multi_line_message():
    r = cell(V, "app_type_mismatch2", 0)
    (err,) = boxes(render_html(r), "lean-message lean-error")
    assert "(kernel) application type mismatch\n  @Eq.ndrec Nat (n✝ + 1) (fun x =&gt; x = 0)" in err
    assert marks(err) == ["example"]
    ename, evalue, _ = error_summary(r)
    assert ename == "LeanError" and evalue.startswith("1:0: (kernel) application type mismatch\n")
    assert "  @Eq.ndrec" in render_text(r)  # continuation lines indented under the header


def test_two_errors_are_both_in_the_traceback_in_order():
    r = cell("v4.8.0", "unfinished_tactic_block", 0)
    _ename, evalue, tb = error_summary(r, color=False)
    assert evalue == "1:17: unexpected end of input; expected '{'"
    heads = [ln for ln in tb if ln.startswith("error:")]
    assert heads == ["error: 1:17: unexpected end of input; expected '{'", "error: 1:15-1:17: unsolved goals"]


def test_null_end_pos_at_end_of_input_marks_a_point():
    r = cell("v4.8.0", "unfinished_tactic_block", 0)
    assert r.errors[0].end_pos is None
    first = boxes(render_html(r), "lean-message lean-error")[0]
    assert 'class="lean-span lean-span-empty"' in first and marks(first) == [""]
    text = render_text(r).split("\n")
    assert caret_under(text, r.code) == (17, 1)


def test_multi_line_span_marks_every_line_and_goals_render_as_goals():
    r = cell(MATHLIB, "H20231115_3", 1)
    msg = r.errors[0]
    (err,) = boxes(render_html(r), "lean-message lean-error")
    assert "\n".join(marks(err)) == r.code[msg.pos.offset_in(r.code) : msg.end_pos.offset_in(r.code)]
    assert err.count('class="lean-goal-target"') == 2 and "case succ" in err
    text = render_text(r)
    assert "2 |   induction' x with x hx\n  |   ~~~~~~~~~~~~~~~~~~~~~~" in text


def test_tactic_mode_error_has_no_source_line():
    r = cell(V, "invalid_tactic", 1)
    (err,) = boxes(render_html(r), "lean-message lean-error")
    assert "lean-source" not in err and "0:0" not in err
    assert error_summary(r)[:2] == ("LeanError", "Unknown identifier `my_fake_premise`")
    assert render_text(r).count("error: Unknown identifier `my_fake_premise`") == 1


def test_include_errors_false_leaves_errors_to_the_traceback():
    r = cell(V, "invalid_line_break", 0)
    assert "lean-error" not in render_html(r, include_errors=False)
    assert render_text(r, include_errors=False) == ""
    warn = cell(V, "tactic_sorry", 0)
    assert "lean-warning" in render_html(warn, include_errors=False)


# --------------------------------------------------------------------------- tactic steps


def test_tactic_steps_incomplete_then_completed():
    step1, step2, step3 = (cell(V, "proof_step", i) for i in (1, 2, 3))
    page = render_html(step1)
    assert 'class="lean-status lean-status-warning"' in page and ">Incomplete</span>" in page
    assert "open goals remain" in page
    assert '<div class="lean-goal-target">⊢ Int</div>' in page
    assert "proof state 1 — continue with %proofstate 1" in page
    head = "Incomplete: open goals remain · proof state 1 — continue with %proofstate 1"
    assert render_text(step1) == f"{head}\n⊢ Int"
    assert '<span class="lean-hyp-name">t</span></span> : <span class="lean-hyp-type">Nat</span>' in render_html(step2)

    page = render_html(step3)
    assert 'class="lean-status lean-status-ok"' in page and ">Completed</span>" in page
    assert "Goals accomplished" in page and "continue with" not in page
    assert render_text(step3) == "Completed · proof state 3\nGoals accomplished"
    assert all(error_summary(s) is None for s in (step1, step2, step3))


def test_old_version_tactic_steps_without_proof_status():
    step1, step3 = cell("v4.8.0", "proof_step", 1), cell("v4.8.0", "proof_step", 3)
    assert step1.proof_status is None and step3.proof_status is None
    page = render_html(step1)
    assert ">open goals</span>" in page and '<div class="lean-goal-target">⊢ Int</div>' in page
    assert render_text(step1) == "proof state 1 — continue with %proofstate 1\n⊢ Int"
    page = render_html(step3)
    assert re.search(r'class="lean-status lean-status-ok"[^>]*>no goals</span>', page)
    assert "Goals accomplished" in page
    assert render_text(step3) == "proof state 3\nGoals accomplished"
    assert error_summary(step1) is None and error_summary(step3) is None


def test_incomplete_with_metavariables_is_not_an_error():
    r = cell(V, "app_type_mismatch", 4)
    assert r.proof_status == "Incomplete: contains metavariable(s)"
    assert "lean-status-warning" in render_html(r)
    assert error_summary(r) is None


def test_error_proof_status_is_an_error():
    r = cell(V, "app_type_mismatch2", 4)
    page = render_html(r)
    assert 'class="lean-status lean-status-error"' in page and ">Error</span>" in page
    assert "kernel type check failed" in page
    ename, evalue, tb = error_summary(r, color=False)
    assert ename == "LeanProofError" and evalue == r.proof_status
    assert tb[0].startswith("proof status: Error: kernel type check failed")
    assert not r.ok


def test_tactic_traces_fold_into_details():
    r = cell(V, "trace_simp", 6)
    page = render_html(r)
    assert page.count('<details class="lean-trace"') == 2
    assert "[Meta.Tactic.simp.rewrite] f_def:1000:\n      f\n    ==&gt;\n      37" in page
    assert "trace: [Meta.Tactic.simp.rewrite] f_def:1000:" in render_text(r)
    assert '<details class="lean-trace"' in render_html(cell(V, "trace_simp", 5))


def test_suggestion_in_tactic_mode_is_an_info():
    r = cell(MATHLIB, "exact", 2)
    page = render_html(r)
    (info,) = boxes(page, "lean-message lean-info")
    assert "Try this:\n  [apply] exact Nat.one_pos" in info
    assert "lean-output" not in page


# --------------------------------------------------------------------------- infos


# No recording contains #eval; #check and #print are the recorded command output.
@pytest.mark.parametrize("version", [V, "v4.8.0"])
def test_check_output_is_plain_output(version):
    r = cell(version, "def_eval", 1)
    page = render_html(r)
    assert re.search(r'<pre class="lean-output"[^>]*>rfl : f = f</pre>', page)
    assert "lean-message" not in page
    assert render_text(r) == "rfl : f = f"
    assert error_summary(r) is None


def test_print_output_is_plain_output_and_escaped():
    r = cell(V, "options", 2)
    page = render_html(r)
    assert "constructor List.cons.{u} : {α : Type u} → α → List.{u} α → List.{u} α" in page
    assert 'class="lean-output"' in page
    assert render_text(r) == r.infos[0].data


def test_several_outputs_are_labelled_with_their_position():
    one = render_html(cell(V, "dup_msg", 1))
    assert 'class="lean-pos"' not in one  # a single output needs no label
    resp = CommandResponse(
        env=3,
        messages=[
            Message("info", "f : Nat", Pos(1, 0), Pos(1, 6)),
            Message("info", "g : Nat", Pos(2, 0), Pos(2, 6)),
        ],
    )
    page = render_html(CellResult(code="#check f\n#check g", response=resp))
    assert page.count('class="lean-output"') == 2 and ">2:0</span>" in page


def test_suggestion_keeps_its_source_span():
    r = cell(V, "root_goals", 0)
    (info,) = boxes(render_html(r), "lean-message lean-info")
    assert "Try this:" in info and marks(info) == ["exact?"]


@pytest.mark.parametrize("version", [V, "v4.8.0"])
def test_trace_message_folds_into_details(version):
    r = cell(version, "trace_simp", 3)
    page = render_html(r)
    assert re.search(r'<details class="lean-trace"[^>]*><summary[^>]*>1:23 \[Meta\.Tactic\.simp\.rewrite\]', page)
    assert html.escape(r.infos[0].data) in page
    assert "lean-output" not in page


# --------------------------------------------------------------------------- refusals and faults


def test_unknown_environment_refusal():
    r = cell(V, "unknown_environment", 0)
    ename, evalue, tb = error_summary(r, color=False)
    assert (ename, evalue) == ("ReplError", "Unknown environment.")
    assert tb[0] == "ReplError: Unknown environment." and "Re-run the cells" in tb[1]
    (box,) = boxes(render_html(r), "lean-repl-error")
    assert "Unknown environment." in box and "Re-run the cells" in box
    assert render_text(r).startswith("ReplError: Unknown environment.\nhint: ")


def test_unknown_proof_state_refusal():
    r = cell(V, "unknown_proof_state", 1)
    assert error_summary(r)[:2] == ("ReplError", "Unknown proof state.")
    assert "proof state id shown under a sorry" in render_html(r)


def test_lean_error_refusal_is_a_lean_error_and_escaped():
    r = cell(V, "unknown_tactic", 1)
    assert error_summary(r)[:2] == ("LeanError", "<input>:1:1: unknown tactic")
    page = render_html(r)
    assert "&lt;input&gt;:1:1: unknown tactic" in page and "<input>" not in page


def test_fault_shows_notes_first_then_the_failure():
    # A REPL fault has no recording: the session builds this result itself.
    r = CellResult(
        code="theorem t : True := by decide",
        failure="no answer within 10 s; the REPL was killed and restarted",
        failure_kind="ReplTimeout",
        notes=["REPL restarted after a timeout; replayed 3 cells"],
    )
    ename, evalue, _tb = error_summary(r, color=False)
    assert (ename, evalue) == ("ReplTimeout", r.failure)
    page = render_html(r)
    assert page.index('class="lean-note"') < page.index('class="lean-failure"')
    assert "replayed 3 cells" in page and "no answer within 10 s" in page
    assert render_text(r).split("\n\n") == [f"note: {r.notes[0]}", f"ReplTimeout: {r.failure}"]
    r.failure_kind = None
    assert error_summary(r)[0] == "ReplFailure"


def test_no_response_and_no_failure_still_counts_as_failed():
    r = CellResult(code="def x := 1")
    assert error_summary(r)[0] == "ReplError" and not r.ok


# --------------------------------------------------------------------------- success, extras


def test_silent_success_is_quiet_in_text_and_discreet_in_html():
    r = cell(V, "def_eval", 0)
    assert is_silent(r) and render_text(r) == "" and error_summary(r) is None
    assert re.search(r'<div class="lean-ok"[^>]*>✓ ok · env 0</div>', render_html(r))
    r.notes.append("stale: re-run")
    assert not is_silent(r)
    assert render_text(r) == "note: stale: re-run" and "lean-ok" not in render_html(r)


def test_all_tactics_listing_folds_into_details():
    r = cell(V, "calc", 0)
    page = render_html(r)
    assert '<summary style="cursor: pointer">tactics (4)</summary>' in page
    assert "tactics:\n  1:22  calc …\n" in render_text(r)


def test_axioms_are_listed_and_sorry_ax_is_flagged():
    r = cell(V, "def_eval", 0)
    r.axioms = {"foo": ["propext", "sorryAx"], "bar": []}
    text = render_text(r)
    assert "'foo' depends on axioms: [propext, sorryAx]" in text
    assert "'bar' does not depend on any axioms" in text
    page = render_html(r)
    assert page.count('class="lean-axioms"') == 2 and "rgba(230,160,0" in page.split("foo")[0].rsplit("<div", 1)[1]


def test_bundle_has_three_mime_types_and_json_is_the_result_dict():
    r = cell(V, "sorry_hypotheses", 0)
    bundle = render_bundle(r)
    assert set(bundle) == {"text/html", "text/plain", RESULT_MIME_TYPE}
    assert bundle[RESULT_MIME_TYPE] == r.to_dict()
    assert "application/json" not in bundle  # JupyterLab would show a JSON tree instead of the HTML
    assert bundle["text/html"] == render_html(r) and bundle["text/plain"] == render_text(r)


# --------------------------------------------------------------------------- escaping, unicode, every recording


def test_html_escapes_lean_text():
    # No recording has "&" in Lean text, so this message is made up.
    resp = CommandResponse(env=0, messages=[Message("error", "a && b <script>x</script>", Pos(1, 4), Pos(1, 8))])
    r = CellResult(code="def <&>' := 1", response=resp)
    page = render_html(r)
    assert "a &amp;&amp; b &lt;script&gt;x&lt;/script&gt;" in page
    assert "<script" not in page and "<&>" not in page
    assert marks(page) == ["<&>'"]
    assert "x < 0" not in render_html(cell(f"{MATHLIB}", "on_goal", 1)) and "x &lt; 0" in render_html(
        cell(f"{MATHLIB}", "on_goal", 1)
    )


def test_unicode_columns_mark_the_right_characters():
    r = cell(MATHLIB, "on_goal", 1)
    s = r.sorries[0]
    prefix = r.code[: s.pos.column]
    assert "ℝ" in prefix and "∨" in prefix  # columns count code points, not bytes
    (box,) = boxes(render_html(r), "lean-sorry")
    assert marks(box) == ["sorry"]
    resp = CommandResponse(env=0, messages=[Message("error", "bad", Pos(1, 10), Pos(1, 12))])
    r = CellResult(code="def h₀ (𝔽 x₁ : ℝ) := 1", response=resp)
    assert r.code.index("x₁") == 10  # 𝔽 is one column although it is two UTF-16 units
    assert marks(render_html(r)) == ["x₁"]
    assert caret_under(render_text(r).split("\n"), r.code) == (10, 2)


def test_every_recording_renders_safely_and_agrees_with_ok():
    results = all_recorded()
    assert len(results) > 1300
    for name, r in results:
        bundle = render_bundle(r)
        page = bundle["text/html"]
        for bad in ("http", "<script", "<style", "<link", "<img", "src=", "url("):
            assert bad not in page.lower(), (name, bad)
        assert (error_summary(r) is None) == r.ok, name
        json.dumps(bundle[RESULT_MIME_TYPE])
        assert "\x1b" not in bundle["text/plain"]


def test_huge_raw_response_is_left_out_of_the_notebook_json():
    # Built by hand: an info message far larger than any recording (e.g. a full infotree).
    from lean_kernel.protocol import CommandResponse, Message
    from lean_kernel.render import MAX_RAW_RESPONSE_CHARS

    big = CellResult(
        code="#print x", response=CommandResponse(env=0, messages=[Message("info", "x" * (MAX_RAW_RESPONSE_CHARS + 1))])
    )
    data = render_bundle(big)[RESULT_MIME_TYPE]
    assert data["response"] is None and "left out" in data["response_omitted"]
    assert data["messages"][0]["data"].startswith("xxx")  # the typed fields stay
    small = CellResult(code="def f := 37", response=CommandResponse(env=0))
    assert render_bundle(small)[RESULT_MIME_TYPE]["response"] == {"env": 0}
