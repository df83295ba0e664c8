"""The running-status line's words (render.status_bundle / phase_text): pure functions."""

from __future__ import annotations

from lean_kernel.render import DEFAULT_INTERRUPT_HINT, phase_text, status_bundle
from lean_kernel.results import Phase


def test_phase_words():
    assert phase_text(None) == "running"
    assert phase_text(Phase("starting")) == "starting the Lean REPL"
    assert phase_text(Phase("elaborating")) == "elaborating"
    assert phase_text(Phase("tactic")) == "running the tactic"
    assert phase_text(Phase("pickling")) == "pickling the env"
    assert phase_text(Phase("unpickling")) == "unpickling an env"


def test_importing_names_the_modules_and_counts_the_rest():
    assert phase_text(Phase("importing", modules=("Mathlib",))) == "importing Mathlib"
    assert phase_text(Phase("importing", modules=("Mathlib", "Aesop", "Lean"))) == "importing Mathlib, Aesop, Lean"
    many = Phase("importing", modules=("A", "B", "C", "D", "E"))
    assert phase_text(many) == "importing A, B and 3 more modules"


def test_replaying_counts_cells():
    assert phase_text(Phase("replaying", cells=14)) == "replaying 14 cells after a restart"
    assert phase_text(Phase("replaying", cells=1)) == "replaying 1 cell after a restart"
    assert phase_text(Phase("replaying", cells=0)) == "restarting the Lean REPL"


def test_status_line_text_and_html():
    bundle = status_bundle(Phase("importing", modules=("Mathlib",)), 12.2, cell_seconds=12.4)
    assert bundle["text/plain"] == "importing Mathlib · 12 s"
    assert bundle["text/html"].startswith('<div class="lean-status"')
    assert "importing Mathlib · 12 s</div>" in bundle["text/html"]
    assert "lean-status-hint" not in bundle["text/html"]


def test_a_later_phase_also_gives_the_cells_time():
    bundle = status_bundle(Phase("elaborating"), 3.1, cell_seconds=45.0)
    assert bundle["text/plain"] == "elaborating · 3 s (45 s in all)"


def test_interrupt_hint_when_asked():
    bundle = status_bundle(Phase("elaborating"), 11.0, cell_seconds=11.0, interrupt_hint=DEFAULT_INTERRUPT_HINT)
    assert bundle["text/plain"] == "elaborating · 11 s · ■ / Ctrl-C to interrupt"
    assert (
        '<span class="lean-status-hint" style="opacity: 0.8"> · ■ / Ctrl-C to interrupt</span>' in bundle["text/html"]
    )


def test_html_is_escaped():
    bundle = status_bundle(Phase("importing", modules=("<Weird&Module>",)), 1.0, interrupt_hint="<b>stop</b>")
    assert "<Weird" not in bundle["text/html"] and "&lt;Weird&amp;Module&gt;" in bundle["text/html"]
    assert "&lt;b&gt;stop&lt;/b&gt;" in bundle["text/html"]
