"""Recorded (and, where marked, scripted) REPL answers paired with the code they ran on."""

from __future__ import annotations

from pathlib import Path

import pytest

from lean_kernel.protocol import parse_response_text
from lean_kernel.testing.transcripts import load_transcript

REPO = Path(__file__).resolve().parents[2]
SCRIPTED = REPO / "tests" / "fixtures" / "scripted"


def load_case(in_file: Path, index: int = 0):
    """(code, response) of request ``index`` in a transcript: the code is the request's
    ``cmd`` (or ``tactic``), or the ``.lean`` file a ``path`` request ran."""
    transcript = load_transcript(in_file)
    assert transcript.has_responses, f"{in_file} has no recorded responses"
    request, response = transcript.exchanges[index]
    if "cmd" in request:
        code = request["cmd"]
    elif "tactic" in request:
        code = request["tactic"]
    else:
        code = (in_file.parent / Path(request["path"]).name).read_text(encoding="utf-8")
    return code, parse_response_text(response)


@pytest.fixture
def recorded(transcripts_root):
    """recorded(version, name, index=0) -> (code, response) from a real recording."""

    def get(version: str, name: str, index: int = 0):
        return load_case(transcripts_root / version / f"{name}.in", index)

    return get


@pytest.fixture
def scripted():
    """scripted(name, index=0) -> (code, response) from tests/fixtures/scripted."""

    def get(name: str, index: int = 0):
        return load_case(SCRIPTED / f"{name}.in", index)

    return get
