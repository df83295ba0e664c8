"""Scripted infotree answers (``"infotree": "full"``) for the verifier's tests.

NOT recorded. They follow the recorded shape of ``repl-transcripts/v4.22.0-rc4 …
v4.33.0-rc2/infotree_theorem.expected.out``: a list with one top-level ``CommandInfo``
node per command, then the ``Lean.Parser.Command.eoi`` node (elaborator
``Lean.Elab.Command.elabEoi``, ``"pp": ""``, ``"argKinds": ["«»"]``); each CommandInfo is
``{"node": {"stx": {"range": {"synthetic", "start", "finish"}, "pp", "kind", "argKinds"},
"elaborator"}, "kind": "CommandInfo", "children": [...]}``; a declaration's argKinds are
``["Lean.Parser.Command.declModifiers", "Lean.Parser.Command.<kind>"]``.

What is left out, and why: the TermInfo/TacticInfo children a real answer has under
each command (the verifier reads CommandInfo nodes and the set_option ones), so a
scripted tree is smaller than a real one; ``pp`` is the command's text with runs of
spaces collapsed (Lean re-prints it, e.g. ``(p: Prop)`` as ``(p : Prop)``).

Macro expansion follows ``elabCommand`` (leanprover/lean4 ``src/Lean/Elab/Command.lean``):
the macro's CommandInfo (elaborator = the macro) holds a ``MacroExpansionInfo`` node,
printed by the REPL with ``"node": null`` (``REPL/Lean/InfoTree/ToJson.lean``), whose
children are the expanded commands. ``cmd₁ in cmd₂`` expands as in the newest
``src/Lean/Elab/BuiltinCommand.lean`` (``push_scope%``, ``with_local_scope_restriction%``,
cmd₁, ``with_global_scope_restriction%``, cmd₂, ``pop_scope%``).

Elaborator names: ``@[builtin_command_elab k] def name`` in BuiltinCommand.lean,
Declaration.lean, Print.lean, BuiltinEvalCommand.lean (``#eval`` is
``Lean.Elab.Command.elabEval``), GuardMsgs.lean (``Lean.Elab.Tactic.GuardMsgs.elabGuardMsgs``).
"""

from __future__ import annotations

import re

from lean_kernel.lean_text import lex

_CMD = "Lean.Elab.Command."
_PARSER = "Lean.Parser.Command."
_DECL_KINDS = {
    "theorem": "theorem",
    "lemma": "theorem",
    "def": "definition",
    "abbrev": "abbrev",
    "instance": "instance",
    "axiom": "axiom",
    "opaque": "opaque",
    "example": "example",
    "structure": "structure",
    "inductive": "inductive",
}
_MODIFIERS = ("@[", "private", "protected", "noncomputable", "unsafe", "partial", "nonrec", "/--")
# first word -> (elaborator, syntax kind, argKinds)
COMMANDS: dict[str, tuple[str, str, list[str]]] = {
    "universe": (_CMD + "elabUniverse", _PARSER + "universe", ["universe", "null"]),
    "namespace": (_CMD + "elabNamespace", _PARSER + "namespace", ["namespace", "ident"]),
    "section": (_CMD + "elabSection", _PARSER + "section", ["section", "null"]),
    "end": (_CMD + "elabEnd", _PARSER + "end", ["end", "null"]),
    "open": (_CMD + "elabOpen", _PARSER + "open", ["open", _PARSER + "openSimple"]),
    "set_option": (
        _CMD + "elabSetOption",
        _PARSER + "set_option",
        ["set_option", "ident", "null", "Lean.Parser.Command.optionValue"],
    ),
    "variable": (_CMD + "elabVariable", _PARSER + "variable", ["variable", "null"]),
    "export": (_CMD + "elabExport", _PARSER + "export", ["export", "ident", "(", "null", ")"]),
    "#check": (_CMD + "elabCheck", _PARSER + "check", ["#check", "term"]),
    "#reduce": (_CMD + "elabReduce", "Lean.reduceCmd", ["#reduce", "null", "null", "term"]),
    "#eval": (_CMD + "elabEval", _PARSER + "eval", ["#eval", "term"]),
    "run_cmd": (_CMD + "elabRunCmd", _PARSER + "runCmd", ["run_cmd", "Lean.Parser.Term.doSeq"]),
    "notation": (
        "Lean.Elab.Command.expandNotation",
        _PARSER + "notation",
        ["null", "null", "null", "notation", "null", "null", "null", "null", "=>", "term"],
    ),
    "#guard_msgs": (
        "Lean.Elab.Tactic.GuardMsgs.elabGuardMsgs",
        "Lean.guardMsgsCmd",
        ["null", "#guard_msgs", "null", "in", "command"],
    ),
}
EOI = {
    "node": {
        "stx": {"range": None, "pp": "", "kind": _PARSER + "eoi", "argKinds": ["«»"]},
        "elaborator": _CMD + "elabEoi",
    },
    "kind": "CommandInfo",
    "children": [],
}


def _pos(text: str, offset: int) -> dict:
    return {"line": text.count("\n", 0, offset) + 1, "column": offset - (text.rfind("\n", 0, offset) + 1)}


def _range(text: str, a: int, b: int, synthetic: bool = False) -> dict:
    return {"synthetic": synthetic, "start": _pos(text, a), "finish": _pos(text, b)}


def command_node(
    text: str, a: int, b: int, elaborator: str, kind: str, arg_kinds: list[str], children=(), synthetic=False
) -> dict:
    pp = re.sub(r" +", " ", text[a:b].strip())
    return {
        "node": {
            "stx": {"range": _range(text, a, b, synthetic), "pp": pp, "kind": kind, "argKinds": arg_kinds},
            "elaborator": elaborator,
        },
        "kind": "CommandInfo",
        "children": list(children),
    }


def macro_expansion(children: list[dict]) -> dict:
    return {"node": None, "kind": "MacroExpansionInfo", "children": children}


def _first_word(code: str) -> str:
    m = re.match(r"\s*(@\[|/--|#?[\w!]+)", code)
    return m.group(1) if m else ""


def _describe(text: str, a: int, b: int) -> dict:
    code = lex(text[a:b]).code
    word = _first_word(code)
    if re.match(r"\s*set_option\s+\S+\s+\S+\s+in\b", code) or re.match(r"\s*open\s+[^\n]*\bin\s*\n", code):
        return _in_macro(text, a, b, code)
    if word == "#guard_msgs" or (word == "/--" and "#guard_msgs" in code):
        inner = a + code.index(" in") + 3
        while text[inner] in " \n":
            inner += 1
        node = command_node(text, a, b, *COMMANDS["#guard_msgs"])
        node["children"] = [_describe(text, inner, b)]
        return node
    if word in COMMANDS:
        return command_node(text, a, b, *COMMANDS[word])
    m = re.search(r"\b(" + "|".join(_DECL_KINDS) + r")\b", code)
    if word in _DECL_KINDS or (word in _MODIFIERS and m):
        kw = word if word in _DECL_KINDS else m.group(1)  # type: ignore[union-attr]
        if kw == "lemma":
            inner = command_node(
                text,
                a,
                b,
                _CMD + "elabDeclaration",
                _PARSER + "declaration",
                [_PARSER + "declModifiers", _PARSER + "theorem"],
            )
            return command_node(
                text, a, b, "expandLemma", "lemma", [_PARSER + "declModifiers", "group"], [macro_expansion([inner])]
            )
        return command_node(
            text,
            a,
            b,
            _CMD + "elabDeclaration",
            _PARSER + "declaration",
            [_PARSER + "declModifiers", _PARSER + _DECL_KINDS[kw]],
        )
    raise ValueError(f"no scripted infotree for the command {text[a:b]!r}")


def _in_macro(text: str, a: int, b: int, code: str) -> dict:
    """`cmd₁ in cmd₂`: the macro node and its expansion (BuiltinCommand.lean, newest)."""
    split = a + re.search(r"\bin\b", code).end()  # type: ignore[union-attr]
    first_end = split - 2
    second = split
    while text[second] in " \n":
        second += 1
    tk = (first_end, first_end + 2)
    scope = lambda name, kind: command_node(text, *tk, _CMD + name, _PARSER + kind, [kind], synthetic=True)  # noqa: E731
    expansion = [
        scope("elabPushScope", "pushScope"),
        scope("elabWithLocalScopeRestriction", "withLocalScopeRestriction"),
        _describe(text, a, first_end),
        scope("elabWithGlobalScopeRestriction", "withGlobalScopeRestriction"),
        _describe(text, second, b),
        scope("elabPopScope", "popScope"),
    ]
    return command_node(
        text, a, b, _CMD + "expandInCmd", _PARSER + "in", ["command", "in", "command"], [macro_expansion(expansion)]
    )


def command_spans(text: str) -> list[tuple[int, int]]:
    """Top-level commands: each starts on a line whose code begins in column 0 and runs to
    the next such line; after a line ending in `in` the command carries on."""
    code = lex(text).code
    starts = [m.start() for m in re.finditer(r"(?m)^(?=[^\s])", code)]
    spans: list[tuple[int, int]] = []
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        continues = re.match(r"(where|termination_by|decreasing_by|\|)(?![\w'])", code[s:end])
        if spans and (continues or re.search(r"\bin\s*$", code[spans[-1][0] : spans[-1][1]])):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((s, end))
    return [(a, a + len(text[a:b].rstrip())) for a, b in spans]


def declarations_tree(text: str, snippets: list[str]) -> list[dict]:
    """A tree holding only the declarations that start with the given snippets (what Lean
    elaborates of a candidate with a parse error: the commands it could parse)."""
    nodes = []
    for snippet in snippets:
        a = text.index(snippet)
        line_end = text.find("\n", a)
        nodes.append(_describe(text, a, len(text) if line_end < 0 else line_end))
    return [*nodes, _eoi(text)]


def _eoi(text: str) -> dict:
    end = len(text)
    return {**EOI, "node": {**EOI["node"], "stx": {**EOI["node"]["stx"], "range": _range(text, end, end)}}}


def infotree_for(text: str) -> list[dict]:
    """The scripted infotree of a candidate: its commands, then eoi."""
    return [_describe(text, a, b) for a, b in command_spans(text)] + [_eoi(text)]
