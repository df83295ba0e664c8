"""Lean's Unicode abbreviations (``\\to`` → ``→``, ``\\N`` → ``ℕ``) for Tab completion, in
the kernel and in ``%%lean`` cells.

The table is the one VS Code's Lean extension and lean4web use: ``data/abbreviations.json``
from the npm package ``@leanprover/unicode-input`` (see ``data/abbreviations.NOTICE``;
``scripts/refresh_abbreviations.py`` updates it). The JupyterLab extension bundles the same
package for replacement as you type; this module answers Tab, with the package's rule for
which symbol an abbreviation means: of the abbreviations that start with what was typed,
the shortest (``\\al`` is ``∀``, from ``\\all``).

- What was typed is an abbreviation: its symbol, alone, so Tab replaces it at once (as
  ``\\to`` then a space does in VS Code, and Tab does in Julia's REPL).
- Otherwise: every abbreviation that starts with it, shortest first, one per symbol.

A symbol marks where VS Code leaves the cursor with ``$CURSOR`` (``\\<>`` is ``⟨$CURSOR⟩``);
a completion cannot place the cursor, so the mark is dropped and ``⟨⟩`` is inserted.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLE_PATH = Path(__file__).parent / "data" / "abbreviations.json"
LEADER = "\\"
CURSOR_MARK = "$CURSOR"


@dataclass(frozen=True)
class Abbreviation:
    name: str  # what is typed after the backslash: "to"
    symbol: str  # what it becomes, without the cursor mark: "→"

    @property
    def typed(self) -> str:
        return LEADER + self.name


@dataclass(frozen=True)
class _Table:
    names: list[str]  # sorted, for prefix search
    by_name: dict[str, str]  # name -> symbol as stored (with any $CURSOR)
    rank: dict[str, int]  # name -> position in the file (the package's tie-break)
    longest: int


@lru_cache(maxsize=1)
def _table() -> _Table:
    raw = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
    return _Table(
        names=sorted(raw),
        by_name=dict(raw),
        rank={name: i for i, name in enumerate(raw)},
        longest=max(map(len, raw)),
    )


def table() -> dict[str, str]:
    """The whole table, name -> symbol as stored (``$CURSOR`` marks included)."""
    return dict(_table().by_name)


def _with_prefix(typed: str) -> list[str]:
    t = _table()
    i = bisect.bisect_left(t.names, typed)
    out = []
    while i < len(t.names) and t.names[i].startswith(typed):
        out.append(t.names[i])
        i += 1
    return out


def _has_prefix(typed: str) -> bool:
    t = _table()
    i = bisect.bisect_left(t.names, typed)
    return i < len(t.names) and t.names[i].startswith(typed)


def lookup(typed: str, limit: int = 200) -> list[Abbreviation]:
    """The completions of ``\\`` + ``typed`` (see the module docstring); [] if none."""
    t = _table()
    if not typed:
        return []
    if typed in t.by_name:
        return [Abbreviation(typed, t.by_name[typed].replace(CURSOR_MARK, ""))]
    names = sorted(_with_prefix(typed), key=lambda n: (len(n), t.rank[n]))
    out: list[Abbreviation] = []
    seen: set[str] = set()
    for name in names:
        symbol = t.by_name[name].replace(CURSOR_MARK, "")
        if symbol not in seen:
            seen.add(symbol)
            out.append(Abbreviation(name, symbol))
            if len(out) >= limit:
                break
    return out


def abbreviation_before(code: str, cursor_pos: int) -> tuple[int, str] | None:
    """(offset of the backslash, text after it) when the text before the cursor is an
    abbreviation being typed, i.e. a backslash on the same line followed by the start of
    some abbreviation. The earliest such backslash wins, so ``\\\\`` is the abbreviation
    ``\\`` rather than a bare backslash."""
    cursor_pos = max(0, min(cursor_pos, len(code)))
    line_start = code.rfind("\n", 0, cursor_pos) + 1
    window = max(line_start, cursor_pos - _table().longest - 1)
    for start in range(window, cursor_pos):
        if code[start] == LEADER:
            typed = code[start + 1 : cursor_pos]
            if typed and _has_prefix(typed):
                return start, typed
    return None


def complete_at(code: str, cursor_pos: int) -> tuple[int, list[Abbreviation]] | None:
    """(start of the replaced text, completions) for an abbreviation that ends at the
    cursor, or None when the cursor is not after one (other completion applies then)."""
    found = abbreviation_before(code, cursor_pos)
    if found is None:
        return None
    start, typed = found
    return start, lookup(typed)
