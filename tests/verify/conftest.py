"""Fixtures for the verifier and pool tests: sessions on a stand-in REPL that replays the
v4.33.0-rc2 recordings plus tests/fixtures/scripted (where the verify_* transcripts
answer the verifier's own requests; see verify_transcripts.py)."""

from __future__ import annotations

import pytest

from lean_kernel.session import LeanSession


@pytest.fixture
def standin_session(standin_config):
    """Factory: ``standin_session(*fault_args, timeout=10) -> LeanSession`` on a fresh
    stand-in process; every session made is closed after the test."""
    made: list[LeanSession] = []

    def make(*args, **kwargs) -> LeanSession:
        session = LeanSession(standin_config(*args, **kwargs))
        made.append(session)
        return session

    yield make
    for session in made:
        session.close()
