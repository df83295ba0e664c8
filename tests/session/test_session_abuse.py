"""LeanSession under abuse: bad timeouts, text no REPL can take, interrupts during replay.

Recordings (v4.33.0-rc2): def_eval (``def f := 37``, then ``#check (rfl : f = 37)``
answered ``rfl : f = f`` only on the env where ``def f`` ran) and trace_simp (a chain
of three cells). The stand-in's ``--log`` shows what was really sent."""

from __future__ import annotations

import json
import math

import pytest

from lean_kernel.session import LeanSession

TRACE_SIMP = [
    ("a", "def f := 37"),
    ("b", "@[simp] theorem f_def : f = 37 := by rfl"),
    ("c", "set_option trace.Meta.Tactic.simp true"),
]


@pytest.fixture
def logged(standin_config, tmp_path):
    log = tmp_path / "requests.log"
    sessions: list[LeanSession] = []

    def make(*faults: str, **changes) -> LeanSession:
        s = LeanSession(standin_config("--log", str(log), *faults, **changes))
        sessions.append(s)
        return s

    def sent() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    yield make, sent
    for s in sessions:
        s.close()


@pytest.mark.parametrize("bad", [math.nan, "nan", -1, "-0.5", "soon"])
def test_a_bad_timeout_is_a_named_error_and_the_next_answer_is_its_own(logged, bad):
    # The transcript: with a nan timeout, `def f := 37` was later answered with
    # `rfl : f = f`, the answer of the request before it.
    make, sent = logged
    session = make()
    assert session.run_cell("def f := 37").ok
    with pytest.raises(ValueError, match="number of seconds"):
        session.run_cell("#check (rfl : f = 37)", timeout=bad)
    assert len(sent()) == 1
    after = session.run_cell("#check (rfl : f = 37)")
    assert after.ok and [m.data for m in after.infos] == ["rfl : f = f"]
    fresh = session.run_cell("def f := 37", fresh=True)
    assert fresh.ok and fresh.messages == []


@pytest.mark.parametrize("off", [0, math.inf])
def test_zero_inf_and_off_mean_no_limit_for_one_cell(logged, off):
    make, _ = logged
    session = make("--delay-on", "def f=0.3", timeout=0.1)
    assert session.run_cell("def f := 37", timeout=off).ok  # slower than the configured 0.1 s
    assert session.config.timeout == 0.1


def test_a_lone_surrogate_is_refused_naming_its_place_in_the_cell(logged):
    make, sent = logged
    session = make()
    assert session.run_cell("def f := 37").ok
    cell = 'import Lean\n\ndef g : String := "\ud800"'
    result = session.run_cell(cell)
    assert not result.ok and result.failure_kind == "UnsendableText"
    # Line 3 of the cell, header lines included, column 19 in code points.
    assert "line 3, column 19 holds U+D800" in result.failure
    tactic = session.run_tactic("exact \udfff", 0)
    assert tactic.failure_kind == "UnsendableText" and "line 1, column 6" in tactic.failure
    assert len(sent()) == 1  # neither reached the REPL
    after = session.run_cell("#check (rfl : f = 37)")
    assert after.ok and [m.data for m in after.infos] == ["rfl : f = f"]


def test_an_interrupt_during_the_replay_keeps_the_chain_for_the_next_cell(logged):
    # Ctrl-C twice: the first kills a cell, the second lands in the replay that follows.
    # The process layer turns that second KeyboardInterrupt into ReplInterrupted, as for
    # any request; the replay must not read it as "this cell no longer works" and reset.
    make, sent = logged
    session = make("--crash-on", "CRASH_HERE")
    for key, code in TRACE_SIMP:
        assert session.run_cell(code, cell_id=key).ok
    process = session.process
    real = process._roundtrip
    calls = []

    def second_replay_request_interrupted(payload, limit):
        calls.append(payload)
        if len(calls) == 3:  # the crashing cell, replayed cell a, then cell b
            process._roundtrip = real
            raise KeyboardInterrupt
        return real(payload, limit)

    process._roundtrip = second_replay_request_interrupted
    crashed = session.run_cell("theorem CRASH_HERE : True := trivial", cell_id="boom")
    assert crashed.failure_kind == "ReplExited"
    assert any("interrupted again while replaying" in n for n in crashed.notes), crashed.notes
    assert [c.key for c in session.cells] == ["a", "b", "c"]  # nothing lost
    after = session.run_cell("example : f = 37 := by simp", cell_id="d")
    assert after.ok, after.to_dict()
    assert any("replayed 3 cells" in n for n in after.notes), after.notes
    assert sent()[-1] == {"cmd": "example : f = 37 := by simp", "env": session.cells[-2].env_after}


def test_restart_later_replays_before_the_next_cell_and_not_before(logged):
    make, sent = logged
    session = make()
    for key, code in TRACE_SIMP:
        assert session.run_cell(code, cell_id=key).ok
    note = session.restart_later("interrupted (KeyboardInterrupt)")
    assert "the 3 committed cells are kept and replayed before the next cell runs" in note
    assert session.process.pid is None and len(sent()) == 3  # nothing replayed yet
    after = session.run_cell("example : f = 37 := by simp", cell_id="d")
    assert after.ok and any("replayed 3 cells" in n for n in after.notes)


def test_a_replay_is_not_held_to_a_limit_lowered_since(logged):
    # `%timeout 0.1` after a cell that took 0.3 s: a crash then replays that cell, and the
    # replay must not time out (that used to reset the session, losing every cell).
    make, _sent = logged
    session = make("--delay-on", "def f=0.3", "--crash-on", "CRASH_HERE")
    assert session.run_cell("def f := 37").ok
    session.config.timeout = 0.1
    crashed = session.run_cell("theorem CRASH_HERE : True := trivial")
    assert crashed.failure_kind == "ReplExited"
    assert any("restarted and replayed 1 cell" in n for n in crashed.notes), crashed.notes
    after = session.run_cell("#check (rfl : f = 37)")
    assert after.ok and [m.data for m in after.infos] == ["rfl : f = f"]
