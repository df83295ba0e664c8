"""Step through a proof: each tactic with the goals before and after it.

* ``widget.model`` - ``ProofSteps`` (built from a cell's code and the REPL's answer; how
  the goals after a step are found is told there) and ``StepCursor`` (the current step).
  No ipywidgets, no HTML: testable anywhere.
* ``widget.view`` - ``GoalWidget``, the ipywidgets view (ipywidgets is imported only when
  one is built).
* ``render_steps`` - the HTML: ``static_html`` for frontends without widgets and saved
  notebooks, and the panes of the live view.
"""

from ..render_steps import goals_html, source_html, static_html
from .model import NO_STEPS, ProofStep, ProofSteps, StepCursor, StepMessage, split_goal_text
from .view import GoalWidget, build_widget

__all__ = [
    "NO_STEPS",
    "GoalWidget",
    "ProofStep",
    "ProofSteps",
    "StepCursor",
    "StepMessage",
    "build_widget",
    "goals_html",
    "source_html",
    "split_goal_text",
    "static_html",
]
