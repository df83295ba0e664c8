"""HTML of the proof stepper (``lean_kernel.widget``): the static copy every frontend and
saved notebook gets, and the panes the live widget fills. Pure functions of the model;
colours from ``render.PALETTE``."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .lean_text import summary_line
from .render import PALETTE, goal_html

if TYPE_CHECKING:  # pragma: no cover (the widget package imports this module)
    from .widget.model import ProofStep, ProofSteps, StepMessage

__all__ = [
    "goals_html",
    "message_html",
    "no_steps_html",
    "pane_title_html",
    "source_html",
    "static_html",
    "step_status_html",
]

_FONT = "font-family: 'JuliaMono', 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 13px"
_MARK_STYLE = f"background: {PALETTE.mark}; color: inherit; border-radius: 2px; padding: 0"
_SEVERITY_COLOR = {"error": PALETTE.error, "warning": PALETTE.warning, "info": PALETTE.info}
_CAPTION = f"color:{PALETTE.muted}; font-size:11px"


def goals_html(goals: list[str] | None) -> str:
    """The goals of one side of a step: each goal as hypotheses over ``⊢ target``."""
    if goals is None:
        return f'<div style="color:{PALETTE.muted}; font-style:italic">unknown (not reported by the REPL)</div>'
    if not goals:
        return f'<div class="lean-no-goals" style="color:{PALETTE.success}">no goals</div>'
    return "".join(goal_html(g) for g in goals)


def source_html(code: str, step: ProofStep | None) -> str:
    """The code with ``step``'s span wrapped in ``<mark class="lean-step">``."""
    pre = f'<pre class="lean-source" style="{_FONT}; margin:0; padding:6px; max-height:24em; overflow:auto">'
    if step is None:
        return pre + html.escape(code) + "</pre>"
    return (
        pre
        + html.escape(code[: step.start])
        + f'<mark class="lean-step" style="{_MARK_STYLE}">'
        + html.escape(code[step.start : step.end])
        + "</mark>"
        + html.escape(code[step.end :])
        + "</pre>"
    )


def message_html(m: StepMessage) -> str:
    """One message of the stepped cell, with its severity and position."""
    color = _SEVERITY_COLOR.get(m.severity, PALETTE.text)
    where = f" {m.where}" if m.where else ""
    return (
        f'<div style="margin:2px 0"><span style="color:{color}; font-weight:600">'
        f"{html.escape(m.severity)}{where}</span>"
        f'<pre style="{_FONT}; margin:0 0 0 1em; white-space:pre-wrap">{html.escape(m.data)}</pre></div>'
    )


def static_html(steps: ProofSteps) -> str:
    """Every step with its span and goals, as self-contained HTML (inline styles only)."""
    out = [f'<div class="lean-proof-steps" style="{_FONT}">']
    if steps.empty:
        out.append(no_steps_html(steps))
    else:
        n = len(steps)
        out.append(f'<div style="font-weight:600; margin-bottom:4px">{n} tactic step{"s" if n != 1 else ""}</div>')
        for s in steps:
            out.append(
                f'<div class="lean-step-static" style="border-left:3px solid {PALETTE.border}; '
                f'margin:0 0 8px {s.depth * 16}px; padding-left:8px">'
                f'<div><span style="color:{PALETTE.muted}">{s.index + 1}. {s.span_text}</span> '
                f'<code style="{_FONT}; background:{PALETTE.code_background}; padding:0 3px">{html.escape(s.source or s.tactic)}</code></div>'
                '<table style="border-collapse:collapse; width:100%"><tr>'
                '<td style="vertical-align:top; width:50%; padding:2px 8px 2px 0">'
                f'<div style="{_CAPTION}">goals before</div>'
                f"{goals_html(s.goals_before)}</td>"
                '<td style="vertical-align:top; width:50%; padding:2px 0">'
                f'<div style="{_CAPTION}">goals after</div>'
                f"{goals_html(s.goals_after)}</td>"
                "</tr></table></div>"
            )
    if steps.messages:
        out.append('<div style="margin-top:6px">')
        out.extend(message_html(m) for m in steps.messages)
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def no_steps_html(steps: ProofSteps) -> str:
    """Why there is nothing to step through."""
    return (
        f'<div class="lean-no-steps" style="color:{PALETTE.muted}; font-style:italic">'
        f"{html.escape(steps.why_empty)}</div>"
    )


def pane_title_html(title: str) -> str:
    """The caption over a pane of the live widget (goals before / after)."""
    return f'<div style="{_CAPTION}; font-weight:600">{html.escape(title)}</div>'


def step_status_html(step: ProofStep, index: int, count: int) -> str:
    """The live widget's line over the source: which step of how many, and its tactic."""
    return (
        f'<div style="{_FONT}"><b>step {index + 1} of {count}</b> '
        f'<span style="color:{PALETTE.muted}">{step.span_text}</span> '
        f"<code>{html.escape(summary_line(step.source or step.tactic, 80, lines='joined'))}</code></div>"
    )
