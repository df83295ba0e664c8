"""Progress of a job made of steps (``lean-kernel setup``, ``bundle``, ``%lean_setup``).

A job announces each step, what it runs, the output of the tools it runs, and how the
step ended: done (with its time), skipped (already done earlier), or failed (with the
fix). The job only emits events; a frontend chooses how to show them (``TextProgress``
writes lines to a terminal or a notebook cell). A failed step raises ``StepFailed``,
whose message is the problem and the fix, so a caller without a progress view still
gets the whole story.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO


class StepFailed(RuntimeError):
    """A step could not be done. ``problem`` says what went wrong, ``fix`` what to do."""

    def __init__(self, problem: str, fix: str | None = None, *, output: str = "") -> None:
        self.problem = problem
        self.fix = fix
        self.output = output  # the tail of what the failing tool printed, if any
        super().__init__(problem + (f"\nfix: {fix}" if fix else ""))


@dataclass(frozen=True)
class StepEvent:
    """``kind``: start | run | output | note | done | skip | fail."""

    kind: str
    index: int
    total: int
    title: str
    text: str = ""
    seconds: float = 0.0


Listener = Callable[[StepEvent], None]


class Steps:
    """Numbered steps of one job; each ``step()`` reports its start and its end."""

    def __init__(self, total: int, listener: Listener | None = None) -> None:
        self.total = total
        self.index = 0
        self._listener = listener

    def emit(self, kind: str, title: str, text: str = "", seconds: float = 0.0) -> None:
        if self._listener is not None:
            self._listener(StepEvent(kind, self.index, self.total, title, text, seconds))

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        self.index += 1
        current = Step(self, title)
        self.emit("start", title)
        started = time.monotonic()
        try:
            yield current
        except BaseException as exc:  # shown as the step's end, then passed on
            text = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc) or type(exc).__name__
            self.emit("fail", title, text, time.monotonic() - started)
            raise
        if current.failure is not None:
            self.emit("fail", title, current.failure, time.monotonic() - started)
        elif current.skipped is not None:
            self.emit("skip", title, current.skipped, time.monotonic() - started)
        else:
            self.emit("done", title, current.result, time.monotonic() - started)


class Step:
    """What a step body uses to report: the command it runs, tool output, notes, and
    how it ended: ``done(summary)``, ``skip(why)`` when nothing was left to do, or
    ``fail(text)`` for a failure the job reports without stopping (raise StepFailed to
    stop it)."""

    def __init__(self, steps: Steps, title: str) -> None:
        self._steps = steps
        self.title = title
        self.result = ""
        self.skipped: str | None = None
        self.failure: str | None = None

    def running(self, command: str) -> None:
        self._steps.emit("run", self.title, command)

    def output(self, line: str) -> None:
        self._steps.emit("output", self.title, line)

    def note(self, text: str) -> None:
        self._steps.emit("note", self.title, text)

    def skip(self, why: str) -> None:
        self.skipped = why

    def done(self, summary: str) -> None:
        self.result = summary

    def fail(self, text: str) -> None:
        self.failure = text


class TextProgress:
    """Events as lines of text: ``[2/5] title``, ``$ command``, indented tool output,
    then ``ok``/``skipped``/``FAILED`` with the time. Works in a terminal, in
    ``jupyter console`` and in a notebook cell's stream output alike."""

    def __init__(self, stream: TextIO | None = None, *, show_output: bool = True, max_output_lines: int = 12) -> None:
        self._stream = stream
        self.show_output = show_output
        self.max_output_lines = max_output_lines
        self._shown = 0

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    def __call__(self, event: StepEvent) -> None:
        write = self.stream.write
        prefix = f"[{event.index}/{event.total}]"
        if event.kind == "start":
            self._shown = 0
            write(f"{prefix} {event.title}\n")
        elif event.kind == "run":
            write(f"      $ {event.text}\n")
        elif event.kind == "output" and self.show_output:
            self._shown += 1
            if self._shown <= self.max_output_lines:
                write(f"      │ {event.text}\n")
        elif event.kind == "note":
            write(f"      note: {event.text}\n")
        if event.kind in ("done", "skip", "fail") and self._shown > self.max_output_lines:
            write(f"      │ … {self._shown - self.max_output_lines} more lines\n")
        if event.kind == "done":
            write(f"      ok{': ' + event.text if event.text else ''} ({_seconds(event.seconds)})\n")
        elif event.kind == "skip":
            write(f"      skipped: {event.text}\n")
        elif event.kind == "fail":
            lines = event.text.split("\n")
            write(f"      FAILED: {lines[0]}\n")
            for line in lines[1:]:
                write(f"      {line}\n")
        self.stream.flush()


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60)} s"
