"""Lean output follows JupyterLab's theme: dark text on a light background under
"JupyterLab Light", light text on a dark background after the user picks "JupyterLab Dark"
from the Settings menu, for the same, already shown output (render.Palette's colours are
theme variables, so nothing is re-rendered).

Colours are read from the DOM (getComputedStyle of the text's element and of every
ancestor's background, the translucent message tints composited over the opaque page) and
compared by WCAG contrast. The Lean side is the stand-in replaying dup_msg: `def f := 2`,
`#check f`, then `#check g` (an error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from .test_jupyterlab import error_output, expect, html_output

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WAIT_MS = 30_000
# WCAG 2 contrast minimums: 4.5 for body text, 3 for bold or large text.
BODY_TEXT_CONTRAST = 4.5
BOLD_TEXT_CONTRAST = 3.0

# The text colour of an element and the background colours of it and its ancestors,
# innermost first, each as [r, g, b, alpha] (r, g, b in 0..255).
COLOURS_JS = r"""(el) => {
    const rgba = (css) => {
        const m = css.match(/^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/);
        if (!m) throw new Error(`unexpected computed colour ${css}`);
        return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
    };
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
        layers.push(rgba(getComputedStyle(node).backgroundColor));
    }
    return {text: rgba(getComputedStyle(el).color), backgrounds: layers};
}"""
THEME_JS = "() => [document.body.dataset.jpThemeName, document.body.dataset.jpThemeLight]"
LAYOUT_COLOUR_JS = "() => getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim()"


def _over(top: list[float], below: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b, alpha = top
    return (r * alpha + below[0] * (1 - alpha), g * alpha + below[1] * (1 - alpha), b * alpha + below[2] * (1 - alpha))


def _luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance."""

    def channel(v: float) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@dataclass
class Seen:
    """How a piece of output looks: its text and effective background luminance."""

    what: str
    text: float
    background: float

    @property
    def contrast(self) -> float:
        hi, lo = max(self.text, self.background), min(self.text, self.background)
        return (hi + 0.05) / (lo + 0.05)

    def __str__(self) -> str:
        return f"{self.what}: text {self.text:.3f}, background {self.background:.3f}, contrast {self.contrast:.2f}"


def seen(locator, what: str) -> Seen:
    colours = locator.evaluate(COLOURS_JS)
    # Paint the backgrounds from the outermost in; an element with no opaque background
    # anywhere above it sits on the browser's white canvas.
    background = (255.0, 255.0, 255.0)
    for layer in reversed(colours["backgrounds"]):
        background = _over(layer, background)
    text = _over(colours["text"], background)
    return Seen(what, _luminance(text), _luminance(background))


def looks(lab, check: int, bad: int) -> list[Seen]:
    error_box = html_output(lab, bad).locator(".lean-error").first
    return [
        seen(html_output(lab, check).locator("pre.lean-output").first, "#check output"),
        seen(error_box.locator(".lean-severity").first, "error label"),
        seen(error_box.locator("pre.lean-text").first, "error message"),
    ]


def switch_theme(lab, theme: str) -> None:
    """Settings → Theme → ``theme``, as a user picks it; wait until its CSS is in effect."""
    page = lab.page
    before = page.evaluate(LAYOUT_COLOUR_JS)
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile(r"^Settings$")).click()
    page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).click()
    page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(theme)}$")).click()
    page.wait_for_function(f"() => ({THEME_JS})()[0] === {theme!r}", timeout=WAIT_MS)
    page.wait_for_function(f"before => ({LAYOUT_COLOUR_JS})() !== before", arg=before, timeout=WAIT_MS)


def test_lean_output_follows_the_light_and_dark_themes(lab):
    lab.open()
    assert lab.page.evaluate(THEME_JS) == ["JupyterLab Light", "true"]
    lab.new_notebook("Python 3 (ipykernel)")
    load = lab.run("%load_ext lean_magic")
    expect(error_output(lab, load)).to_have_count(0)
    lab.run("%%lean\ndef f := 2")
    check = lab.run("%%lean\n#check f")
    expect(html_output(lab, check)).to_contain_text("f : Nat")
    bad = lab.run("%%lean\n#check g")
    expect(html_output(lab, bad).locator(".lean-error")).to_contain_text("Unknown identifier `g`")

    light = looks(lab, check, bad)
    lab.screenshot("light")
    switch_theme(lab, "JupyterLab Dark")
    assert lab.page.evaluate(THEME_JS) == ["JupyterLab Dark", "false"]
    dark = looks(lab, check, bad)
    lab.screenshot("dark")
    report = "\n".join(f"light {a}\ndark  {b}" for a, b in zip(light, dark))
    print(report)

    for item in light:
        assert item.text < item.background, f"not dark on light:\n{report}"
    for item in dark:
        assert item.text > item.background, f"not light on dark:\n{report}"
    for item in light + dark:
        least = BOLD_TEXT_CONTRAST if item.what == "error label" else BODY_TEXT_CONTRAST
        assert item.contrast >= least, f"{item} is below {least}:\n{report}"
    lab.assert_clean()
