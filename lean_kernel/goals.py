"""Parse Lean's pretty-printed goal text into hypotheses and a target.

The REPL hands goals over as text, exactly as the infoview would print them:

    case succ            <- optional case tag
    x y : Nat            <- hypotheses, several names may share one type
    h :                  <- a long type breaks after the colon ...
      ∀ (n : Nat),       <- ... and continues on indented lines
        n = n
    ⊢ x + 1 = y          <- the target (may continue on indented lines too)

Several goals in one string are separated by a blank line ("unsolved goals" errors).
Old REPLs may print a short goal on one line (``t : Nat ⊢ Nat``); that parses too, and
``unflatten`` gives it today's layout (the widget shows it so).
This is the one parser of that format; the renderer and the widget both use it.
Parsing never fails: text that is not goal-shaped gives a goal with ``target=None``,
which views show verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

TURNSTILE = "⊢"
NO_GOALS = "no goals"  # what allTactics entries say when nothing is left

# "names :" then either a space and the type, or the end of the line (the type wraps).
_HYP = re.compile(r"^(?P<names>.+?) :(?: (?P<type>.*)|$)")
# Names are identifiers; «guillemets» may hold spaces, so split on whitespace outside them.
_NAME = re.compile(r"«[^»]*»|\S+")
_CASE = re.compile(r"^case (?P<tag>\S.*)$")


class Hypothesis(NamedTuple):
    names: tuple[str, ...]  # () for a line that did not look like "names : type"
    type: str


@dataclass(frozen=True)
class Goal:
    hypotheses: tuple[Hypothesis, ...] = ()
    target: str | None = None  # None: no "⊢" line was found
    case: str | None = None

    def to_text(self) -> str:
        """The goal in Lean's own layout (wrapped types come back dedented by one step)."""
        lines: list[str] = []
        if self.case is not None:
            lines.append(f"case {self.case}")
        for hyp in self.hypotheses:
            lines.append(f"{' '.join(hyp.names)} : {hyp.type}" if hyp.names else hyp.type)
        if self.target is not None:
            lines.append(f"{TURNSTILE} {self.target}")
        return "\n".join(lines)


def _is_continuation(line: str) -> bool:
    return line[:1] in (" ", "\t")


def _unflattened(lines: list[str]) -> list[str]:
    """Old REPLs (before v4.9; v4.8's allTactics) print a short goal on one line,
    ``t : Nat ⊢ Nat``: such a line is broken before its ``⊢``. A goal that has a ``⊢``
    line already is left as it is."""
    if any(line.startswith(TURNSTILE) for line in lines):
        return lines
    for i, line in enumerate(lines):
        if f" {TURNSTILE} " in line:
            before, after = line.split(f" {TURNSTILE} ", 1)
            return [*lines[:i], before, f"{TURNSTILE} {after}", *lines[i + 1 :]]
    return lines


def unflatten(goal: str) -> str:
    """One goal's text in today's layout: an old one-line goal (``t : Nat ⊢ Nat``) gets
    its target on a line of its own (the hypotheses stay on one line)."""
    return "\n".join(_unflattened(goal.split("\n")))


def _parse_one(lines: list[str]) -> Goal:
    case: str | None = None
    if lines and TURNSTILE not in lines[0]:
        m = _CASE.match(lines[0])
        if m and " : " not in lines[0]:
            case = m.group("tag")
            lines = lines[1:]

    lines = _unflattened(lines)

    # Group physical lines into logical ones: an indented line continues the previous one.
    logical: list[list[str]] = []
    for line in lines:
        if logical and _is_continuation(line):
            logical[-1].append(line)
        else:
            logical.append([line])

    hyps: list[Hypothesis] = []
    target_parts: list[str] | None = None
    for group in logical:
        head, rest = group[0], group[1:]
        if target_parts is not None:
            # Anything after the target belongs to it: Lean prints nothing else there.
            target_parts.extend(group)
            continue
        if head.startswith(TURNSTILE):
            first = head[len(TURNSTILE) :]
            target_parts = [first[1:] if first.startswith(" ") else first, *rest]
            continue
        m = _HYP.match(head)
        if m:
            names = tuple(_NAME.findall(m.group("names")))
            first = m.group("type")
            if first is None or first == "":
                # "h :" then the type on the next, indented, lines.
                parts = [rest[0].lstrip(), *rest[1:]] if rest else [""]
            else:
                parts = [first, *rest]
            hyps.append(Hypothesis(names, "\n".join(parts)))
        else:
            hyps.append(Hypothesis((), "\n".join(group)))
    target = None if target_parts is None else "\n".join(target_parts)
    return Goal(tuple(hyps), target, case)


def _split_goals(text: str) -> list[list[str]]:
    """A goal ends after its ``⊢`` line and the indented lines continuing it. Error
    messages put a blank line between goals; ``allTactics`` puts none (Lean joins them
    with a single newline), so an unindented line after a target starts the next goal.
    A blank line before any ``⊢`` cannot end a goal, so it stays inside it."""
    blocks: list[list[str]] = []
    current: list[str] = []
    has_target = False
    for line in text.split("\n"):
        if has_target and (line.strip() == "" or not _is_continuation(line)):
            if current:
                blocks.append(current)
            current, has_target = [], False
            if line.strip() == "":
                continue
        if line.strip() == "" and not current:
            continue
        current.append(line)
        # Old REPLs print "t : Nat ⊢ Nat" on one line: that line holds the target too.
        if line.startswith(TURNSTILE) or (not _is_continuation(line) and f" {TURNSTILE} " in line):
            has_target = True
    while current and current[-1].strip() == "":
        current.pop()
    if current:
        blocks.append(current)
    return blocks


def split_goals(text: str) -> list[str]:
    """One string per goal, in Lean's own layout (``"no goals"`` and empty text give ``[]``)."""
    text = text.strip("\n")
    if text.strip() in ("", NO_GOALS):
        return []
    return ["\n".join(block) for block in _split_goals(text)]


def split_goal_text(text: str | None) -> list[str]:
    """The goals of an ``allTactics`` entry or a TacticInfo node, one string per goal in
    today's layout (old one-line goals unflattened); ``None``, ``"no goals"`` and empty
    text give ``[]``."""
    return [] if text is None else [unflatten(goal) for goal in split_goals(text)]


def parse_goals(goals: str | Iterable[str]) -> list[Goal]:
    """Parse one goal text (possibly several goals separated by blank lines), or a list
    of them as a tactic step returns. ``"no goals"`` and empty text give ``[]``."""
    if not isinstance(goals, str):
        return [g for text in goals for g in parse_goals(text)]
    text = goals.strip("\n")
    if text.strip() in ("", NO_GOALS):
        return []
    return [_parse_one(block) for block in _split_goals(text)]


def is_inaccessible(name: str) -> bool:
    """Names Lean made up (``n✝``, ``inst✝¹``): the user cannot refer to them."""
    return "✝" in name
