"""The protocol types: views over the REPL's JSON, declared as field tables.

Recorded answers must read back field by field and re-serialise exactly; objects built
in Python must write what the REPL writes; a malformed answer must fail at parse time
with the field named; and there is one classification of requests, the REPL's, that the
client and the stand-in share.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import pytest

from lean_kernel import protocol
from lean_kernel.protocol import (
    CommandRequest,
    CommandResponse,
    FileRequest,
    InfoNode,
    Message,
    PickleEnvRequest,
    PickleProofStateRequest,
    Pos,
    ProtocolError,
    ReplErrorResponse,
    Sorry,
    TacticEntry,
    TacticRequest,
    TacticResponse,
    UnpickleEnvRequest,
    UnpickleProofStateRequest,
    classify_request,
    encode_request,
    parse_request,
    parse_response,
    shift_lines,
)
from lean_kernel.testing import standin
from lean_kernel.testing.transcripts import OUT_SUFFIX, default_root, iter_transcripts

ROOT = default_root()


def recorded_exchanges() -> list[tuple[str, dict, str | None]]:
    return [(t.key, request, response) for t in iter_transcripts(ROOT) for request, response in t.exchanges]


def read_everything(resp) -> int:
    """Read every attribute of every item, as render and the widget do; count the items."""
    n = 0
    if isinstance(resp, ReplErrorResponse):
        assert isinstance(resp.message, str)
        return 1
    for m in resp.messages:
        assert m.severity in protocol.SEVERITIES and isinstance(m.data, str)
        assert m.pos is None or isinstance(m.pos, Pos)
        assert m.end_pos is None or isinstance(m.end_pos, Pos)
        n += 1
    for s in resp.sorries:
        assert isinstance(s.goal, str) and (s.proof_state is None or s.proof_state >= 0)
        s.pos, s.end_pos
        n += 1
    if isinstance(resp, TacticResponse):
        assert all(isinstance(g, str) for g in resp.goals)
        resp.proof_status, resp.traces, resp.completed, resp.ok
        return n + 1
    for t in resp.tactics:
        t.tactic, t.goals, t.proof_state, t.pos, t.end_pos, t.used_constants
        n += 1
    for root in resp.infotree or []:
        for node in root.walk():
            node.kind, node.tactic_name, node.text, node.range, node.goals_before, node.goals_after
            n += 1
    return n + 1


# --------------------------------------------------------------------------- recorded answers


def test_every_recorded_answer_reads_field_by_field_and_reserialises_exactly():
    exchanges = recorded_exchanges()
    expected_files = sorted(ROOT.glob("v*/**/*" + OUT_SUFFIX))
    answered = [(key, text) for key, _, text in exchanges if text is not None]
    assert expected_files and answered
    items = 0
    kinds = set()
    for key, text in answered:
        obj = json.loads(text)
        resp = parse_response(obj)
        kinds.add(type(resp).__name__)
        items += read_everything(resp)
        assert resp.to_json() == obj, key
        # to_json is a copy: changing it leaves the view as it was.
        resp.to_json().clear()
        assert resp.to_json() == obj, key
    assert kinds == {"CommandResponse", "TacticResponse", "ReplErrorResponse"}
    assert items > len(answered)


def test_unknown_keys_and_explicit_nulls_come_back_as_sent():
    obj = {
        "env": 4,
        "future": {"a": [1, 2]},
        "messages": [{"severity": "info", "pos": {"line": 1, "column": 0}, "endPos": None, "data": "x", "new": True}],
        "sorries": [
            {"goal": "⊢ True", "proofState": 0, "pos": {"line": 1, "column": 2}, "endPos": {"line": 1, "column": 7}}
        ],
    }
    resp = parse_response(json.loads(json.dumps(obj)))
    assert isinstance(resp, CommandResponse)
    assert resp.extra == {"future": {"a": [1, 2]}}
    assert resp.messages[0].extra == {"new": True} and resp.messages[0].end_pos is None
    assert resp.to_json() == obj
    # A missing endPos stays missing; a null one stays null.
    without = parse_response({"env": 0, "messages": [{"severity": "info", "data": "x"}]})
    assert "endPos" not in without.to_json()["messages"][0]


def test_absent_keys_read_as_empty_values():
    resp = parse_response({"env": 0})
    assert isinstance(resp, CommandResponse)
    assert (resp.messages, resp.sorries, resp.tactics, resp.infotree, resp.extra) == ([], [], [], None, {})
    old = parse_response({"proofState": 3, "goals": []})  # before v4.19: no proofStatus
    assert isinstance(old, TacticResponse)
    assert (old.proof_status, old.traces, old.completed) == (None, None, True)
    assert parse_response({"env": 0, "messages": [{"data": "x"}]}).messages[0].severity == "info"


# --------------------------------------------------------------------------- built in Python


@pytest.mark.parametrize(
    "built, written",
    [
        (
            Message("error", "boom", Pos(1, 4), Pos(1, 8)),
            {"severity": "error", "pos": {"line": 1, "column": 4}, "endPos": {"line": 1, "column": 8}, "data": "boom"},
        ),
        # The REPL writes endPos even when null, and leaves pos out.
        (Message("info", "x"), {"severity": "info", "endPos": None, "data": "x"}),
        (Sorry("⊢ False", 2), {"goal": "⊢ False", "proofState": 2}),
        (
            TacticEntry("simp", "⊢ p", 0, Pos(2, 2), Pos(2, 6)),
            {
                "tactic": "simp",
                "goals": "⊢ p",
                "proofState": 0,
                "pos": {"line": 2, "column": 2},
                "endPos": {"line": 2, "column": 6},
            },
        ),
        (CommandResponse(env=0), {"env": 0}),
        (CommandResponse(env=None), {}),
        (
            CommandResponse(env=1, infotree=[InfoNode("TacticInfo", None, [])]),
            {"env": 1, "infotree": [{"kind": "TacticInfo", "node": None, "children": []}]},
        ),
        (TacticResponse(proof_state=1), {"proofState": 1, "goals": []}),
        (
            TacticResponse(proof_state=2, goals=["⊢ p"], proof_status="Incomplete: open goals remain"),
            {"proofState": 2, "goals": ["⊢ p"], "proofStatus": "Incomplete: open goals remain"},
        ),
        (ReplErrorResponse("Unknown environment."), {"message": "Unknown environment."}),
        # False flags are never sent: the REPL acts on them only when true.
        (
            CommandRequest("def f := 1", env=0, all_tactics=False, root_goals=True),
            {"cmd": "def f := 1", "env": 0, "rootGoals": True},
        ),
        (CommandRequest("x", extra={"gc": True}), {"cmd": "x", "gc": True}),
        (FileRequest("a.lean", infotree="full"), {"path": "a.lean", "infotree": "full"}),
        (TacticRequest("rfl", 3), {"tactic": "rfl", "proofState": 3}),
        (PickleEnvRequest(env=1, pickle_to="e.olean"), {"env": 1, "pickleTo": "e.olean"}),
        (UnpickleProofStateRequest("p.olean", env=2), {"unpickleProofStateFrom": "p.olean", "env": 2}),
    ],
)
def test_objects_built_in_python_write_what_the_repl_writes(built, written):
    assert built.to_json() == written
    assert type(built).from_json(written) == built  # ... and parses back to an equal object


def test_built_responses_keep_the_objects_they_were_given():
    m = Message("warning", "unused", Pos(1, 0))
    resp = CommandResponse(env=2, messages=[m])
    assert resp.messages[0] is m and resp.messages is resp.messages
    assert resp.errors == [] and resp.ok


def test_views_are_read_only_values_that_pickle_and_copy():
    message = {"severity": "error", "pos": {"line": 1, "column": 0}, "endPos": None, "data": "e"}
    resp = parse_response({"env": 1, "messages": [message]})
    with pytest.raises(AttributeError):
        resp.env = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        resp.messages[0].severity = "info"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(resp)) == resp
    assert copy.deepcopy(resp) == resp and copy.copy(resp.messages[0]) == resp.messages[0]
    assert resp.messages[0] == Message("error", "e", Pos(1, 0)) and resp != CommandResponse(env=1)
    # Equal means the same JSON: a missing endPos is not a null one.
    assert parse_response({"env": 0, "messages": [{"severity": "info", "data": "x"}]}).messages[0] != Message(
        "info", "x"
    )
    assert repr(resp.messages[0]) == "Message(severity='error', data='e', pos=Pos(line=1, column=0), end_pos=None)"
    with pytest.raises(TypeError, match="missing required argument 'data'"):
        Message("error")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected"):
        Message("error", "x", colour="red")  # type: ignore[call-arg]


def test_views_are_dataclasses_that_replace_builds_anew():
    resp = parse_response(
        {
            "env": 1,
            "messages": [{"severity": "info", "data": "x"}],
            "infotree": [{"kind": "k", "node": None, "children": []}],
            "future": 1,
        }
    )
    assert dataclasses.is_dataclass(resp)
    assert [f.name for f in dataclasses.fields(resp)] == ["env", "messages", "sorries", "tactics", "infotree", "extra"]
    # The verifier drops a megabyte infotree this way once it has read it.
    slim = dataclasses.replace(resp, infotree=None)
    assert isinstance(slim, CommandResponse) and slim.infotree is None
    assert slim.to_json() == {"env": 1, "messages": [{"severity": "info", "data": "x"}], "future": 1}
    assert slim.messages[0] is resp.messages[0] and resp.infotree is not None
    assert dataclasses.replace(CommandRequest("x", env=1), env=None).to_json() == {"cmd": "x"}


def test_view_of_reads_the_same_json_through_a_subclass():
    class Richer(Message):
        __slots__ = ()

        @property
        def shout(self) -> str:
            return self.data.upper()

    m = parse_response({"env": 0, "messages": [{"severity": "info", "data": "hi"}]}).messages[0]
    r = Richer.view_of(m)
    assert r.shout == "HI" and r._raw is m._raw and type(m) is Message


# --------------------------------------------------------------------------- malformed answers


@pytest.mark.parametrize(
    "answer, names",
    [
        ({"env": "3"}, "CommandResponse.env"),
        ({"env": -1}, "CommandResponse.env"),
        ({"env": 0, "messages": {"severity": "info"}}, "CommandResponse.messages"),
        ({"env": 0, "messages": [7]}, "a Message, got 7"),
        ({"env": 0, "messages": [{"severity": 2, "data": "x"}]}, "Message.severity"),
        ({"env": 0, "messages": [{"severity": "info", "data": "x", "pos": [1, 0]}]}, "Message.pos"),
        ({"env": 0, "sorries": [{"goal": "g", "proofState": "0"}]}, "Sorry.proof_state"),
        ({"env": 0, "tactics": [{"tactic": "t", "goals": "g", "usedConstants": "Nat"}]}, "TacticEntry.used_constants"),
        ({"proofState": 0, "goals": "⊢ p"}, "TacticResponse.goals"),
        ({"proofState": 0, "goals": [], "proofStatus": 1}, "TacticResponse.proof_status"),
        # Three levels down an infotree: still caught at parse time.
        (
            {
                "env": 0,
                "infotree": [{"kind": "a", "node": None, "children": [{"kind": "b", "children": [{"kind": 5}]}]}],
            },
            "InfoNode.kind",
        ),
        ({"message": 3}, "ReplErrorResponse.message"),
    ],
)
def test_a_malformed_answer_fails_at_parse_time_naming_the_field(answer, names):
    with pytest.raises(ProtocolError, match="malformed REPL response") as info:
        parse_response(answer)
    assert names in str(info.value)


def test_what_is_inside_a_position_or_a_list_of_strings_is_checked_when_read():
    # Parsing checks that a position is an object and goals a list; reading checks the rest.
    bad = {"severity": "info", "data": "x", "pos": {"line": "1", "column": 0}}
    resp = parse_response({"env": 0, "messages": [bad]})
    with pytest.raises(ProtocolError, match=r"Message\.pos .* is not a position"):
        resp.messages[0].pos
    step = parse_response({"proofState": 0, "goals": ["⊢ p", None]})
    with pytest.raises(ProtocolError, match=r"TacticResponse\.goals .* holds null"):
        step.goals
    entry = parse_response({"env": 0, "tactics": [{"tactic": "t", "goals": "g", "usedConstants": ["Nat", 1]}]})
    with pytest.raises(ProtocolError, match=r"TacticEntry\.used_constants .* holds 1 \(int\), expected str"):
        entry.tactics[0].used_constants


def test_the_client_turns_a_malformed_answer_into_a_bad_output_fault():
    with pytest.raises(ProtocolError):
        protocol.parse_response_text('{"env": 0, "messages": [{"severity": 2}]}')
    with pytest.raises(ProtocolError, match="not JSON"):
        protocol.parse_response_text("{oops")


# --------------------------------------------------------------------------- requests: one classification


@pytest.mark.parametrize(
    "obj, shape",
    [
        ({"cmd": "x"}, "command"),
        ({"cmd": "x", "env": 0, "allTactics": True, "infotree": "full"}, "command"),
        ({"cmd": "x", "env": None}, "command"),  # null reads as absent
        ({"path": "f.lean", "env": 1}, "file"),
        # The REPL tries the tactic shape first: a tactic key wins over a command key.
        ({"tactic": "rfl", "proofState": 0, "cmd": "x"}, "tactic"),
        ({"env": 0, "pickleTo": "e.olean"}, "pickle_env"),
        ({"unpickleEnvFrom": "e.olean"}, "unpickle_env"),
        ({"proofState": 0, "pickleTo": "p.olean"}, "pickle_proof_state"),
        ({"unpickleProofStateFrom": "p.olean", "env": 0}, "unpickle_proof_state"),
        # A wrong type rules a shape out: this falls through to the command shape.
        ({"tactic": 5, "proofState": 0, "cmd": "x"}, "command"),
        ({"cmd": "x", "env": -1}, None),
        ({"cmd": "x", "allTactics": "yes"}, None),
        ({"tactic": "rfl", "proofState": -1}, None),
        ({"tactic": "rfl"}, None),
        ({"env": 0}, None),
        ([{"cmd": "x"}], None),
    ],
)
def test_requests_are_classified_as_the_repl_decodes_them(obj, shape):
    if shape is None:
        with pytest.raises(ProtocolError, match="no request shape"):
            classify_request(obj)
        with pytest.raises(standin.ShapeError, match=r"^Could not parse as a valid JSON command"):
            standin.classify(obj)
        return
    assert classify_request(obj).shape == shape
    assert standin.classify(obj)[0] == shape
    req = parse_request(obj)
    assert req.to_json() == obj and encode_request(req).endswith(b"}\n\n")


def test_client_and_stand_in_classify_every_recorded_request_alike():
    exchanges = recorded_exchanges()
    shapes = {}
    for key, request, _ in exchanges:
        request_type = classify_request(request)
        shape, ids = standin.classify(request)
        assert shape == request_type.shape, key
        assert set(ids) <= {"env", "proofState"} and all(request[i] is not None for i in ids)
        assert parse_request(request).to_json() == request
        shapes[shape] = shapes.get(shape, 0) + 1
    assert sum(shapes.values()) == len(exchanges) > 0
    assert set(shapes) == {t.shape for t in protocol.REQUEST_TYPES}


def test_unpickle_request_types_are_distinct():
    assert isinstance(parse_request({"unpickleEnvFrom": "a"}), UnpickleEnvRequest)
    assert isinstance(parse_request({"pickleTo": "a", "proofState": 1}), PickleProofStateRequest)


# --------------------------------------------------------------------------- shifting


def test_shift_lines_moves_every_position_but_tactic_mode_ones():
    obj = {
        "env": 1,
        "messages": [
            {"severity": "error", "pos": {"line": 1, "column": 2}, "endPos": {"line": 2, "column": 0}, "data": "a"},
            {"severity": "info", "pos": {"line": 0, "column": 0}, "endPos": None, "data": "tactic mode"},
        ],
        "sorries": [
            {"goal": "g", "proofState": 0, "pos": {"line": 3, "column": 1}, "endPos": {"line": 3, "column": 6}}
        ],
        "tactics": [
            {
                "tactic": "t",
                "goals": "g",
                "proofState": 1,
                "pos": {"line": 1, "column": 0},
                "endPos": {"line": 1, "column": 1},
            }
        ],
        "infotree": [
            {
                "kind": "TacticInfo",
                "node": {
                    "stx": {
                        "range": {
                            "start": {"line": 1, "column": 0},
                            "finish": {"line": 1, "column": 3},
                            "synthetic": False,
                        }
                    }
                },
                "children": [
                    {
                        "kind": "TacticInfo",
                        "node": {
                            "stx": {"range": {"start": {"line": 2, "column": 0}, "finish": {"line": 2, "column": 1}}}
                        },
                        "children": [],
                    }
                ],
            }
        ],
    }
    before = json.loads(json.dumps(obj))
    resp = parse_response(obj)
    moved = shift_lines(resp, 2)
    assert isinstance(moved, CommandResponse)
    assert [(m.pos, m.end_pos) for m in moved.messages] == [(Pos(3, 2), Pos(4, 0)), (Pos(0, 0), None)]
    assert moved.sorries[0].pos == Pos(5, 1) and moved.tactics[0].end_pos == Pos(3, 1)
    root = moved.infotree[0]
    assert root.range.start == Pos(3, 0) and root.range.synthetic is False
    assert root.children[0].range.finish == Pos(4, 1)
    # The original answer is untouched, and the moved one is otherwise the same.
    assert resp.to_json() == before == obj
    assert shift_lines(moved, -2).to_json() == before
    assert shift_lines(resp, 0) is resp
