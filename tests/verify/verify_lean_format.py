"""Lay out a JSON value the way the Lean REPL prints it (Lean's ``Json.pretty``, width 80).

Used only to write scripted transcripts (tests/fixtures/scripted/verify_*) in the exact
recorded format; ``test_leanjson.py`` checks that it reproduces every recorded response
byte for byte, so a scripted answer differs from a real one only in what it says.

Lean renders JSON through its ``Format`` engine: an object is
``group(nest 1 ("{" ++ kv ("," line kv)* ++ "}"))`` with each ``kv`` a
``group("\\"key\\":" line value)``, arrays likewise with ``[``; keys come out in reverse
sorted order (its RBMap fold conses). A group is flat when it and the rest of the line
after it fit in the width; the rest counts later groups as flat.
"""

from __future__ import annotations

import json
from typing import Any

WIDTH = 80

# Doc nodes: ("text", s) | ("line",) | ("nest", n, doc) | ("group", doc) | ("cat", [docs])


def _text(s: str):
    return ("text", s)


_LINE = ("line",)


def _cat(*docs):
    return ("cat", list(docs))


def _bracket(left: str, inner, right: str):
    return ("group", ("nest", len(left), _cat(_text(left), inner, _text(right))))


def _join(docs: list):
    out: list = []
    for i, d in enumerate(docs):
        if i:
            out += [_text(","), _LINE]
        out.append(d)
    return ("cat", out)


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _doc(value: Any):
    if value is None:
        return _text("null")
    if value is True:
        return _text("true")
    if value is False:
        return _text("false")
    if isinstance(value, (int, float)):
        return _text(json.dumps(value))
    if isinstance(value, str):
        return _text(_string(value))
    if isinstance(value, list):
        if not value:
            return _text("[]")
        return _bracket("[", _join([_doc(v) for v in value]), "]")
    if isinstance(value, dict):
        if not value:
            return _text("{}")
        kvs = [("group", _cat(_text(_string(k) + ":"), _LINE, _doc(value[k]))) for k in sorted(value, reverse=True)]
        return _bracket("{", _join(kvs), "}")
    raise TypeError(f"not JSON: {value!r}")


def _space_upto_line(items: list, width_left: int) -> tuple[int, bool]:
    """Columns used by ``items`` (each (indent, flat, doc)) up to the first line break
    that is not flattened; stops counting once past ``width_left``."""
    space = 0
    stack = list(reversed(items))
    while stack and space <= width_left:
        indent, flat, doc = stack.pop()
        kind = doc[0]
        if kind == "text":
            space += len(doc[1])
        elif kind == "line":
            if flat:
                space += 1
            else:
                return space, True
        elif kind == "nest":
            stack.append((indent + doc[1], flat, doc[2]))
        elif kind == "group":
            stack.append((indent, True, doc[1]))
        else:
            for d in reversed(doc[1]):
                stack.append((indent, flat, d))
    return space, False


def pretty(value: Any, width: int = WIDTH) -> str:
    out: list[str] = []
    col = 0
    # Work items: (indent, flat, doc); processed from the end.
    stack = [(0, False, _doc(value))]
    while stack:
        indent, flat, doc = stack.pop()
        kind = doc[0]
        if kind == "text":
            out.append(doc[1])
            col += len(doc[1])
        elif kind == "line":
            if flat:
                out.append(" ")
                col += 1
            else:
                out.append("\n" + " " * indent)
                col = indent
        elif kind == "nest":
            stack.append((indent + doc[1], flat, doc[2]))
        elif kind == "group":
            if flat:
                stack.append((indent, True, doc[1]))
            else:
                left = width - col
                mine, _ = _space_upto_line([(indent, True, doc[1])], left)
                rest, _ = _space_upto_line(list(reversed(stack)), left - mine) if mine <= left else (0, False)
                stack.append((indent, mine + rest <= left, doc[1]))
        else:
            for d in reversed(doc[1]):
                stack.append((indent, flat, d))
    return "".join(out)
