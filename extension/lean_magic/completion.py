"""Tab completion of Lean's Unicode abbreviations (``\\to`` → ``→``) in ``%%lean`` cells and
``%lean`` lines, through IPython's completer; registered by ``%load_ext lean_magic``.

The rule and the table are the kernel's (``lean_kernel.abbreviations``). Elsewhere in a
notebook nothing changes: a backslash in Python code still gets IPython's LaTeX completion.

Two ways in, by IPython version:
- IPython ≥ 8.6 has the matcher API v2: a matcher sees the whole cell and may suppress the
  other matchers (Python names, LaTeX, Jedi) when it answers.
- IPython 7.34 (Kaggle's pinned version) matchers see one token only, and its LaTeX and
  Unicode-name completions answer any backslash before a matcher is asked (``\\N`` would
  list Unicode names). There the ``completions`` method of this shell's completer, which
  ipykernel and the terminal call, is wrapped: a ``%%lean`` cell is answered by us, any
  other text by IPython as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from IPython.core import completer as ipy_completer

from lean_kernel import abbreviations

MATCHER_ID = "lean_magic.abbreviations"
# Above IPython's own matchers (all at the default 0), so ours suppresses them.
MATCHER_PRIORITY = 1000

_CELL_MAGIC = re.compile(r"%%lean(?:\s|$)")
_LINE_MAGIC = re.compile(r"\s*%lean(?:\s|$)")


def lean_code_start(text: str, offset: int) -> int | None:
    """Where the Lean code of the cell that ``offset`` is in starts, or None when the cursor is
    not in Lean code: the body of a ``%%lean`` cell (its first non-blank line, as IPython
    reads cell magics) or the rest of a ``%lean`` line."""
    stripped = text.lstrip()
    if _CELL_MAGIC.match(stripped):
        first_line_end = text.find("\n", len(text) - len(stripped))
        if first_line_end != -1 and offset > first_line_end:
            return first_line_end + 1
        return None
    line_start = text.rfind("\n", 0, offset) + 1
    line = _LINE_MAGIC.match(text, line_start)
    if line and offset >= line.end():
        return line.end()
    return None


def lean_completions(text: str, offset: int) -> tuple[int, list[abbreviations.Abbreviation]] | None:
    """(start, completions) when the cursor is in Lean code after an abbreviation."""
    code_start = lean_code_start(text, offset)
    if code_start is None:
        return None
    found = abbreviations.complete_at(text[code_start:], offset - code_start)
    if found is None:
        return None
    start, items = found
    return code_start + start, items


# ----------------------------------------------------------------- IPython >= 8.6


def _offset(full_text: str, line: int, column: int) -> int:
    lines = full_text.split("\n")
    return sum(len(s) + 1 for s in lines[:line]) + column


def _make_matcher():
    @ipy_completer.context_matcher(priority=MATCHER_PRIORITY, identifier=MATCHER_ID)
    def lean_abbreviation_matcher(context) -> dict:
        offset = _offset(context.full_text, context.cursor_line, context.cursor_position)
        found = lean_completions(context.full_text, offset)
        if found is None:
            return {"completions": [], "suppress": False}
        start, items = found
        return {
            "completions": [ipy_completer.SimpleCompletion(a.symbol, type=a.typed) for a in items],
            "matched_fragment": context.full_text[start:offset],
            "suppress": True,
            "ordered": True,  # shortest abbreviation first, as VS Code picks
        }

    return lean_abbreviation_matcher


# ----------------------------------------------------------------- IPython 7.x


class _LeanFirstCompletions:
    """Stands in for ``IPCompleter.completions`` on one completer instance."""

    def __init__(self, original) -> None:
        self.original = original

    def __call__(self, text: str, offset: int) -> Iterator[Any]:
        found = lean_completions(text, offset)
        if found is None:
            yield from self.original(text, offset)
            return
        start, items = found
        for a in items:
            yield ipy_completer.Completion(start, offset, a.symbol, type=a.typed, _origin=MATCHER_ID, signature="")


# ----------------------------------------------------------------- registration


def uses_matcher_api() -> bool:
    return hasattr(ipy_completer, "context_matcher")


def register(ip, matcher_api: bool | None = None) -> None:
    """Add the completer to ``ip`` (once). ``matcher_api`` picks the way in; by default the
    matcher API where IPython has it."""
    shell_completer = ip.Completer
    unregister(ip)
    if matcher_api is None:
        matcher_api = uses_matcher_api()
    if matcher_api:
        shell_completer.custom_matchers.append(_make_matcher())
    else:
        shell_completer.completions = _LeanFirstCompletions(shell_completer.completions)


def unregister(ip) -> None:
    shell_completer = ip.Completer
    shell_completer.custom_matchers[:] = [
        m for m in shell_completer.custom_matchers if getattr(m, "matcher_identifier", None) != MATCHER_ID
    ]
    if isinstance(shell_completer.__dict__.get("completions"), _LeanFirstCompletions):
        del shell_completer.completions
