"""Typed requests and responses of the Lean REPL (leanprover-community/repl).

This is the only module that reads or writes the REPL's JSON shapes. Everything above
it works with these types; nothing below it knows Lean.

Each type is a *view* over one JSON object, declared as a field table: a class body of
lines ``attribute: type = kind("jsonKey", ...)``. The object a view was parsed from, or
built as, is its whole state, so:
- the round trip is exact by construction: ``to_json`` gives back the same object, with
  every key it had, unknown ones included, and without the keys it lacked (``endPos:
  null`` and a missing ``endPos`` stay different, as they must);
- a key a version lacks reads as ``None``, an empty list or the field's stated default;
  keys we do not know are readable as ``extra``;
- parsing is cheap. ``parse_response`` checks the type of every key of every item
  eagerly (a bad answer is a ``ProtocolError`` there and then, where the process layer
  turns it into a restart; only the numbers in a position and the strings in a list
  wait until they are read), but it checks a whole column at a time, ``map`` over
  ``dict.get``, and builds no Python object per item: items are wrapped on first access.
  A 10 MB answer of 60,000 messages parses in about 1.3x the time of ``json.loads``
  alone (``benchmarks/bench_protocol.py``).

Objects built in Python (``Message("error", "boom", Pos(1, 0))``) write the JSON the
REPL would have sent: keys it omits when empty are omitted (each field says when).
Views are read-only: build a new one rather than change one.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain, repeat
from operator import is_not
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from .lean_text import offset_of, position_of

JsonObject = dict[str, Any]


class ProtocolError(ValueError):
    """A response that is not one of the REPL's known shapes."""


def _require_object(obj: Any, what: str) -> JsonObject:
    if not isinstance(obj, dict):
        raise ProtocolError(f"expected a JSON object for {what}, got {type(obj).__name__}")
    return obj


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True, slots=True)
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
        return offset_of(text, self.line, self.column)


# --------------------------------------------------------------------------- the field table

_NoneType = type(None)
_is_set: Callable[[Any], bool] = partial(is_not, None)
_REQUIRED: Any = object()

# When an object built in Python leaves a key out of its JSON, as the REPL does:
# "never", "if_none" (absent rather than null), "if_falsy" (no empty list, no false flag).
Omit = Literal["never", "if_none", "if_falsy"]


def _only(values: Iterable[Any], types: frozenset[type]) -> bool:
    """Every value's type is one of ``types``, checked at C speed (no Python loop)."""
    return set(map(type, values)) <= types


def _describe(value: Any) -> str:
    return f"{json.dumps(value, ensure_ascii=False)[:80]} ({type(value).__name__})"


class _Field:
    """One row of a field table: a read-only attribute over one JSON key.

    ``types`` are the JSON value types the key may hold (null always reads as absent).
    ``missing`` is what an absent key reads as. ``default``/``default_factory`` make the
    argument optional when building an object in Python; ``omit`` says when such an
    object leaves the key out."""

    converts = False  # reading builds a Python value from the JSON one
    # ... and keeps it, so that every read returns the same object (lists: a caller
    # may hold one); small immutable values are rebuilt instead, as keeping them would
    # cost a dict per item.
    memoised = False
    checked = True  # parsing checks this key's values
    owner = name = ""

    def __init__(
        self,
        key: str,
        types: tuple[type, ...],
        *,
        missing: Any = None,
        default: Any = _REQUIRED,
        default_factory: Callable[[], Any] | None = None,
        omit: Omit = "never",
    ) -> None:
        self.key = key
        self.types = frozenset(types) | {_NoneType}
        self.missing = missing
        self.default = default
        self.default_factory = default_factory
        self.omit = omit

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner.__name__
        self.name = name

    def __get__(self, view: _Record | None, owner: type | None = None) -> Any:
        if view is None:
            return self
        value = view._raw.get(self.key)
        if value is None:
            return self.missing() if callable(self.missing) else self.missing
        if not self.converts:
            return value
        if not self.memoised:
            return self.read(value)
        memo = view._memo
        if memo is None:
            memo = view._memo = {}
        try:
            return memo[self.name]
        except KeyError:
            converted = memo[self.name] = self.read(value)
            return converted

    def read(self, value: Any) -> Any:
        """JSON to Python, for converting fields."""
        return value

    def write(self, value: Any) -> Any:
        """Python to JSON, for objects built in Python."""
        return value

    def has_default(self) -> bool:
        return self.default is not _REQUIRED or self.default_factory is not None

    def make_default(self) -> Any:
        return self.default_factory() if self.default_factory is not None else self.default

    def omitted(self, value: Any) -> bool:
        return (self.omit == "if_none" and value is None) or (self.omit == "if_falsy" and not value)

    def check(self, record: type[_Record], column: list[Any], pending: list[tuple[type[_Record], list[Any]]]) -> None:
        """Check this key in all items of a batch of ``record`` objects (``column`` holds
        its value in each, None where absent); queue nested items on ``pending``."""
        if not _only(column, self.types):
            self.reject(record, column, self.types)

    def reject(self, record: type[_Record], values: Iterable[Any], types: frozenset[type]) -> None:
        bad = next(v for v in values if type(v) not in types)
        wanted = " or ".join(sorted(t.__name__ for t in types if t is not _NoneType))
        raise ProtocolError(f"{record.__name__}.{self.name} (key {self.key!r}) is {_describe(bad)}, expected {wanted}")


class _Natural(_Field):
    """A non-negative integer, as the REPL's ``Nat`` fields (ids) are."""

    def check(self, record: type[_Record], column: list[Any], pending: list[tuple[type[_Record], list[Any]]]) -> None:
        super().check(record, column, pending)
        numbers: Iterable[int] = filter(_is_set, column)
        if min(numbers, default=0) < 0:
            raise ProtocolError(f"{record.__name__}.{self.name} (key {self.key!r}) is negative")


class _Position(_Field):
    """A ``{"line", "column"}`` object. Parsing checks that it is an object, reading
    checks its two numbers: a pass over every position would cost parsing a third more
    on a message-heavy answer."""

    converts = True

    def read(self, value: Any) -> Pos:
        line, column = value.get("line"), value.get("column")
        if type(line) is not int or type(column) is not int:
            raise ProtocolError(f"{self.owner}.{self.name} (key {self.key!r}) is not a position: {_describe(value)}")
        return Pos(line, column)

    def write(self, value: Pos | None) -> Any:
        return None if value is None else value.to_json()


class _Texts(_Field):
    converts = memoised = True
    _ITEM = frozenset({str})

    def read(self, value: Any) -> list[str]:
        # Parsing checked that this is a list; its items are checked here, as for a
        # position's numbers (a tactics answer has a dozen used constants per entry).
        if not _only(value, self._ITEM):
            bad = next(v for v in value if type(v) is not str)
            raise ProtocolError(f"{self.owner}.{self.name} (key {self.key!r}) holds {_describe(bad)}, expected str")
        return list(value)

    def write(self, value: Any) -> Any:
        return None if value is None else list(value)


class _Records(_Field):
    """A list of nested objects, each seen through ``of`` (a class, or its name in this
    module for a type that contains itself)."""

    converts = memoised = True

    def __init__(self, key: str, of: type[_Record] | str, **kwargs: Any) -> None:
        super().__init__(key, (list,), **kwargs)
        self._of = of

    @property
    def of(self) -> type[_Record]:
        of = self._of
        if isinstance(of, str):
            of = self._of = getattr(sys.modules[__name__], of)
        return of

    def read(self, value: Any) -> list[Any]:
        return list(map(self.of._wrap, value))

    def write(self, value: Any) -> Any:
        return None if value is None else [v._raw for v in value]

    def check(self, record: type[_Record], column: list[Any], pending: list[tuple[type[_Record], list[Any]]]) -> None:
        super().check(record, column, pending)
        items = list(chain.from_iterable(filter(_is_set, column)))
        if items:
            pending.append((self.of, items))


class _AnyObject(_Field):
    """A JSON object kept as it is (an infotree node's payload); anything else reads as None."""

    checked = False

    def __get__(self, view: _Record | None, owner: type | None = None) -> Any:
        if view is None:
            return self
        value = view._raw.get(self.key)
        return value if isinstance(value, dict) else None


class _Unknown(_Field):
    """The keys the table does not name, as a dict (``extra``)."""

    checked = False

    def __get__(self, view: _Record | None, owner: type | None = None) -> Any:
        if view is None:
            return self
        known = view._keys
        return {k: v for k, v in view._raw.items() if k not in known}


# The field kinds a table is written with. They return Any so that ``env: int | None =
# natural("env")`` type-checks: the annotation is the attribute's type.


def string(key: str, *, missing: Any = "", default: Any = _REQUIRED, omit: Omit = "never") -> Any:
    """A JSON string."""
    return _Field(key, (str,), missing=missing, default=default, omit=omit)


def natural(key: str, *, default: Any = _REQUIRED, omit: Omit = "if_none") -> Any:
    """A JSON natural number (an env or proof-state id); absent reads as None."""
    return _Natural(key, (int,), default=default, omit=omit)


def flag(key: str, *, default: Any = _REQUIRED, omit: Omit = "if_falsy") -> Any:
    """A JSON boolean; absent reads as False. The REPL acts on flags only when true."""
    return _Field(key, (bool,), missing=False, default=default, omit=omit)


def position(key: str, *, default: Any = _REQUIRED, omit: Omit = "if_none") -> Any:
    """A ``{"line", "column"}`` object, read as a ``Pos``; absent reads as None."""
    return _Position(key, (dict,), default=default, omit=omit)


def strings(
    key: str, *, missing: Any = list, default_factory: Any = None, default: Any = _REQUIRED, omit: Omit = "if_falsy"
) -> Any:
    """A JSON list of strings."""
    return _Texts(key, (list,), missing=missing, default=default, default_factory=default_factory, omit=omit)


def records(
    key: str,
    of: Any,
    *,
    missing: Any = list,
    default_factory: Any = None,
    default: Any = _REQUIRED,
    omit: Omit = "if_falsy",
) -> Any:
    """A JSON list of objects, each read through the view class ``of``."""
    return _Records(key, of, missing=missing, default=default, default_factory=default_factory, omit=omit)


def any_object(key: str, *, default: Any = _REQUIRED) -> Any:
    """A JSON object kept raw."""
    return _AnyObject(key, (dict,), default=default)


def unknown_keys(*, default_factory: Callable[[], JsonObject]) -> Any:
    """The rest of the object: keys the table does not name, kept and written back."""
    return _Unknown("", (), default_factory=default_factory)


# The decorator only tells type checkers that field tables make __init__ signatures.
if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
elif sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[type], type]:
        return lambda cls: cls


_R = TypeVar("_R", bound="_Record")


@dataclass_transform(
    frozen_default=True,
    field_specifiers=(string, natural, flag, position, strings, records, any_object, unknown_keys),
)
class _Record:
    """Base of every view: holds the JSON object (``_raw``) and, once read, the Python
    values that needed building (``_memo``). Subclasses declare only their field table."""

    __slots__ = ("_memo", "_raw")
    _raw: JsonObject
    _memo: dict[str, Any] | None
    _fields: ClassVar[tuple[_Field, ...]] = ()
    _keys: ClassVar[frozenset[str]] = frozenset()
    KEYS: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [v for v in vars(cls).values() if isinstance(v, _Field)]
        if own:
            cls._fields = cls._fields + tuple(own)
            cls.KEYS = tuple(f.key for f in cls._fields if not isinstance(f, _Unknown))
            cls._keys = frozenset(cls.KEYS)
        # Dataclass fields without generated methods, so that dataclasses.fields() and
        # dataclasses.replace() (which builds a new view through __init__) work on views.
        dataclass(init=False, repr=False, eq=False, match_args=False)(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes at most {len(fields)} positional arguments")
        given = dict(zip((f.name for f in fields), args))
        for name, value in kwargs.items():
            if name in given:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")
            given[name] = value
        unknown = set(given) - {f.name for f in fields}
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected arguments {sorted(unknown)}")
        raw: JsonObject = {}
        memo: dict[str, Any] = {}
        extra: JsonObject = {}
        for f in fields:
            if f.name in given:
                value = given[f.name]
            elif f.has_default():
                value = f.make_default()
            else:
                raise TypeError(f"{type(self).__name__}() missing required argument {f.name!r}")
            if isinstance(f, _Unknown):
                extra = value or {}
            elif not f.omitted(value):
                raw[f.key] = f.write(value)
                if f.memoised and value is not None:
                    memo[f.name] = list(value) if isinstance(value, list) else value
        raw.update(extra)
        self._raw = raw
        self._memo = memo or None

    # ------------------------------------------------------------------ parsing

    @classmethod
    def _wrap(cls: type[_R], raw: JsonObject) -> _R:
        view = cls.__new__(cls)
        view._raw = raw
        view._memo = None
        return view

    @classmethod
    def from_json(cls: type[_R], obj: Any) -> _R:
        """Check ``obj`` against this table (nested items included) and view it."""
        _check_all(cls, [_require_object(obj, f"a {cls.__name__}")])
        return cls._wrap(obj)

    @classmethod
    def view_of(cls: type[_R], other: _Record) -> _R:
        """The same JSON object seen through ``cls`` (a richer subclass, say); nothing
        is copied or checked again."""
        return cls._wrap(other._raw)

    def to_json(self) -> JsonObject:
        """The JSON object, as a fresh copy the caller may change."""
        copied: JsonObject = _copy_json(self._raw)
        return copied

    # ------------------------------------------------------------------ value semantics

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Record) or type(other) is not type(self):
            return NotImplemented
        return self._raw == other._raw

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [f"{f.name}={getattr(self, f.name)!r}" for f in self._fields if not isinstance(f, _Unknown)]
        extra = getattr(self, "extra", None)
        if extra:
            parts.append(f"extra={extra!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle (Ray, multiprocessing) and copy carry the JSON object alone.
        return (_rewrap, (type(self), self._raw))


def _rewrap(cls: type[_R], raw: JsonObject) -> _R:
    return cls._wrap(raw)


def _check_all(record: type[_Record], items: list[Any]) -> None:
    """Check every field of ``items`` (all of type ``record``) and of everything nested
    in them, breadth first: one pass over the items per field and level (``map`` over
    ``dict.get``, at C speed), not one Python call per item."""
    pending: list[tuple[type[_Record], list[Any]]] = [(record, items)]
    while pending:
        rec, batch = pending.pop()
        for f in rec._fields:
            if f.checked:
                try:
                    column = list(map(dict.get, batch, repeat(f.key)))
                except TypeError:  # an item that is not an object; found without a pass of its own
                    bad = next(v for v in batch if not isinstance(v, dict))
                    raise ProtocolError(f"expected a JSON object for a {rec.__name__}, got {_describe(bad)}") from None
                f.check(rec, column, pending)


def _copy_json(value: Any) -> Any:
    if type(value) is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_json(v) for v in value]
    return value


# --------------------------------------------------------------------------- messages, sorries, tactics


SEVERITIES = ("error", "warning", "info")


class Message(_Record):
    """One message of an answer: an error, a warning or an info (``#eval`` output...)."""

    __slots__ = ()
    severity: str = string("severity", missing="info")
    data: str = string("data")
    pos: Pos | None = position("pos", default=None)
    end_pos: Pos | None = position("endPos", default=None, omit="never")
    extra: JsonObject = unknown_keys(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class Sorry(_Record):
    """A ``sorry`` in a command: its goal and the proof state to continue it from."""

    __slots__ = ()
    goal: str = string("goal")
    proof_state: int | None = natural("proofState", default=None)
    pos: Pos | None = position("pos", default=None)
    end_pos: Pos | None = position("endPos", default=None)
    extra: JsonObject = unknown_keys(default_factory=dict)


class TacticEntry(_Record):
    """One tactic of a command run with ``allTactics``: its text, span and goals before it."""

    __slots__ = ()
    tactic: str = string("tactic")
    goals: str = string("goals")
    proof_state: int | None = natural("proofState", default=None)
    pos: Pos | None = position("pos", default=None)
    end_pos: Pos | None = position("endPos", default=None)
    used_constants: list[str] | None = strings("usedConstants", missing=None, default=None, omit="if_none")
    extra: JsonObject = unknown_keys(default_factory=dict)


# --------------------------------------------------------------------------- info trees


@dataclass(frozen=True, slots=True)
class Range:
    start: Pos
    finish: Pos
    synthetic: bool | None = None


class InfoNode(_Record):
    """One node of an ``infotree`` answer. ``node`` stays raw JSON except for the parts a
    tactic view needs, which the properties below read."""

    __slots__ = ()
    kind: str = string("kind")
    node: JsonObject | None = any_object("node")
    children: list[InfoNode] = records("children", "InfoNode", omit="never")
    extra: JsonObject = unknown_keys(default_factory=dict)

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
        start, finish = Pos.from_json(rng["start"]), Pos.from_json(rng["finish"])
        if start is None or finish is None:
            return None
        return Range(start, finish, rng.get("synthetic"))

    @property
    def goals_before(self) -> list[str]:
        return list((self.node or {}).get("goalsBefore") or [])

    @property
    def goals_after(self) -> list[str]:
        return list((self.node or {}).get("goalsAfter") or [])


# --------------------------------------------------------------------------- responses


class CommandResponse(_Record):
    """The answer to a command, a file, or an env pickle/unpickle."""

    __slots__ = ()
    env: int | None = natural("env")
    messages: list[Message] = records("messages", Message, default_factory=list)
    sorries: list[Sorry] = records("sorries", Sorry, default_factory=list)
    tactics: list[TacticEntry] = records("tactics", TacticEntry, default_factory=list)
    infotree: list[InfoNode] | None = records("infotree", InfoNode, missing=None, default=None, omit="if_none")
    extra: JsonObject = unknown_keys(default_factory=dict)

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "error"]

    @property
    def ok(self) -> bool:
        """Lean accepted the command: no error message. (Sorries are warnings.)"""
        return not self.errors


class TacticResponse(_Record):
    """The answer to a tactic step or a proof-state pickle/unpickle."""

    __slots__ = ()
    proof_state: int | None = natural("proofState")
    goals: list[str] = strings("goals", default_factory=list, omit="never")
    proof_status: str | None = string("proofStatus", missing=None, default=None, omit="if_none")
    messages: list[Message] = records("messages", Message, default_factory=list)
    sorries: list[Sorry] = records("sorries", Sorry, default_factory=list)
    traces: list[str] | None = strings("traces", missing=None, default=None, omit="if_none")
    extra: JsonObject = unknown_keys(default_factory=dict)

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


class ReplErrorResponse(_Record):
    """The REPL refused the request itself, e.g. "Unknown environment."."""

    __slots__ = ()
    message: str = string("message")
    extra: JsonObject = unknown_keys(default_factory=dict)

    ok: ClassVar[bool] = False


Response = CommandResponse | TacticResponse | ReplErrorResponse


def _response_type(obj: JsonObject) -> type[Response]:
    # An error has ``message`` (and no id); a tactic answer has ``proofStatus`` or
    # ``goals`` (versions before v4.19 lack ``proofStatus``); anything else is a command's.
    if "message" in obj and "env" not in obj and "proofState" not in obj:
        return ReplErrorResponse
    if "proofStatus" in obj or "goals" in obj:
        return TacticResponse
    return CommandResponse


def parse_response(obj: Any) -> Response:
    """Classify and parse one decoded response: error if it has ``message``, tactic if it
    has ``proofStatus`` or ``goals`` (old versions lack ``proofStatus``), command otherwise."""
    obj = _require_object(obj, "a REPL response")
    try:
        return _response_type(obj).from_json(obj)
    except ProtocolError as exc:
        raise ProtocolError(f"malformed REPL response ({exc}): {json.dumps(obj)[:200]}") from exc


def parse_response_text(text: str) -> Response:
    """Parse one framed response (the JSON text before its blank line)."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"response is not JSON ({exc.msg}); it starts with {text[:120]!r}") from exc
    return parse_response(obj)


# --------------------------------------------------------------------------- requests
#
# The REPL decodes a request as the first of its shapes whose fields all decode, in the
# order of REQUEST_TYPES; a required key that is missing, or any key of the wrong type
# (``"env": -1`` included), rules a shape out. ``classify_request`` applies the same
# tables, so the client and the stand-in agree with the REPL and with each other.


class CommandRequest(_Record):
    """Run Lean commands. No ``env`` means a fresh env that runs the header (imports)."""

    __slots__ = ()
    shape: ClassVar[str] = "command"
    cmd: str = string("cmd")
    env: int | None = natural("env", default=None)
    all_tactics: bool = flag("allTactics", default=False)
    root_goals: bool = flag("rootGoals", default=False)
    infotree: str | None = string("infotree", missing=None, default=None, omit="if_none")  # "full", "tactics", ...
    extra: JsonObject = unknown_keys(default_factory=dict)


class FileRequest(_Record):
    """Run a ``.lean`` file; ``path`` resolves against the REPL's working directory."""

    __slots__ = ()
    shape: ClassVar[str] = "file"
    path: str = string("path")
    env: int | None = natural("env", default=None)
    all_tactics: bool = flag("allTactics", default=False)
    root_goals: bool = flag("rootGoals", default=False)
    infotree: str | None = string("infotree", missing=None, default=None, omit="if_none")
    extra: JsonObject = unknown_keys(default_factory=dict)


class TacticRequest(_Record):
    """Run exactly one tactic on a proof state (use ``(t1; t2)`` for several)."""

    __slots__ = ()
    shape: ClassVar[str] = "tactic"
    tactic: str = string("tactic")
    proof_state: int = natural("proofState")
    extra: JsonObject = unknown_keys(default_factory=dict)


class PickleEnvRequest(_Record):
    """Save an env to an ``.olean`` file (the answer names the same env)."""

    __slots__ = ()
    shape: ClassVar[str] = "pickle_env"
    env: int = natural("env")
    pickle_to: str = string("pickleTo")
    extra: JsonObject = unknown_keys(default_factory=dict)


class UnpickleEnvRequest(_Record):
    """Load an env saved by ``PickleEnvRequest``; the answer gives it a new id."""

    __slots__ = ()
    shape: ClassVar[str] = "unpickle_env"
    unpickle_env_from: str = string("unpickleEnvFrom")
    extra: JsonObject = unknown_keys(default_factory=dict)


class PickleProofStateRequest(_Record):
    """Save a proof state to an ``.olean`` file."""

    __slots__ = ()
    shape: ClassVar[str] = "pickle_proof_state"
    proof_state: int = natural("proofState")
    pickle_to: str = string("pickleTo")
    extra: JsonObject = unknown_keys(default_factory=dict)


class UnpickleProofStateRequest(_Record):
    """Load a proof state saved by ``PickleProofStateRequest``, on ``env`` if given."""

    __slots__ = ()
    shape: ClassVar[str] = "unpickle_proof_state"
    unpickle_proof_state_from: str = string("unpickleProofStateFrom")
    env: int | None = natural("env", default=None)
    extra: JsonObject = unknown_keys(default_factory=dict)


Request = (
    CommandRequest
    | FileRequest
    | TacticRequest
    | PickleEnvRequest
    | UnpickleEnvRequest
    | PickleProofStateRequest
    | UnpickleProofStateRequest
)

# In the order the REPL tries them (repl's Main.lean, `parse`).
REQUEST_TYPES: tuple[type[Request], ...] = (
    TacticRequest,
    PickleEnvRequest,
    UnpickleEnvRequest,
    PickleProofStateRequest,
    UnpickleProofStateRequest,
    CommandRequest,
    FileRequest,
)

ID_KEYS = ("env", "proofState")  # the keys that carry the REPL's own numbering


def _fits(request_type: type[Request], obj: JsonObject) -> bool:
    for f in request_type._fields:
        if isinstance(f, _Unknown):
            continue
        value = obj.get(f.key)
        if value is None:
            if not f.has_default():
                return False
        elif type(value) not in f.types or (isinstance(f, _Natural) and value < 0):
            return False
    return True


def classify_request(obj: Any) -> type[Request]:
    """The request type the REPL decodes ``obj`` as; ProtocolError if none fits (the REPL
    then dies with "Could not parse as a valid JSON command")."""
    if isinstance(obj, dict):
        for request_type in REQUEST_TYPES:
            if _fits(request_type, obj):
                return request_type
    names = ", ".join(t.shape for t in REQUEST_TYPES)
    raise ProtocolError(f"no request shape ({names}) fits {json.dumps(obj, ensure_ascii=False)[:200]}")


def request_ids(request_type: type[Request], obj: JsonObject) -> tuple[str, ...]:
    """The id keys (``env``, ``proofState``) that ``obj``, read as ``request_type``, sets."""
    return tuple(k for k in request_type.KEYS if k in ID_KEYS and obj.get(k) is not None)


def parse_request(obj: Any) -> Request:
    """Parse a request object as the REPL would (used to drive recorded ``.in`` files
    through the client, and by the stand-in)."""
    return classify_request(obj)._wrap(obj)


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
        raise UnsendableText(found.group(), *position_of(text, at), where)


def without_lone_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, for showing it: Jupyter's
    message packer encodes strict UTF-8 too, so one such character would make a whole
    message (the echo of the cell, its output) unsendable."""
    return LONE_SURROGATE.sub("\ufffd", text) if LONE_SURROGATE.search(text) else text


def encode_request(request: Request) -> bytes:
    """One request as the REPL frames it: compact JSON, then exactly one blank line.
    Non-ASCII is sent raw (old REPLs decode surrogate pairs half by half). Text with a
    lone surrogate raises UnsendableText, before anything is written."""
    text = json.dumps(request._raw, ensure_ascii=False, separators=(",", ":")) + "\n\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        for key, value in request._raw.items():
            if isinstance(value, str):
                check_sendable(value, f"the request's {key!r}")
        raise


# --------------------------------------------------------------------------- position shifting


def _shift_pos(pos: Any, lines: int) -> Any:
    # Line 0 marks tactic-mode messages that have no place in the text; keep it.
    if isinstance(pos, dict) and isinstance(pos.get("line"), int) and pos["line"] > 0:
        return {**pos, "line": pos["line"] + lines}
    return pos


def _shift_spans(items: Any, lines: int, keys: tuple[str, ...] = ("pos", "endPos")) -> Any:
    if not isinstance(items, list):
        return items
    return [{**it, **{k: _shift_pos(it[k], lines) for k in keys if k in it}} for it in items]


def _shift_tree(nodes: Any, lines: int) -> Any:
    if not isinstance(nodes, list):
        return nodes
    out = []
    for n in nodes:
        n = dict(n)
        node = n.get("node")
        stx = node.get("stx") if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(stx, dict) and isinstance(stx.get("range"), dict):
            rng = _shift_spans([stx["range"]], lines, ("start", "finish"))[0]
            n["node"] = {**node, "stx": {**stx, "range": rng}}
        if "children" in n:
            n["children"] = _shift_tree(n["children"], lines)
        out.append(n)
    return out


def shift_lines(response: Response, lines: int) -> Response:
    """The same response with every position moved down by ``lines``. Used when a cell's
    import header is sent separately: the REPL saw only the body, the user sees the cell."""
    if lines == 0 or isinstance(response, ReplErrorResponse):
        return response
    raw = dict(response._raw)
    for key in ("messages", "sorries", "tactics"):
        if key in raw:
            raw[key] = _shift_spans(raw[key], lines)
    if "infotree" in raw:
        raw["infotree"] = _shift_tree(raw["infotree"], lines)
    return type(response)._wrap(raw)
