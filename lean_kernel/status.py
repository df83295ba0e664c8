"""The status line of a running cell ("importing Mathlib · 12 s"), shared by the kernel
and the ``%%lean`` magic.

A cell's REPL request blocks the thread that runs it, so the line is drawn by one
daemon thread per frontend. ``RunningStatus`` is that clock: the frontend calls
``start()`` when a cell begins and ``stop()`` when it has its answer; in between the
session reports each phase (``LeanSession.on_phase`` → ``report``). Once a cell has run
for ``after`` seconds the clock calls the frontend's ``publish(bundle, first)`` — the
first time to show the line, then about every second to update it — and ``stop()``
says whether the line was shown, so the frontend can take it down. A cell that ends
sooner costs two lock round trips: nothing is sent, and the clock's thread is woken at
most once per ``after`` seconds however many cells run.

Ordering promise: ``publish`` runs under the clock's lock, and ``stop()`` takes that
lock, so when ``stop()`` returns no publish is running or will run for that cell. The
frontend's removal and the result are therefore always sent after the last update.
This module knows nothing of Jupyter; the text comes from ``render.status_bundle``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .config import ConfigError
from .render import DEFAULT_INTERRUPT_HINT, status_bundle
from .results import Phase

__all__ = ["ENV_STATUS_AFTER", "ENV_STATUS_HINT_AFTER", "Publish", "RunningStatus", "StatusSettings"]

ENV_STATUS_AFTER = "LEAN_STATUS_AFTER"  # seconds before the line shows; "off": never
ENV_STATUS_HINT_AFTER = "LEAN_STATUS_HINT_AFTER"  # seconds before it mentions interrupting

log = logging.getLogger(__name__)

Publish = Callable[[dict, bool], None]  # (MIME bundle, first time) -> None


@dataclass(frozen=True)
class StatusSettings:
    """When the status line shows. ``after=None`` turns it off; ``hint_after=None`` never
    mentions interrupting."""

    after: float | None = 1.0
    every: float = 1.0
    hint_after: float | None = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StatusSettings:
        environ = os.environ if environ is None else environ
        default = cls()
        return cls(
            after=_seconds(environ.get(ENV_STATUS_AFTER), default.after, ENV_STATUS_AFTER),
            hint_after=_seconds(environ.get(ENV_STATUS_HINT_AFTER), default.hint_after, ENV_STATUS_HINT_AFTER),
        )


def _seconds(raw: str | None, default: float | None, name: str) -> float | None:
    if raw is None or not raw.strip():
        return default
    if raw.strip().lower() in ("off", "none", "never"):
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a number of seconds >= 0, or off; got {raw!r}")
    return value


class RunningStatus:
    """The clock of one frontend's status line (one cell at a time)."""

    def __init__(
        self, publish: Publish, settings: StatusSettings | None = None, *, interrupt_hint: str = DEFAULT_INTERRUPT_HINT
    ) -> None:
        self.publish = publish
        self.settings = settings or StatusSettings()
        self.interrupt_hint = interrupt_hint
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = False  # between start() and stop(); read without the lock by the clock
        self._started = 0.0  # when the cell began
        self._phase: Phase | None = None
        self._phase_started = 0.0
        self._due = 0.0  # when to publish next
        self._shown = False
        self._wakes_at: float | None = None  # when the clock's wait ends (None: it waits for a cell)

    @property
    def enabled(self) -> bool:
        return self.settings.after is not None

    def start(self) -> None:
        """A cell begins: the line shows if it is still running ``after`` seconds from now."""
        if self.settings.after is None:
            return
        with self._cond:
            now = time.monotonic()
            self._started = self._phase_started = now
            self._phase = None
            self._due = now + self.settings.after
            self._shown = False
            self._running = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lean-status-line", daemon=True)
                self._thread.start()
            elif self._wakes_at is None or self._wakes_at > self._due:
                # Waking a thread costs more than the rest of start() and stop() together:
                # a clock already due to wake before the new deadline finds the new cell then.
                self._cond.notify()

    def report(self, phase: Phase) -> None:
        """The session's hook: the cell now waits on ``phase`` (shown from the next tick)."""
        if not self._running:
            return
        with self._cond:
            if phase != self._phase:
                self._phase, self._phase_started = phase, time.monotonic()

    def stop(self) -> bool:
        """The cell has its answer. Returns whether the line was shown (the frontend then
        takes it down); after this returns, the clock publishes nothing more."""
        # Cleared before taking the lock: were that wait interrupted (Ctrl-C), the clock
        # would publish nothing more, and the next stop() still reports the shown line.
        self._running = False
        with self._cond:
            shown, self._shown = self._shown, False
            return shown

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._running:
                    self._wakes_at = None
                    self._cond.wait()
                    continue
                now = time.monotonic()
                if now < self._due:
                    self._wakes_at = self._due
                    self._cond.wait(self._due - now)
                    continue
                self._tick(now)

    def _tick(self, now: float) -> None:
        settings = self.settings
        cell_seconds = now - self._started
        hint = self.interrupt_hint if settings.hint_after is not None and cell_seconds >= settings.hint_after else None
        bundle = status_bundle(self._phase, now - self._phase_started, cell_seconds=cell_seconds, interrupt_hint=hint)
        first = not self._shown
        self._shown = True
        # Ticks stay on whole seconds of the cell's time, unless publishing fell behind.
        self._due = max(self._due + settings.every, now + settings.every / 2)
        try:
            self.publish(bundle, first)
        except Exception:  # a frontend fault must not kill the clock (or the cell)
            log.exception("publishing the status line failed")
