"""The formal statement: its declarations, found in its text, and the renamed copy the
checks elaborate next to the candidate."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from lean_kernel.lean_text import IDENT, Declaration, find_declarations, lex, read_header

from .scan import RESERVED_MARKERS, STMT_SUFFIX


@dataclass
class StatementDecl:
    name: str  # full name
    keyword: str  # as written: theorem, lemma, def, abbrev, instance, opaque
    free: bool  # a definition whose value is sorry: the candidate supplies it
    universes: list[str] = field(default_factory=list)  # filled from the clean env
    lean_kind: str | None = None  # first word of #print in the clean env

    @property
    def copy(self) -> str:
        return self.name + STMT_SUFFIX

    @property
    def is_definition(self) -> bool:
        return self.keyword in ("def", "abbrev", "instance")


@dataclass
class Statement:
    text: str
    header: str
    imports: list[str]
    decls: list[StatementDecl]
    copy_text: str  # the statement's body, renamed (x -> x__stmt)


class StatementError(ValueError):
    pass


_UNIVERSE_COMMAND = re.compile(r"(?m)^[ \t]*universe[ \t]+([^\n]*)")
_FREE_VALUE = re.compile(r":=\s*(?:by\s+)?sorry\s*$")
_SUPPORTED = {
    "theorem": "theorem",
    "lemma": "theorem",
    "def": "def",
    "abbrev": "def",
    "instance": "def",
    "opaque": "opaque",
}


def _statement_decl(d: Declaration) -> StatementDecl:
    if d.kind not in _SUPPORTED:
        if d.kind == "example":
            raise StatementError(
                "the statement has an `example`; name it (`theorem foo : ...`) so the candidate can be matched"
            )
        raise StatementError(
            f"statements with `{d.kind}` declarations are not supported (only theorem, lemma, def, abbrev, named instance)"
        )
    if d.full_name is None:
        raise StatementError(f"an unnamed `{d.kind}` in the statement cannot be matched; give it a name")
    if any(marker in d.full_name for marker in RESERVED_MARKERS):
        raise StatementError(
            f"the statement name `{d.full_name}` uses a marker reserved by the verifier ({', '.join(RESERVED_MARKERS)})"
        )
    free = d.kind in ("def", "abbrev", "instance") and bool(_FREE_VALUE.search(d.text.rstrip()))
    return StatementDecl(d.full_name, d.kind, free)


def parse_statement(statement: str) -> Statement:
    header = read_header(statement)
    body = statement[header.end :]
    code = lex(body).code
    decls = find_declarations(code)
    if not decls:
        raise StatementError(
            "the statement declares nothing: give it a named theorem (e.g. `theorem foo : ... := by sorry`)"
        )
    found = [_statement_decl(d) for d in decls]
    names = [d.name for d in found]
    if len(set(names)) != len(names):
        raise StatementError("the statement declares the same name twice")
    copy_text = _renamed_copy(body, code, decls, found)
    return Statement(statement, header.text, header.modules, found, copy_text)


def _rename_token(token: str, decl: str) -> str | None:
    parts = token.split(".")
    target = decl.split(".")
    if parts[0] == "_root_":
        if parts[1 : 1 + len(target)] == target:
            k = len(target)
            return ".".join([*parts[:k], parts[k] + STMT_SUFFIX, *parts[k + 1 :]])
        return None
    for k in range(len(target), 0, -1):
        if parts[:k] == target[-k:]:
            return ".".join([*parts[: k - 1], parts[k - 1] + STMT_SUFFIX, *parts[k:]])
    return None


def _renamed_copy(body: str, code: str, scanned: list[Declaration], decls: list[StatementDecl]) -> str:
    """The statement's body with each declared name x renamed x__stmt, and references to
    them renamed too, except references to free definitions (they must mean the
    candidate's definition)."""
    sites = {d.name_start: sd for d, sd in zip(scanned, decls) if d.name_start is not None}
    renamed_refs = [sd for sd in decls if not sd.free]
    # Universe names the statement declares (`universe u v`) are renamed too: a candidate
    # that repeats `universe u` leaves it in scope, and declaring it again is an error.
    universes = {t.group(0) for m in _UNIVERSE_COMMAND.finditer(code) for t in IDENT.finditer(m.group(1))} - {"in"}
    out: list[str] = []
    last = 0
    for m in IDENT.finditer(code):
        tok = m.group(0)
        new: str | None = None
        if tok in universes:
            new = tok + STMT_SUFFIX
        elif m.start() in sites:
            new = _rename_token(tok, sites[m.start()].name)
        else:
            for sd in renamed_refs:
                new = _rename_token(tok, sd.name)
                if new is not None:
                    break
        if new is not None:
            out.append(body[last : m.start()])
            out.append(new)
            last = m.end()
    out.append(body[last:])
    return "".join(out)


class StatementCache:
    """What the clean env says about statements (printouts, kinds, universes), kept across
    verifications. It holds no env ids, so it stays valid across restarts and processes
    of the same Lean setup; LeanPool shares one between its workers. Thread-safe."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._data: dict[str, tuple[Statement, Any]] = {}
        self._lock = threading.Lock()

    def get(self, statement: str) -> tuple[Statement, Any] | None:
        with self._lock:
            return self._data.get(statement)

    def put(self, statement: str, value: tuple[Statement, Any]) -> None:
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.pop(next(iter(self._data)))
            self._data[statement] = value

    def __len__(self) -> int:
        return len(self._data)
