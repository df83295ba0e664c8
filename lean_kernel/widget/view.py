"""The live proof stepper: an ipywidgets view of a ``ProofSteps`` and its ``StepCursor``.
ipywidgets is imported only when one is built; the HTML in every pane comes from
``render_steps``."""

from __future__ import annotations

from typing import Any

from ..lean_text import summary_line
from ..render_steps import (
    goals_html,
    message_html,
    no_steps_html,
    pane_title_html,
    source_html,
    static_html,
    step_status_html,
)
from .model import ProofStep, ProofSteps, StepCursor, StepMessage

__all__ = ["GoalWidget", "build_widget"]

_BUTTON_STYLE = {"error": "danger", "warning": "warning", "info": "info"}


class GoalWidget:
    """An ipywidgets view of a ``ProofSteps``: the source with the current step marked,
    a slider with Previous/Next, goals before and after, and the messages as buttons that
    jump to their step. The current step lives in the model's cursor (``index``), not in
    the frontend."""

    def __init__(self, steps: ProofSteps, index: int = 0):
        import ipywidgets as w  # only when a widget is really built

        self.steps = steps
        self.cursor = StepCursor(steps)
        self._syncing = False
        n = len(steps)

        self.status = w.HTML()
        self.source = w.HTML()
        self.slider = w.IntSlider(
            value=0,
            min=0,
            max=max(n - 1, 0),
            step=1,
            description="step",
            readout=False,
            continuous_update=True,
            disabled=n <= 1,
            layout=w.Layout(flex="1 1 auto"),
        )
        self.prev_button = w.Button(description="Previous", icon="arrow-left", disabled=True)
        self.next_button = w.Button(description="Next", icon="arrow-right", disabled=n <= 1)
        self.before = w.HTML()
        self.after = w.HTML()
        self.message_detail = w.HTML()
        self.message_buttons = [self._message_button(w, m) for m in steps.messages]

        self.slider.observe(self._on_slider, names="value")
        self.prev_button.on_click(lambda _b: self.prev())
        self.next_button.on_click(lambda _b: self.next())

        def pane(title: str, body: Any) -> Any:
            return w.VBox([w.HTML(pane_title_html(title)), body], layout=w.Layout(width="50%", padding="0 8px 0 0"))

        children = [self.status, self.source]
        if n:
            children += [
                w.HBox([self.prev_button, self.slider, self.next_button]),
                w.HBox([pane("goals before", self.before), pane("goals after", self.after)]),
            ]
        if self.message_buttons:
            children += [w.VBox(self.message_buttons), self.message_detail]
        self.box = w.VBox(children)

        if n:
            self.go(index)
        else:
            self.status.value = no_steps_html(steps)
            self.source.value = source_html(steps.code, None)

    # ------------------------------------------------------------------ state (the cursor's)

    @property
    def index(self) -> int | None:
        """The current step, ``None`` when there are no steps."""
        return self.cursor.index

    @property
    def step(self) -> ProofStep | None:
        return self.cursor.step

    def go(self, i: int) -> int:
        self.cursor.go(i)
        self._render()
        return i

    def next(self) -> int | None:
        """One step on (stays on the last step); returns the current index."""
        return self._moved(self.cursor.next)

    def prev(self) -> int | None:
        """One step back (stays on the first step); returns the current index."""
        return self._moved(self.cursor.prev)

    def click_message(self, k: int) -> int | None:
        """What clicking message ``k`` does: show it and jump to its step (if it has one)."""
        index = self._moved(lambda: self.cursor.click_message(k))
        self.message_detail.value = message_html(self.steps.messages[k])
        return index

    def html_for_step(self, i: int) -> str:
        """The source pane's HTML for step ``i``."""
        if not 0 <= i < len(self.steps):
            raise IndexError(f"step {i!r} does not exist; this proof has {len(self.steps)} step(s)")
        return source_html(self.steps.code, self.steps[i])

    # ------------------------------------------------------------------ view

    def _moved(self, move: Any) -> int | None:
        before = self.cursor.index
        after = move()
        if after is not None and after != before:
            self._render()
        return after

    def _message_button(self, w: Any, m: StepMessage) -> Any:
        target = "" if m.step is None else f" → step {m.step + 1}"
        b = w.Button(
            description=summary_line(f"{m.severity} {m.where}: {m.data}", 70, lines="joined"),
            tooltip=m.data + target,
            button_style=_BUTTON_STYLE.get(m.severity, ""),
            layout=w.Layout(width="auto", max_width="100%"),
        )
        b.on_click(lambda _b, k=m.index: self.click_message(k))
        return b

    def _on_slider(self, change: dict[str, Any]) -> None:
        if not self._syncing and change["new"] != self.cursor.index and self.steps.steps:
            self.go(int(change["new"]))

    def _render(self) -> None:
        i = self.cursor.index
        assert i is not None
        s = self.steps[i]
        n = len(self.steps)
        self._syncing = True
        try:
            self.slider.value = i
        finally:
            self._syncing = False
        self.prev_button.disabled = i == 0
        self.next_button.disabled = i == n - 1
        self.status.value = step_status_html(s, i, n)
        self.source.value = self.html_for_step(i)
        self.before.value = goals_html(s.goals_before)
        self.after.value = goals_html(s.goals_after)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = self.steps.text()
        bundle["text/html"] = static_html(self.steps)
        return bundle

    def __repr__(self) -> str:
        return f"GoalWidget({len(self.steps)} steps, index={self.cursor.index})"


def build_widget(code: str, response: Any) -> GoalWidget:
    """The widget for one cell's code and REPL answer (see ``ProofSteps.from_response``)."""
    return GoalWidget(ProofSteps.from_response(code, response))
