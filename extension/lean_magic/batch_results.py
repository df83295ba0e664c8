"""What ``check_many`` / ``verify_many`` return: a list of results you can take in at a glance.

    results = lean.verify_many(statement, candidates)
    results[0], len(results), [r.okay for r in results]   # still a list, in input order
    results.summary()              # pass rate, counts by status and reason, p50/p95/max...
    results                        # in a notebook: that summary, a time histogram, and the
                                   # failing items, each expandable to its messages
    results.to_pandas()            # one row per item (needs pandas)
    results.to_jsonl("out.jsonl")  # one JSON object per item, as `lean-check` writes them

The local pool and the Ray pool both return this collection through one code path
(``pool._BatchRunner``), and ``lean-check`` summarises its output with the same
``outcome_of`` and ``lean_kernel.summary.summarize``, so every number means the same
everywhere.

An item's status:
- check (``CellResult``): ``ok`` (no fault, no Lean error; sorries and warnings allowed),
  ``error`` (Lean errors, or the REPL refused the request), ``timeout``, ``fault`` (the
  REPL crashed, was killed or ran out of memory, or its worker was lost);
- verify (``VerificationResult``): ``verified``, ``rejected``, ``timeout``, ``fault``
  (the verifier could not judge: ``repl_failure``, ``internal_error``,
  ``verifier_self_check_failed``, ``check_not_run``).
Its reasons: a verification's reasons; for a check, the fault's kind (``ReplExited``...),
``repl_error``, ``lean_error``, and ``sorry`` when it has sorries (even when ok).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from lean_kernel.lean_text import summary_line
from lean_kernel.results import CellResult
from lean_kernel.summary import BatchSummary, ItemOutcome, summarize

from .verify import VerificationResult

if TYPE_CHECKING:
    from .pool import ItemRecord

__all__ = ["BatchResults", "is_passed", "item_line", "outcome_of"]

# The verifier could not judge the candidate (not a rejection on its merits).
FAULT_REASONS = ("repl_failure", "internal_error", "verifier_self_check_failed", "check_not_run")
LABEL_WIDTH = 80


def is_passed(result: Any) -> bool | None:
    """True/False for a check or verification result; None for anything else."""
    if isinstance(result, VerificationResult):
        return result.okay
    if isinstance(result, CellResult):
        return result.ok
    return None


def _label(text: str) -> str:
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("import "))
    return summary_line(body, LABEL_WIDTH)


def _check_facts(r: CellResult) -> tuple[str, list[str], list[str], bool]:
    reasons: list[str] = []
    messages: list[str] = []
    timed_out = r.failure_kind == "ReplTimeout"
    if r.failure is not None:
        status = "timeout" if timed_out else "fault"
        reasons.append(r.failure_kind or "failure")
        messages.append(f"{r.failure_kind or 'failure'}: {r.failure}")
    elif r.repl_error is not None:
        status = "error"
        reasons.append("repl_error")
        messages.append(f"the REPL refused the request: {r.repl_error}")
    elif r.errors:
        status = "error"
        reasons.append("lean_error")
    else:
        status = "ok"
    for m in r.errors:
        where = f"{m.pos.line}:{m.pos.column}: " if m.pos else ""
        messages.append(f"{where}error: {m.data}")
    if r.sorries:
        reasons.append("sorry")
    return status, reasons, messages, timed_out


def _verify_facts(r: VerificationResult) -> tuple[str, list[str], list[str], bool]:
    reasons = r.reasons
    timed_out = "timeout" in reasons
    if r.okay:
        status = "verified"
    elif timed_out:
        status = "timeout"
    elif any(x in reasons for x in FAULT_REASONS):
        status = "fault"
    else:
        status = "rejected"
    messages = [str(m) for m in r.tool_messages if m.severity == "error"]
    return status, list(reasons), messages, timed_out


def outcome_of(
    result: Any, index: int, record: ItemRecord | None = None, id: str | None = None, text: str = ""
) -> ItemOutcome:
    """One result reduced for the statistics. ``record``: where and how long it ran (the
    pool's), else the result's own timing. ``text``: the item's Lean text, for its label."""
    if isinstance(result, VerificationResult):
        status, reasons, messages, timed_out = _verify_facts(result)
        seconds = result.timings.get("total", 0.0)
        if not text and result.candidate is not None:
            text = result.candidate.code
        faulted = timed_out or status == "fault"
    elif isinstance(result, CellResult):
        status, reasons, messages, timed_out = _check_facts(result)
        seconds = result.elapsed
        text = text or result.code
        faulted = result.failure is not None
    else:
        status, reasons, messages, timed_out, seconds, faulted = "done", [], [], False, 0.0, False
    if record is not None:
        seconds = record.elapsed
        restarted = record.generation_after > max(record.generation_before, 1)
        attempts = getattr(record, "attempt", 1)
    else:
        restarted = faulted  # the process layer replaces a REPL after any fault
        attempts = 1
    return ItemOutcome(
        index=index,
        status=status,
        passed=status in ("ok", "verified"),
        seconds=seconds,
        reasons=tuple(reasons),
        messages=tuple(messages),
        timed_out=timed_out,
        restarted=restarted,
        attempts=attempts,
        id=id,
        label=_label(text),
    )


def item_line(result: Any, outcome: ItemOutcome) -> dict[str, Any]:
    """One JSONL object: the item's id, status, reasons and time, then the result's own
    ``to_dict()`` (a verification's receipt included). ``lean-check`` writes these."""
    line: dict[str, Any] = {
        "id": outcome.id if outcome.id is not None else outcome.index,
        "status": outcome.status,
        "passed": outcome.passed,
        "reasons": list(outcome.reasons),
        "seconds": outcome.seconds,
    }
    if outcome.attempts > 1:
        line["attempts"] = outcome.attempts
    data = result.to_dict() if hasattr(result, "to_dict") else {"value": result}
    for key, value in data.items():
        line.setdefault(key, value)
    return line


class BatchResults(list):
    """A list of results in input order, plus ``summary()``, an HTML view, ``to_pandas()``
    and ``to_jsonl(path)``. ``records``: the pool's ``ItemRecord`` of each item (same
    order), for wall times and restarts; ``wall_seconds``: the whole run's time."""

    def __init__(
        self,
        results: Iterable[Any] = (),
        *,
        records: Sequence[ItemRecord | None] | None = None,
        wall_seconds: float | None = None,
        ids: Sequence[str] | None = None,
    ) -> None:
        super().__init__(results)
        self.records: list[ItemRecord | None] = list(records) if records is not None else []
        self.wall_seconds = wall_seconds
        self.ids: list[str] | None = list(ids) if ids is not None else None

    def replaced(self, results: Iterable[Any]) -> BatchResults:
        """The same collection (records, ids, wall time) holding other results for the same
        items, e.g. the API's ``LeanResult`` views of them."""
        out = BatchResults(results, records=self.records, wall_seconds=self.wall_seconds, ids=self.ids)
        if len(out) != len(self):
            raise ValueError(f"{len(out)} results for a collection of {len(self)}")
        return out

    def _record(self, i: int) -> ItemRecord | None:
        rec = self.records[i] if i < len(self.records) else None
        return rec if rec is not None and rec.index == i else None

    def outcomes(self) -> list[ItemOutcome]:
        ids = self.ids if self.ids is not None and len(self.ids) == len(self) else None
        return [outcome_of(r, i, self._record(i), ids[i] if ids else None) for i, r in enumerate(self)]

    def summary(self) -> BatchSummary:
        """Counts by status and reason, pass rate, p50/p95/max time, the slowest items and
        those that hit timeouts, restarts or retries (print it, or show it in a notebook)."""
        return summarize(self.outcomes(), self.wall_seconds)

    def failures(self) -> list[tuple[int, Any]]:
        """``(index, result)`` of every item that did not pass."""
        return [(i, r) for i, r in enumerate(self) if is_passed(r) is False]

    @property
    def pass_rate(self) -> float | None:
        return self.summary().pass_rate

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(f"<BatchResults of {len(self)}>\n" + self.summary().as_text())

    def to_jsonl(self, path: str | os.PathLike) -> int:
        """Write one JSON object per item (``item_line``); returns the number written."""
        with open(path, "w", encoding="utf-8") as f:
            for outcome, result in zip(self.outcomes(), self):
                f.write(json.dumps(item_line(result, outcome), ensure_ascii=False) + "\n")
        return len(self)

    def to_pandas(self):
        """A DataFrame, one row per item: index, id, status, passed, reasons, seconds,
        timed_out, restarted, attempts, message (the first), label and the result."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install pandas (or use to_jsonl / summary())") from None
        rows = [
            {
                "index": o.index,
                "id": o.id,
                "status": o.status,
                "passed": o.passed,
                "reasons": ",".join(o.reasons),
                "seconds": o.seconds,
                "timed_out": o.timed_out,
                "restarted": o.restarted,
                "attempts": o.attempts,
                "message": summary_line(o.messages[0]) if o.messages else "",
                "label": o.label,
                "result": r,
            }
            for o, r in zip(self.outcomes(), self)
        ]
        columns = [
            "index",
            "id",
            "status",
            "passed",
            "reasons",
            "seconds",
            "timed_out",
            "restarted",
            "attempts",
            "message",
            "label",
            "result",
        ]
        return pd.DataFrame(rows, columns=columns).set_index("index")

    def __reduce_ex__(self, protocol):  # keep the attributes when pickled (Ray, multiprocessing)
        return (_rebuild, (list(self), self.records, self.wall_seconds, self.ids))


def _rebuild(items, records, wall_seconds, ids) -> BatchResults:
    return BatchResults(items, records=records, wall_seconds=wall_seconds, ids=ids)
