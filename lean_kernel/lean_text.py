"""Lean source text without Lean: the one lexer, identifier rule, header reader,
declaration finder and offset/position arithmetic that the session, the verifier and the
kernel's editor help share.

It follows Lean 4's own hand-written token functions (leanprover/lean4):

- ``src/Lean/Parser/Basic.lean``: ``whitespace`` (``--`` line comments, nested ``/- -/``
  block comments through ``finishCommentBlock``; ``/--`` and ``/-!`` are doc-comment
  tokens whose body ``finishCommentBlock`` reads the same way), ``tokenFnAux`` (which
  token starts at a position: ``"`` a string, ``'`` a character literal unless another
  ``'`` follows, a digit a number, ``r"``/``r#"`` a raw string, else an identifier or a
  symbol), ``strLitFnAux`` / ``quotedCharCoreFn`` (escapes ``\\\\ \\" \\' \\r \\n \\t \\xHH
  \\uHHHH`` and string gaps), ``charLitFnAux``, ``rawStrLitFnAux`` (closing ``"`` followed
  by as many ``#`` as opened), ``identFnAux`` (``«»`` escapes, which may span lines, and
  dotted parts), ``decimalNumberFn`` and friends;
- ``src/Lean/Parser/StrInterpolation.lean``: ``interpolatedStrFn`` (``{`` opens a term,
  which runs to the matching ``}``; ``\\{`` is an escape);
- ``src/Init/Meta/Defs.lean`` (``src/Init/Meta.lean`` in older versions): ``isIdFirst``,
  ``isIdRest``, ``isLetterLike``, ``isSubScriptAlnum``; the union over versions is used
  (newer Lean added Latin-1 and Latin Extended-A letters: where versions differ, the
  older one rejects the text with a parse error, so the wider rule loses nothing);
- ``src/Lean/Parser/Module.lean``: the header is ``[module] [prelude] import*``, and
  each ``[public] [meta] import [all|runtime]`` names exactly one module.

Which strings are interpolated depends on the grammar around them (``s!``, ``m!``,
``f!``, ``throwError``... and any syntax an import declares), which no lexer knows for
sure. ``lex`` takes ``interpolation="context"`` (after a word ending in ``!`` or a known
interpolating word: Lean's usual cases), ``"all"`` or ``"none"``; ``readings`` gives what
the verifier's scan reads (all three ways when they can differ) and it reports what any
reading shows.

Everything here is linear in the text (each character is looked at a bounded number of
times) and most of the per-character work is done by the C regex engine: whole tokens are
read by one regex match, runs of hostile repetition (interpolations nested a hundred
thousand deep, a string every few characters) by one match for the run, and two of the
three readings are derived from the first when they can only differ in how strings are
recorded. benchmarks/bench_scan.py measures it: here an honest 1 MB candidate is scanned
in well under a tenth of a second, the hostile shapes in a few tenths at most.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = [
    "DECL_KEYWORDS",
    "IDENT",
    "WORD",
    "Declaration",
    "Header",
    "Lexed",
    "StringLiteral",
    "StringTable",
    "declared_names",
    "find_declarations",
    "is_id_first",
    "is_id_rest",
    "is_name_char",
    "lex",
    "line_of",
    "line_starts",
    "offset_of",
    "plain_name",
    "position_of",
    "read_header",
    "readings",
    "summary_line",
    "word_positions",
]

# --------------------------------------------------------------------------- identifier characters

# Lean's isLetterLike (Init/Meta/Defs.lean), as a regex character class.
_LETTER_LIKE = (
    "\u03b1-\u03ba\u03bc-\u03c9"  # lower Greek, without λ
    "\u0391-\u039f\u03a1\u03a2\u03a4-\u03a9"  # upper Greek, without Π and Σ
    "\u03ca-\u03fb"  # Coptic
    "\u1f00-\u1ffe"  # polytonic Greek
    "\u2100-\u214f"  # letter-like symbols (ℕ ℝ ℤ ...)
    "\U0001d49c-\U0001d59f"  # script, double-struck, Fraktur
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff"  # Latin-1 letters (newer Lean)
    "\u0100-\u017f"  # Latin Extended-A (newer Lean)
)
# isSubScriptAlnum: numeric subscripts, subscript letters, ᵢ..ᵪ, ⱼ (newer Lean).
_SUBSCRIPT = "\u2080-\u2089\u2090-\u209c\u1d62-\u1d6a\u2c7c"
_ID_FIRST_CLASS = "A-Za-z_" + _LETTER_LIKE
_ID_REST_CLASS = "A-Za-z0-9_'!?" + _LETTER_LIKE + _SUBSCRIPT
_ID_FIRST_RX = re.compile("[" + _ID_FIRST_CLASS + "]")
_ID_REST_RX = re.compile("[" + _ID_REST_CLASS + "]")
_ID_REST_RUN = re.compile("[" + _ID_REST_CLASS + "]*")

# One identifier as Lean reads it: parts are `«...»` (any text, newlines too) or an
# isIdFirst character and isIdRest ones, joined by `.` when the next part starts right
# after it. A leading `#` or `@` is kept off; `_root_` is an ordinary first part.
_SIMPLE_PART = "[" + _ID_FIRST_CLASS + "][" + _ID_REST_CLASS + "]*"
_PART = r"(?:«[^»]*»|" + _SIMPLE_PART + ")"
IDENT = re.compile(r"(?<![" + _ID_REST_CLASS + r".»])" + _PART + r"(?:\." + _PART + r")*")
# A word of code: an identifier, `#`-prefixed for commands (`#eval`), with numeric
# projections (`h.1`) kept in the word.
WORD = re.compile(r"(?<![" + _ID_REST_CLASS + r".»#])#?" + _PART + r"(?:\.(?:" + _PART + r"|\d+))*")


_WORD_SPLIT = re.compile("(" + WORD.pattern + ")")
_SIMPLE_WORD = re.compile("#?" + _SIMPLE_PART + r"(?:\." + _SIMPLE_PART + ")*")
# Where a WORD that has matched so far would go on: an identifier character, or a dot and
# the start of another part.
_WORD_GOES_ON = r"(?:[" + _ID_REST_CLASS + r"]|\.[«" + _ID_FIRST_CLASS + r"0-9])"


def word_positions(code: str, words: Iterable[str]) -> Iterator[tuple[str, int]]:
    """Each WORD of ``code`` that is one of ``words``, with its offset, in order."""
    wanted = set(words)
    if not wanted:
        return iter(())
    if "«" in code or not all(map(_SIMPLE_WORD.fullmatch, wanted)):
        pieces = _WORD_SPLIT.split(code)  # the text before a word, the word, ..., the text after the last
        found = pieces[1::2]
        starts = list(itertools.accumulate(map(len, pieces)))[0::2]
        hits = itertools.compress(itertools.count(), map(wanted.__contains__, found))
        return ((found[k], starts[k]) for k in hits)
    # Without «», a WORD holds only identifier characters, dots and a leading `#`: each
    # wanted word is found where a WORD starts (not after one of those) and does not go on.
    alternatives = (f"{re.escape(w)}(?<![{_ID_REST_CLASS}.»#]{re.escape(w)})" for w in wanted)
    pattern = re.compile("(?:" + "|".join(alternatives) + ")(?!" + _WORD_GOES_ON + ")")
    return ((m.group(), m.start()) for m in pattern.finditer(code))


def is_id_first(ch: str) -> bool:
    """Lean's ``isIdFirst``: may this character start an identifier?"""
    return bool(_ID_FIRST_RX.match(ch))


def is_id_rest(ch: str) -> bool:
    """Lean's ``isIdRest``: may this character continue an identifier?"""
    return bool(_ID_REST_RX.match(ch))


def is_name_char(ch: str, *, inaccessible: bool = False) -> bool:
    """A character of a dotted name as written or printed: Lean's ``isIdRest`` or the
    ``.`` between parts. ``inaccessible=True`` also takes the ``✝`` Lean appends to
    inaccessible names when it prints goals (``x✝``)."""
    return ch == "." or (inaccessible and ch == "✝") or is_id_rest(ch)


def plain_name(name: str) -> str:
    """A name as Lean reads it: ``«»`` quotes dropped (``«debug».skipKernelTC`` is
    ``debug.skipKernelTC``)."""
    if "«" not in name:
        return name
    return re.sub(r"«([^»]*)»", r"\1", name)


# --------------------------------------------------------------------------- the lexer


@dataclass(frozen=True)
class StringLiteral:
    start: int  # offset of the opening quote (of `r` for a raw string)
    end: int  # offset after the closing quote
    # The raw text between the quotes; "" for an interpolated string (its text is code and
    # literal pieces, and copying every nested level would cost quadratic time).
    value: str
    interpolated: bool = False


@dataclass
class StringTable:
    """String literals as columns, in the order they close (one StringLiteral's fields per
    index). A hostile text holds a hundred thousand strings that most readers never look
    at: columns of numbers and text cost little to build."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    interpolated: list[bool] = field(default_factory=list)

    def add(self, start: int, end: int, value: str, interpolated: bool) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.values.append(value)
        self.interpolated.append(interpolated)

    def extend(
        self, starts: Iterable[int], ends: Iterable[int], values: Iterable[str], interpolated: Iterable[bool]
    ) -> None:
        self.starts.extend(starts)
        self.ends.extend(ends)
        self.values.extend(values)
        self.interpolated.extend(interpolated)


@dataclass
class Lexed:
    """``source`` read as Lean reads it. ``code`` has the same length and line breaks, with
    comments and the text of string and character literals blanked (quotes kept, code
    inside ``{}`` of an interpolated string kept), so offsets and line numbers match."""

    source: str
    code: str
    string_table: StringTable = field(default_factory=StringTable)
    comments: list[tuple[int, int]] = field(default_factory=list)
    # What is still open at the end: "ok", "comment", "string" or "name" (a `«` without `»`).
    state: str = "ok"

    @functools.cached_property
    def strings(self) -> list[StringLiteral]:
        """The string literals in the order they close (made from ``string_table``)."""
        table = self.string_table
        return list(map(StringLiteral, table.starts, table.ends, table.values, table.interpolated))

    def header(self) -> Header:
        """The module header, read from this lexing (see ``read_header``)."""
        return _header(self.source, self.code)


# How the lexer goes fast: a master pattern finds the next token, and each alternative
# that a regex can read to its end (a line comment, a comment with no nested one, a string
# with no `{`, a character literal, a «» name, a raw string with at most one `#`) is read
# whole by the C regex engine; Python finishes the others (nested comments,
# interpolations, other raw strings) and decides what no regex can (is a string
# interpolated here? does a token start at this `'`?).


def _text(stops: str = "") -> str:
    """String text up to a `"` or one of ``stops``: strLitFnAux's escapes (a backslash and
    the next character; string gaps are a backslash and a line break) never stop it."""
    return rf'[^"\\{stops}]*(?:\\.[^"\\{stops}]*)*'


# quotedCharCoreFn's escapes; charLitFnAux: one character or escape between quotes.
_CHAR_BODY = r"""(?:\\(?:[\\"'rnt]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})|[^\\])"""
_TOKENS = {
    "line_comment": r"--[^\n]*",
    # finishCommentBlock: `/--` and `/-!` open doc comments; `/-` and `-/` nest. The
    # `(?:[-!]|(?![-!]))` takes a doc marker without letting the body backtrack into it.
    "block_comment": r"/-(?:[-!]|(?![-!]))[^/-]*(?:(?:/(?!-)|-(?!/))[^/-]*)*-/",
    "nested_comment": r"/-",
    "string": '"' + _text("{") + '"',  # no `{`: read alike whether interpolated or not
    "open_string": '"',  # an interpolation, a plain string holding `{`, or an open string
    # After a character that no identifier or number holds, a token starts (tokenFnAux):
    # a `'` there is a char literal, the token `''` or a lone quote, read with no check.
    "char": r"'(?<=[^" + _ID_REST_CLASS + r"]')(?:'|" + _CHAR_BODY + "')?",
    # Else a `'` right after a letter other than a-f (hex digits end numbers: `0x1F'a'` is
    # a number and a char) or after `_ ' ! ?` continues a name (`h'`): no token; the
    # others are checked (_Lexer._token_starts_at).
    "quote": r"'(?<![G-Zg-z_'!?]')(?:'|" + _CHAR_BODY + "')?",
    "name": r"«[^»]*»",
    "open_name": r"«[^»]*",
    # rawStrLitFnAux: `r"…"` and `r#"…"#` whole (the body of the second stops at `r#` so
    # that no text is read twice by these attempts), after a character no identifier
    # holds, or checked; longer ones by _open_raw_string.
    "raw": r"r(?<=[^" + _ID_REST_CLASS + r']r)(?:"[^"]*"|#"[^"r]*(?:(?:r(?!#)|"(?!#))[^"r]*)*"#)',
    "raw_string": r'r(?:"[^"]*"|#"[^"r]*(?:(?:r(?!#)|"(?!#))[^"r]*)*"#)',
    "open_raw_string": r'r#*"',
}
_NESTED_TOKENS = {**_TOKENS, "open_braces": r"\{+", "close_braces": r"\}+"}


def _master(tokens: dict[str, str]) -> re.Pattern[str]:
    """One pattern for all ``tokens``; ``lastgroup`` names the token found. The names are
    empty groups at the end of each alternative, so that every alternative starts with a
    literal character and the regex engine skips quickly to the next possible token."""
    return re.compile("|".join(f"{rx}(?P<{name}>)" for name, rx in tokens.items()), re.S)


# Top-level code and code inside an interpolation's `{}`; the "none" reading has no
# interpolations, so its strings are read whole whatever they hold.
_TOP_CODE = _master(_TOKENS)
_NESTED_CODE = _master(_NESTED_TOKENS)
_PLAIN_CODE = _master({**_TOKENS, "string": '"' + _text() + '"'})
_PLAIN_TEXT = re.compile(_text(), re.S)
_INTERPOLATED_TEXT = re.compile(_text("{"), re.S)
_NESTED_EDGES = re.compile(r"/-(?:/-)*()|-/(?:-/)*")  # runs of comment openers (lastindex 1) or closers

# Hostile candidates nest interpolations a hundred thousand deep or hold a string every
# few characters; one Python step per token would make them ten times slower than honest
# text. Runs of the same simple step are read in one match instead: code that holds no
# token start (`_QUIET`), then a string or an interpolation edge whose text holds no
# escape, brace or line break. Anything else ends the run, and the token-by-token
# reading goes on. str.split at the quotes then gives each step's text and offset.
_QUIET = r"""[^-/"'«r{}]"""
_BARE = r'[^"\\{}\n]'
_OPEN_RUNS = {  # each step: code, a string that is interpolated there, its text, `{`
    "context": re.compile(rf'(?:{_QUIET}*!"{_BARE}*\{{)+'),  # `!"`: see _Lexer._interpolated
    "all": re.compile(rf'(?:{_QUIET}*"{_BARE}*\{{)+'),
}


@functools.cache
def _close_run_pattern(limit: int) -> re.Pattern[str]:
    """At most ``limit`` steps of: code, the `}` that ends an interpolation, the rest of
    its string's text, the closing quote. Bounded so that a run never reads further than
    the interpolations it may close (limits are powers of two: a handful of patterns)."""
    return re.compile(rf'(?:{_QUIET}*\}}{_BARE}*"){{1,{limit}}}')


def _spaces(lengths: Iterable[int]) -> Iterator[str]:
    return map(operator.mul, itertools.repeat(" "), lengths)


def _blanked(text: str) -> str:
    """``text`` with every character but line breaks made a space."""
    return " " * len(text) if "\n" not in text else "\n".join(_spaces(map(len, text.split("\n"))))


def _plus_one(numbers: Iterable[int]) -> Iterator[int]:
    return map(operator.add, numbers, itertools.repeat(1))


def _separators(start: int, pieces: list[str]) -> list[int]:
    """Offsets of the separators between ``pieces`` (str.split of the text at ``start``)."""
    return list(map(operator.add, itertools.accumulate(map(len, pieces[:-1])), itertools.count(start)))


# Words after which a string literal is interpolated in Lean core: `s!`, `m!`, `f!`,
# `println!`... (every such syntax in core ends in `!`), `throwError`, `throwErrorAt ref`,
# `logInfo`-style helpers take terms, `dbg_trace`, `trace[cls]`.
_INTERPOLATING_WORDS = frozenset({"throwError", "throwErrorAt", "dbg_trace", "throwNamedError", "logNamedError"})
_TRACE_PREFIX = re.compile(r"trace\[[^\]\n]*\]\Z")
_INTERPOLATING_ENDINGS = tuple(sorted(_INTERPOLATING_WORDS))
_LAST_WORD = re.compile(r"(\S+)\Z")
_LAYOUT_RUN = re.compile(r"[ \t\n]*")

# Strings one after the other, each after code with no token: in the "none" reading any
# string with no escape or line break; in the others one with no `{` either (read alike
# interpolated or not). Whether such a string is interpolated in Lean's usual contexts is
# then seen at a glance (see _Lexer._interpolated): code that holds no `r` holds no
# interpolating word (each has one: s! aside, they are throwError, dbg_trace, trace[…]…),
# so with no `]` either, only a `!` before the string makes it interpolated.
_STRING_RUNS = {
    "none": re.compile(r"""(?:[^-/"'«r]*"[^"\\\n]*")+"""),
    "all": re.compile(rf'(?:{_QUIET}*"[^"\\{{\n]*")+'),
    "context": re.compile(r"""(?:[^-/"'«r{}\]]*"[^"\\{\n]*")+"""),
}

# A run of identifier characters before a `'` or `r"` read as tokenFnAux reads it from
# the run's start: numbers (numberFnAux: `0b`/`0o`/`0x` digits, decimals with `_` and an
# exponent) and the one-character symbols `' ! ?` and subscripts. A token starts after it
# only if the run is all such pieces; an identifier (isIdFirst) would run through. Each
# number is taken whole, as Lean does (`(?=(…))\1` keeps the regex from backtracking into
# it: `10x5` is `10` then an identifier, not `1` and `0x5`).
_NUMBER = r"0[bB][01_]*|0[oO][0-7_]*|0[xX][0-9a-fA-F_]*|[0-9][0-9_]*(?:[eE][0-9_]+)?"
_SYMBOLS_AND_NUMBERS = re.compile(r"(?:(?=(" + _NUMBER + r"))\1|['!?" + _SUBSCRIPT + "])*")
_ASCII_ID_REST = frozenset(c for c in map(chr, range(128)) if _ID_REST_RX.match(c))


def lex(source: str, *, interpolation: str = "context") -> Lexed:
    """Read ``source`` as Lean's tokenizer does (see the module docstring)."""
    if interpolation not in ("context", "all", "none"):
        raise ValueError("interpolation is 'context', 'all' or 'none'")
    return _Lexer(source, interpolation).run()


def readings(source: str) -> list[Lexed]:
    """``source`` lexed with Lean's usual interpolation contexts, then, when a string was
    interpolated or holds a `{` (so that the readings can differ), with every string
    interpolated and with none. A reading that can differ from the usual one only in how
    it records its strings (no string it reads differently holds a `{`) is derived from
    it, sharing its ``code``, rather than lexed again."""
    lexer = _Lexer(source, "context")
    usual = lexer.run()
    table = usual.string_table
    if not any(table.interpolated) and "{" not in "".join(table.values):
        return [usual]
    every = lex(source, interpolation="all") if lexer.plain_brace else _restrung(usual, True)
    none = lex(source, interpolation="none") if lexer.interpolation_opened else _restrung(usual, False)
    return [usual, every, none]


def _restrung(lexed: Lexed, interpolated: bool) -> Lexed:
    """``lexed`` with every `"` string recorded as interpolated (or as plain), for a text
    where that changes no token's extent."""
    src, table = lexed.source, lexed.string_table
    if all(table.interpolated) if interpolated else not any(table.interpolated):
        return Lexed(src, lexed.code, table, lexed.comments, lexed.state)
    restrung = StringTable(table.starts, table.ends)
    for start, end, value, was in zip(table.starts, table.ends, table.values, table.interpolated):
        if was == interpolated or src[start] != '"':  # raw strings stay as they are
            restrung.values.append(value)
            restrung.interpolated.append(was)
        else:
            restrung.values.append("" if interpolated else src[start + 1 : end - 1])
            restrung.interpolated.append(interpolated)
    return Lexed(src, lexed.code, restrung, lexed.comments, lexed.state)


class _Lexer:
    def __init__(self, src: str, interpolation: str) -> None:
        self.src = src
        self.n = len(src)
        self.interpolation = interpolation
        self.code: list[str] = []  # the code so far, up to ``done`` in the source
        self.done = 0
        self.strings = StringTable()
        self.comments: list[tuple[int, int]] = []
        self.state = "ok"
        # The interpolations we are inside, innermost last: where each one's string opened,
        # the depth of `{` brackets in its code, and which of them have a depth above 0.
        self.opens: list[int] = []
        self.depths: list[int] = []
        self.deep: list[int] = []
        self.seg_start = 0  # where the current stretch of code began (after a literal/comment)
        self.last_code = 0  # end of the last non-blank code before a comment
        # For readings(): did a string read as plain hold a `{`, or did an interpolation open?
        self.plain_brace = False
        self.interpolation_opened = False
        self._reversed: str | None = None
        self._handlers = {name: getattr(self, "_" + name) for name in _NESTED_TOKENS}

    def run(self) -> Lexed:
        i = 0
        while i < self.n:
            i = self._tokens(i)
        if self.opens:
            self.state = "string"
        self.code.append(self.src[self.done :])
        return Lexed(self.src, "".join(self.code), self.strings, self.comments, self.state)

    def _tokens(self, i: int) -> int:
        """Read tokens from ``i`` until one moves the reading elsewhere (into or out of an
        interpolation, or past text the master pattern did not read); returns where to
        go on."""
        if self.opens:
            master = _NESTED_CODE
        else:
            master = _PLAIN_CODE if self.interpolation == "none" else _TOP_CODE
        handlers = self._handlers
        for m in master.finditer(self.src, i):
            go_on = handlers[m.lastgroup](m)  # type: ignore[index]
            if go_on is not None:
                return go_on
        return self.n

    # ------------------------------------------------------------------ bookkeeping

    def _blank(self, a: int, b: int) -> None:
        """Blank the source's text from ``a`` to ``b`` (line breaks kept) in the code."""
        self.code += (self.src[self.done : a], _blanked(self.src[a:b]))
        self.done = b

    def _emit(self, a: int, code: str, b: int) -> None:
        """The code of the source's text from ``a`` to ``b`` is ``code``."""
        self.code += (self.src[self.done : a], code)
        self.done = b

    def _note_code(self, j: int) -> None:
        if self.src[self.seg_start : j].strip():
            self.last_code = j

    def _consumed(self, end: int) -> None:
        """A literal or name token ended at ``end``: code resumes there."""
        self.seg_start = self.last_code = end

    def _comment(self, a: int, b: int) -> None:
        self.comments.append((a, b))
        self._blank(a, b)
        self.seg_start = b

    def _reversed_src(self) -> str:
        """The source reversed, to read runs of characters backwards with a regex."""
        if self._reversed is None:
            self._reversed = self.src[::-1]
        return self._reversed

    # ------------------------------------------------------------------ comments, names, chars
    # (the handlers of the commonest tokens do their bookkeeping inline: hostile text holds
    # one every few characters)

    def _block_comment(self, m: re.Match[str]) -> None:
        a, b = m.span()
        src = self.src
        if src[self.seg_start : a].strip():
            self.last_code = a
        self.comments.append((a, b))
        self.code += (src[self.done : a], _blanked(src[a:b]))
        self.done = self.seg_start = b

    _line_comment = _block_comment

    def _nested_comment(self, m: re.Match[str]) -> int:
        j = m.start()
        self._note_code(j)
        k = j + 3 if self.src.startswith(("/--", "/-!"), j) else j + 2
        depth = 1
        for edges in _NESTED_EDGES.finditer(self.src, k):
            count = (edges.end() - edges.start()) // 2
            if edges.lastindex:
                depth += count
            elif count < depth:
                depth -= count
            else:  # the closer that ends the comment
                end = edges.start() + 2 * depth
                self._comment(j, end)
                return end
        self.state = "comment"
        self._comment(j, self.n)
        return self.n

    def _name(self, m: re.Match[str]) -> None:
        self.seg_start = self.last_code = m.end()

    def _open_name(self, m: re.Match[str]) -> int:
        self.state = "name"
        return self.n

    def _char(self, m: re.Match[str]) -> None:
        j, end = m.span()
        if end - j > 2:  # a character literal: one line, unless it is a line break
            self.code += (self.src[self.done : j + 1], "\n" if self.src[j + 1] == "\n" else " " * (end - j - 2))
            self.done = end - 1
        if end - j > 1:  # it, or the token `''` (Mathlib's image notation)
            self.seg_start = self.last_code = end
        # else a lone `'`: not a character literal, Lean reports a parse error here

    def _quote(self, m: re.Match[str]) -> int | None:
        if not self._token_starts_at(m.start()):
            return _ID_REST_RUN.match(self.src, m.start()).end()  # type: ignore[union-attr]  # a prime inside a name: h'
        self._char(m)
        return None

    def _token_starts_at(self, j: int) -> bool:
        """Does a token start at ``j``, or is ``j`` inside an identifier or number (Lean's
        tokenFnAux: only a token start can open a char literal or a raw string)?"""
        if j == self.seg_start:
            return True
        src = self.src
        before = src[j - 1]
        if before not in _ASCII_ID_REST and (before < "\x80" or not _ID_REST_RX.match(before)):
            return True
        if j - 1 == self.seg_start or (src[j - 2] < "\x80" and src[j - 2] not in _ASCII_ID_REST):
            return not _ID_FIRST_RX.match(before)  # one character: a number or a symbol, or a name
        # The run of identifier characters before j (not before seg_start), read backwards.
        run = _ID_REST_RUN.match(self._reversed_src(), self.n - j, self.n - self.seg_start).end() - (self.n - j)  # type: ignore[union-attr]
        return _SYMBOLS_AND_NUMBERS.match(src, j - run, j).end() == j  # type: ignore[union-attr]

    # ------------------------------------------------------------------ strings

    def _raw(self, m: re.Match[str]) -> None:
        j, end = m.span()
        src = self.src
        after_open = src.index('"', j) + 1
        body_end = end - (after_open - j - 1)  # before `"` and as many `#` as `r` had
        if src[self.seg_start : j].strip():
            self.last_code = j
        body = src[after_open:body_end]
        self.code += (src[self.done : after_open], _blanked(body))
        self.done = body_end
        self.strings.add(j, end, body, False)
        self.seg_start = self.last_code = end

    def _raw_string(self, m: re.Match[str]) -> int | None:
        if not self._token_starts_at(m.start()):
            return m.start() + 1
        self._raw(m)
        return None

    def _open_raw_string(self, m: re.Match[str]) -> int:
        j, after_open = m.span()
        if not self._token_starts_at(j):
            return j + 1
        close = '"' + "#" * (after_open - j - 2)
        end = self.src.find(close, after_open)
        self._note_code(j)
        if end < 0:
            self.state = "string"
            self._blank(after_open, self.n)
            self.strings.add(j, self.n, self.src[after_open:], False)
            return self.n
        self._blank(after_open, end)
        self.strings.add(j, end + len(close), self.src[after_open:end], False)
        self._consumed(end + len(close))
        return end + len(close)

    def _string(self, m: re.Match[str]) -> int | None:
        """A whole string whose text reads the same interpolated or not."""
        j, end = m.span()
        interpolated = self._interpolated(j)
        self.strings.add(j, end, "" if interpolated else self.src[j + 1 : end - 1], interpolated)
        self._blank(j + 1, end - 1)
        self._consumed(end)
        return self._string_run(end)

    def _open_string(self, m: re.Match[str]) -> int:
        j = m.start()
        if self._interpolated(j):
            return self._string_text(j, j + 1)
        text_end = _PLAIN_TEXT.match(self.src, j + 1).end()  # type: ignore[union-attr]
        if text_end >= self.n or self.src[text_end] != '"':  # open to the end
            self.plain_brace = self.plain_brace or "{" in self.src[j + 1 :]
            self._blank(j + 1, self.n)
            self.state = "string"
            return self.n
        self.plain_brace = self.plain_brace or "{" in self.src[j + 1 : text_end]
        self.strings.add(j, text_end + 1, self.src[j + 1 : text_end], False)
        self._blank(j + 1, text_end)
        self._consumed(text_end + 1)
        return text_end + 1

    def _string_text(self, opened: int, i: int) -> int:
        """The text of the interpolated string that opened at ``opened``, from ``i``
        (after its quote, or after the `}` that ended one of its interpolations)."""
        src = self.src
        end = _INTERPOLATED_TEXT.match(src, i).end()  # type: ignore[union-attr]
        if end >= self.n or src[end] == "\\":  # open to the end
            self._blank(i, self.n)
            self.state = "string"
            return self.n
        self._consumed(end + 1)
        if src[end] == '"':
            self.strings.add(opened, end + 1, "", True)
            self._blank(i, end)
            return self._close_run(end + 1)
        # `{`: an interpolation opens (StrInterpolation.lean, interpolatedStrFn).
        self._blank(i, end + 1)
        self.opens.append(opened)
        self.depths.append(0)
        self.interpolation_opened = True
        return self._open_run(end + 1)

    def _interpolated(self, j: int) -> bool:
        if self.interpolation != "context":
            return self.interpolation == "all"
        src = self.src
        if j and src[j - 1] == "!":
            # Lean's usual case, decided at once: a `!` cannot end a literal, comment or
            # name token, so the code before j is not blank and ends in `!`.
            return True
        end = j if src[self.seg_start : j].strip() else self.last_code
        k = end - (_LAYOUT_RUN.match(self._reversed_src(), self.n - end).end() - (self.n - end))  # type: ignore[union-attr]
        if k == 0:
            return False
        prev = src[k - 1]
        if prev == "!":
            return True  # s! m! f! println! ... (every interpolating `!` word in core)
        if prev == "]":
            return bool(_TRACE_PREFIX.search(src, max(0, k - 200), k))
        if not is_id_rest(prev) or not src.endswith(_INTERPOLATING_ENDINGS, 0, k):
            return False
        m = _LAST_WORD.search(src, max(0, k - 64), k)
        return m is not None and m.group(1).rsplit("(", 1)[-1] in _INTERPOLATING_WORDS

    # ------------------------------------------------------------------ interpolations

    def _open_braces(self, m: re.Match[str]) -> None:
        if not self.depths[-1]:
            self.deep.append(len(self.depths) - 1)
        self.depths[-1] += m.end() - m.start()

    def _close_braces(self, m: re.Match[str]) -> int | None:
        count, depth = m.end() - m.start(), self.depths[-1]
        if count < depth:
            self.depths[-1] = depth - count
            return None
        if depth:
            self.depths[-1] = 0
            self.deep.pop()
        if count == depth:
            return None
        # This `}` ends the interpolation: back to its string's text (the `}` is blanked).
        closing = m.start() + depth
        self._blank(closing, closing + 1)
        self.depths.pop()
        return self._string_text(self.opens.pop(), closing + 1)

    def _open_run(self, i: int) -> int:
        """Interpolations opening one inside the other from ``i``, read in one match."""
        run = _OPEN_RUNS[self.interpolation].match(self.src, i)
        if run is None:
            return i
        # Pieces: the code before the first quote, then each string's text, its `{` and
        # the code up to the next quote.
        span = self.src[i : run.end()]
        pieces = span.split('"')
        quotes = _separators(i, pieces)
        if span.count('"{') == len(quotes):  # no text (the densest nesting): blank the `{`s
            code = span.replace('"{', '" ')
        else:
            steps = list(map(str.partition, pieces[1:], itertools.repeat("{")))
            texts, codes = map(operator.itemgetter(0), steps), map(operator.itemgetter(2), steps)
            code = pieces[0] + '"' + '"'.join(map(operator.add, _spaces(_plus_one(map(len, texts))), codes))
        self._emit(i, code, run.end())
        self.opens.extend(quotes)
        self.depths.extend(itertools.repeat(0, len(quotes)))
        self._consumed(run.end())
        return run.end()

    def _close_run(self, i: int) -> int:
        """Interpolations (at bracket depth 0) and their strings closing one after the
        other from ``i``, read in one match."""
        closable = len(self.depths) - (self.deep[-1] + 1 if self.deep else 0)
        if not closable:
            return i
        run = _close_run_pattern(1 << (closable.bit_length() - 1)).match(self.src, i)
        if run is None:
            return i
        # Pieces: each the code before a `}`, the `}` and the string's text up to its quote.
        span = self.src[i : run.end()]
        pieces = span.split('"')
        quotes = _separators(i, pieces)
        if span.count('}"') == len(quotes):  # no text: blank the `}`s
            code = span.replace('}"', ' "')
        else:
            steps = list(map(str.partition, pieces[:-1], itertools.repeat("}")))
            codes, texts = map(operator.itemgetter(0), steps), map(operator.itemgetter(2), steps)
            code = '"'.join(map(operator.add, codes, _spaces(_plus_one(map(len, texts))))) + '"'
        self._emit(i, code, run.end())
        opened = self.opens[-len(quotes) :]
        opened.reverse()
        del self.opens[-len(quotes) :], self.depths[-len(quotes) :]
        self.strings.extend(
            opened, _plus_one(quotes), itertools.repeat("", len(quotes)), itertools.repeat(True, len(quotes))
        )
        self._consumed(run.end())
        return run.end()

    def _string_run(self, i: int) -> int | None:
        """Strings one after the other from ``i``, each after code with no token, in one
        match (see _STRING_RUNS)."""
        run = _STRING_RUNS[self.interpolation].match(self.src, i)
        if run is None:
            return None
        # Pieces: code, a string's text, code, a string's text, ..., "" after the last quote.
        pieces = self.src[i : run.end()].split('"')
        quotes = _separators(i, pieces)
        texts = pieces[1::2]
        if self.interpolation == "context":
            codes = map(str.rstrip, pieces[0:-1:2], itertools.repeat(" \t\n"))
            interpolated = list(map(str.endswith, codes, itertools.repeat("!")))
        else:
            interpolated = [self.interpolation == "all"] * len(texts)
        values = map(operator.mul, texts, map(operator.not_, interpolated))  # "" if interpolated
        pieces[1::2] = _spaces(map(len, texts))
        self._emit(i, '"'.join(pieces), run.end())
        self.strings.extend(quotes[0::2], _plus_one(quotes[1::2]), values, interpolated)
        self._consumed(run.end())
        return run.end()


# --------------------------------------------------------------------------- positions


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts (line 1 at index 0)."""
    starts = list(itertools.accumulate(_plus_one(map(len, text.split("\n"))), initial=0))
    starts.pop()  # the offset one past the end
    return starts


def offset_of(text: str, line: int, column: int) -> int:
    """The offset of a Lean position (line from 1, column from 0 in code points)."""
    starts = line_starts(text)
    if line < 1:
        return 0
    if line > len(starts):
        return len(text)
    start = starts[line - 1]
    end = starts[line] - 1 if line < len(starts) else len(text)
    return min(start + max(column, 0), end)


def position_of(text: str, offset: int) -> tuple[int, int]:
    """(line from 1, column from 0) of an offset."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --------------------------------------------------------------------------- the header


@dataclass(frozen=True)
class Header:
    """A file's module header as Lean's ``Module.header`` parser reads it."""

    modules: list[str]  # module names, in order («» kept as written)
    text: str  # the header, one import per line, comments dropped ("" without imports)
    end: int  # offset where the first command starts (the body)
    lines: int  # line breaks before ``end``


_HEADER_TOKEN = re.compile(r"\s*(" + _PART + r"(?:\." + _PART + r")*|\S)")


@functools.lru_cache(maxsize=64)
def read_header(source: str) -> Header:
    """``[module] [prelude] ([public] [meta] import [all|runtime] Name)*``: trailing
    comments and a command on the same line end it, as in Lean."""
    return lex(source).header()


def _header(source: str, code: str) -> Header:
    """The header of ``source``, read from its lexed ``code``."""
    pos = 0
    lines_out: list[str] = []
    modules: list[str] = []
    body_at = 0
    expect_start = True
    while True:
        words, after = _header_item(code, pos, expect_start)
        if words is None:
            break
        expect_start = words[-1] in ("module", "prelude") and "import" not in words
        lines_out.append(" ".join(words))
        if "import" in words:
            modules.append(words[-1])
        pos = body_at = after
    if not modules:
        return Header([], "", 0, 0)
    return Header(modules, "\n".join(lines_out), body_at, source.count("\n", 0, body_at))


def _header_item(code: str, pos: int, may_open: bool) -> tuple[list[str] | None, int]:
    """One `module`/`prelude` keyword or one import at ``pos``, else (None, pos)."""
    words: list[str] = []
    m = _HEADER_TOKEN.match(code, pos)
    if m is None:
        return None, pos
    if may_open and m.group(1) in ("module", "prelude"):
        return [m.group(1)], m.end()
    while m is not None and m.group(1) in ("public", "meta") and len(words) < 2:
        words.append(m.group(1))
        m = _HEADER_TOKEN.match(code, m.end())
    if m is None or m.group(1) != "import":
        return None, pos
    words.append("import")
    m = _HEADER_TOKEN.match(code, m.end())
    if m is not None and m.group(1) in ("all", "runtime"):
        after = _HEADER_TOKEN.match(code, m.end())
        if after is not None and IDENT.fullmatch(after.group(1)):
            words.append(m.group(1))
            m = after
    if m is None or not IDENT.fullmatch(m.group(1)):
        return None, pos
    words.append(m.group(1))
    return words, m.end()


# --------------------------------------------------------------------------- declarations

DECL_KEYWORDS = (
    "theorem",
    "lemma",
    "def",
    "abbrev",
    "instance",
    "example",
    "axiom",
    "opaque",
    "structure",
    "inductive",
    "class",
)
# Each keyword not after `[\w'.#!?]`, written keyword first so that the regex engine skips
# quickly to where one could be.
_DECL_KW = re.compile("(" + "|".join(f"{kw}(?<![\\w'.#!?]{kw})" for kw in DECL_KEYWORDS) + r")(?![\w'!?])")
_SCOPE = re.compile(
    r"(?m)^[ \t]*(?:noncomputable[ \t]+)?(namespace|section|end)(?![\w'!?])[ \t]*(" + IDENT.pattern + ")?"
)
# Commands at the start of a line end the declaration before them (proof lines are indented).
_COMMAND_WORD = (
    r"(?:namespace|section|end|open|set_option|variable|universe|attribute|notation|"
    r"infix|infixl|infixr|prefix|postfix|macro|syntax|elab|local|scoped|#\w+|@\[|private|protected|"
    r"noncomputable|unsafe|partial|nonrec|" + "|".join(DECL_KEYWORDS) + r")(?![\w'!?])"
)
_FIRST_LINE_COMMAND = re.compile(_COMMAND_WORD)
_LINE_COMMAND = re.compile(r"\n(?=" + _COMMAND_WORD + ")")  # the line break before a command line


@dataclass
class Declaration:
    kind: str  # the keyword: theorem, lemma, def, ...
    name: str | None  # as written (None: example, unnamed instance)
    full_name: str | None  # with the enclosing namespaces
    start: int  # offset of the keyword
    name_start: int | None
    end: int  # offset where the next command starts
    text: str = ""  # the code (comments and literals blanked) of the declaration


def _name_after(code: str, pos: int, kind: str) -> tuple[str | None, int | None]:
    """The declared name that follows a keyword ending at ``pos``, if any."""
    n = len(code)
    j = pos
    while j < n and code[j] in " \t\n":
        j += 1
    if kind == "class" and code.startswith("inductive", j):
        j += len("inductive")
        while j < n and code[j] in " \t\n":
            j += 1
    if kind == "instance" and code.startswith("(priority", j):
        close = code.find(")", j)
        j = n if close < 0 else close + 1
        while j < n and code[j] in " \t\n":
            j += 1
    if kind == "example":
        return None, None
    m = IDENT.match(code, j)
    if not m or m.start() != j:
        return None, None
    return m.group(0), j


def find_declarations(code: str, only: set[str] | None = None) -> list[Declaration]:
    """Declarations in lexed code (``lex(text).code``), with namespaces resolved.
    ``only``: keep just the declarations whose name's last part is one of these."""
    events: list[tuple[int, str, object]] = []
    for m in _DECL_KW.finditer(code):
        kind = m.group(1)
        if kind in ("instance", "inductive"):
            before = code[max(0, m.start() - 20) : m.start()].replace("[", " ").split()
            if before and before[-1] in ("deriving", "attribute", "local", "scoped") and kind == "instance":
                continue  # `deriving instance ...`, `attribute [local instance]`
            if before and before[-1] == "class" and kind == "inductive":
                continue
        if only is not None and not any(n in code[m.end() : m.end() + 300] for n in only):
            continue  # its name (within reach) is none of those asked for
        events.append((m.start(), "decl", m))
    if "namespace" in code or "section" in code or "end" in code:  # (each `in` is a quick C search)
        events.extend((m.start(1), m.group(1), m.group(2) or "") for m in _SCOPE.finditer(code))
    events.sort(key=lambda e: e[0])
    line_commands = {m.end() for m in _LINE_COMMAND.finditer(code)}
    if _FIRST_LINE_COMMAND.match(code):
        line_commands.add(0)
    boundaries = sorted(line_commands | {e[0] for e in events})
    return list(_declarations(code, events, boundaries, only))


def declared_names(text: str, *, qualified: bool = True) -> list[str]:
    """The names a piece of Lean source declares, in order: with their enclosing
    namespaces (``namespace Foo`` ... ``theorem bar`` is ``Foo.bar``, as ``#print axioms``
    must be asked), or as written with ``qualified=False`` (what completion offers inside
    the namespace)."""
    decls = find_declarations(lex(text).code)
    return [name for d in decls if (name := d.full_name if qualified else d.name)]


def _declarations(code: str, events: list, boundaries: list[int], only: set[str] | None) -> Iterator[Declaration]:
    stack: list[tuple[str, str]] = []
    namespace = ""
    for pos, what, data in events:
        if what in ("namespace", "section", "end"):
            if what != "end":
                stack.append((what, data))
            elif stack:
                stack.pop()
            namespace = ".".join(n for k, n in stack if k == "namespace" and n)
            continue
        kind = data.group(1)
        name, name_start = _name_after(code, data.end(), kind)
        if only is not None and (name is None or plain_name(name).split(".")[-1] not in only):
            continue
        full = None
        if name is not None:
            full = (
                name[len("_root_.") :] if name.startswith("_root_.") else (f"{namespace}.{name}" if namespace else name)
            )
        k = bisect.bisect_right(boundaries, pos)
        while k < len(boundaries) and boundaries[k] == name_start:
            k += 1
        end = boundaries[k] if k < len(boundaries) else len(code)
        yield Declaration(kind, name, full, pos, name_start, end, code[pos:end])


# --------------------------------------------------------------------------- one-line summaries


def summary_line(text: str, limit: int | None = None, *, lines: str = "first", more: str = "") -> str:
    """A short form of ``text`` for a label, a list or a reason.

    ``lines``: ``"first"`` the first non-blank line, stripped (a cell, a tactic, a
    message's headline); ``"joined"`` every line, whitespace collapsed to single spaces
    (a goal or a message on one line); ``"all"`` the text stripped, lines kept (an error
    quoted in a reason). ``more``: appended when ``"first"`` left lines out (``" …"``).
    ``limit``: at most this many characters, the last one ``…`` when the text was cut."""
    if lines == "first":
        stripped = text.strip()
        out = stripped.split("\n", 1)[0].strip()
        if more and "\n" in stripped:
            out += more
    elif lines == "joined":
        out = " ".join(text.split())
    elif lines == "all":
        out = text.strip()
    else:
        raise ValueError(f"lines must be 'first', 'joined' or 'all', not {lines!r}")
    if limit is not None and len(out) > limit:
        out = out[: max(limit - 1, 0)] + "…"
    return out
