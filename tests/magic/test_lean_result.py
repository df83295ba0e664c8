"""LeanResult reads the response's own JSON through richer classes: no copies, no class
swaps, one list per response however often it is read. (No REPL: a parsed answer.)"""

from __future__ import annotations

import pickle

from lean_magic import LeanMessage, LeanResult, LeanSorry

from lean_kernel.protocol import Message, parse_response
from lean_kernel.results import CellResult

ANSWER = {
    "env": 3,
    "messages": [
        {"severity": "error", "pos": {"line": 1, "column": 15}, "endPos": {"line": 1, "column": 17}, "data": "bad"},
        {
            "severity": "warning",
            "pos": {"line": 2, "column": 8},
            "endPos": {"line": 2, "column": 9},
            "data": "declaration uses 'sorry'",
        },
    ],
    "sorries": [
        {"proofState": 0, "pos": {"line": 2, "column": 20}, "goal": "⊢ Nat", "endPos": {"line": 2, "column": 25}}
    ],
}


def cell() -> CellResult:
    return CellResult(code="example", response=parse_response(ANSWER), env_before=2, env_after=3, notes=["n"])


def test_from_cell_copies_the_fields_and_leaves_the_cell_alone():
    c = cell()
    r = LeanResult.from_cell(c)
    assert type(c) is CellResult and type(r) is LeanResult
    assert r.response is c.response and r.code == c.code and r.env == 3 and r.notes == ["n"]
    assert r == LeanResult(**vars(c))


def test_messages_and_sorries_are_views_of_the_response_made_once():
    r = LeanResult.from_cell(cell())
    assert r.messages is r.messages and r.sorries is r.sorries
    first = r.messages[0]
    assert isinstance(first, LeanMessage) and isinstance(first, Message)
    assert first._raw is r.response.messages[0]._raw  # the same JSON object, not a copy
    assert (first.line, first.column, first.end_line, first.end_column, first.text) == (1, 15, 1, 17, "bad")
    assert str(first) == "1:15-1:17: error: bad"
    assert [type(e) for e in r.errors] == [LeanMessage] and len(r.warnings) == 1
    s = r.sorries[0]
    assert isinstance(s, LeanSorry) and (s.proof_state, s.line, s.goal) == (0, 2, "⊢ Nat")
    assert r.proof_state == 0
    # The plain views of the response are untouched by all this.
    assert type(r.response.messages[0]) is Message


def test_a_new_response_gets_new_views():
    r = LeanResult.from_cell(cell())
    before = r.messages
    r.response = parse_response({"env": 4})
    assert r.messages == [] and before[0].data == "bad"


def test_a_result_pickles_with_its_messages():
    r = LeanResult.from_cell(cell())
    r.messages
    back = pickle.loads(pickle.dumps(r))
    assert back.messages == r.messages and back.to_dict() == r.to_dict()
