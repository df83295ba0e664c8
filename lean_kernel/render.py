"""Turn a CellResult into what a notebook shows: HTML, plain text, JSON, and a Jupyter
error triple. Pure functions: no I/O, no process, no Jupyter imports.

Design choices (a notebook user's point of view):
- Order: notes, faults, tactic state, errors, warnings, infos, sorries, extras. What
  went wrong comes first; output a user asked for (``#check``) is never hidden.
- Info messages are command output (``#eval``, ``#check``, ``#print``, IO) unless they
  are a trace (``[Meta.Tactic.simp] ...``, folded into a <details>) or a suggestion
  ("Try this: ..."), which keeps its source span like any other message. The REPL does
  not say which command produced an info, and almost every other info *is* output, so
  guessing from the text is simpler and safer than guessing from the source.
- A silent success (no messages, sorries or notes) gives an empty text/plain, so
  ``jupyter console`` stays quiet like Python after an assignment, and a discreet
  "✓ ok · env N" line in HTML, because in a notebook a cell with no visible result looks
  as if it did not run, and the env id is what ``%env`` and chaining talk about.
- No syntax highlighting of source lines: inline Pygments colours assume a light
  background and become unreadable in dark themes; the marked span matters more.
- Only inline styles, with translucent colours that read on light and dark themes;
  no <style>, no scripts, nothing fetched. Every text goes through html.escape.
- Positions are (line from 1, column from 0 in code points), so Python string indices
  address them directly; an astral-plane character counts as one column, as in Lean.
"""

from __future__ import annotations

import copy
import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from .config import DEFAULT_OUTPUT_LIMIT
from .goals import Goal, Hypothesis, is_inaccessible, parse_goals
from .lean_text import is_name_char, summary_line
from .protocol import (
    LONE_SURROGATE,
    CommandResponse,
    Message,
    Pos,
    ReplErrorResponse,
    Sorry,
    TacticEntry,
    TacticResponse,
    without_lone_surrogates,
)
from .results import CellResult, Phase

__all__ = [
    "DEFAULT_CONTINUE_HINT",
    "Goal",
    "Hypothesis",
    "error_summary",
    "goal_html",
    "goals_text",
    "is_silent",
    "parse_goals",
    "phase_text",
    "render_bundle",
    "render_html",
    "render_text",
    "status_bundle",
]

# How the kernel continues a proof state; the magic passes its own template or None.
DEFAULT_CONTINUE_HINT = "%proofstate {id}"
# How to stop a running cell: JupyterLab's stop button, or Ctrl-C in a console.
DEFAULT_INTERRUPT_HINT = "■ / Ctrl-C to interrupt"

# Spans longer than this show their first and last lines around an elision.
MAX_SPAN_LINES = 6
# Source lines longer than this show a window around the span.
MAX_SOURCE_LINE = 240

_ESC = html.escape


@dataclass(frozen=True)
class Palette:
    """Every colour our HTML uses, defined once. Each is a JupyterLab theme variable, so
    output follows the light and dark themes, with a fallback for frontends without them
    (classic Notebook, Kaggle, nbviewer, a saved notebook opened elsewhere). The tints are
    translucent, so they read on a light and on a dark background alike."""

    text: str = "var(--jp-content-font-color1, #1f2328)"
    muted: str = "var(--jp-content-font-color2, #6b7280)"
    error: str = "var(--jp-error-color1, #d32f2f)"
    warning: str = "var(--jp-warn-color1, #e0a000)"
    info: str = "var(--jp-info-color1, #1976d2)"
    success: str = "var(--jp-success-color1, #2e7d32)"
    note: str = "var(--jp-content-font-color2, #607d8b)"
    on_badge: str = "white"  # text on a coloured badge: the badges are dark in both themes
    code_background: str = "var(--jp-layout-color2, rgba(128,128,128,0.12))"
    border: str = "var(--jp-border-color2, rgba(128,128,128,0.4))"
    mark: str = "var(--jp-search-selected-match-background-color, rgba(250,204,21,0.45))"
    error_tint: str = "rgba(211,47,47,0.10)"
    error_edge: str = "rgba(211,47,47,0.28)"
    warning_tint: str = "rgba(230,160,0,0.12)"
    warning_edge: str = "rgba(230,160,0,0.35)"
    info_tint: str = "rgba(25,118,210,0.08)"
    info_edge: str = "rgba(25,118,210,0.22)"
    sorry_tint: str = "rgba(230,160,0,0.08)"
    note_tint: str = "rgba(96,125,139,0.10)"
    note_edge: str = "rgba(96,125,139,0.25)"
    separator: str = "rgba(128,128,128,0.4)"

    def severity(self, kind: str) -> tuple[str, str, str]:
        """(line and text colour, background tint, marked-span tint) of a message kind:
        error, warning, info, sorry or note."""
        return {
            "error": (self.error, self.error_tint, self.error_edge),
            "warning": (self.warning, self.warning_tint, self.warning_edge),
            "info": (self.info, self.info_tint, self.info_edge),
            "sorry": (self.warning, self.sorry_tint, self.warning_edge),
            "note": (self.note, self.note_tint, self.note_edge),
        }[kind]


PALETTE = Palette()
SEVERITIES = ("error", "warning", "info", "sorry", "note")
_MONO = "font-family: monospace"
_PRE = f"{_MONO}; white-space: pre-wrap; margin: 0; padding: 0; background: none"

_TRACE = re.compile(r"^\[[A-Za-z_][\w.]*\]")
_SUGGESTION = "Try this"
_UNSOLVED = "unsolved goals\n"

_REFUSAL_HINTS = {
    "Unknown environment.": "The env this cell ran on does not exist in the running REPL "
    "(it may have restarted). Re-run the cells this one depends on.",
    "Unknown proof state.": "That proof state does not exist in the running REPL. Use a "
    "proof state id shown under a sorry or a tactic result of this session.",
}
_REFUSAL_HINTS["Unknown proof State."] = _REFUSAL_HINTS["Unknown proof state."]

_ANSI = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "gutter": "\x1b[34m", "reset": "\x1b[0m"}


# --------------------------------------------------------------------------- spans


@dataclass(frozen=True)
class _Span:
    """A resolved span in the cell's lines: 1-based lines, end column exclusive."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int


def _token_end(line: str, col: int) -> int:
    """Where the token at ``col`` ends: the REPL gives no end for some parse errors."""
    if col >= len(line):
        return col
    if not is_name_char(line[col], inaccessible=True):
        return col + 1
    end = col
    while end < len(line) and is_name_char(line[end], inaccessible=True):
        end += 1
    return end


def _resolve_span(lines: list[str], pos: Pos | None, end_pos: Pos | None) -> _Span | None:
    # Line 0 is what tactic mode reports: there is no source to point at.
    if pos is None or pos.line < 1 or pos.line > len(lines):
        return None
    sl, sc = pos.line, min(max(pos.column, 0), len(lines[pos.line - 1]))
    if end_pos is None or (end_pos.line, end_pos.column) < (pos.line, pos.column):
        return _Span(sl, sc, sl, _token_end(lines[sl - 1], sc))
    if end_pos.line > len(lines):
        return _Span(sl, sc, len(lines), len(lines[-1]))
    el = end_pos.line
    return _Span(sl, sc, el, min(max(end_pos.column, 0), len(lines[el - 1])))


def _shown_lines(span: _Span) -> list[int | None]:
    """Line numbers to show for a span; None stands for an elision."""
    numbers = list(range(span.start_line, span.end_line + 1))
    if len(numbers) <= MAX_SPAN_LINES:
        return list(numbers)
    return [*numbers[:3], None, *numbers[-2:]]


def _cut(lines: list[str], span: _Span, n: int) -> tuple[int, int]:
    text = lines[n - 1]
    a = span.start_col if n == span.start_line else 0
    b = span.end_col if n == span.end_line else len(text)
    return a, max(a, b)


def _fmt_pos(pos: Pos | None) -> str | None:
    if pos is None or pos.line < 1:
        return None
    return f"{pos.line}:{pos.column}"


def _fmt_range(pos: Pos | None, end_pos: Pos | None) -> str | None:
    start = _fmt_pos(pos)
    if start is None:
        return None
    end = _fmt_pos(end_pos)
    return start if end is None else f"{start}-{end}"


# --------------------------------------------------------------------------- text helpers


def _cell_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _pad_like(prefix: str) -> str:
    """Blank text as wide as ``prefix`` on a terminal, keeping its tabs."""
    return "".join("\t" if ch == "\t" else " " * _cell_width(ch) for ch in prefix)


def _paint(text: str, what: str, color: bool) -> str:
    return f"{_ANSI[what]}{text}{_ANSI['reset']}" if color and what in _ANSI else text


def _window(text: str, a: int, b: int) -> tuple[str, int, int]:
    """A source line cut to at most MAX_SOURCE_LINE characters around the span [a, b),
    with "…" where it was cut: a one-line cell of megabytes must not be repeated whole
    under each of its messages. Returns the shown text and the span's place in it."""
    if len(text) <= MAX_SOURCE_LINE:
        return text, a, b
    start = max(0, min(a - MAX_SOURCE_LINE // 4, len(text) - MAX_SOURCE_LINE))
    end = start + MAX_SOURCE_LINE
    head = "…" if start > 0 else ""
    tail = "…" if end < len(text) else ""
    shift = len(head) - start
    return head + text[start:end] + tail, min(a, end) + shift, min(max(b, a), end) + shift


def _source_text(lines: list[str], span: _Span, severity: str, color: bool) -> list[str]:
    width = len(str(span.end_line))
    out: list[str] = []
    for n in _shown_lines(span):
        if n is None:
            out.append(_paint(f"{'⋮':>{width}} |", "gutter", color))
            continue
        a, b = _cut(lines, span, n)
        text, a, b = _window(lines[n - 1], a, b)
        out.append(_paint(f"{n:>{width}} | ", "gutter", color) + text)
        if n != span.start_line:
            # Continuation lines: underline the code, not its indentation.
            indent = len(text) - len(text.lstrip())
            a = min(max(a, indent), b)
            if a == b:
                continue
        marked = sum(_cell_width(ch) for ch in text[a:b])
        head = "^" if n == span.start_line else "~"
        marker = _pad_like(text[:a]) + head + "~" * max(marked - 1, 0)
        out.append(_paint(f"{'':>{width}} | ", "gutter", color) + _paint(marker, severity, color))
    return out


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.split("\n"))


def _message_text(msg: Message, lines: list[str], color: bool = False) -> list[str]:
    where = _fmt_range(msg.pos, msg.end_pos)
    first, _, rest = msg.data.partition("\n")
    head = _paint(msg.severity, msg.severity, color) + ": " + (f"{where}: " if where else "") + first
    out = [head]
    if rest:
        out.append(_indent(rest))
    span = _resolve_span(lines, msg.pos, msg.end_pos)
    if span is not None:
        out.extend(_source_text(lines, span, msg.severity, color))
    return out


def goals_text(goals: str | Iterable[str]) -> str:
    """Goals as Lean prints them, one blank line between goals."""
    return "\n\n".join(g.to_text() for g in parse_goals(goals))


def _state_label(proof_state: int | None, hint: str | None, finished: bool = False) -> str:
    if proof_state is None:
        return ""
    label = f"proof state {proof_state}"
    if hint and not finished:
        label += " — continue with " + hint.format(id=proof_state)
    return label


# --------------------------------------------------------------------------- classification


def _infos(result: CellResult) -> list[Message]:
    # An unknown severity is shown as an info rather than dropped.
    return [m for m in result.messages if m.severity not in ("error", "warning")]


def _info_kind(msg: Message) -> str:
    if _TRACE.match(msg.data):
        return "trace"
    if msg.data.startswith(_SUGGESTION):
        return "suggestion"
    return "output"


def _status_word(status: str | None, completed: bool, has_goals: bool) -> tuple[str, str]:
    """(badge text, colour key) for a tactic step's proofStatus."""
    if status is None:
        # Versions before v4.19 give no status; say only what the goals show.
        return ("no goals", "ok") if completed else (("open goals", "warning") if has_goals else ("", ""))
    word = status.split(":", 1)[0].strip()
    if status.startswith("Completed"):
        return word, "ok"
    if status.startswith("Error"):
        return word, "error"
    return word, "warning"


def is_silent(result: CellResult) -> bool:
    """Nothing worth a display_data: a command that succeeded without saying anything."""
    cmd = result.command
    return (
        result.ok
        and result.kind == "command"
        and cmd is not None
        and not cmd.messages
        and not cmd.sorries
        and not cmd.tactics
        and not result.notes
        and not result.axioms
    )


def _env_of(result: CellResult) -> int | None:
    if result.env_after is not None:
        return result.env_after
    return result.command.env if result.command else None


# --------------------------------------------------------------------------- error summary


def _refusal_parts(message: str) -> tuple[str, str]:
    """(ename, text) for a REPL refusal: "Lean error:\\n..." is Lean's own complaint."""
    if message.startswith("Lean error:"):
        return "LeanError", message[len("Lean error:") :].lstrip("\n").strip() or message
    return "ReplError", message


def failure_parts(result: CellResult) -> tuple[str, str] | None:
    """What went wrong with the REPL (not with the Lean code) for a cell, as (headline,
    explanation): the failure's kind (``ReplTimeout``, ``ReplCrashed``, ``ReplNotFound``...)
    and the process layer's sentence, which names the fix. None when the REPL answered.
    Every frontend shows a failure through this; frontend-specific advice is added by the
    frontend (the magic's notebook fix for ReplNotFound)."""
    if result.failure is None:
        return None
    return result.failure_kind or "ReplFailure", result.failure


def error_summary(result: CellResult, *, color: bool = True) -> tuple[str, str, list[str]] | None:
    """(ename, evalue, traceback lines) when the cell failed, else None.

    Failed means: a REPL fault, a REPL refusal, a Lean error message, or a tactic step
    whose proofStatus is an error. Warnings and sorries are not failures. The first
    problem names the error; the traceback lists every one with its source line.
    """
    lines = result.code.split("\n")
    problems: list[tuple[str, str]] = []  # (ename, evalue)
    tb: list[str] = []

    def add(ename: str, evalue: str, block: list[str]) -> None:
        problems.append((ename, evalue))
        if tb:
            tb.append("")
        tb.extend(block)

    failed = failure_parts(result)
    if failed is not None:
        kind, why = failed
        add(kind, why, [_paint(kind, "error", color) + ": " + why])
    refusal = result.repl_error
    if refusal is not None:
        ename, text = _refusal_parts(refusal)
        block = [_paint(ename, "error", color) + ": " + text]
        if refusal in _REFUSAL_HINTS:
            block.append("hint: " + _REFUSAL_HINTS[refusal])
        add(ename, text, block)
    for msg in result.errors:
        where = _fmt_pos(msg.pos)
        add("LeanError", f"{where}: {msg.data}" if where else msg.data, _message_text(msg, lines, color))
    status = result.proof_status
    if status is not None and status.startswith("Error"):
        add("LeanProofError", status, [_paint("proof status", "error", color) + ": " + status])
    if result.response is None and result.failure is None:
        add("ReplError", "no response from the REPL", ["ReplError: no response from the REPL"])
    if not problems:
        return None
    ename, evalue = problems[0]
    return ename, evalue, [line for entry in tb for line in entry.split("\n")]


# --------------------------------------------------------------------------- plain text


def render_text(
    result: CellResult, *, include_errors: bool = True, continue_hint: str | None = DEFAULT_CONTINUE_HINT
) -> str:
    """The plain-text view (``jupyter console``, saved notebooks without HTML). Empty for
    a silent success. With ``include_errors=False`` faults and error messages are left
    out, for a caller that reports them through ``error_summary`` instead."""
    lines = result.code.split("\n")
    blocks: list[str] = []
    blocks += [f"note: {n}" for n in result.notes]
    if include_errors:
        failed = failure_parts(result)
        if failed is not None:
            blocks.append("{}: {}".format(*failed))
        if result.repl_error is not None:
            ename, text = _refusal_parts(result.repl_error)
            hint = _REFUSAL_HINTS.get(result.repl_error)
            blocks.append(f"{ename}: {text}" + (f"\nhint: {hint}" if hint else ""))
    tac = result.tactic
    if tac is not None:
        status = tac.proof_status or ""
        label = _state_label(tac.proof_state, continue_hint, tac.completed)
        # A multi-line status (a kernel error) gets the state label on its own line.
        head = (f"{status}\n{label}" if "\n" in status else " · ".join(p for p in (status, label) if p)).strip()
        body = goals_text(tac.goals) or ("Goals accomplished" if tac.completed else "no goals")
        blocks.append(f"{head}\n{body}" if head else body)
        for trace in tac.traces or []:
            blocks.append(f"trace: {trace}")
    for msg in (result.errors if include_errors else []) + result.warnings + _infos(result):
        if msg.severity != "error" and msg.severity != "warning" and _info_kind(msg) == "output":
            blocks.append(msg.data)
        else:
            blocks.append("\n".join(_message_text(msg, lines)))
    for s in result.sorries:
        blocks.append(_sorry_text(s, continue_hint))
    cmd = result.command
    if cmd is not None and cmd.tactics:
        rows = [f"  {_fmt_pos(t.pos) or '-'}  {summary_line(t.tactic, more=' …')}" for t in cmd.tactics]
        blocks.append("tactics:\n" + "\n".join(rows))
    blocks += _axioms_text(result)
    return "\n\n".join(blocks)


def _sorry_text(s: Sorry, hint: str | None) -> str:
    where = _fmt_pos(s.pos)
    head = "sorry" + (f" at {where}" if where else "")
    label = _state_label(s.proof_state, hint)
    if label:
        head += f" · {label}"
    body = goals_text(s.goal)
    return f"{head}\n{_indent(body)}" if body else head


def _axioms_text(result: CellResult) -> list[str]:
    out = []
    for name, axioms in (result.axioms or {}).items():
        out.append(
            f"'{name}' depends on axioms: [{', '.join(axioms)}]"
            if axioms
            else f"'{name}' does not depend on any axioms"
        )
    return out


# --------------------------------------------------------------------------- HTML pieces


def _box(kind: str, inner: str, cls: str, title: str | None = None) -> str:
    line, bg, _ = PALETTE.severity(kind)
    style = f"border-left: 3px solid {line}; background: {bg}; padding: 3px 8px; margin: 4px 0"
    tip = f' title="{_ESC(title)}"' if title else ""
    return f'<div class="{cls}"{tip} style="{style}">{inner}</div>'


def _pre(text: str, cls: str = "lean-text") -> str:
    return f'<pre class="{cls}" style="{_PRE}">{_ESC(text)}</pre>'


def _source_html(lines: list[str], span: _Span, kind: str) -> str:
    line_colour, _, mark_bg = PALETTE.severity(kind)
    width = len(str(span.end_line))
    gutter = (
        "display: inline-block; user-select: none; opacity: 0.55; text-align: right; "
        f"min-width: {width + 1}ch; padding-right: 1ch"
    )
    rows = []
    for n in _shown_lines(span):
        if n is None:
            rows.append('<div class="lean-elision" style="opacity: 0.6">⋮</div>')
            continue
        a, b = _cut(lines, span, n)
        text, a, b = _window(lines[n - 1], a, b)
        empty = a == b
        mark_style = f"background: {mark_bg}; color: inherit; padding: 0"
        if empty:
            # A zero-width span (a missing token, the end of input) shows as a bar.
            mark_style += f"; border-left: 2px solid {line_colour}; margin-left: -1px"
        mark_cls = "lean-span lean-span-empty" if empty else "lean-span"
        rows.append(
            f'<div class="lean-source-line" style="min-height: 1.2em">'
            f'<span class="lean-lineno" style="{gutter}">{n}</span>'
            f"{_ESC(text[:a])}"
            f'<mark class="{mark_cls}" style="{mark_style}">{_ESC(text[a:b])}</mark>'
            f"{_ESC(text[b:])}</div>"
        )
    style = f"{_MONO}; white-space: pre; overflow-x: auto; margin: 2px 0 0 0; opacity: 0.95"
    return f'<div class="lean-source" style="{style}">{"".join(rows)}</div>'


def _head_html(label: str, kind: str, where: str | None, extra: str = "") -> str:
    colour = PALETTE.severity(kind)[0]
    out = f'<span class="lean-severity" style="color: {colour}; font-weight: bold">{_ESC(label)}</span>'
    if where:
        out += f' <span class="lean-pos" style="{_MONO}; opacity: 0.75">{_ESC(where)}</span>'
    if extra:
        out += " " + extra
    return f'<div class="lean-head">{out}</div>'


def _message_body_html(data: str) -> str:
    # "unsolved goals" lists goals: show them as goals when they parse as such.
    if data.startswith(_UNSOLVED):
        goals = parse_goals(data[len(_UNSOLVED) :])
        if goals and all(g.target is not None for g in goals):
            return _pre("unsolved goals") + _goals_html(goals)
    return _pre(data)


def _message_html(msg: Message, lines: list[str]) -> str:
    kind = msg.severity if msg.severity in SEVERITIES else "info"
    where = _fmt_pos(msg.pos)
    span = _resolve_span(lines, msg.pos, msg.end_pos)
    title = _fmt_range(msg.pos, msg.end_pos)
    inner = _head_html(msg.severity, kind, where)
    inner += _message_body_html(msg.data)
    if span is not None:
        inner += _source_html(lines, span, kind)
    return _box(kind, inner, f"lean-message lean-{_ESC(msg.severity)}", title)


def _output_html(msg: Message, show_pos: bool) -> str:
    where = _fmt_pos(msg.pos)
    label = ""
    if show_pos and where:
        label = f'<span class="lean-pos" style="{_MONO}; opacity: 0.5; font-size: 85%">{_ESC(where)}</span>'
    title = f' title="{_ESC(where)}"' if where else ""
    return f'{label}<pre class="lean-output"{title} style="{_PRE}; margin: 2px 0">{_ESC(msg.data)}</pre>'


def _trace_html(text: str, where: str | None = None) -> str:
    first, _, rest = text.partition("\n")
    summary = (f"{where} " if where else "") + first + (" …" if rest else "")
    return (
        f'<details class="lean-trace" style="margin: 2px 0">'
        f'<summary style="{_MONO}; cursor: pointer; opacity: 0.8">{_ESC(summary)}</summary>'
        f"{_pre(text, 'lean-trace-text')}</details>"
    )


def _hyp_html(h: Hypothesis) -> str:
    if not h.names:
        return f'<div class="lean-hyp">{_ESC(h.type)}</div>'
    names = " ".join(
        f'<span class="lean-hyp-name" style="opacity: 0.6">{_ESC(n)}</span>'
        if is_inaccessible(n)
        else f'<span class="lean-hyp-name">{_ESC(n)}</span>'
        for n in h.names
    )
    return (
        f'<div class="lean-hyp"><span class="lean-hyp-names" style="font-weight: bold">{names}</span>'
        f' : <span class="lean-hyp-type">{_ESC(h.type)}</span></div>'
    )


def _goal_html(goal: Goal) -> str:
    parts = []
    if goal.case is not None:
        parts.append(f'<div class="lean-goal-case" style="opacity: 0.7">case {_ESC(goal.case)}</div>')
    parts += [_hyp_html(h) for h in goal.hypotheses]
    if goal.target is not None:
        parts.append(f'<div class="lean-goal-target">⊢ {_ESC(goal.target)}</div>')
    style = f"{_MONO}; white-space: pre-wrap; margin: 3px 0"
    return f'<div class="lean-goal" style="{style}">{"".join(parts)}</div>'


def _goals_html(goals: list[Goal], empty: str = "no goals") -> str:
    if not goals:
        return f'<div class="lean-goals lean-no-goals" style="{_MONO}; opacity: 0.8">{_ESC(empty)}</div>'
    sep = f'<hr class="lean-goal-sep" style="border: none; border-top: 1px dashed {PALETTE.separator}; margin: 4px 0">'
    return f'<div class="lean-goals">{sep.join(_goal_html(g) for g in goals)}</div>'


def goal_html(goal: str | Iterable[str]) -> str:
    """One goal text (or several, or a tactic step's list of goals) as HTML:
    ``lean-hyp`` rows over a ``lean-goal-target`` row, per goal."""
    return _goals_html(parse_goals(goal))


def _state_html(proof_state: int | None, hint: str | None, finished: bool = False) -> str:
    label = _state_label(proof_state, hint, finished)
    if not label:
        return ""
    return (
        f'<span class="lean-proof-state" data-proof-state="{proof_state}" '
        f'style="opacity: 0.75; font-size: 90%">{_ESC(label)}</span>'
    )


def _badge(text: str, key: str) -> str:
    colours = {"ok": PALETTE.success, "warning": PALETTE.warning, "error": PALETTE.error}
    colour = colours.get(key, PALETTE.note)
    return (
        f'<span class="lean-status lean-status-{key}" style="background: {colour}; color: {PALETTE.on_badge}; '
        f'border-radius: 3px; padding: 0 6px; font-size: 90%">{_ESC(text)}</span>'
    )


def _tactic_html(result: CellResult, hint: str | None) -> str:
    tac = result.tactic
    assert tac is not None
    word, key = _status_word(tac.proof_status, tac.completed, bool(tac.goals))
    head = []
    if word:
        head.append(_badge(word, key))
    status = tac.proof_status or ""
    detail = status.split(":", 1)[1].strip() if ":" in status else ""
    if detail and "\n" not in detail:
        head.append(f'<span class="lean-status-detail">{_ESC(detail)}</span>')
    head.append(_state_html(tac.proof_state, hint, tac.completed))
    parts = [f'<div class="lean-tactic-head">{" ".join(h for h in head if h)}</div>']
    if detail and "\n" in detail:
        parts.append(_box("error", _pre(status), "lean-status-text"))
    parts.append(_goals_html(parse_goals(tac.goals), "Goals accomplished" if tac.completed else "no goals"))
    for trace in tac.traces or []:
        parts.append(_trace_html(trace))
    return f'<div class="lean-tactic-state" style="margin: 4px 0">{"".join(parts)}</div>'


def _sorry_html(s: Sorry, lines: list[str], hint: str | None) -> str:
    where = _fmt_pos(s.pos)
    head = _head_html("sorry", "sorry", f"at {where}" if where else None, _state_html(s.proof_state, hint))
    inner = head
    span = _resolve_span(lines, s.pos, s.end_pos)
    if span is not None:
        inner += _source_html(lines, span, "sorry")
    inner += goal_html(s.goal)
    return _box("sorry", inner, "lean-sorry")


def _tactics_html(entries: list[TacticEntry]) -> str:
    rows = []
    for t in entries:
        where = _fmt_pos(t.pos) or ""
        rows.append(
            f'<div class="lean-tactic-entry" style="margin: 4px 0">'
            f'<span class="lean-pos" style="opacity: 0.6">{_ESC(where)}</span> '
            f"<code>{_ESC(summary_line(t.tactic, more=' …'))}</code> {_state_html(t.proof_state, None)}"
            f"{goal_html(t.goals)}</div>"
        )
    return (
        f'<details class="lean-tactics" style="{_MONO}; margin: 4px 0">'
        f'<summary style="cursor: pointer">tactics ({len(entries)})</summary>{"".join(rows)}</details>'
    )


def _axioms_html(result: CellResult) -> str:
    rows = []
    for line, axioms in zip(_axioms_text(result), (result.axioms or {}).values()):
        kind = "warning" if "sorryAx" in axioms else "note"
        rows.append(_box(kind, _pre(line), "lean-axioms"))
    return "".join(rows)


def _refusal_html(message: str) -> str:
    ename, text = _refusal_parts(message)
    label = "Lean error" if ename == "LeanError" else "REPL error"
    inner = _head_html(label, "error", None) + _pre(text)
    hint = _REFUSAL_HINTS.get(message)
    if hint:
        inner += f'<div class="lean-hint" style="opacity: 0.8">{_ESC(hint)}</div>'
    return _box("error", inner, "lean-repl-error")


def render_html(
    result: CellResult, *, include_errors: bool = True, continue_hint: str | None = DEFAULT_CONTINUE_HINT
) -> str:
    """The HTML view of a cell. ``continue_hint`` is a template (``{id}``) telling the user
    how to continue a proof state; None omits it."""
    lines = result.code.split("\n")
    parts: list[str] = []
    for note in result.notes:
        parts.append(_box("note", f'<span style="font-style: italic">{_ESC(note)}</span>', "lean-note"))
    if include_errors:
        failed = failure_parts(result)
        if failed is not None:
            kind, why = failed
            parts.append(_box("error", _head_html(kind, "error", None) + _pre(why), "lean-failure"))
        if result.repl_error is not None:
            parts.append(_refusal_html(result.repl_error))
    if result.tactic is not None:
        parts.append(_tactic_html(result, continue_hint))

    if include_errors:
        parts += [_message_html(m, lines) for m in result.errors]
    parts += [_message_html(m, lines) for m in result.warnings]
    infos = _infos(result)
    n_output = sum(1 for m in infos if _info_kind(m) == "output")
    for msg in infos:
        kind = _info_kind(msg)
        if kind == "output":
            parts.append(_output_html(msg, show_pos=n_output > 1))
        elif kind == "trace":
            parts.append(_trace_html(msg.data, _fmt_pos(msg.pos)))
        else:
            parts.append(_message_html(msg, lines))

    parts += [_sorry_html(s, lines, continue_hint) for s in result.sorries]
    cmd = result.command
    if cmd is not None and cmd.tactics:
        parts.append(_tactics_html(cmd.tactics))
    parts.append(_axioms_html(result))

    if is_silent(result):
        env = _env_of(result)
        label = "✓ ok" + (f" · env {env}" if env is not None else "")
        parts.append(
            f'<div class="lean-ok" title="{result.elapsed:.2f} s" '
            f'style="{_MONO}; font-size: 85%; opacity: 0.55">{_ESC(label)}</div>'
        )
    ok = "true" if result.ok else "false"
    return f'<div class="lean-result" data-ok="{ok}" data-kind="{_ESC(result.kind)}">{"".join(parts)}</div>'


# The raw result travels under a vendor MIME type: JupyterLab (and Kaggle) rank plain
# application/json above text/html and would show a JSON tree instead of the rendering,
# while an unknown type is kept in the notebook and skipped by every frontend.
RESULT_MIME_TYPE = "application/vnd.lean.result+json"


# Saved notebooks keep this JSON; an infotree can be megabytes, so past this size the raw
# response is left out (the typed fields above it stay).
MAX_RAW_RESPONSE_CHARS = 256 * 1024


def _result_json(result: CellResult, truncation: Truncation | None = None, limit: int | None = None) -> dict:
    data = result.to_dict()
    if limit is not None:
        data["code"] = _cut_text(result.code, limit // 8)  # a cell of megabytes is not echoed
    raw = data.get("response")
    if truncation is not None:
        # The raw response holds everything the cut left out: it is not sent at all.
        data["response"] = None
        data["response_omitted"] = "raw response left out: the output was truncated"
        data["truncated"] = truncation.to_json()
    elif raw is not None:
        size = len(json.dumps(raw, ensure_ascii=False))
        if size > MAX_RAW_RESPONSE_CHARS:
            data["response"] = None
            data["response_omitted"] = f"raw response of {size} characters left out of the notebook"
    return data


# --------------------------------------------------------------------------- output limit

# What one cell may send to the frontend, all its MIME types together, in characters
# (about bytes: Lean output is mostly ASCII): config.DEFAULT_OUTPUT_LIMIT, 1 MB. A 20 MiB
# answer used to become 63 MB of messages, since HTML, plain text and the raw JSON each
# held all of it.
# Items (messages, sorries, tactic entries, goals) shown at most: each costs markup.
MAX_SHOWN_ITEMS = 1000


@dataclass(frozen=True)
class Truncation:
    """How a cell's output was cut to fit the limit."""

    full_chars: int  # the text of the whole result
    shown_chars: int  # the text that was kept
    dropped_items: int  # messages, sorries, goals and tactic entries left out entirely
    limit: int
    full_result_hint: str | None = None

    def note(self) -> str:
        text = f"output truncated: {_megabytes(self.full_chars)} of output, {_megabytes(self.shown_chars)} shown"
        if self.dropped_items:
            text += f" ({self.dropped_items:,} item{'s' if self.dropped_items != 1 else ''} left out)"
        if self.full_result_hint:
            text += f"; full result: {self.full_result_hint}"
        return text

    def to_json(self) -> dict:
        return {
            "full_chars": self.full_chars,
            "shown_chars": self.shown_chars,
            "dropped_items": self.dropped_items,
            "limit": self.limit,
        }


def _megabytes(chars: int) -> str:
    return f"{chars / 1_000_000:.1f} MB" if chars >= 100_000 else f"{chars / 1000:.0f} KB"


def _cut_text(text: str, keep: int) -> str:
    if len(text) <= keep:
        return text
    keep = max(keep, 0)
    return text[:keep] + f"\n… ({len(text) - keep:,} more characters)"


def output_size(result: CellResult) -> tuple[int, int]:
    """(characters, items) of what rendering would show: the texts, not the markup."""
    chars = sum(len(n) for n in result.notes) + len(result.failure or "")
    items = 0
    response = result.response
    if response is not None:
        chars += len(result.repl_error or "")
        for m in result.messages:
            chars += len(m.data)
        for srr in result.sorries:
            chars += len(srr.goal)
        items += len(result.messages) + len(result.sorries)
        tac = result.tactic
        if tac is not None:
            chars += (
                sum(len(g) for g in tac.goals) + sum(len(t) for t in tac.traces or []) + len(tac.proof_status or "")
            )
            items += len(tac.goals) + len(tac.traces or [])
        cmd = result.command
        if cmd is not None:
            chars += sum(len(t.tactic) + len(t.goals) for t in cmd.tactics)
            items += len(cmd.tactics)
    return chars, items


_Item = TypeVar("_Item")
_Shrunk = TypeVar("_Shrunk")


class _Budget:
    """Characters and items left while a result is cut down."""

    def __init__(self, chars: int, items: int) -> None:
        self.chars, self.items, self.dropped = chars, items, 0

    def text(self, text: str) -> str:
        kept = _cut_text(text, self.chars)
        self.chars = max(0, self.chars - len(text))
        return kept

    def keep(self, values: list[_Item], shrink: Callable[[_Item], _Shrunk]) -> list[_Shrunk]:
        """``shrink(value)`` (which cuts its texts from the budget) for each value, in
        order, while the budget lasts; the rest are counted as dropped."""
        kept: list[_Shrunk] = []
        for value in values:
            if self.chars <= 0 or self.items <= 0:
                self.dropped += 1
                continue
            self.items -= 1
            kept.append(shrink(value))
        return kept


def output_fits(result: CellResult, limit: int | None = DEFAULT_OUTPUT_LIMIT) -> bool:
    """Would ``result`` be shown whole within ``limit`` (see fit_output)?"""
    chars, items = output_size(result)
    return limit is None or (chars <= limit // 4 and items <= MAX_SHOWN_ITEMS)


def fit_output(
    result: CellResult,
    limit: int | None = DEFAULT_OUTPUT_LIMIT,
    full_result_hint: str | None = None,
    *,
    budget: int | None = None,
) -> tuple[CellResult, Truncation | None]:
    """The result to display: ``result`` itself when its output fits in ``limit``
    characters, else a copy whose texts and lists are cut (what went wrong first: errors,
    then warnings, infos, sorries, goals, tactics) with a note saying so and naming
    ``full_result_hint`` (where the whole result can still be had). None: no limit."""
    # Three copies go out (HTML, text, JSON), HTML with markup around each item.
    chars, items = output_size(result)
    if limit is None or (chars <= (limit // 4 if budget is None else budget) and items <= MAX_SHOWN_ITEMS):
        return result, None
    left = _Budget(limit // 4 if budget is None else budget, MAX_SHOWN_ITEMS)
    shown = copy.copy(result)
    shown.notes = [left.text(n) for n in result.notes]
    if result.failure is not None:
        shown.failure = left.text(result.failure)
    response = result.response
    text = left.text
    if isinstance(response, ReplErrorResponse):
        shown.response = replace(response, message=text(response.message))
    elif isinstance(response, (CommandResponse, TacticResponse)):
        rank = {"error": 0, "warning": 1}
        by_rank = sorted(enumerate(response.messages), key=lambda im: rank.get(im[1].severity, 2))
        kept = left.keep(by_rank, lambda im: (im[0], replace(im[1], data=text(im[1].data))))
        messages = [m for _, m in sorted(kept, key=lambda im: im[0])]
        sorries = left.keep(response.sorries, lambda srr: replace(srr, goal=text(srr.goal)))
        if isinstance(response, TacticResponse):
            status = None if response.proof_status is None else text(response.proof_status)
            goals = left.keep(response.goals, text)
            traces = None if response.traces is None else left.keep(response.traces, text)
            shown.response = replace(
                response, messages=messages, sorries=sorries, goals=goals, traces=traces, proof_status=status
            )
        else:
            tactics = left.keep(response.tactics, lambda t: replace(t, tactic=text(t.tactic), goals=text(t.goals)))
            shown.response = replace(response, messages=messages, sorries=sorries, tactics=tactics, infotree=None)
    truncation = Truncation(chars, output_size(shown)[0], left.dropped, limit, full_result_hint)
    shown.notes = [truncation.note(), *shown.notes]
    return shown, truncation


@dataclass
class RenderedCell:
    """What a frontend publishes for one cell: the bundle to display, the error triple
    (None when the cell did not fail), and how the output was cut (None: not at all)."""

    bundle: dict[str, object]
    error: tuple[str, str, list[str]] | None
    truncation: Truncation | None


def render_cell(
    result: CellResult,
    *,
    errors_apart: bool = False,
    include_errors: bool = True,
    continue_hint: str | None = DEFAULT_CONTINUE_HINT,
    limit: int | None = DEFAULT_OUTPUT_LIMIT,
    full_result_hint: str | None = None,
) -> RenderedCell:
    """Everything a frontend shows for a cell, within ``limit`` characters in all.
    ``errors_apart``: a failed cell's errors go to ``error`` (the kernel's error message)
    and are left out of the bundle. ``include_errors=False`` leaves them out anyway."""
    if LONE_SURROGATE.search(result.code):
        # A refused cell (UnsendableText) still shows its text: as sendable text.
        result = copy.copy(result)
        result.code = without_lone_surrogates(result.code)

    def attempt(budget: int | None) -> tuple[str, str, dict, tuple[str, str, list[str]] | None, Truncation | None]:
        # One rendering with the texts cut to ``budget`` characters (None: a quarter of the limit).
        shown, truncation = fit_output(result, limit, full_result_hint, budget=budget)
        error = error_summary(shown) if errors_apart else None
        keep_errors = include_errors and error is None
        html_text = render_html(shown, include_errors=keep_errors, continue_hint=continue_hint)
        plain = render_text(shown, include_errors=keep_errors, continue_hint=continue_hint)
        return html_text, plain, _result_json(shown, truncation, limit), error, truncation

    if limit is None:
        html_text, plain, raw, error, truncation = attempt(None)
    else:
        budget = limit // 4
        while True:
            html_text, plain, raw, error, truncation = attempt(budget)
            # Markup and escaping (`"` is `&quot;` in HTML, `\"` in JSON) can still outgrow
            # the limit: the HTML falls back to the plain text, and if the whole is still too
            # big the texts are cut again, shorter.
            plain = _cut_text(plain, limit // 4)
            if len(html_text) > limit // 2:
                html_text = _pre(_cut_text(plain, limit // 12))
            if error is not None:
                ename, evalue, tb = error
                error = (ename, _cut_text(evalue, limit // 16), _cut_lines(tb, limit // 4))
            total = len(html_text) + len(plain) + len(json.dumps(raw, ensure_ascii=False))
            if error is not None:
                total += len(error[1]) + sum(len(line) + 1 for line in error[2])
            if total <= limit or budget < 1000:
                break
            budget = int(budget * limit / total * 0.8)
    bundle: dict[str, object] = {"text/html": html_text, "text/plain": plain, RESULT_MIME_TYPE: raw}
    return RenderedCell(bundle, error, truncation)


def _cut_lines(lines: list[str], keep: int) -> list[str]:
    out: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > keep:
            out.append(f"… ({len(lines) - len(out):,} more lines)")
            break
        out.append(line)
        used += len(line) + 1
    return out


def render_bundle(
    result: CellResult,
    *,
    include_errors: bool = True,
    continue_hint: str | None = DEFAULT_CONTINUE_HINT,
    limit: int | None = DEFAULT_OUTPUT_LIMIT,
    full_result_hint: str | None = None,
) -> dict[str, object]:
    """A Jupyter MIME bundle: text/html, text/plain and the raw result (result.to_dict()),
    within ``limit`` characters in all (see render_cell)."""
    return render_cell(
        result,
        include_errors=include_errors,
        continue_hint=continue_hint,
        limit=limit,
        full_result_hint=full_result_hint,
    ).bundle


def result_text_part(
    result: CellResult, part: int, part_size: int, *, continue_hint: str | None = DEFAULT_CONTINUE_HINT
) -> tuple[str, int]:
    """Part ``part`` (from 1) of a result's whole plain text, in parts of ``part_size``
    characters, and how many parts there are (``%lean_result N PART``)."""
    text = render_text(result, continue_hint=continue_hint)
    parts = max(1, -(-len(text) // part_size))
    return text[(part - 1) * part_size : part * part_size], parts


# --------------------------------------------------------------------------- kernel texts


def text_bundle(text: str, html_text: str | None = None) -> dict[str, str]:
    """A short message of the kernel (a magic's answer, a note) as a bundle."""
    return {"text/plain": text, "text/html": html_text or f'<pre style="margin: 0">{_ESC(text)}</pre>'}


def report_html(text: str, ok: bool) -> str:
    """A plain-text report (setup, bundle) with a green or red edge for how it went."""
    colour = PALETTE.success if ok else PALETTE.error
    return (
        f'<pre class="lean-report" style="{_MONO}; white-space: pre-wrap; border-left: 3px solid {colour}; '
        f'padding-left: 6px">{_ESC(text)}</pre>'
    )


STALE_BANNER = "stale: re-run — this cell was built on an earlier version of a cell that has been re-run"


def stale_bundle(shown: dict[str, str]) -> dict[str, str]:
    """A cell's displayed bundle with the stale banner on top (an update_display_data)."""
    banner = (
        f'<div class="lean-stale" style="font-family: monospace; color: {PALETTE.warning}; '
        f'background: {PALETTE.warning_tint}; padding: 2px 6px; margin-bottom: 4px">'
        f"⚠ {_ESC(STALE_BANNER)}</div>"
    )
    return {"text/html": banner + shown["text/html"], "text/plain": f"{STALE_BANNER}\n\n{shown['text/plain']}"}


def chain_state(entry: Any) -> str:
    """A chain row's state in words: ``stale`` (built on a cell that has been re-run),
    ``current`` (on the chain that leads to the current env) or ``off the chain`` (a branch
    nothing builds on now)."""
    return "stale" if entry.stale else ("current" if entry.current else "off the chain")


def chain_bundle(rows: list, *, heading: str, paging: str) -> dict[str, str]:
    """The env chain, for the kernel's ``%env`` and the magic's ``%lean_env``: ``rows``
    are session.ChainEntry; ``heading`` says what the whole is (the current env) and
    ``paging`` how to see the rows left out ("" when all are shown)."""
    text = [paging] if paging else []
    text.append(f"{'cell':<15} {'env before':>10} → {'after':<7} {'state':<13} first line")
    cells = []
    for r in rows:
        state = chain_state(r)
        before = "fresh" if r.env_before is None else str(r.env_before)
        text.append(f"{r.key[:15]:<15} {before:>10} → {r.env_after!s:<7} {state:<13} {r.summary}")
        style = f' class="lean-stale" style="color: {PALETTE.warning}"' if r.stale else ""
        cells.append(
            f"<tr{style}><td>{_ESC(r.key)}</td><td>{_ESC(before)}</td>"
            f"<td>{r.env_after}</td><td>{state}</td><td><code>{_ESC(r.summary)}</code></td></tr>"
        )
    text.append(heading)
    table = (
        (f'<div style="opacity: 0.75">{_ESC(paging)}</div>' if paging else "")
        + '<table class="lean-env"><tr><th>cell</th><th>env before</th><th>env after</th>'
        f"<th>state</th><th>first line</th></tr>{''.join(cells)}</table><div>{_ESC(heading)}</div>"
    )
    return {"text/plain": "\n".join(text), "text/html": table}


# --------------------------------------------------------------------------- running status

_PHASE_WORDS = {
    "starting": "starting the Lean REPL",
    "elaborating": "elaborating",
    "tactic": "running the tactic",
    "pickling": "pickling the env",
    "unpickling": "unpickling an env",
}


def phase_text(phase: Phase | None) -> str:
    """What a running cell is doing, in a few words ("importing Mathlib")."""
    if phase is None:
        return "running"
    if phase.kind == "importing":
        modules = list(phase.modules)
        if len(modules) > 3:
            return f"importing {', '.join(modules[:2])} and {len(modules) - 2} more modules"
        return "importing " + ", ".join(modules) if modules else "importing"
    if phase.kind == "replaying":
        if phase.cells == 0:
            return "restarting the Lean REPL"
        return f"replaying {phase.cells} cell{'s' if phase.cells != 1 else ''} after a restart"
    return _PHASE_WORDS.get(phase.kind, phase.kind)


def status_bundle(
    phase: Phase | None, seconds: float, *, cell_seconds: float | None = None, interrupt_hint: str | None = None
) -> dict[str, str]:
    """The status line of a running cell: what it waits on and for how long
    ("importing Mathlib · 12 s"), the cell's whole time when the phase began later, and
    ``interrupt_hint`` when the frontend thinks it is time to mention it."""
    shown = round(seconds)
    text = f"{phase_text(phase)} · {shown} s"
    if cell_seconds is not None and round(cell_seconds) > shown:
        text += f" ({round(cell_seconds)} s in all)"
    plain = text + (f" · {interrupt_hint}" if interrupt_hint else "")
    hint = (
        f'<span class="lean-status-hint" style="opacity: 0.8"> · {_ESC(interrupt_hint)}</span>'
        if interrupt_hint
        else ""
    )
    line = PALETTE.note
    style = f"{_MONO}; font-size: 90%; color: {line}; border-left: 3px solid {line}; padding: 1px 8px; margin: 2px 0"
    return {"text/plain": plain, "text/html": f'<div class="lean-status" style="{style}">{_ESC(text)}{hint}</div>'}


# --------------------------------------------------------------------------- verification verdicts

VERDICT_MIME_TYPE = "application/vnd.lean.verdict+json"


def _verdict_text(verdict: dict) -> str:
    receipt = verdict.get("receipt") or {}
    head = "verified" if verdict.get("okay") else "REJECTED: " + ", ".join(verdict.get("reasons") or [])
    lines = [f"{head} ({', '.join(verdict.get('declarations') or []) or 'no declarations'})"]
    for m in verdict.get("tool_messages") or []:
        where = f" [{m['declaration']}]" if m.get("declaration") else ""
        lines.append(f"  {m['reason']}{where}: {m['message']}")
    checks = receipt.get("checks") or {}
    lines.append("receipt: " + ", ".join(f"{name} {state}" for name, state in checks.items()))
    lines.append(
        f"  Lean {receipt.get('lean_version') or 'unknown'} · header {receipt.get('header') or '(none)'!r}"
        f" · statement sha256 {str(receipt.get('statement_sha256'))[:12]}… · candidate sha256 {str(receipt.get('candidate_sha256'))[:12]}…"
    )
    for name, axioms in (receipt.get("axioms") or {}).items():
        lines.append(f"  axioms of {name}: {', '.join(axioms) or 'none'}")
    return "\n".join(lines)


def _verdict_html(verdict: dict) -> str:
    receipt = verdict.get("receipt") or {}
    okay = bool(verdict.get("okay"))
    title = "✓ verified" if okay else "✗ rejected: " + ", ".join(verdict.get("reasons") or [])
    parts = [_head_html(title, "note" if okay else "error", ", ".join(verdict.get("declarations") or []) or None)]
    for m in verdict.get("tool_messages") or []:
        where = f" [{m['declaration']}]" if m.get("declaration") else ""
        parts.append(_pre(f"{m['reason']}{where}: {m['message']}"))
    rows = "".join(
        f"<tr><td>{_ESC(name)}</td><td>{_ESC(state)}</td></tr>" for name, state in (receipt.get("checks") or {}).items()
    )
    facts = [
        ("Lean", receipt.get("lean_version") or "unknown"),
        ("REPL toolchain", receipt.get("repl_toolchain") or "unknown"),
        ("header", receipt.get("header") or "(none)"),
        ("statement sha256", receipt.get("statement_sha256") or ""),
        ("candidate sha256", receipt.get("candidate_sha256") or ""),
    ]
    facts += [(f"axioms of {k}", ", ".join(v) or "none") for k, v in (receipt.get("axioms") or {}).items()]
    fact_rows = "".join(f"<tr><td>{_ESC(k)}</td><td style='{_MONO}'>{_ESC(str(v))}</td></tr>" for k, v in facts)
    parts.append(
        f'<details class="lean-receipt"><summary>receipt</summary><table><thead><tr><th>check</th><th>state</th>'
        f"</tr></thead><tbody>{rows}</tbody></table><table><tbody>{fact_rows}</tbody></table></details>"
    )
    return _box("note" if okay else "error", "".join(parts), "lean-verdict")


def render_verdict(verdict: dict) -> dict[str, object]:
    """A MIME bundle for a verification verdict (``VerificationResult.to_dict()``): its
    findings and its receipt, as HTML and plain text, plus the verdict itself."""
    return {"text/html": _verdict_html(verdict), "text/plain": _verdict_text(verdict), VERDICT_MIME_TYPE: verdict}
