"""The model of the proof stepper: each tactic with the goals before and after it, and
which step is shown. Pure data, no ipywidgets and no HTML, so the kernel, the magic and
tests can use it anywhere (the view is ``widget.view``, the HTML ``render_steps``).

* ``ProofSteps`` - built from the code of a cell and the REPL's answer.
* ``StepCursor`` - the current step and how it moves (next, previous, a message's step).

Where steps come from
---------------------
**``tactics``** (a command run with ``allTactics``). The REPL lists the "substantive",
original tactics - the same ones an infotree would show after dropping ``by``, tactic
sequences, ``·``, parentheses and ``<;>`` - each with the goals *before* it as one string.
The goals *after* a step are not in the answer, so they are inferred, in this order:

1. an ``infotree`` in the same answer has a TacticInfo node with the same span: its
   ``goalsAfter`` (exact);
2. the step's *next sibling* - the next step with the same innermost enclosing step
   (by span nesting) and only whitespace, comments or one ``;`` between the two - has its
   goals before, which are the goals after this step (both name the state between them);
3. the step *closes its block*: it is the last tactic of a sequence that Lean requires to
   finish its goals - one opened by ``by``, ``·`` or the ``=>`` of ``case``/``next``/an
   alternative ``| pat =>`` - the text after it ends that sequence (end of the code, a
   closing bracket or comma, or a line indented left of the sequence), and the answer has
   no error at all. Then the goals after are ``[]``: an unfinished block would have been
   an "unsolved goals" error.
4. otherwise ``None`` (unknown), e.g. the last tactic before a ``·`` block, a tactic on the
   left of ``<;>``, the last tactic inside ``try``/``first``/``all_goals``/``on_goal``/
   ``conv``, or anything in an answer with errors. The widget says "unknown" rather than
   guess.

Limits: only what the text shows is used, so a sibling hidden behind a step the REPL does
not list (a ``·`` block, a parenthesised sequence) is not found (rule 4 applies); an
error anywhere in the answer turns every rule-3 step into "unknown"; tactics that run once
per goal (``<;>``, ``all_goals``) appear once per run with the same span.

**``infotree``** (a command run with ``infotree``). TacticInfo nodes carry their own
``goalsBefore``/``goalsAfter``, so nothing is inferred. A node becomes a step when its
syntax is original (``range.synthetic`` is not true: macro expansions are hidden), its range
is not empty, and it is not a pure structuring node: no syntax name (e.g. the ``by``
keyword), ``null``, ``by``-blocks (``Lean.Parser.Term.byTactic``), tactic sequences
(``tacticSeq``, ``tacticSeq1Indented``, ``tacticSeqBracketed``), ``·`` (``cdot``),
parentheses (``paren``) and ``<;>`` - the REPL's own rule for ``allTactics`` (plus
``tacticSeqBracketed``), so both shapes give the same steps for the same proof. Nested user tactics (``have ... :=
by simp`` and the ``simp`` inside it) are both steps.

In both shapes the steps are ordered by where they start in the code (outer before inner
at the same start), since elaboration order can differ from reading order.

Goal strings
------------
Each goal is one string in Lean's layout (``case``, hypotheses, then ``⊢ target``). The
``tactics`` entries join several goals with a single newline, so a goal ends after its
``⊢`` line and its indented continuation lines. REPLs before v4.9 print a whole goal on one
line (``t : Nat ⊢ Nat``); ``goals.unflatten`` breaks such a goal before ``⊢`` so views can
tell the target from the hypotheses (the hypotheses stay on one line).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..goals import split_goal_text, unflatten
from ..lean_text import position_of, summary_line
from ..protocol import CommandResponse, InfoNode, Message, Pos, ReplErrorResponse, TacticResponse

if TYPE_CHECKING:  # pragma: no cover
    from ..results import CellResult

__all__ = [
    "NO_STEPS",
    "ProofStep",
    "ProofSteps",
    "StepCursor",
    "StepMessage",
    "split_goal_text",
]

NO_STEPS = "no tactic steps"

# How a step's goals_after was found (see the module docstring, rules 1-4).
AFTER_INFOTREE = "infotree"
AFTER_NEXT_STEP = "next step"
AFTER_CLOSED_BLOCK = "closed block"
AFTER_UNKNOWN = "unknown"

# TacticInfo syntax kinds that only structure a proof; mirrors the REPL's "substantive" test.
STRUCTURAL_TACTICS = frozenset(
    {
        "null",
        "Lean.cdot",
        "Lean.cdotTk",
        "cdot",
        "cdotTk",
        "Lean.Parser.Term.byTactic",
        "Lean.Parser.Tactic.tacticSeq",
        "Lean.Parser.Tactic.tacticSeq1Indented",
        "Lean.Parser.Tactic.tacticSeqBracketed",
        "Lean.Parser.Tactic.«tactic_<;>_»",
        "Lean.Parser.Tactic.paren",
    }
)


# --------------------------------------------------------------------------- source text


def _mask_comments(code: str) -> str:
    """``code`` with comments blanked out (same length, newlines kept), so text between
    tactics can be judged without a ``-- ;`` or ``/- by -/`` fooling the rules."""
    out = list(code)
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if c == '"':  # a string literal may contain "--"
            i += 1
            while i < n and code[i] != '"':
                i += 2 if code[i] == "\\" else 1
            i += 1
        elif code.startswith("--", i):
            while i < n and code[i] != "\n":
                out[i] = " "
                i += 1
        elif code.startswith("/-", i):
            depth = 0
            while i < n:
                if code.startswith("/-", i):
                    depth += 1
                    out[i] = out[i + 1] = " "
                    i += 2
                elif code.startswith("-/", i):
                    depth -= 1
                    out[i] = out[i + 1] = " "
                    i += 2
                    if depth == 0:
                        break
                else:
                    if code[i] != "\n":
                        out[i] = " "
                    i += 1
        else:
            i += 1
    return "".join(out)


def _pos_of_offset(code: str, offset: int) -> Pos:
    return Pos(*position_of(code, offset))


_SEPARATOR = re.compile(r"\s*;?\s*")
_CLOSING_ALT = re.compile(r"^\s*(?:case\s|next\b|\|)")
_CLOSERS = (")", "]", "}", "⟩", ",")


# --------------------------------------------------------------------------- the model


@dataclass
class ProofStep:
    index: int
    tactic: str  # as the REPL printed it; spacing may differ from the source
    pos: Pos
    end_pos: Pos
    start: int  # offsets into the code
    end: int
    source: str  # code[start:end]
    goals_before: list[str]
    goals_after: list[str] | None  # None: not known (see the module docstring)
    proof_state: int | None = None
    name: str | None = None  # syntax kind (infotree only)
    depth: int = 0  # how many steps enclose this one
    after_rule: str = AFTER_UNKNOWN

    @property
    def span_text(self) -> str:
        return f"{self.pos.line}:{self.pos.column}-{self.end_pos.line}:{self.end_pos.column}"


@dataclass
class StepMessage:
    index: int
    severity: str
    data: str
    pos: Pos | None
    end_pos: Pos | None
    start: int | None
    end: int | None
    step: int | None  # the step clicking this message jumps to

    @property
    def where(self) -> str:
        return "" if self.pos is None else f"{self.pos.line}:{self.pos.column}"


@dataclass
class ProofSteps:
    code: str
    steps: list[ProofStep] = field(default_factory=list)
    messages: list[StepMessage] = field(default_factory=list)
    shape: str | None = None  # "tactics", "infotree" or None (no steps)
    reason: str = ""  # why there are no steps, in words
    has_errors: bool = False

    # ------------------------------------------------------------------ building

    @classmethod
    def from_response(cls, code: str, response: Any) -> ProofSteps:
        """Steps of one REPL answer. Never raises on a well-typed answer without tactic
        data: a term-mode proof, a tactic-mode cell, a REPL error or ``None`` all give a
        model with zero steps and a ``reason``."""
        code = code or ""
        if isinstance(response, CommandResponse):
            messages = response.messages
            has_errors = bool(response.errors)
            if response.tactics:
                steps = _steps_from_tactics(code, response, has_errors)
                model = cls(code, steps, shape="tactics", has_errors=has_errors)
            else:
                steps = _steps_from_infotree(code, response.infotree or [])
                model = cls(code, steps, shape="infotree" if steps else None, has_errors=has_errors)
                if not steps:
                    model.reason = (
                        f"{NO_STEPS}: the infotree has no tactic nodes (a term-mode proof?)"
                        if response.infotree is not None
                        else f"{NO_STEPS}: the command has no tactics, or it ran without "
                        "allTactics/infotree (turn them on to step through a proof)"
                    )
        elif isinstance(response, TacticResponse):
            messages = response.messages
            model = cls(code, [], has_errors=bool(response.errors))
            model.reason = f"{NO_STEPS}: a tactic-mode cell is a single step; its goals are the result"
        elif isinstance(response, ReplErrorResponse):
            messages = []
            model = cls(code, [], reason=f"{NO_STEPS}: the REPL refused the request ({response.message})")
        elif response is None:
            messages = []
            model = cls(code, [], reason=f"{NO_STEPS}: the REPL gave no answer")
        else:
            raise TypeError(
                f"ProofSteps.from_response needs a protocol response (CommandResponse, "
                f"TacticResponse, ReplErrorResponse) or None, not {type(response).__name__}; "
                "parse raw JSON with lean_kernel.protocol.parse_response first"
            )
        model.messages = [model._message(i, m) for i, m in enumerate(messages)]
        return model

    @classmethod
    def from_result(cls, result: CellResult) -> ProofSteps:
        """Steps of a cell the session ran (its code and response)."""
        model = cls.from_response(result.code, result.response)
        if result.response is None and result.failure:
            model.reason = f"{NO_STEPS}: {result.failure}"
        return model

    def _message(self, index: int, m: Message) -> StepMessage:
        start = None if m.pos is None else m.pos.offset_in(self.code)
        end = None if m.end_pos is None else m.end_pos.offset_in(self.code)
        step = None if start is None else self.step_for_position(start, end)
        return StepMessage(index, m.severity, m.data, m.pos, m.end_pos, start, end, step)

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[ProofStep]:
        return iter(self.steps)

    def __getitem__(self, i: int) -> ProofStep:
        return self.steps[i]

    @property
    def empty(self) -> bool:
        return not self.steps

    @property
    def why_empty(self) -> str:
        """Why there are no steps, in words (for views of an empty model)."""
        return self.reason or NO_STEPS

    def step_for_position(self, pos: Pos | int, end_pos: Pos | int | None = None) -> int | None:
        """The step a position belongs to: the innermost step containing it; else, when a
        range is given, the first step starting inside it (a message about a whole
        declaration goes to its first tactic); else the step ending nearest before it;
        else ``None`` (the position comes before every step, or there are none)."""
        off = pos.offset_in(self.code) if isinstance(pos, Pos) else int(pos)
        end = end_pos.offset_in(self.code) if isinstance(end_pos, Pos) else end_pos
        containing = [s for s in self.steps if s.start <= off < s.end]
        if containing:
            return min(containing, key=lambda s: (s.end - s.start, s.index)).index
        if end is not None and end > off:
            inside = [s for s in self.steps if off <= s.start < end]
            if inside:
                return inside[0].index
        before = [s for s in self.steps if s.end <= off]
        if before:
            return max(before, key=lambda s: (s.end, s.start, -s.index)).index
        return None

    def text(self) -> str:
        """A plain-text listing (the text/plain fallback)."""
        if not self.steps:
            return self.why_empty
        lines = [f"{len(self.steps)} tactic step{'s' if len(self.steps) != 1 else ''} ({self.shape}):"]
        for s in self.steps:
            lines.append(f"[{s.index}] {s.span_text}  {one_line(s.source or s.tactic)}")
            lines.append(f"    before: {_goals_plain(s.goals_before)}")
            lines.append(f"    after:  {_goals_plain(s.goals_after)}")
        for m in self.messages:
            lines.append(f"{m.severity} {m.where}: {one_line(m.data)}")
        return "\n".join(lines)


def one_line(text: str, limit: int = 80) -> str:
    """A tactic, goal or message on one line, for listings and labels."""
    return summary_line(text, limit, lines="joined")


def _goals_plain(goals: list[str] | None) -> str:
    if goals is None:
        return "unknown"
    if not goals:
        return "no goals"
    return " | ".join(one_line(g, 60) for g in goals)


# --------------------------------------------------------------------------- tactics shape


def _span(code: str, pos: Pos | None, end_pos: Pos | None) -> tuple[Pos, Pos, int, int]:
    start = 0 if pos is None else pos.offset_in(code)
    end = start if end_pos is None else max(start, end_pos.offset_in(code))
    return (pos or _pos_of_offset(code, start), end_pos or _pos_of_offset(code, end), start, end)


def _nest(starts: Sequence[int], ends: Sequence[int]) -> list[int | None]:
    """For spans sorted by (start, -end): the index of the innermost earlier span that
    contains each one (an identical earlier span counts), or None."""
    parents: list[int | None] = []
    open_spans: list[int] = []
    for i, end in enumerate(ends):
        while open_spans and ends[open_spans[-1]] < end:
            open_spans.pop()
        parents.append(open_spans[-1] if open_spans else None)
        open_spans.append(i)
    return parents


def _steps_from_tactics(code: str, response: CommandResponse, has_errors: bool) -> list[ProofStep]:
    raw = []
    for k, entry in enumerate(response.tactics):
        pos, end_pos, start, end = _span(code, entry.pos, entry.end_pos)
        raw.append((start, -end, k, entry, pos, end_pos, end))
    raw.sort(key=lambda r: (r[0], r[1], r[2]))

    starts = [r[0] for r in raw]
    ends = [r[6] for r in raw]
    parents = _nest(starts, ends)
    masked = _mask_comments(code)
    exact_after = _infotree_after_by_span(code, response.infotree or [])

    def sibling_after(i: int) -> int | None:
        for j in range(i + 1, len(raw)):
            if parents[j] == parents[i] and starts[j] >= ends[i]:
                return j if _SEPARATOR.fullmatch(masked[ends[i] : starts[j]]) else None
        return None

    next_sibling = [sibling_after(i) for i in range(len(raw))]
    prev_sibling: list[int | None] = [None] * len(raw)
    for i, j in enumerate(next_sibling):
        if j is not None:
            prev_sibling[j] = i

    steps: list[ProofStep] = []
    for i, (start, _neg_end, _k, entry, pos, end_pos, end) in enumerate(raw):
        depth, p = 0, parents[i]
        while p is not None:
            depth, p = depth + 1, parents[p]
        goals_before = split_goal_text(entry.goals)
        sibling = next_sibling[i]
        if (start, end) in exact_after:
            after, rule = exact_after[(start, end)], AFTER_INFOTREE
        elif sibling is not None:
            after, rule = split_goal_text(raw[sibling][3].goals), AFTER_NEXT_STEP
        elif not has_errors and _closes_block(code, masked, starts[_first_of(i, prev_sibling)], end):
            after, rule = [], AFTER_CLOSED_BLOCK
        else:
            after, rule = None, AFTER_UNKNOWN
        steps.append(
            ProofStep(
                index=i,
                tactic=entry.tactic,
                pos=pos,
                end_pos=end_pos,
                start=start,
                end=end,
                source=code[start:end],
                goals_before=goals_before,
                goals_after=after,
                proof_state=entry.proof_state,
                depth=depth,
                after_rule=rule,
            )
        )
    return steps


def _first_of(i: int, prev_sibling: list[int | None]) -> int:
    while (p := prev_sibling[i]) is not None:
        i = p
    return i


def _opens_closing_block(masked: str, seq_start: int) -> bool:
    """Rule 3a: the text before a sequence opens one Lean requires to finish its goals."""
    j = seq_start
    while j > 0 and masked[j - 1].isspace():
        j -= 1
    tail = masked[max(0, j - 3) : j]
    if tail.endswith("by"):
        prev = tail[:-2]
        return not prev or not (prev.isalnum() or prev in "_.'!?")
    if tail[-1:] in ("·", "."):
        # A focus dot is a token of its own; "h.1." or "Nat." is not one.
        return len(tail) < 2 or tail[-2].isspace()
    if tail.endswith("=>"):
        line = masked[masked.rfind("\n", 0, j) + 1 : j]
        return bool(_CLOSING_ALT.match(line)) and "conv" not in line
    return False


def _closes_block(code: str, masked: str, first: int, end: int) -> bool:
    """Rules 3a and 3b for a step ending at ``end`` whose sequence starts at ``first``."""
    if not _opens_closing_block(masked, first):
        return False
    # Rule 3b: nothing after the step continues the sequence.
    j, n = end, len(masked)
    newline = False
    while j < n and masked[j].isspace():
        newline = newline or masked[j] == "\n"
        j += 1
    if j == n or masked.startswith(_CLOSERS, j):
        return True
    return newline and _pos_of_offset(code, j).column < _pos_of_offset(code, first).column


# --------------------------------------------------------------------------- infotree shape


def _is_step_node(node: InfoNode) -> bool:
    if not node.is_tactic:
        return False
    rng = node.range
    if rng is None or rng.synthetic is True or rng.start == rng.finish:
        return False
    name = node.tactic_name
    return bool(name) and name not in STRUCTURAL_TACTICS


def _infotree_after_by_span(code: str, roots: list[InfoNode]) -> dict[tuple[int, int], list[str]]:
    found: dict[tuple[int, int], list[str]] = {}
    for root in roots:
        for node in root.walk():
            if _is_step_node(node):
                rng = node.range
                assert rng is not None
                key = (rng.start.offset_in(code), rng.finish.offset_in(code))
                found.setdefault(key, [unflatten(g) for g in node.goals_after])
    return found


def _steps_from_infotree(code: str, roots: list[InfoNode]) -> list[ProofStep]:
    nodes = []
    k = 0
    for root in roots:
        for node in root.walk():
            if _is_step_node(node):
                rng = node.range
                assert rng is not None
                start, end = rng.start.offset_in(code), max(rng.start.offset_in(code), rng.finish.offset_in(code))
                nodes.append((start, -end, k, node, rng, end))
                k += 1
    nodes.sort(key=lambda r: (r[0], r[1], r[2]))
    parents = _nest([r[0] for r in nodes], [r[5] for r in nodes])
    steps = []
    for i, (start, _neg_end, _k, node, rng, end) in enumerate(nodes):
        depth, p = 0, parents[i]
        while p is not None:
            depth, p = depth + 1, parents[p]
        steps.append(
            ProofStep(
                index=i,
                tactic=node.text if node.text is not None else code[start:end],
                pos=rng.start,
                end_pos=rng.finish,
                start=start,
                end=end,
                source=code[start:end],
                goals_before=[unflatten(g) for g in node.goals_before],
                goals_after=[unflatten(g) for g in node.goals_after],
                name=node.tactic_name,
                depth=depth,
                after_rule=AFTER_INFOTREE,
            )
        )
    return steps


# --------------------------------------------------------------------------- navigation


class StepCursor:
    """Which step of a ``ProofSteps`` is shown, and how that changes. ``index`` is None
    when there are no steps. Views watch it; it knows nothing of them."""

    def __init__(self, steps: ProofSteps, index: int = 0) -> None:
        self.steps = steps
        self.index: int | None = None
        self.message: StepMessage | None = None  # the message clicked last
        if len(steps):
            self.go(index)

    @property
    def step(self) -> ProofStep | None:
        return None if self.index is None else self.steps[self.index]

    def go(self, i: int) -> int:
        n = len(self.steps)
        if not n:
            raise IndexError(f"{NO_STEPS}: nothing to go to ({self.steps.reason or 'empty proof'})")
        if not isinstance(i, int) or not 0 <= i < n:
            raise IndexError(f"step {i!r} does not exist; this proof has {n} step(s), numbered 0 to {n - 1}")
        self.index = i
        return i

    def next(self) -> int | None:
        """One step on (stays on the last step); returns the current index."""
        if self.index is not None and self.index + 1 < len(self.steps):
            self.go(self.index + 1)
        return self.index

    def prev(self) -> int | None:
        """One step back (stays on the first step); returns the current index."""
        if self.index is not None and self.index > 0:
            self.go(self.index - 1)
        return self.index

    def click_message(self, k: int) -> int | None:
        """Message ``k`` becomes the one shown, and its step (if it has one) the current."""
        self.message = self.steps.messages[k]
        if self.message.step is not None:
            self.go(self.message.step)
        return self.index
