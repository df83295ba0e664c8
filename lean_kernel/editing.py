"""Editor help for the kernel, without a process: word lists for completion, the name
under the cursor for inspection, and whether a cell looks finished (``jupyter console``).

Pure text functions, so they are tested directly and cost nothing at runtime.
"""

from __future__ import annotations

import re

from .lean_text import is_id_first, is_name_char, lex

# Commands and term-level keywords of Lean 4 (core, plus the few Mathlib spellings users
# type all the time, such as ``lemma``). Written for completion, not for parsing.
KEYWORDS = sorted(
    {
        "abbrev",
        "axiom",
        "attribute",
        "by",
        "calc",
        "class",
        "def",
        "deriving",
        "do",
        "else",
        "end",
        "example",
        "export",
        "extends",
        "fun",
        "from",
        "have",
        "if",
        "import",
        "in",
        "include",
        "inductive",
        "infix",
        "infixl",
        "infixr",
        "instance",
        "let",
        "lemma",
        "local",
        "macro",
        "macro_rules",
        "match",
        "mutual",
        "namespace",
        "noncomputable",
        "nomatch",
        "nofun",
        "notation",
        "omit",
        "opaque",
        "open",
        "partial",
        "postfix",
        "prefix",
        "private",
        "protected",
        "return",
        "scoped",
        "section",
        "set_option",
        "show",
        "structure",
        "syntax",
        "termination_by",
        "decreasing_by",
        "then",
        "theorem",
        "universe",
        "unsafe",
        "variable",
        "where",
        "with",
        "Prop",
        "Sort",
        "Type",
        "sorry",
        "#check",
        "#eval",
        "#print",
        "#reduce",
        "#synth",
        "#guard",
        "#exit",
    }
)

# Tactics from Lean core, Batteries and Mathlib that come up most in proofs.
TACTICS = sorted(
    {
        "all_goals",
        "any_goals",
        "apply",
        "apply?",
        "assumption",
        "bv_decide",
        "by_cases",
        "by_contra",
        "calc",
        "case",
        "cases",
        "change",
        "clear",
        "congr",
        "constructor",
        "contradiction",
        "conv",
        "decide",
        "done",
        "dsimp",
        "exact",
        "exact?",
        "exact_mod_cast",
        "exfalso",
        "exists",
        "ext",
        "field_simp",
        "first",
        "fin_cases",
        "focus",
        "funext",
        "gcongr",
        "generalize",
        "have",
        "induction",
        "infer_instance",
        "injection",
        "interval_cases",
        "intro",
        "intros",
        "left",
        "linarith",
        "next",
        "nlinarith",
        "norm_cast",
        "norm_num",
        "nth_rewrite",
        "obtain",
        "omega",
        "positivity",
        "push_cast",
        "push_neg",
        "rcases",
        "refine",
        "repeat",
        "revert",
        "rewrite",
        "rfl",
        "right",
        "ring",
        "ring_nf",
        "rintro",
        "rw",
        "rw?",
        "rwa",
        "show",
        "simp",
        "simp?",
        "simp_all",
        "simpa",
        "skip",
        "sorry",
        "specialize",
        "split",
        "subst",
        "symm",
        "tauto",
        "trans",
        "trivial",
        "try",
        "unfold",
        "use",
        "aesop",
        "native_decide",
        "contrapose",
        "admit",
    }
)


def word_before(code: str, cursor_pos: int) -> tuple[int, str]:
    """(start, text) of the name, ``#command`` or ``%magic`` that ends at the cursor."""
    cursor_pos = max(0, min(cursor_pos, len(code)))
    start = cursor_pos
    while start > 0 and is_name_char(code[start - 1]):
        start -= 1
    if start > 0 and code[start - 1] in "#%" and (start == 1 or code[start - 2] in " \t\n"):
        start -= 1
    return start, code[start:cursor_pos]


def name_at(code: str, cursor_pos: int) -> str:
    """The whole name around the cursor (for inspection), without a trailing dot."""
    cursor_pos = max(0, min(cursor_pos, len(code)))
    start = cursor_pos
    while start > 0 and is_name_char(code[start - 1]):
        start -= 1
    end = cursor_pos
    while end < len(code) and is_name_char(code[end]):
        end += 1
    name = code[start:end].strip(".")
    # A name starts with a letter or `_` (digits and `'` cannot start one).
    if not name or not is_id_first(name[0]):
        return ""
    return name


def rank_matches(prefix: str, groups: list[tuple[str, list[str]]], limit: int = 200) -> list[tuple[str, str]]:
    """(match, group name) for every candidate starting with ``prefix``, earlier groups
    first, each listed once. Case-sensitive, as Lean names are."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for group, words in groups:
        for word in sorted(words):
            if word.startswith(prefix) and word not in seen:
                seen.add(word)
                out.append((word, group))
                if len(out) >= limit:
                    return out
    return out


# ----------------------------------------------------------------------------- is_complete

# «» are not here: the lexer reads a `«...»` name whole (an open one is state "string").
_OPEN = {"(": ")", "[": "]", "{": "}", "⟨": "⟩", "⦃": "⦄", "⟦": "⟧"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_BRACKETS = re.compile("[" + re.escape("".join(_OPEN) + "".join(_CLOSE)) + "]")

# A cell ending in one of these cannot be finished yet: something must follow.
_CONTINUES_WORDS = {
    "by",
    "where",
    "fun",
    "λ",
    "do",
    "then",
    "else",
    "with",
    "calc",
    "from",
    "have",
    "show",
    "at",
    "in",
    "let",
    "match",
    "if",
    "∀",
    "∃",
    "Π",
    "Σ",
    "deriving",
    "extends",
    "using",
}
_OPENS_BLOCK = {"by", "where", "do", "calc"}
_CONTINUES_SYMBOLS = (
    ":=",
    "=>",
    "←",
    "→",
    "->",
    "<-",
    "↔",
    "∧",
    "∨",
    "|",
    ":",
    ",",
    "=",
    "+",
    "-",
    "*",
    "/",
    "<;>",
    "·",
    "$",
    "<|",
    "|>",
    "∘",
    "×",
    "^",
)


def _scan(code: str) -> tuple[str, list[str], str]:
    """(state, open brackets, code with comments and literal text blanked); state is
    "ok", "comment", "string" or "invalid" (a closing bracket that matches nothing).
    The lexing is Lean's (lean_text.lex)."""
    lexed = lex(code)
    stack: list[str] = []
    for ch in _BRACKETS.findall(lexed.code):
        if ch in _OPEN:
            stack.append(ch)
        elif not stack or stack[-1] != _CLOSE[ch]:
            return "invalid", stack, lexed.code
        else:
            stack.pop()
    state = {"name": "string"}.get(lexed.state, lexed.state)
    return state, stack, lexed.code


def is_complete(code: str) -> tuple[str, str]:
    """("complete" | "incomplete" | "invalid", indent) for ``jupyter console``.

    Incomplete: an open comment, string or bracket; a last line ending in ``by``, ``:=``,
    ``where``, ``=>``, a comma, an operator and the like; or an indented last line in a
    multi-line cell (a proof is being typed: like Python, an empty line finishes it).
    Invalid: a closing bracket that matches nothing.
    """
    if not code.strip():
        return "complete", ""
    if code.lstrip().startswith("%") and "\n" not in code.strip():
        return "complete", ""
    state, stack, stripped = _scan(code)
    if state == "invalid":
        return "invalid", ""
    lines = code.split("\n")
    last = lines[-1]
    indent = last[: len(last) - len(last.lstrip())]
    if state in ("comment", "string") or stack:
        return "incomplete", indent or "  "
    if code.endswith("\n") and not last.strip():
        return "complete", ""  # an empty line submits, whatever came before
    tail = stripped.rstrip()
    if not tail:
        return "complete", ""
    last_word = re.split(r"[\s()\[\]{}⟨⟩]+", tail)[-1]
    if last_word in _OPENS_BLOCK or tail.endswith((":=", "=>")):
        return "incomplete", indent + "  "  # the next line is one level deeper
    if last_word in _CONTINUES_WORDS or tail.endswith(_CONTINUES_SYMBOLS):
        return "incomplete", indent or "  "
    if len(lines) > 1 and indent:
        return "incomplete", indent
    return "complete", ""
