"""LeanSession.on_phase: the session says what each REPL request is for, as it starts
(the status line's words), and nothing else. Recordings: v4.33.0-rc2 import_lean,
def_eval, proof_step; the crash is the stand-in's --crash-on fault."""

from __future__ import annotations

import pytest

from lean_kernel.results import Phase
from lean_kernel.session import LeanSession


@pytest.fixture
def phased(standin_config):
    sessions: list[LeanSession] = []

    def make(*faults: str) -> tuple[LeanSession, list[Phase]]:
        phases: list[Phase] = []
        session = LeanSession(standin_config(*faults), on_phase=phases.append)
        sessions.append(session)
        return session, phases

    yield make
    for s in sessions:
        s.close()


def test_imports_then_the_body_and_a_cached_header_imports_nothing(phased):
    session, phases = phased()
    assert session.run_cell("import Lean").ok
    assert phases == [Phase("importing", modules=("Lean",))]
    phases.clear()
    assert session.run_cell("import Lean\ndef f := 42").ok  # same header: reused
    assert phases == [Phase("elaborating")]


def test_commands_and_tactics(phased):
    session, phases = phased()
    assert session.run_cell("def f : Nat := by sorry").ok
    assert session.run_tactic("have t : Nat := 42").ok
    assert phases == [Phase("elaborating"), Phase("tactic")]


def test_a_crash_reports_the_replay_with_its_cell_count(phased):
    session, phases = phased("--crash-on", "CRASH_HERE")
    assert session.run_cell("def f := 37").ok
    crashed = session.run_cell("theorem CRASH_HERE : True := trivial")
    assert crashed.failure_kind == "ReplExited"
    assert phases == [Phase("elaborating"), Phase("elaborating"), Phase("replaying", cells=1)]
    phases.clear()
    assert "restart requested" in session.restart() and phases == [Phase("replaying", cells=1)]
