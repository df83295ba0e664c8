"""GoalWidget built as real ipywidgets objects (no frontend needed) from real answers."""

from __future__ import annotations

import html
import re

import pytest

pytest.importorskip("ipywidgets")

from lean_kernel.widget import NO_STEPS, GoalWidget, ProofSteps, build_widget, static_html

V_NEW = "v4.33.0-rc2"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def visible_text(fragment: str) -> str:
    """The text an HTML fragment shows, whitespace removed (markup may differ)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", fragment))
    return re.sub(r"\s+", "", text)


def marked(fragment: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<mark class="lean-step"[^>]*>(.*?)</mark>', fragment, re.S)]


def test_all_tactics_widget_v433(recorded):
    code, response = recorded(V_NEW, "all_tactics")
    w = build_widget(code, response)

    assert isinstance(w, GoalWidget)
    assert w.index == 0
    assert (w.slider.min, w.slider.max, w.slider.value) == (0, 1, 0)
    assert marked(w.source.value) == ["have t := 37"]
    assert w.source.value == w.html_for_step(0)
    assert "⊢Nat" in visible_text(w.before.value)
    assert "t:Nat⊢Nat" in visible_text(w.after.value)
    assert w.prev_button.disabled and not w.next_button.disabled

    assert w.next() == 1
    assert w.slider.value == 1
    assert marked(w.source.value) == ["exact t"]
    assert "t:Nat⊢Nat" in visible_text(w.before.value)
    assert "nogoals" in visible_text(w.after.value)
    assert w.next_button.disabled and not w.prev_button.disabled

    assert w.next() == 1  # stays on the last step
    assert w.prev() == 0
    assert w.prev() == 0  # stays on the first step


def test_slider_drives_the_model(recorded):
    code, response = recorded(V_NEW, "calc")
    w = build_widget(code, response)
    assert w.slider.max == 3
    w.slider.value = 2  # what a frontend drag does
    assert w.index == 2
    assert marked(w.source.value) == ["sorry"]
    # The first of the two sorries (line 2), not the second.
    assert w.source.value.index("<mark") < w.source.value.index("4 = 5")
    assert "⊢3=4" in visible_text(w.before.value)


def test_buttons_step(recorded):
    code, response = recorded("v4.8.0", "calc")
    w = build_widget(code, response)
    w.next_button.click()
    w.next_button.click()
    assert w.index == 2 and "⊢4=5" in visible_text(w.before.value)
    w.prev_button.click()
    assert w.index == 1


def test_go_out_of_range_names_the_range(recorded):
    code, response = recorded(V_NEW, "all_tactics")
    w = build_widget(code, response)
    with pytest.raises(IndexError, match="numbered 0 to 1"):
        w.go(2)
    assert w.index == 0


def test_infotree_widget_v419(recorded):
    code, response = recorded("v4.19.0", "infotree")
    w = build_widget(code, response)
    assert w.slider.max == 0 and w.slider.disabled
    assert marked(w.source.value) == ["constructor"]
    assert "h:Int⊢Nat" in visible_text(w.before.value)
    assert "nogoals" in visible_text(w.after.value)
    # The warning is before every tactic: clicking it shows it and stays put.
    (button,) = w.message_buttons
    button.click()
    assert w.index == 0
    assert "unused variable" in w.message_detail.value


def test_infotree_widget_v433_theorem(recorded):
    code, response = recorded(V_NEW, "infotree_theorem")
    w = build_widget(code, response)
    assert w.slider.max == 0
    assert marked(w.html_for_step(0)) == ["exact h"]
    assert "p:Proph:p⊢p" in visible_text(w.before.value)


def test_clicking_a_message_jumps_to_its_step(scripted):
    # Scripted transcript tests/fixtures/scripted/widget_cdot_exact: no recording has a
    # message inside a proof of several steps.
    code, response = scripted("widget_cdot_exact")
    w = build_widget(code, response)
    assert w.index == 0
    (button,) = w.message_buttons
    assert button.button_style == "info"
    button.click()
    assert w.index == 3 and w.slider.value == 3
    assert marked(w.source.value) == ["exact?"]
    assert "exact hq" in w.message_detail.value
    # Goals after `skip` are unknown (a `·` block follows) and said so.
    w.go(1)
    assert "unknown" in w.after.value
    assert visible_text(w.before.value).count("⊢") == 2


def test_no_tactic_steps(recorded):
    code, response = recorded(V_NEW, "def_eval")
    w = build_widget(code, response)
    assert w.index is None
    assert w.slider.max == 0 and w.slider.disabled
    assert NO_STEPS in w.status.value
    assert "<mark" not in w.source.value and "def f := 37" in w.source.value
    assert w.next() is None and w.prev() is None
    with pytest.raises(IndexError, match=NO_STEPS):
        w.go(0)
    bundle = w._repr_mimebundle_()
    assert NO_STEPS in bundle["text/plain"] and NO_STEPS in bundle["text/html"]


def test_message_without_steps_does_not_move(recorded):
    code, response = recorded(V_NEW, "root_goals")
    w = build_widget(code, response)
    (button,) = w.message_buttons
    button.click()
    assert w.index is None
    assert "Try this" in w.message_detail.value


def test_mimebundle_has_fallbacks(recorded):
    code, response = recorded(V_NEW, "calc")
    w = build_widget(code, response)
    bundle = w._repr_mimebundle_()
    assert bundle[WIDGET_MIME]["model_id"] == w.box.model_id
    assert bundle["text/plain"].startswith("4 tactic steps")
    assert bundle["text/html"] == static_html(w.steps)


def test_static_html_shows_every_step(recorded):
    code, response = recorded(V_NEW, "calc")
    steps = ProofSteps.from_response(code, response)
    out = static_html(steps)
    assert "<style" not in out and "<script" not in out and 'style="' in out
    assert out.count('class="lean-step-static"') == 4
    for s in steps:
        assert html.escape(s.source) in out
        assert s.span_text in out
    assert out.count("goals before") == 4 and out.count("goals after") == 4
    assert "unknown" in out  # calc's step block
    assert "declaration uses `sorry`" in html.unescape(out)


def test_static_html_without_steps(recorded):
    code, response = recorded("v4.19.0", "def_eval")
    out = static_html(ProofSteps.from_response(code, response))
    assert NO_STEPS in out and "lean-step-static" not in out
