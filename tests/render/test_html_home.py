"""Where HTML comes from: only the render modules write it, and only with the palette's
colours (render.Palette: JupyterLab theme variables with fallbacks), so every output
follows the light and dark themes and one edit changes a colour everywhere."""

from __future__ import annotations

import inspect
import io
import re
import tokenize
from pathlib import Path

import lean_magic

import lean_kernel
from lean_kernel import render

KERNEL = Path(lean_kernel.__file__).parent
MAGIC = Path(lean_magic.__file__).parent
# The render modules: render.py, render_batch.py (batch summaries), render_steps.py (the
# proof stepper).
RENDER = sorted(KERNEL.glob("render*.py"))
HTML_BITS = re.compile(r"<(?:div|span|table|tr|td|th|pre|code|p|b|hr|mark|details|summary|svg|br)[\s>/]|style=")
COLOUR = re.compile(r"(?<![\w&])#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})\b|\brgba?\(|var\(--jp-")


def _sources() -> list[Path]:
    files = [*KERNEL.rglob("*.py"), *MAGIC.rglob("*.py")]
    return [p for p in files if "labextension" not in p.parts]


def _string_literals(path: Path) -> list[tuple[int, str]]:
    kinds = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [(t.start[0], t.string) for t in tokens if t.type in kinds]


def test_no_html_outside_render():
    found = [
        f"{path.relative_to(KERNEL.parent)}:{line}: {text[:80]}"
        for path in _sources()
        if path not in RENDER
        for line, text in _string_literals(path)
        if HTML_BITS.search(text)
    ]
    assert not found, "HTML belongs in lean_kernel/render*.py:\n" + "\n".join(found)


def test_render_colours_come_from_the_palette():
    palette_source = inspect.getsource(render.Palette)
    found = []
    for path in RENDER:
        text = path.read_text(encoding="utf-8")
        if path.name == "render.py":
            assert palette_source in text
            text = text.replace(palette_source, "")
        found += [f"{path.name}: {m.group()!r}" for m in COLOUR.finditer(text)]
    assert not found, "a colour outside render.Palette: " + ", ".join(found)


def test_palette_follows_the_jupyterlab_theme_with_fallbacks():
    palette = render.PALETTE
    themed = [palette.text, palette.muted, palette.error, palette.warning, palette.info, palette.success]
    for colour in themed:
        assert re.fullmatch(r"var\(--jp-[\w-]+, [^)]+\)", colour), colour
    for kind in render.SEVERITIES:
        assert len(palette.severity(kind)) == 3
