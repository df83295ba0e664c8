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
interpolating word: Lean's usual cases), ``"all"`` or ``"none"``; the verifier's scan
reads the text all three ways and reports what any reading shows.

Everything here is linear in the text (each character is looked at a bounded number of
times), so a hostile 1 MB candidate costs well under a second.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import Iterator

__all__ = [
    "StringLiteral",
    "Lexed",
    "lex",
    "is_id_first",
    "is_id_rest",
    "IDENT",
    "WORD",
    "plain_name",
    "Header",
    "read_header",
    "Declaration",
    "find_declarations",
    "DECL_KEYWORDS",
    "line_starts",
    "offset_of",
    "position_of",
    "line_of",
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
_PART = r"(?:«[^»]*»|[" + _ID_FIRST_CLASS + r"][" + _ID_REST_CLASS + r"]*)"
IDENT = re.compile(r"(?<![" + _ID_REST_CLASS + r".»])" + _PART + r"(?:\." + _PART + r")*")
# A word of code: an identifier, `#`-prefixed for commands (`#eval`), with numeric
# projections (`h.1`) kept in the word.
WORD = re.compile(r"(?<![" + _ID_REST_CLASS + r".»#])#?" + _PART + r"(?:\.(?:" + _PART + r"|\d+))*")


def is_id_first(ch: str) -> bool:
    """Lean's ``isIdFirst``: may this character start an identifier?"""
    return bool(_ID_FIRST_RX.match(ch))


def is_id_rest(ch: str) -> bool:
    """Lean's ``isIdRest``: may this character continue an identifier?"""
    return bool(_ID_REST_RX.match(ch))


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
class Lexed:
    """``source`` read as Lean reads it. ``code`` has the same length and line breaks, with
    comments and the text of string and character literals blanked (quotes kept, code
    inside ``{}`` of an interpolated string kept), so offsets and line numbers match."""

    source: str
    code: str
    strings: list[StringLiteral] = field(default_factory=list)
    comments: list[tuple[int, int]] = field(default_factory=list)
    # What is still open at the end: "ok", "comment", "string" or "name" (a `«` without `»`).
    state: str = "ok"


# A `'` right after a letter other than a-f (hex digits end numbers: `0x1F'a'` is a
# number and a char) or after `_ ' ! ?` continues a name (`h'`): no event.
_TOP_EVENT = re.compile(r"--|/-|\"|(?<![G-Zg-z_'!?])'|«|r#*\"")
_NESTED_EVENT = re.compile(r"--|/-|\"|(?<![G-Zg-z_'!?])'|«|r#*\"|[{}]")
_BLOCK_EDGE = re.compile(r"/-|-/")
_STRING_EVENT = re.compile(r'[\\"]')
_INTERP_EVENT = re.compile(r'[\\"{]')
_CHAR_LITERAL = re.compile(r"'(?:\\(?:[\\\"'rnt]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})|[^\\])'", re.S)
_NOT_NEWLINE = re.compile(r"[^\n]")
# Words after which a string literal is interpolated in Lean core: `s!`, `m!`, `f!`,
# `println!`... (every such syntax in core ends in `!`), `throwError`, `throwErrorAt ref`,
# `logInfo`-style helpers take terms, `dbg_trace`, `trace[cls]`.
_INTERPOLATING_WORDS = frozenset({"throwError", "throwErrorAt", "dbg_trace", "throwNamedError", "logNamedError"})
_TRACE_PREFIX = re.compile(r"trace\[[^\]\n]*\]\Z")
_LAST_WORD = re.compile(r"(\S+)\Z")


def lex(source: str, *, interpolation: str = "context") -> Lexed:
    """Read ``source`` as Lean's tokenizer does (see the module docstring)."""
    if interpolation not in ("context", "all", "none"):
        raise ValueError("interpolation is 'context', 'all' or 'none'")
    return _Lexer(source, interpolation).run()


class _Lexer:
    def __init__(self, src: str, interpolation: str) -> None:
        self.src = src
        self.n = len(src)
        self.interpolation = interpolation
        self.blanks: list[tuple[int, int]] = []
        self.strings: list[StringLiteral] = []
        self.comments: list[tuple[int, int]] = []
        self.state = "ok"
        # Modes above top-level code: ["str", start, interpolated] or ["code", start, depth].
        self.stack: list[list] = []
        self.seg_start = 0  # where the current stretch of code began (after a literal/comment)
        self.last_code = 0  # end of the last non-blank code before a comment

    def run(self) -> Lexed:
        i = 0
        while i < self.n:
            if self.stack and self.stack[-1][0] == "str":
                i = self._in_string(i)
            else:
                i = self._in_code(i)
        if self.stack:
            self.state = "string"
        return Lexed(self.src, self._blanked(), self.strings, self.comments, self.state)

    def _blanked(self) -> str:
        if not self.blanks:
            return self.src
        out: list[str] = []
        last = 0
        for a, b in self.blanks:
            if a < last:
                a = last
            if a >= b:
                continue
            out.append(self.src[last:a])
            out.append(_NOT_NEWLINE.sub(" ", self.src[a:b]))
            last = b
        out.append(self.src[last:])
        return "".join(out)

    # ------------------------------------------------------------------ code

    def _in_code(self, i: int) -> int:
        rx = _NESTED_EVENT if self.stack else _TOP_EVENT
        m = rx.search(self.src, i)
        if m is None:
            return self.n
        j, tok = m.start(), m.group()
        if tok == "--":
            return self._line_comment(j)
        if tok == "/-":
            return self._block_comment(j)
        if tok == '"':
            interpolated = self._interpolated(j)
            self.stack.append(["str", j, interpolated])
            return j + 1
        if tok == "'":
            return self._quote(j)
        if tok == "«":
            end = self.src.find("»", j + 1)
            if end < 0:
                self.state = "name"
                return self.n
            self._consumed(end + 1)
            return end + 1
        if tok in "{}":
            return self._brace(j, tok)
        return self._raw_string(j, m.end())

    def _note_code(self, j: int) -> None:
        if self.src[self.seg_start : j].strip():
            self.last_code = j

    def _consumed(self, end: int) -> None:
        """A literal or name token ended at ``end``: code resumes there."""
        self.seg_start = self.last_code = end

    def _line_comment(self, j: int) -> int:
        self._note_code(j)
        end = self.src.find("\n", j)
        end = self.n if end < 0 else end
        self._comment(j, end)
        return end

    def _block_comment(self, j: int) -> int:
        # `/--` and `/-!` are doc-comment tokens; their bodies nest like comments.
        self._note_code(j)
        k = j + 3 if self.src.startswith(("/--", "/-!"), j) else j + 2
        depth = 1
        while depth:
            m = _BLOCK_EDGE.search(self.src, k)
            if m is None:
                self.state = "comment"
                self._comment(j, self.n)
                return self.n
            depth += 1 if m.group() == "/-" else -1
            k = m.end()
        self._comment(j, k)
        return k

    def _comment(self, a: int, b: int) -> None:
        self.comments.append((a, b))
        self.blanks.append((a, b))
        self.seg_start = b

    def _quote(self, j: int) -> int:
        if not self._token_starts_at(j):
            return _ID_REST_RUN.match(self.src, j).end()  # a prime inside a name: h'
        if self.src.startswith("''", j):
            self._consumed(j + 2)  # the token `''` (Mathlib's image notation)
            return j + 2
        m = _CHAR_LITERAL.match(self.src, j)
        if m is None:
            return j + 1  # not a character literal: Lean reports a parse error here
        self.blanks.append((j + 1, m.end() - 1))
        self._consumed(m.end())
        return m.end()

    def _raw_string(self, j: int, after_open: int) -> int:
        if not self._token_starts_at(j):
            return j + 1
        hashes = after_open - j - 2
        close = '"' + "#" * hashes
        end = self.src.find(close, after_open)
        self._note_code(j)
        if end < 0:
            self.state = "string"
            self.blanks.append((after_open, self.n))
            self.strings.append(StringLiteral(j, self.n, self.src[after_open:]))
            return self.n
        self.blanks.append((after_open, end))
        self.strings.append(StringLiteral(j, end + len(close), self.src[after_open:end]))
        self._consumed(end + len(close))
        return end + len(close)

    def _brace(self, j: int, tok: str) -> int:
        frame = self.stack[-1]
        if tok == "{":
            frame[2] += 1
        elif frame[2]:
            frame[2] -= 1
        else:
            # The `}` that closes an interpolation: back to the string's text.
            self.stack.pop()
            self.blanks.append((j, j + 1))
            self._consumed(j + 1)
        return j + 1

    def _token_starts_at(self, j: int) -> bool:
        """Does a token start at ``j``, or is ``j`` inside an identifier or number (Lean's
        tokenFnAux: only a token start can open a char literal or a raw string)?"""
        k = j
        while k > self.seg_start and is_id_rest(self.src[k - 1]):
            k -= 1
        pos = k
        while pos < j:
            c = self.src[pos]
            if is_id_first(c):
                return False  # an identifier runs through j
            if c.isdigit() and c.isascii():
                pos = _number_end(self.src, pos, j)
            else:
                pos += 1  # `!`, `?`, `'`, a subscript: a symbol of its own
        return pos == j

    def _interpolated(self, j: int) -> bool:
        if self.interpolation != "context":
            return self.interpolation == "all"
        end = j if self.src[self.seg_start : j].strip() else self.last_code
        k = end
        while k > 0 and self.src[k - 1] in " \t\n":
            k -= 1
        if k == 0:
            return False
        prev = self.src[k - 1]
        if prev == "!":
            return True  # s! m! f! println! ... (every interpolating `!` word in core)
        if prev == "]":
            return bool(_TRACE_PREFIX.search(self.src, max(0, k - 200), k))
        if not is_id_rest(prev):
            return False
        m = _LAST_WORD.search(self.src, max(0, k - 64), k)
        return m is not None and m.group(1).rsplit("(", 1)[-1] in _INTERPOLATING_WORDS

    # ------------------------------------------------------------------ strings

    def _in_string(self, i: int) -> int:
        frame = self.stack[-1]
        interpolated = frame[2]
        m = (_INTERP_EVENT if interpolated else _STRING_EVENT).search(self.src, i)
        if m is None:
            self.blanks.append((i, self.n))
            return self.n
        j = m.start()
        self.blanks.append((i, j))
        c = self.src[j]
        if c == "\\":
            end = min(j + 2, self.n)
            self.blanks.append((j, end))
            return end
        if c == "{":
            self.blanks.append((j, j + 1))
            self.stack.append(["code", j, 0])
            self._consumed(j + 1)
            return j + 1
        self.stack.pop()
        start = frame[1]
        self.strings.append(StringLiteral(start, j + 1, "" if interpolated else self.src[start + 1 : j], interpolated))
        self._consumed(j + 1)
        return j + 1


_DECIMAL = "0123456789_"
_RADIX_DIGITS = {"b": "01_", "o": "01234567_", "x": "0123456789abcdefABCDEF_"}


def _number_end(src: str, pos: int, limit: int) -> int:
    """Where the number starting at ``pos`` ends (Lean's numberFnAux), at most ``limit``.
    Only the characters of an identifier run matter here: `.` and signs end the run."""
    digits = _DECIMAL
    if src[pos] == "0" and pos + 1 < limit and src[pos + 1] in "bBoOxX":
        digits = _RADIX_DIGITS[src[pos + 1].lower()]
        pos += 2
    while pos < limit and src[pos] in digits:
        pos += 1
    if digits is _DECIMAL and pos + 1 < limit and src[pos] in "eE" and src[pos + 1] in _DECIMAL:
        pos += 1
        while pos < limit and src[pos] in _DECIMAL:
            pos += 1
    return pos


# --------------------------------------------------------------------------- positions


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts (line 1 at index 0)."""
    starts = [0]
    find = text.find
    at = find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = find("\n", at + 1)
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
    code = lex(source).code
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
    "theorem", "lemma", "def", "abbrev", "instance", "example", "axiom", "opaque",
    "structure", "inductive", "class",
)
_DECL_KW = re.compile(r"(?<![\w'.#!?])(" + "|".join(DECL_KEYWORDS) + r")(?![\w'!?])")
_SCOPE = re.compile(r"(?m)^[ \t]*(?:noncomputable[ \t]+)?(namespace|section|end)(?![\w'!?])[ \t]*(" + IDENT.pattern + ")?")
# Commands at the start of a line end the declaration before them (proof lines are indented).
_LINE_COMMAND = re.compile(
    r"(?m)^(?:namespace|section|end|open|set_option|variable|universe|attribute|notation|"
    r"infix|infixl|infixr|prefix|postfix|macro|syntax|elab|local|scoped|#\w+|@\[|private|protected|"
    r"noncomputable|unsafe|partial|nonrec|" + "|".join(DECL_KEYWORDS) + r")(?![\w'!?])"
)


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
    for m in _SCOPE.finditer(code):
        events.append((m.start(1), m.group(1), m.group(2) or ""))
    events.sort(key=lambda e: e[0])
    boundaries = sorted({m.start() for m in _LINE_COMMAND.finditer(code)} | {e[0] for e in events})
    return list(_declarations(code, events, boundaries, only))


def _declarations(code: str, events: list, boundaries: list[int], only: set[str] | None) -> Iterator[Declaration]:
    stack: list[tuple[str, str]] = []
    namespace = ""
    for pos, what, data in events:
        if what in ("namespace", "section", "end"):
            if what != "end":
                stack.append((what, data))  # type: ignore[arg-type]
            elif stack:
                stack.pop()
            namespace = ".".join(n for k, n in stack if k == "namespace" and n)
            continue
        kind = data.group(1)  # type: ignore[attr-defined]
        name, name_start = _name_after(code, data.end(), kind)  # type: ignore[attr-defined]
        if only is not None and (name is None or plain_name(name).split(".")[-1] not in only):
            continue
        full = None
        if name is not None:
            full = name[len("_root_.") :] if name.startswith("_root_.") else (f"{namespace}.{name}" if namespace else name)
        k = bisect.bisect_right(boundaries, pos)
        while k < len(boundaries) and boundaries[k] == name_start:
            k += 1
        end = boundaries[k] if k < len(boundaries) else len(code)
        yield Declaration(kind, name, full, pos, name_start, end, code[pos:end])
