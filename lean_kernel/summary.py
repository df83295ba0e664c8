"""Statistics of a batch: what many checks or verifications came to, in numbers.

A batch front end (``lean_magic.batch_results``) reduces each result to an ``ItemOutcome``;
``summarize`` turns outcomes into a ``BatchSummary``. This is the one implementation of
the batch statistics: the result collection of ``check_many`` / ``verify_many`` (local
or Ray) and the ``lean-check`` command both call it. Pictures and tables of a summary
come from ``render_batch``. Pure: no I/O, no process.

Conventions, chosen so a user who recomputes a number with pandas gets the same one:
- percentiles interpolate linearly between the two nearest ranks (pandas' and numpy's
  default): p50 of 1, 2, 3, 4 is 2.5;
- the histogram has at most ``MAX_BINS`` equal-width bins from 0 to the slowest item's
  time; a time on a bin's upper edge counts in that bin (the last bin ends at the max).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["MAX_BINS", "BatchSummary", "HistogramBin", "ItemOutcome", "percentile", "summarize", "time_histogram"]

MAX_BINS = 24
SLOWEST = 5


@dataclass(frozen=True)
class ItemOutcome:
    """One item of a batch, reduced to what the statistics need."""

    index: int  # position in the input
    status: str  # e.g. "ok", "error", "verified", "rejected", "timeout", "fault"
    passed: bool
    seconds: float  # wall time the item took (its imports included)
    reasons: tuple[str, ...] = ()  # why it failed (or notable facts, e.g. "sorry")
    messages: tuple[str, ...] = ()  # what went wrong, one line each
    timed_out: bool = False
    restarted: bool = False  # its REPL process was replaced during the item
    attempts: int = 1  # > 1: retried after its worker was lost
    id: str | None = None  # the caller's id (the batch command's), else None
    label: str = ""  # first line of the item's text, for display

    @property
    def name(self) -> str:
        """How a table names the item: its id, else ``#index``."""
        return self.id if self.id is not None else f"#{self.index}"


@dataclass(frozen=True)
class HistogramBin:
    low: float
    high: float
    passed: int
    failed: int

    @property
    def count(self) -> int:
        return self.passed + self.failed


@dataclass
class BatchSummary:
    total: int
    passed: int
    by_status: dict[str, int]  # most frequent first
    by_reason: dict[str, int]  # most frequent first
    p50: float | None  # seconds per item; None for an empty batch
    p95: float | None
    max: float | None
    mean: float | None
    busy_seconds: float  # the items' times added up
    wall_seconds: float | None = None  # the run's wall time, when known
    slowest: list[ItemOutcome] = field(default_factory=list)  # slowest first
    timed_out: list[ItemOutcome] = field(default_factory=list)  # input order
    restarted: list[ItemOutcome] = field(default_factory=list)
    retried: list[ItemOutcome] = field(default_factory=list)
    failures: list[ItemOutcome] = field(default_factory=list)
    histogram: list[HistogramBin] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # extra (label, text) rows, e.g. start-up

    @property
    def failed(self) -> int:
        return self.total - self.passed

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    @property
    def throughput(self) -> float | None:
        """Items per second of wall time (None when the wall time is unknown)."""
        if not self.wall_seconds or self.wall_seconds <= 0:
            return None
        return self.total / self.wall_seconds

    def as_text(self) -> str:
        from .render_batch import summary_text

        return summary_text(self)

    def __str__(self) -> str:
        return self.as_text()

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(self.as_text())

    def _repr_html_(self) -> str:
        from .render_batch import summary_html

        return summary_html(self)

    def to_dict(self) -> dict:
        """The numbers as JSON-ready data (item lists as their names)."""
        names = lambda items: [o.name for o in items]  # noqa: E731
        return {
            "total": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "pass_rate": self.pass_rate,
            "by_status": dict(self.by_status),
            "by_reason": dict(self.by_reason),
            "seconds": {
                "p50": self.p50,
                "p95": self.p95,
                "max": self.max,
                "mean": self.mean,
                "busy": self.busy_seconds,
            },
            "wall_seconds": self.wall_seconds,
            "throughput": self.throughput,
            "slowest": [{"item": o.name, "seconds": o.seconds, "status": o.status} for o in self.slowest],
            "timed_out": names(self.timed_out),
            "restarted": names(self.restarted),
            "retried": names(self.retried),
        }


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The q-th quantile (0 <= q <= 1) of ascending values, linear between ranks."""
    n = len(sorted_values)
    if n == 0:
        return None
    pos = q * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def time_histogram(outcomes: Sequence[ItemOutcome], max_bins: int = MAX_BINS) -> list[HistogramBin]:
    """Equal-width bins from 0 to the slowest time; about sqrt(n) bins, at most max_bins."""
    if not outcomes:
        return []
    top = max(o.seconds for o in outcomes)
    bins = max(1, min(max_bins, math.ceil(math.sqrt(len(outcomes)))))
    if top <= 0:
        return [HistogramBin(0.0, 0.0, sum(o.passed for o in outcomes), sum(not o.passed for o in outcomes))]
    width = top / bins
    passed = [0] * bins
    failed = [0] * bins
    for o in outcomes:
        k = min(bins - 1, max(0, math.ceil(o.seconds / width) - 1))
        (passed if o.passed else failed)[k] += 1
    return [
        HistogramBin(k * width, (k + 1) * width if k < bins - 1 else top, passed[k], failed[k]) for k in range(bins)
    ]


def _by_count(counter: Counter) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def summarize(outcomes: Iterable[ItemOutcome], wall_seconds: float | None = None) -> BatchSummary:
    items = sorted(outcomes, key=lambda o: o.index)
    times = sorted(o.seconds for o in items)
    reasons: Counter = Counter()
    for o in items:
        reasons.update(set(o.reasons))  # an item counts once per reason
    return BatchSummary(
        total=len(items),
        passed=sum(o.passed for o in items),
        by_status=_by_count(Counter(o.status for o in items)),
        by_reason=_by_count(reasons),
        p50=percentile(times, 0.50),
        p95=percentile(times, 0.95),
        max=times[-1] if times else None,
        mean=sum(times) / len(times) if times else None,
        busy_seconds=sum(times),
        wall_seconds=wall_seconds,
        slowest=sorted(items, key=lambda o: (-o.seconds, o.index))[:SLOWEST],
        timed_out=[o for o in items if o.timed_out],
        restarted=[o for o in items if o.restarted],
        retried=[o for o in items if o.attempts > 1],
        failures=[o for o in items if not o.passed],
        histogram=time_histogram(items),
    )
