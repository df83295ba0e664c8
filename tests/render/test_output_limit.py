"""What a cell may send to a frontend: within the output limit (default 1 MB, all MIME
types together), what went wrong first, and a note naming where the whole result is.

Pure rendering: results are built by hand in the shapes the REPL answers with (a huge
``#eval`` is one info message, as the stand-in's --huge-at answer and the v4.33.0-rc2
recordings show)."""

from __future__ import annotations

import json

import pytest

from lean_kernel.config import ConfigError, parse_output_limit
from lean_kernel.protocol import CommandResponse, Message, Pos, ReplErrorResponse, Sorry, TacticResponse
from lean_kernel.render import (
    RESULT_MIME_TYPE,
    fit_output,
    output_fits,
    render_bundle,
    render_cell,
    result_text_part,
)
from lean_kernel.results import CellResult

LIMIT = 1_000_000


def sent_size(bundle: dict, error=None) -> int:
    """Characters a frontend receives: every MIME type, and the error message's parts."""
    size = sum(len(v) if isinstance(v, str) else len(json.dumps(v, ensure_ascii=False)) for v in bundle.values())
    if error is not None:
        size += len(error[1]) + sum(len(line) + 1 for line in error[2])
    return size


def info(data: str, line: int = 1) -> Message:
    return Message("info", data, Pos(line, 0), Pos(line, 5))


def huge_eval(chars: int) -> CellResult:
    return CellResult(code="#eval big", response=CommandResponse(env=3, messages=[info("x" * chars)]), env_after=3)


def test_a_20_mb_answer_sends_under_the_limit_and_says_where_the_rest_is():
    rendered = render_cell(huge_eval(20_000_000), errors_apart=True, full_result_hint="%lean_result 7")
    assert rendered.error is None
    assert sent_size(rendered.bundle) <= LIMIT
    note = "output truncated: 20.0 MB of output, 0.3 MB shown; full result: %lean_result 7"
    assert rendered.bundle["text/plain"].startswith("note: " + note)
    assert note in rendered.bundle["text/html"]
    raw = rendered.bundle[RESULT_MIME_TYPE]
    assert raw["truncated"]["full_chars"] == 20_000_000 and raw["response"] is None
    assert rendered.truncation is not None and rendered.truncation.full_chars == 20_000_000


def test_a_result_within_the_limit_is_rendered_whole_and_unchanged():
    r = huge_eval(1000)
    assert output_fits(r)
    assert fit_output(r) == (r, None)
    assert render_bundle(r) == render_bundle(r, limit=None)
    assert "truncated" not in render_bundle(r)[RESULT_MIME_TYPE]


def test_no_limit_sends_everything():
    bundle = render_bundle(huge_eval(3_000_000), limit=None)
    assert len(bundle["text/plain"]) >= 3_000_000


def test_twenty_thousand_errors_keep_the_first_ones_and_count_the_rest():
    # Errors first: 500 infos come before the errors in the answer, yet the errors stay.
    messages = [info(f"output {i}") for i in range(500)]
    messages += [Message("error", f"<bad> & 'x' number {i}", Pos(1, 0), Pos(1, 1)) for i in range(20_000)]
    r = CellResult(code="example : True := by\n  bad", response=CommandResponse(env=None, messages=messages))
    rendered = render_cell(r, errors_apart=True, full_result_hint="%lean_result 3")
    ename, evalue, tb = rendered.error
    assert ename == "LeanError" and evalue.startswith("1:0: <bad> & 'x' number 0")
    assert sent_size(rendered.bundle, rendered.error) <= LIMIT
    assert rendered.truncation.dropped_items > 19_000
    assert "items left out" in rendered.bundle["text/plain"]
    assert "output 0" not in "\n".join(tb)  # the infos were the ones left out


def test_markup_heavy_output_falls_back_to_plain_text_within_the_limit():
    # Escaping makes HTML up to six times the text: `"` becomes `&quot;`.
    r = CellResult(code="#eval q", response=CommandResponse(env=1, messages=[info('"' * 240_000)]), env_after=1)
    bundle = render_bundle(r)
    assert sent_size(bundle) <= LIMIT


def test_a_long_source_line_shows_a_window_around_the_span():
    code = "#check " + "a" * 3_000_000 + " oops"
    at = len(code) - 4
    r = CellResult(
        code=code,
        response=CommandResponse(
            env=None,
            messages=[Message("error", f"unknown identifier {i}", Pos(1, at), Pos(1, at + 4)) for i in range(20)],
        ),
    )
    rendered = render_cell(r, errors_apart=True)
    tb = "\n".join(rendered.error[2])
    assert "…" in tb and "oops" in tb
    assert sent_size(rendered.bundle, rendered.error) <= LIMIT


def test_tactic_goals_and_refusals_are_cut_too():
    tac = CellResult(
        code="simp", kind="tactic", response=TacticResponse(proof_state=1, goals=["⊢ " + "y" * 2_000_000] * 3)
    )
    assert sent_size(render_bundle(tac)) <= LIMIT
    refused = CellResult(code="x", response=ReplErrorResponse("Lean error:\n" + "z" * 2_000_000))
    rendered = render_cell(refused, errors_apart=True)
    assert sent_size(rendered.bundle, rendered.error) <= LIMIT
    sorries = CellResult(code="x", response=CommandResponse(env=2, sorries=[Sorry("⊢ " + "s" * 100, 0)] * 50_000))
    assert sent_size(render_bundle(sorries)) <= LIMIT


def test_the_whole_text_comes_in_parts():
    r = huge_eval(2_600_000)
    first, parts = result_text_part(r, 1, 250_000)
    assert parts == 11 and len(first) == 250_000
    last, _ = result_text_part(r, parts, 250_000)
    assert len(last) == 100_000
    assert sum(len(result_text_part(r, p, 250_000)[0]) for p in range(1, parts + 1)) == len(first) * 10 + len(last)


@pytest.mark.parametrize(
    "text, chars",
    [
        ("1MB", 1_000_000),
        ("200k", 200_000),
        ("2 MB", 2_000_000),
        ("1.5m", 1_500_000),
        ("50000", 50_000),
        ("off", None),
        ("0", None),
    ],
)
def test_output_limit_sizes(text, chars):
    assert parse_output_limit(text) == chars


@pytest.mark.parametrize("bad", ["5", "nan", "-1MB", "lots", "1TB"])
def test_output_limit_refuses_what_is_no_size(bad):
    with pytest.raises(ConfigError, match="output limit"):
        parse_output_limit(bad)
