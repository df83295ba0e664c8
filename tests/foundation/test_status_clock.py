"""The status line's clock (lean_kernel.status): when it publishes, from which thread, and
that nothing is published once stop() has returned. Short settings keep it fast; the
kernel and magic tests run it at its real pace."""

from __future__ import annotations

import threading
import time

import pytest

from lean_kernel.config import ConfigError
from lean_kernel.results import Phase
from lean_kernel.status import ENV_STATUS_AFTER, ENV_STATUS_HINT_AFTER, RunningStatus, StatusSettings

FAST = StatusSettings(after=0.05, every=0.05, hint_after=None)


class Recorder:
    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.calls: list[tuple[str, bool, str]] = []  # (text/plain, first, thread name)
        self.delay = delay
        self.fail = fail
        self.inside = False

    def __call__(self, bundle: dict, first: bool) -> None:
        self.inside = True
        try:
            self.calls.append((bundle["text/plain"], first, threading.current_thread().name))
            time.sleep(self.delay)
            if self.fail:
                raise RuntimeError("frontend fault")
        finally:
            self.inside = False


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_a_fast_cell_publishes_nothing():
    rec = Recorder()
    status = RunningStatus(rec, StatusSettings(after=0.2, every=0.05))
    for _ in range(20):
        status.start()
        status.report(Phase("elaborating"))
        assert status.stop() is False
    time.sleep(0.4)
    assert rec.calls == []


def clocks() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "lean-status-line")


def test_off_starts_no_thread():
    before = clocks()
    status = RunningStatus(Recorder(), StatusSettings(after=None))
    status.start()
    status.report(Phase("elaborating"))
    assert not status.enabled and status.stop() is False
    assert clocks() == before


def test_shows_then_updates_from_its_own_thread_and_stops_for_good():
    rec = Recorder()
    status = RunningStatus(rec, FAST)
    status.start()
    status.report(Phase("importing", modules=("Mathlib",)))
    wait_for(lambda: len(rec.calls) >= 3)
    status.report(Phase("elaborating"))
    wait_for(lambda: "elaborating" in rec.calls[-1][0])
    assert status.stop() is True
    seen = len(rec.calls)
    time.sleep(0.3)
    assert len(rec.calls) == seen  # nothing after stop()
    assert [first for _, first, _ in rec.calls] == [True] + [False] * (seen - 1)
    assert {name for _, _, name in rec.calls} == {"lean-status-line"}
    assert rec.calls[0][0].startswith("importing Mathlib · ")
    # The next cell starts over: shown again as a new line.
    status.start()
    wait_for(lambda: len(rec.calls) > seen)
    assert status.stop() is True
    assert rec.calls[seen][1] is True and rec.calls[seen][0].startswith("running · ")


def test_stop_waits_for_a_publish_in_progress():
    rec = Recorder(delay=0.3)
    status = RunningStatus(rec, FAST)
    status.start()
    wait_for(lambda: rec.inside)
    assert status.stop() is True
    assert not rec.inside  # the frontend may now take the line down: no publish can follow
    count = len(rec.calls)
    time.sleep(0.2)
    assert len(rec.calls) == count


def test_interrupt_hint_comes_after_its_time():
    rec = Recorder()
    status = RunningStatus(rec, StatusSettings(after=0.05, every=0.05, hint_after=0.3), interrupt_hint="press stop")
    status.start()
    wait_for(lambda: any("press stop" in text for text, _, _ in rec.calls))
    status.stop()
    texts = [text for text, _, _ in rec.calls]
    assert "press stop" not in texts[0]
    assert texts[-1].endswith(" · press stop")


def test_a_failing_frontend_does_not_stop_the_clock():
    rec = Recorder(fail=True)
    status = RunningStatus(rec, FAST)
    status.start()
    wait_for(lambda: len(rec.calls) >= 2)
    assert status.stop() is True


def test_settings_from_the_environment():
    assert StatusSettings.from_env({}) == StatusSettings(after=1.0, every=1.0, hint_after=10.0)
    s = StatusSettings.from_env({ENV_STATUS_AFTER: "0.5", ENV_STATUS_HINT_AFTER: "off"})
    assert (s.after, s.hint_after) == (0.5, None)
    assert StatusSettings.from_env({ENV_STATUS_AFTER: "off"}).after is None
    assert StatusSettings.from_env({ENV_STATUS_AFTER: "0"}).after == 0.0  # at once, not off
    for bad in ("soon", "-1", "nan", "inf"):
        with pytest.raises(ConfigError, match=ENV_STATUS_AFTER):
            StatusSettings.from_env({ENV_STATUS_AFTER: bad})
