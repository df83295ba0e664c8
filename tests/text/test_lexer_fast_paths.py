"""lean_kernel.lean_text reads most tokens whole with a regex, runs of simple steps (deep
interpolations, walls of strings, nested comment edges) in one match, and derives two of
the three readings when they can only differ in how strings are recorded. Each of these
is checked here against the same lexer with it switched off: every token read one at a
time by its handler, and every reading lexed in full."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lean_kernel import lean_text
from lean_kernel.lean_text import Lexed, lex, readings, word_positions

_NEVER = re.compile(r"(?!)")
# Whole-token alternatives whose fallback token reads the same text one step at a time.
_WHOLE_TOKENS = ("block_comment", "string", "char", "raw", "raw_string")


@contextlib.contextmanager
def token_by_token():
    """The lexer with its fast paths off: each comment, string, char and raw string read
    by the handler of its first characters, no runs, comment edges one at a time."""
    saved = {
        name: getattr(lean_text, name)
        for name in (
            "_TOP_CODE",
            "_NESTED_CODE",
            "_PLAIN_CODE",
            "_OPEN_RUNS",
            "_STRING_RUNS",
            "_close_run_pattern",
            "_NESTED_EDGES",
        )
    }
    tokens = {k: v for k, v in lean_text._TOKENS.items() if k not in _WHOLE_TOKENS}
    nested = {k: v for k, v in lean_text._NESTED_TOKENS.items() if k not in _WHOLE_TOKENS}
    try:
        lean_text._TOP_CODE = lean_text._master(tokens)
        lean_text._NESTED_CODE = lean_text._master(nested)
        lean_text._PLAIN_CODE = lean_text._master(tokens)
        lean_text._OPEN_RUNS = dict.fromkeys(saved["_OPEN_RUNS"], _NEVER)
        lean_text._STRING_RUNS = dict.fromkeys(saved["_STRING_RUNS"], _NEVER)
        lean_text._close_run_pattern = lambda limit: _NEVER
        lean_text._NESTED_EDGES = re.compile(r"/-()|-/")
        yield
    finally:
        for name, value in saved.items():
            setattr(lean_text, name, value)


def _fields(lexed: Lexed) -> tuple:
    return lexed.code, [(s.start, s.end, s.value, s.interpolated) for s in lexed.strings], lexed.comments, lexed.state


# Pieces of the benchmark's hostile shapes and of the bypasses, and what breaks a
# run: escapes, line breaks, braces, quotes, comments, `]` and interpolating words.
_PIECES = st.sampled_from(
    [
        's!"{',
        '}"',
        '!"{',
        '"{',
        '"a"',
        ' "a" ',
        '""',
        's!"a{',
        '}b"',
        "{",
        "}",
        "{{",
        "}}",
        "!",
        " ",
        "\n",
        "x",
        "2",
        "-- c\n",
        "/-",
        "-/",
        "/--",
        "/-!",
        "'a'",
        "''",
        "'\"'",
        "'\\n'",
        "h'",
        'r#"a"#',
        'r"a"',
        'r##"a"#"##',
        'r#"',
        "«b»",
        "«",
        "\\",
        '"\\{"',
        "throwError ",
        "(throwError ",
        "trace[x] ",
        "]",
        "dbg_trace ",
        "f! ",
        "ℕ",
        "α",
        "₁",
        "é",
        "\u00a0",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=80).map("".join))
def test_fast_paths_read_as_token_by_token(text):
    fast = [_fields(lex(text, interpolation=r)) for r in ("context", "all", "none")]
    derived = [_fields(r) for r in readings(text)]
    with token_by_token():
        slow = [_fields(lex(text, interpolation=r)) for r in ("context", "all", "none")]
    assert fast == slow
    # readings(): the usual one alone when no string can be read otherwise, else all three.
    usual = lex(text)
    expected = slow if any(s.interpolated or "{" in s.value for s in usual.strings) else slow[:1]
    assert derived == expected


@pytest.mark.parametrize("depth", [1, 2, 3, 100, 5000])
def test_deep_nesting_is_read_in_runs_as_one_at_a_time(depth):
    # Exercises the bounded close runs: depths at every power of two, some interpolations
    # holding `{}` brackets (depth above 0) among those that close.
    text = "".join('s!"{' if k % 7 else 's!"{ ({' for k in range(depth)) + "".join(
        '}"' if k % 7 else '}) }"' for k in reversed(range(depth))
    )
    text += "\nrun_cmd pure ()"
    fast = [_fields(lex(text, interpolation=r)) for r in ("context", "all", "none")]
    with token_by_token():
        slow = [_fields(lex(text, interpolation=r)) for r in ("context", "all", "none")]
    assert fast == slow
    assert "\nrun_cmd pure ()" in fast[0][0] and fast[0][3] == "ok"


def test_interpolating_words_hold_an_r():
    # Runs of strings in the usual reading stop at an `r` (a raw string could start there)
    # and at `]`, so that only a `!` can make a string in them interpolated: true while
    # every interpolating word has an `r` (and trace[…] a `]`).
    assert all("r" in word for word in lean_text._INTERPOLATING_WORDS)


_WORDISH = st.sampled_from(
    [
        *list("ab.#1_'!? \n()[]:=«»"),
        "axiom",
        "x.axiom",
        "axiom.1",
        "#eval",
        "#eval!",
        "h.1",
        "α",
        "₁",
        "é",
        "«a b»",
        "..",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDISH, max_size=40).map("".join), st.randoms(use_true_random=False))
def test_word_positions_are_the_word_patterns(code, rnd):
    every = [(m.group(), m.start()) for m in lean_text.WORD.finditer(code)]
    distinct = sorted({w for w, _ in every})
    wanted = set(rnd.sample(distinct, rnd.randint(0, len(distinct)))) if distinct else set()
    assert list(word_positions(code, wanted)) == [(w, p) for w, p in every if w in wanted]
