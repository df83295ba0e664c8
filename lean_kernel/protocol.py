"""Typed requests and responses of the Lean REPL (leanprover-community/repl).

This is the only module that reads or writes the REPL's JSON shapes. Everything above
it works with these dataclasses; nothing below it knows Lean.

Two rules keep it working across Lean versions (v4.8 to v4.33 are recorded):
- a key a version lacks parses as ``None`` or an empty list;
- a key we do not know is kept in ``extra`` and written back by ``to_json``, so parsing
  then re-serialising a response gives back the same JSON object.

Keys the REPL omits when empty stay omitted on the way back: each parsed object
remembers which of its known keys were present (``_present``), so ``endPos: null`` and a
missing ``endPos`` round-trip differently, as they must.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Union

JsonObject = dict[str, Any]


class ProtocolError(ValueError):
    """A response that is not one of the REPL's known shapes."""


# --------------------------------------------------------------------------- helpers


def _keep_unknown(obj: JsonObject, known: tuple[str, ...]) -> JsonObject:
    return {k: v for k, v in obj.items() if k not in known}


def _require_object(obj: Any, what: str) -> JsonObject:
    if not isinstance(obj, dict):
        raise ProtocolError(f"expected a JSON object for {what}, got {type(obj).__name__}")
    return obj


class _Shape:
    """Shared round-trip bookkeeping: which known keys the source had, and the rest."""

    _present: frozenset[str] | None

    def _emit(self, out: JsonObject, key: str, value: Any, *, default_absent: bool) -> None:
        # Parsed objects echo exactly the keys they came with; built objects omit
        # what is empty, as the REPL does.
        if self._present is not None:
            if key in self._present:
                out[key] = value
        elif not default_absent:
            out[key] = value


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class Pos:
    """A position in a command's text: line from 1, column from 0, in code points."""

    line: int
    column: int

    @classmethod
    def from_json(cls, obj: Any) -> Pos | None:
        if obj is None:
            return None
        obj = _require_object(obj, "a position")
        return cls(line=int(obj["line"]), column=int(obj["column"]))

    def to_json(self) -> JsonObject:
        return {"line": self.line, "column": self.column}

    def offset_in(self, text: str) -> int:
        """The index of this position in ``text`` (clamped to the text)."""
        lines = text.split("\n")
        if self.line < 1:
            return 0
        if self.line > len(lines):
            return len(text)
        start = sum(len(ln) + 1 for ln in lines[: self.line - 1])
        return start + min(self.column, len(lines[self.line - 1]))


def _pos_json(p: Pos | None) -> JsonObject | None:
    return None if p is None else p.to_json()


# --------------------------------------------------------------------------- messages, sorries, tactics


SEVERITIES = ("error", "warning", "info")


@dataclass
class Message(_Shape):
    severity: str
    data: str
    pos: Pos | None = None
    end_pos: Pos | None = None
    extra: JsonObject = field(default_factory=dict)
    _present: frozenset[str] | None = field(default=None, repr=False, compare=False)

    KEYS = ("severity", "pos", "endPos", "data")

    @classmethod
    def from_json(cls, obj: Any) -> Message:
        obj = _require_object(obj, "a message")
        return cls(
            severity=str(obj.get("severity", "info")),
            data=str(obj.get("data", "")),
            pos=Pos.from_json(obj.get("pos")),
            end_pos=Pos.from_json(obj.get("endPos")),
            extra=_keep_unknown(obj, cls.KEYS),
            _present=frozenset(k for k in cls.KEYS if k in obj),
        )

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        self._emit(out, "severity", self.severity, default_absent=False)
        self._emit(out, "pos", _pos_json(self.pos), default_absent=self.pos is None)
        self._emit(out, "endPos", _pos_json(self.end_pos), default_absent=False)
        self._emit(out, "data", self.data, default_absent=False)
        out.update(self.extra)
        return out

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass
class Sorry(_Shape):
    goal: str
    proof_state: int | None = None
    pos: Pos | None = None
    end_pos: Pos | None = None
    extra: JsonObject = field(default_factory=dict)
    _present: frozenset[str] | None = field(default=None, repr=False, compare=False)

    KEYS = ("goal", "proofState", "pos", "endPos")

    @classmethod
    def from_json(cls, obj: Any) -> Sorry:
        obj = _require_object(obj, "a sorry")
        ps = obj.get("proofState")
        return cls(
            goal=str(obj.get("goal", "")),
            proof_state=None if ps is None else int(ps),
            pos=Pos.from_json(obj.get("pos")),
            end_pos=Pos.from_json(obj.get("endPos")),
            extra=_keep_unknown(obj, cls.KEYS),
            _present=frozenset(k for k in cls.KEYS if k in obj),
        )

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        self._emit(out, "proofState", self.proof_state, default_absent=self.proof_state is None)
        self._emit(out, "pos", _pos_json(self.pos), default_absent=self.pos is None)
        self._emit(out, "goal", self.goal, default_absent=False)
        self._emit(out, "endPos", _pos_json(self.end_pos), default_absent=self.end_pos is None)
        out.update(self.extra)
        return out


@dataclass
class TacticEntry(_Shape):
    """One tactic of a command run with ``allTactics``: its text, span and goals before it."""

    tactic: str
    goals: str
    proof_state: int | None = None
    pos: Pos | None = None
    end_pos: Pos | None = None
    used_constants: list[str] | None = None
    extra: JsonObject = field(default_factory=dict)
    _present: frozenset[str] | None = field(default=None, repr=False, compare=False)

    KEYS = ("tactic", "goals", "proofState", "pos", "endPos", "usedConstants")

    @classmethod
    def from_json(cls, obj: Any) -> TacticEntry:
        obj = _require_object(obj, "a tactic entry")
        ps = obj.get("proofState")
        uc = obj.get("usedConstants")
        return cls(
            tactic=str(obj.get("tactic", "")),
            goals=str(obj.get("goals", "")),
            proof_state=None if ps is None else int(ps),
            pos=Pos.from_json(obj.get("pos")),
            end_pos=Pos.from_json(obj.get("endPos")),
            used_constants=None if uc is None else [str(c) for c in uc],
            extra=_keep_unknown(obj, cls.KEYS),
            _present=frozenset(k for k in cls.KEYS if k in obj),
        )

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        self._emit(out, "usedConstants", self.used_constants, default_absent=self.used_constants is None)
        self._emit(out, "tactic", self.tactic, default_absent=False)
        self._emit(out, "proofState", self.proof_state, default_absent=self.proof_state is None)
        self._emit(out, "pos", _pos_json(self.pos), default_absent=self.pos is None)
        self._emit(out, "goals", self.goals, default_absent=False)
        self._emit(out, "endPos", _pos_json(self.end_pos), default_absent=self.end_pos is None)
        out.update(self.extra)
        return out


# --------------------------------------------------------------------------- info trees


@dataclass(frozen=True)
class Range:
    start: Pos
    finish: Pos
    synthetic: bool | None = None


@dataclass
class InfoNode:
    """One node of an ``infotree`` answer. ``node`` stays raw JSON except for the parts a
    tactic view needs, which the properties below read."""

    kind: str
    node: JsonObject | None
    children: list[InfoNode]
    extra: JsonObject = field(default_factory=dict)

    KEYS = ("kind", "node", "children")

    @classmethod
    def from_json(cls, obj: Any) -> InfoNode:
        obj = _require_object(obj, "an infotree node")
        node = obj.get("node")
        return cls(
            kind=str(obj.get("kind", "")),
            node=node if isinstance(node, dict) else None,
            children=[cls.from_json(c) for c in obj.get("children") or []],
            extra=_keep_unknown(obj, cls.KEYS),
        )

    def to_json(self) -> JsonObject:
        out: JsonObject = {"kind": self.kind, "node": self.node, "children": [c.to_json() for c in self.children]}
        out.update(self.extra)
        return out

    def walk(self) -> Iterator[InfoNode]:
        """This node and its descendants, depth first, in source order."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def is_tactic(self) -> bool:
        return self.kind == "TacticInfo"

    @property
    def tactic_name(self) -> str | None:
        return None if self.node is None else self.node.get("name")

    @property
    def text(self) -> str | None:
        stx = (self.node or {}).get("stx") or {}
        return stx.get("pp")

    @property
    def range(self) -> Range | None:
        rng = ((self.node or {}).get("stx") or {}).get("range")
        if not isinstance(rng, dict) or "start" not in rng or "finish" not in rng:
            return None
        return Range(Pos.from_json(rng["start"]), Pos.from_json(rng["finish"]), rng.get("synthetic"))  # type: ignore[arg-type]

    @property
    def goals_before(self) -> list[str]:
        return list((self.node or {}).get("goalsBefore") or [])

    @property
    def goals_after(self) -> list[str]:
        return list((self.node or {}).get("goalsAfter") or [])


# --------------------------------------------------------------------------- responses


@dataclass
class CommandResponse(_Shape):
    """The answer to a command, a file, or an env pickle/unpickle."""

    env: int | None
    messages: list[Message] = field(default_factory=list)
    sorries: list[Sorry] = field(default_factory=list)
    tactics: list[TacticEntry] = field(default_factory=list)
    infotree: list[InfoNode] | None = None
    extra: JsonObject = field(default_factory=dict)
    _present: frozenset[str] | None = field(default=None, repr=False, compare=False)

    KEYS = ("env", "messages", "sorries", "tactics", "infotree")

    @classmethod
    def from_json(cls, obj: JsonObject) -> CommandResponse:
        env = obj.get("env")
        tree = obj.get("infotree")
        return cls(
            env=None if env is None else int(env),
            messages=[Message.from_json(m) for m in obj.get("messages") or []],
            sorries=[Sorry.from_json(s) for s in obj.get("sorries") or []],
            tactics=[TacticEntry.from_json(t) for t in obj.get("tactics") or []],
            infotree=None if tree is None else [InfoNode.from_json(n) for n in tree],
            extra=_keep_unknown(obj, cls.KEYS),
            _present=frozenset(k for k in cls.KEYS if k in obj),
        )

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        self._emit(out, "tactics", [t.to_json() for t in self.tactics], default_absent=not self.tactics)
        self._emit(out, "sorries", [s.to_json() for s in self.sorries], default_absent=not self.sorries)
        self._emit(out, "messages", [m.to_json() for m in self.messages], default_absent=not self.messages)
        self._emit(
            out,
            "infotree",
            None if self.infotree is None else [n.to_json() for n in self.infotree],
            default_absent=self.infotree is None,
        )
        self._emit(out, "env", self.env, default_absent=self.env is None)
        out.update(self.extra)
        return out

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "error"]

    @property
    def ok(self) -> bool:
        """Lean accepted the command: no error message. (Sorries are warnings.)"""
        return not self.errors


@dataclass
class TacticResponse(_Shape):
    """The answer to a tactic step or a proof-state pickle/unpickle."""

    proof_state: int | None
    goals: list[str] = field(default_factory=list)
    proof_status: str | None = None
    messages: list[Message] = field(default_factory=list)
    sorries: list[Sorry] = field(default_factory=list)
    traces: list[str] | None = None
    extra: JsonObject = field(default_factory=dict)
    _present: frozenset[str] | None = field(default=None, repr=False, compare=False)

    KEYS = ("proofState", "goals", "proofStatus", "messages", "sorries", "traces")

    @classmethod
    def from_json(cls, obj: JsonObject) -> TacticResponse:
        ps = obj.get("proofState")
        traces = obj.get("traces")
        return cls(
            proof_state=None if ps is None else int(ps),
            goals=[str(g) for g in obj.get("goals") or []],
            proof_status=obj.get("proofStatus"),
            messages=[Message.from_json(m) for m in obj.get("messages") or []],
            sorries=[Sorry.from_json(s) for s in obj.get("sorries") or []],
            traces=None if traces is None else [str(t) for t in traces],
            extra=_keep_unknown(obj, cls.KEYS),
            _present=frozenset(k for k in cls.KEYS if k in obj),
        )

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        self._emit(out, "traces", self.traces, default_absent=self.traces is None)
        self._emit(out, "sorries", [s.to_json() for s in self.sorries], default_absent=not self.sorries)
        self._emit(out, "proofStatus", self.proof_status, default_absent=self.proof_status is None)
        self._emit(out, "proofState", self.proof_state, default_absent=self.proof_state is None)
        self._emit(out, "messages", [m.to_json() for m in self.messages], default_absent=not self.messages)
        self._emit(out, "goals", self.goals, default_absent=False)
        out.update(self.extra)
        return out

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "error"]

    @property
    def completed(self) -> bool:
        """The proof is finished. Old REPLs have no proofStatus: no goals and no error then."""
        if self.proof_status is not None:
            return self.proof_status == "Completed"
        return not self.goals and not self.errors and not self.sorries

    @property
    def ok(self) -> bool:
        """The step ran: no error message and no error status (open goals are fine)."""
        return not self.errors and not (self.proof_status or "").startswith("Error")


@dataclass
class ReplErrorResponse:
    """The REPL refused the request itself, e.g. "Unknown environment."."""

    message: str
    extra: JsonObject = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: JsonObject) -> ReplErrorResponse:
        return cls(message=str(obj["message"]), extra=_keep_unknown(obj, ("message",)))

    def to_json(self) -> JsonObject:
        return {"message": self.message, **self.extra}

    ok = False


Response = Union[CommandResponse, TacticResponse, ReplErrorResponse]


def parse_response(obj: Any) -> Response:
    """Classify and parse one decoded response: error if it has ``message``, tactic if it
    has ``proofStatus`` or ``goals`` (old versions lack ``proofStatus``), command otherwise."""
    obj = _require_object(obj, "a REPL response")
    try:
        if "message" in obj and "env" not in obj and "proofState" not in obj:
            return ReplErrorResponse.from_json(obj)
        if "proofStatus" in obj or "goals" in obj:
            return TacticResponse.from_json(obj)
        return CommandResponse.from_json(obj)
    except ProtocolError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"malformed REPL response ({exc}): {json.dumps(obj)[:200]}") from exc


def parse_response_text(text: str) -> Response:
    """Parse one framed response (the JSON text before its blank line)."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"response is not JSON ({exc.msg}); it starts with {text[:120]!r}") from exc
    return parse_response(obj)


# --------------------------------------------------------------------------- requests


def _elaboration_options(out: JsonObject, request: CommandRequest | FileRequest) -> JsonObject:
    """The options commands and files share: the env, then the flags, then unknown keys."""
    if request.env is not None:
        out["env"] = request.env
    # The REPL acts on these only when true, so false is never sent.
    if request.all_tactics:
        out["allTactics"] = True
    if request.root_goals:
        out["rootGoals"] = True
    if request.infotree is not None:
        out["infotree"] = request.infotree
    out.update(request.extra)
    return out


@dataclass
class CommandRequest:
    """Run Lean commands. No ``env`` means a fresh env that runs the header (imports)."""

    cmd: str
    env: int | None = None
    all_tactics: bool = False
    root_goals: bool = False
    infotree: str | None = None  # "full", "tactics", "original" or "substantive"
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return _elaboration_options({"cmd": self.cmd}, self)


@dataclass
class FileRequest:
    """Run a ``.lean`` file; ``path`` resolves against the REPL's working directory."""

    path: str
    env: int | None = None
    all_tactics: bool = False
    root_goals: bool = False
    infotree: str | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return _elaboration_options({"path": self.path}, self)


@dataclass
class TacticRequest:
    """Run exactly one tactic on a proof state (use ``(t1; t2)`` for several)."""

    tactic: str
    proof_state: int
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {"tactic": self.tactic, "proofState": self.proof_state, **self.extra}


@dataclass
class PickleEnvRequest:
    env: int
    pickle_to: str

    def to_json(self) -> JsonObject:
        return {"pickleTo": self.pickle_to, "env": self.env}


@dataclass
class UnpickleEnvRequest:
    unpickle_env_from: str

    def to_json(self) -> JsonObject:
        return {"unpickleEnvFrom": self.unpickle_env_from}


@dataclass
class PickleProofStateRequest:
    proof_state: int
    pickle_to: str

    def to_json(self) -> JsonObject:
        return {"pickleTo": self.pickle_to, "proofState": self.proof_state}


@dataclass
class UnpickleProofStateRequest:
    unpickle_proof_state_from: str
    env: int | None = None

    def to_json(self) -> JsonObject:
        out: JsonObject = {"unpickleProofStateFrom": self.unpickle_proof_state_from}
        if self.env is not None:
            out["env"] = self.env
        return out


Request = Union[
    CommandRequest,
    FileRequest,
    TacticRequest,
    PickleEnvRequest,
    UnpickleEnvRequest,
    PickleProofStateRequest,
    UnpickleProofStateRequest,
]


def parse_request(obj: Any) -> Request:
    """Parse a request object in the REPL's own order of shapes (used to drive recorded
    ``.in`` files through the client, and by the stand-in)."""
    obj = _require_object(obj, "a REPL request")

    def opt_int(key: str) -> int | None:
        return None if obj.get(key) is None else int(obj[key])

    def flags(known: tuple[str, ...]) -> dict[str, Any]:
        return {
            "env": opt_int("env"),
            "all_tactics": bool(obj.get("allTactics", False)),
            "root_goals": bool(obj.get("rootGoals", False)),
            "infotree": obj.get("infotree"),
            "extra": _keep_unknown(obj, known + ("env", "allTactics", "rootGoals", "infotree")),
        }

    if "tactic" in obj and "proofState" in obj:
        return TacticRequest(str(obj["tactic"]), int(obj["proofState"]), _keep_unknown(obj, ("tactic", "proofState")))
    if "pickleTo" in obj and "env" in obj:
        return PickleEnvRequest(int(obj["env"]), str(obj["pickleTo"]))
    if "unpickleEnvFrom" in obj:
        return UnpickleEnvRequest(str(obj["unpickleEnvFrom"]))
    if "pickleTo" in obj and "proofState" in obj:
        return PickleProofStateRequest(int(obj["proofState"]), str(obj["pickleTo"]))
    if "unpickleProofStateFrom" in obj:
        return UnpickleProofStateRequest(str(obj["unpickleProofStateFrom"]), opt_int("env"))
    if "cmd" in obj:
        return CommandRequest(str(obj["cmd"]), **flags(("cmd",)))
    if "path" in obj:
        return FileRequest(str(obj["path"]), **flags(("path",)))
    raise ProtocolError(f"not a REPL request shape: {json.dumps(obj)[:200]}")


class UnsendableText(ValueError):
    """Text with a lone surrogate (half of a UTF-16 pair, e.g. from a JSON ``"\\ud800"``
    escape): it has no UTF-8 encoding, so no REPL can be sent it. ``line`` (from 1) and
    ``column`` (from 0, in code points) say where, as Lean counts positions."""

    def __init__(self, char: str, line: int, column: int, where: str = "the text") -> None:
        self.char, self.line, self.column, self.where = char, line, column, where
        super().__init__(
            f"{where} cannot be sent to Lean: line {line}, column {column} holds U+{ord(char):04X}, a lone "
            "surrogate (half of a UTF-16 pair), which is not a character; delete it or write the "
            "character it was meant to be"
        )


# Python strings may hold them (json.loads("\"\\ud800\"") does); UTF-8 cannot.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def check_sendable(text: str, where: str = "the text") -> None:
    """Raise UnsendableText, naming the position, if ``text`` cannot be encoded as UTF-8."""
    found = LONE_SURROGATE.search(text)
    if found is not None:
        at = found.start()
        line_start = text.rfind("\n", 0, at) + 1
        raise UnsendableText(found.group(), text.count("\n", 0, at) + 1, at - line_start, where)


def without_lone_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, for showing it: Jupyter's
    message packer encodes strict UTF-8 too, so one such character would make a whole
    message (the echo of the cell, its output) unsendable."""
    return LONE_SURROGATE.sub("\ufffd", text) if LONE_SURROGATE.search(text) else text


def encode_request(request: Request) -> bytes:
    """One request as the REPL frames it: compact JSON, then exactly one blank line.
    Non-ASCII is sent raw (old REPLs decode surrogate pairs half by half). Text with a
    lone surrogate raises UnsendableText, before anything is written."""
    text = json.dumps(request.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        for key, value in request.to_json().items():
            if isinstance(value, str):
                check_sendable(value, f"the request's {key!r}")
        raise


# --------------------------------------------------------------------------- position shifting


def _shift_pos(p: Pos | None, lines: int) -> Pos | None:
    # Line 0 marks tactic-mode messages that have no place in the text; keep it.
    if p is None or p.line == 0:
        return p
    return Pos(p.line + lines, p.column)


def _shift_node(node: InfoNode, lines: int) -> InfoNode:
    raw = node.node
    rng = ((raw or {}).get("stx") or {}).get("range")
    if isinstance(rng, dict):
        rng = dict(rng)
        for key in ("start", "finish"):
            if isinstance(rng.get(key), dict) and rng[key].get("line", 0) > 0:
                rng[key] = {**rng[key], "line": rng[key]["line"] + lines}
        raw = {**raw, "stx": {**raw["stx"], "range": rng}}  # type: ignore[index]
    return replace(node, node=raw, children=[_shift_node(c, lines) for c in node.children])


def shift_lines(response: Response, lines: int) -> Response:
    """The same response with every position moved down by ``lines``. Used when a cell's
    import header is sent separately: the REPL saw only the body, the user sees the cell."""
    if lines == 0 or isinstance(response, ReplErrorResponse):
        return response

    def msgs(ms: list[Message]) -> list[Message]:
        return [replace(m, pos=_shift_pos(m.pos, lines), end_pos=_shift_pos(m.end_pos, lines)) for m in ms]

    def sorries(ss: list[Sorry]) -> list[Sorry]:
        return [replace(s, pos=_shift_pos(s.pos, lines), end_pos=_shift_pos(s.end_pos, lines)) for s in ss]

    if isinstance(response, TacticResponse):
        return replace(response, messages=msgs(response.messages), sorries=sorries(response.sorries))
    return replace(
        response,
        messages=msgs(response.messages),
        sorries=sorries(response.sorries),
        tactics=[replace(t, pos=_shift_pos(t.pos, lines), end_pos=_shift_pos(t.end_pos, lines)) for t in response.tactics],
        infotree=None if response.infotree is None else [_shift_node(n, lines) for n in response.infotree],
    )
