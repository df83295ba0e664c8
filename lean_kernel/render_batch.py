"""A batch summary as a notebook shows it: a table, a time histogram (inline SVG drawn
here, no plotting library, nothing fetched) and the failing items, each expandable to its
messages; and the same as plain text for a terminal or the ``lean-check`` command.

Pure functions of a ``summary.BatchSummary``, in the style of ``render``: inline styles
with translucent colours that read on light and dark themes, every text escaped, no
scripts. ``<details>`` makes a failing item expandable without any JavaScript.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .render import _MONO, _PRE, PALETTE, _badge

if TYPE_CHECKING:  # annotations only: summary's displays call these functions
    from .summary import BatchSummary, HistogramBin, ItemOutcome

__all__ = ["histogram_svg", "seconds_text", "summary_html", "summary_text"]

MAX_LISTED = 100  # failing items listed in the HTML; the rest are counted
MAX_NAMED = 10  # items named in a text row (timeouts, restarts...)
PASS_COLOUR = PALETTE.success
FAIL_COLOUR = PALETTE.error

_ESC = html.escape


def seconds_text(x: float | None) -> str:
    if x is None:
        return "–"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    if x < 10:
        return f"{x:.2f} s"
    if x < 100:
        return f"{x:.1f} s"
    return f"{x:.0f} s"


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.1f} %"


def _counts(counts: dict[str, int]) -> str:
    return " · ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _names(items: list[ItemOutcome], limit: int = MAX_NAMED) -> str:
    shown = ", ".join(o.name for o in items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _rows(s: BatchSummary) -> list[tuple[str, str]]:
    """(label, text) rows shared by the text and HTML views."""
    rows = [
        ("status", _counts(s.by_status)),
        ("reasons", _counts(s.by_reason)),
        (
            "time per item",
            f"p50 {seconds_text(s.p50)} · p95 {seconds_text(s.p95)} · max {seconds_text(s.max)} · "
            f"mean {seconds_text(s.mean)}",
        ),
    ]
    if s.wall_seconds is not None:
        rate = s.throughput
        rows.append(("wall time", f"{seconds_text(s.wall_seconds)} · " + (f"{rate:.2f} items/s" if rate else "–")))
    if s.slowest:
        rows.append(("slowest", " · ".join(f"{o.name} {seconds_text(o.seconds)} ({o.status})" for o in s.slowest)))
    for label, items in (("timeouts", s.timed_out), ("restarts", s.restarted), ("retried", s.retried)):
        if items:
            rows.append((label, f"{len(items)}: {_names(items)}"))
    return rows + list(s.notes)


def _headline(s: BatchSummary) -> str:
    return f"{s.total} items: {s.passed} passed ({_percent(s.pass_rate)}), {s.failed} failed"


def summary_text(s: BatchSummary) -> str:
    rows = _rows(s)
    width = max((len(label) for label, _ in rows), default=0)
    return "\n".join([_headline(s)] + [f"  {label:<{width}}  {text}" for label, text in rows])


# --------------------------------------------------------------------------- HTML


def histogram_svg(bins: list[HistogramBin], width: int = 320, height: int = 120) -> str:
    """Stacked bars (passed below, failed above) of item counts per time bin, with the
    time axis labelled at both ends and each bar's numbers in its tooltip."""
    if not bins:
        return ""
    pad_x, top, bottom = 6, 14, 18
    plot_w, plot_h = width - 2 * pad_x, height - top - bottom
    tallest = max(b.count for b in bins) or 1
    bar_w = plot_w / len(bins)
    base = top + plot_h
    parts = [
        f'<svg class="lean-histogram" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="time per item histogram" '
        f'style="font: 10px sans-serif; color: inherit">'
    ]
    for k, b in enumerate(bins):
        x = pad_x + k * bar_w
        tip = f"{seconds_text(b.low)} – {seconds_text(b.high)}: {b.passed} passed, {b.failed} failed"
        h_pass = plot_h * b.passed / tallest
        h_fail = plot_h * b.failed / tallest
        parts.append(
            f'<g class="lean-bin" data-passed="{b.passed}" data-failed="{b.failed}"><title>{_ESC(tip)}</title>'
        )
        if b.passed:
            parts.append(
                f'<rect class="lean-bar lean-bar-passed" x="{x + 0.5:.1f}" y="{base - h_pass:.1f}" '
                f'width="{max(bar_w - 1, 1):.1f}" height="{h_pass:.1f}" style="fill: {PASS_COLOUR}; fill-opacity: 0.75"/>'
            )
        if b.failed:
            parts.append(
                f'<rect class="lean-bar lean-bar-failed" x="{x + 0.5:.1f}" y="{base - h_pass - h_fail:.1f}" '
                f'width="{max(bar_w - 1, 1):.1f}" height="{h_fail:.1f}" style="fill: {FAIL_COLOUR}; fill-opacity: 0.75"/>'
            )
        parts.append("</g>")
    parts.append(
        f'<line x1="{pad_x}" y1="{base + 0.5}" x2="{width - pad_x}" y2="{base + 0.5}" stroke="currentColor" stroke-opacity="0.5"/>'
        f'<text x="{pad_x}" y="{height - 4}" fill="currentColor">0</text>'
        f'<text x="{width - pad_x}" y="{height - 4}" fill="currentColor" text-anchor="end">{_ESC(seconds_text(bins[-1].high))}</text>'
        f'<text x="{width / 2:.0f}" y="{height - 4}" fill="currentColor" text-anchor="middle" fill-opacity="0.7">time per item</text>'
        f'<text x="{pad_x}" y="10" fill="currentColor" fill-opacity="0.7">{tallest} item{"s" if tallest != 1 else ""}</text>'
        "</svg>"
    )
    return "".join(parts)


def _failure_html(o: ItemOutcome) -> str:
    line = PALETTE.error
    head = (
        f'<span style="{_MONO}; font-weight: bold">{_ESC(o.name)}</span> '
        f'<span style="color: {line}">{_ESC(o.status)}</span>'
        + (f" · {_ESC(', '.join(o.reasons))}" if o.reasons else "")
        + f" · {_ESC(seconds_text(o.seconds))}"
        + (f' · <code style="opacity: 0.75">{_ESC(o.label)}</code>' if o.label else "")
    )
    body = "\n".join(o.messages) or "(no message)"
    return (
        f'<details class="lean-batch-item" data-index="{o.index}" data-status="{_ESC(o.status)}" '
        f'style="border-left: 3px solid {line}; padding: 1px 8px; margin: 2px 0">'
        f'<summary style="cursor: pointer">{head}</summary>'
        f'<pre class="lean-batch-messages" style="{_PRE}; padding: 4px 0">{_ESC(body)}</pre></details>'
    )


def summary_html(s: BatchSummary) -> str:
    rate = s.pass_rate
    key = "ok" if s.failed == 0 else ("error" if not s.passed else "warning")
    head = (
        f'<div class="lean-batch-head" style="margin-bottom: 4px">{_badge(_percent(rate) + " passed", key)} '
        f"<span>{s.total} items: {s.passed} passed, {s.failed} failed</span></div>"
    )
    cell = "padding: 1px 10px 1px 0; text-align: left; vertical-align: top"
    rows = "".join(
        f'<tr><th style="{cell}; font-weight: normal; opacity: 0.7; white-space: nowrap">{_ESC(label)}</th>'
        f'<td style="{cell}">{_ESC(text)}</td></tr>'
        for label, text in _rows(s)
    )
    table = f'<table class="lean-batch-table" style="border-collapse: collapse; margin: 0">{rows}</table>'
    figure = f'<div class="lean-batch-histogram">{histogram_svg(s.histogram)}</div>' if s.histogram else ""
    body = f'<div style="display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start">{table}{figure}</div>'
    failures = ""
    if s.failures:
        listed = "".join(_failure_html(o) for o in s.failures[:MAX_LISTED])
        more = len(s.failures) - MAX_LISTED
        if more > 0:
            listed += f'<div style="opacity: 0.7">… and {more} more failing items</div>'
        failures = (
            f'<div class="lean-batch-failures" style="margin-top: 6px">'
            f'<div style="opacity: 0.7">failing items ({len(s.failures)}), click one for its messages</div>{listed}</div>'
        )
    return f'<div class="lean-batch" data-total="{s.total}" data-passed="{s.passed}">{head}{body}{failures}</div>'
