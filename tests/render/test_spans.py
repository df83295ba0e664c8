"""Property tests: any span inside (or outside) a cell renders, and the marked text is
exactly the code between pos and endPos. Messages here are built, not recorded: the
point is to cover positions the recordings do not reach."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from lean_kernel.protocol import CommandResponse, Message, Pos, TacticResponse
from lean_kernel.render import MAX_SPAN_LINES, error_summary, render_html, render_text
from lean_kernel.results import CellResult

MARK = re.compile(r'<mark class="lean-span[^"]*"[^>]*>(.*?)</mark>', re.S)
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Narrow characters only (one terminal column each), with Lean's usual suspects,
# HTML specials and an astral-plane letter.
NARROW = "abxyz019 _.'(){}:=<>&\"ℝℕ₀₁⊢→∀λ𝔽✝"
lines_st = st.lists(st.text(st.sampled_from(NARROW), max_size=30), min_size=1, max_size=9)


def _result(code: str, pos: Pos | None, end: Pos | None) -> CellResult:
    resp = CommandResponse(env=1, messages=[Message("error", "boom <&>", pos, end)])
    return CellResult(code=code, response=resp)


def _marks(page: str) -> list[str]:
    return [html.unescape(m) for m in MARK.findall(page)]


@st.composite
def span_in(draw):
    lines = draw(lines_st)
    code = "\n".join(lines)
    l1 = draw(st.integers(1, len(lines)))
    c1 = draw(st.integers(0, len(lines[l1 - 1])))
    l2 = draw(st.integers(l1, len(lines)))
    lo = c1 if l2 == l1 else 0
    c2 = draw(st.integers(lo, len(lines[l2 - 1])))
    return code, Pos(l1, c1), Pos(l2, c2)


@given(span_in())
def test_marked_text_is_the_slice(case):
    code, pos, end = case
    r = _result(code, pos, end)
    page = render_html(r)
    expected = code[pos.offset_in(code) : end.offset_in(code)]
    if end.line - pos.line + 1 <= MAX_SPAN_LINES:
        assert "\n".join(_marks(page)) == expected
    else:
        assert "⋮" in page and _marks(page)[0] == code.split("\n")[pos.line - 1][pos.column :]
    assert error_summary(r) is not None


@given(span_in())
def test_text_caret_sits_under_the_start_column(case):
    code, pos, end = case
    text = render_text(_result(code, pos, end)).split("\n")
    src = code.split("\n")[pos.line - 1]
    row = next(i for i, ln in enumerate(text) if ln.startswith(f"{pos.line} | ") and ln.endswith(src))
    marker = text[row + 1]
    assert marker.index("^") - marker.index("| ") - 2 == pos.column


@given(span_in())
def test_missing_end_marks_a_token_starting_at_pos(case):
    code, pos, _ = case
    page = render_html(_result(code, pos, None))
    (mark,) = _marks(page)
    line = code.split("\n")[pos.line - 1]
    assert line[pos.column :].startswith(mark)
    assert (mark == "") == (pos.column == len(line))


@given(
    lines_st,
    st.integers(-2, 20),
    st.integers(-2, 40),
    st.none() | st.tuples(st.integers(-2, 20), st.integers(-2, 40)),
)
def test_any_position_renders_without_exceptions(lines, line, col, end):
    code = "\n".join(lines)
    end_pos = None if end is None else Pos(*end)
    r = _result(code, Pos(line, col), end_pos)
    page = render_html(r)
    assert "boom &lt;&amp;&gt;" in page and "<&>" not in page
    assert ANSI.sub("", "\n".join(error_summary(r)[2])).startswith("error: ")
    render_text(r)


def test_wide_characters_take_two_terminal_columns():
    r = _result("中文 := x", Pos(1, 6), Pos(1, 7))
    assert _marks(render_html(r)) == ["x"]
    marker = render_text(r).split("\n")[2]
    assert marker.index("^") - marker.index("| ") - 2 == 8


def test_long_span_is_elided_in_the_middle():
    code = "\n".join(f"line{i}" for i in range(1, 21))
    page = render_html(_result(code, Pos(2, 0), Pos(19, 2)))
    assert _marks(page) == ["line2", "line3", "line4", "line18", "li"]
    assert page.count('class="lean-elision"') == 1
    assert "⋮" in render_text(_result(code, Pos(2, 0), Pos(19, 2)))


def test_tactic_message_at_line_zero_has_no_source():
    resp = TacticResponse(
        proof_state=2,
        goals=[],
        proof_status="Incomplete: contains sorry",
        messages=[Message("error", "unsolved goals\n⊢ False", Pos(0, 0), Pos(0, 0))],
    )
    r = CellResult(code="simp", kind="tactic", response=resp, proof_state_before=1)
    assert "lean-source" not in render_html(r)
    assert error_summary(r, color=False)[2][0] == "error: unsolved goals"


def test_traceback_entries_are_single_lines():
    resp = CommandResponse(env=0, messages=[Message("error", "unsolved goals\n⊢ False", Pos(1, 0), Pos(1, 3))])
    _, _, tb = error_summary(CellResult(code="foo", response=resp), color=False)
    assert all("\n" not in line for line in tb)
    assert tb[:2] == ["error: 1:0-1:3: unsolved goals", "  ⊢ False"]


def test_unknown_severity_is_shown_as_an_info():
    resp = CommandResponse(env=0, messages=[Message("hint", "consider this", Pos(1, 0), Pos(1, 3))])
    r = CellResult(code="foo", response=resp)
    assert "consider this" in render_html(r) and "consider this" in render_text(r)
