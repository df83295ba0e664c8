"""Recorded REPL exchanges as CellResults, for the render tests.

Requests and responses come from lean_kernel.testing.transcripts (the same reader the
stand-in uses, so a request's text is assembled as that version's REPL assembles it);
each response is parsed with protocol.parse_response_text and the request's ``cmd``
(or ``tactic``) becomes the cell's code, as the session would set it.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache

from lean_kernel.protocol import CommandRequest, TacticRequest, parse_request, parse_response_text
from lean_kernel.results import CellResult
from lean_kernel.testing.transcripts import default_root, iter_transcripts, load_transcript


@cache
def load_pairs(version: str, name: str) -> tuple[tuple[dict, str], ...]:
    """(request object, response text) pairs of one recording, e.g. ("v4.8.0", "proof_step")
    or ("v4.33.0-rc2/Mathlib/test", "exact")."""
    t = load_transcript(default_root() / version / f"{name}.in")
    assert t.has_responses, f"{t.key} has no .expected.out"
    return tuple(t.exchanges)  # type: ignore[arg-type]


def cell(version: str, name: str, index: int) -> CellResult:
    """The CellResult for request ``index`` (0-based) of a recording."""
    request, response_text = load_pairs(version, name)[index]
    return result_from(request, response_text)


def result_from(request: dict, response_text: str) -> CellResult:
    req = parse_request(request)
    resp = parse_response_text(response_text)
    if isinstance(req, TacticRequest):
        return CellResult(code=req.tactic, kind="tactic", response=resp, proof_state_before=req.proof_state)
    # File and pickle requests have no code of their own; show the request instead.
    code = req.cmd if isinstance(req, CommandRequest) else json.dumps(request, ensure_ascii=False)
    return CellResult(
        code=code,
        kind="command",
        response=resp,
        env_before=getattr(req, "env", None),
        env_after=getattr(resp, "env", None),
    )


@lru_cache(maxsize=1)
def all_recorded() -> tuple[tuple[str, CellResult], ...]:
    """Every recorded exchange of every version, named ``<version>/<name>#<index>``."""
    out = []
    for t in iter_transcripts(default_root()):
        if not t.has_responses:
            continue
        for i, (req, resp) in enumerate(t.exchanges):
            out.append((f"{t.key}#{i}", result_from(req, resp)))
    return tuple(out)
