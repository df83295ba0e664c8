"""The checks where Lean itself is the witness: which commands Lean ran (its infotree), which
axioms it reports, and whether this Lean process answers the verifier's controls as it
should (the self-check).

Evidence for every name below (leanprover/lean4 unless said otherwise):

- Command elaborators are ``@[builtin_command_elab k] def name`` in
  ``src/Lean/Elab/BuiltinCommand.lean`` (namespace, section, noncomputable section, end,
  universe, open, variable, #check, #check_failure, #reduce, #synth, set_option, include,
  omit, push_scope%/pop_scope% and the scope restrictions that ``in`` expands to, eoi),
  ``src/Lean/Elab/Declaration.lean`` (declaration, mutual, attribute),
  ``src/Lean/Elab/Print.lean`` (#print, #print axioms). ``expandInCmd`` is the
  ``@[builtin_macro Lean.Parser.Command.«in»]`` of BuiltinCommand.lean; Mathlib's
  ``lemma`` is ``@[macro «lemma»] def expandLemma`` (Mathlib/Tactic/Lemma.lean).
- How commands appear in the tree: ``elabCommand`` (``src/Lean/Elab/Command.lean``)
  wraps each command in ``Info.ofCommandInfo { elaborator, stx }``, the elaborator being
  the macro or elaborator that handled it (``no_elab`` when none did); a macro's
  expansion is a ``MacroExpansionInfo`` child holding the expanded command's own
  CommandInfo. The REPL prints CommandInfo as ``{"elaborator", "stx": {"pp", "kind",
  "argKinds", "range"}}`` and MacroExpansionInfo with ``"node": null``
  (leanprover-community/repl ``REPL/Lean/InfoTree/ToJson.lean``); only the ``"full"``
  mode keeps these nodes (``REPL/Main.lean``). Recorded shape:
  ``repl-transcripts/v4.22.0-rc4 … v4.33.0-rc2/infotree_theorem.expected.out``.
- ``native_decide`` before v4.29 records ``Lean.ofReduceBool`` (and ``Lean.trustCompiler``
  in newer versions); from v4.29 (lean4 PR #12217) ``nativeEqTrue`` in
  ``src/Lean/Meta/Native.lean`` adds one axiom per use, named by ``mkAuxDeclName
  (`_native ++ tacticName ++ `ax)``: ``<decl>._native.native_decide.ax_1_1``, and
  ``._native.bv_decide.ax_…`` for ``bv_decide``, ``._native.decide.ax_…`` for
  ``decide +native``.
- ``Lean.versionString`` is defined in ``src/Init/Meta.lean``.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lean_kernel.lean_text import summary_line
from lean_kernel.protocol import InfoNode
from lean_kernel.session import LeanSession, header_key

from .result import ToolMessage
from .scan import CODE_ATTRIBUTES, _option_is_unsafe, scan_candidate

# --------------------------------------------------------------------------- command allowlist

_CMD = "Lean.Elab.Command."
ALLOWED_ELABORATORS: dict[str, str] = {
    _CMD + "elabDeclaration": "a declaration",
    _CMD + "elabMutual": "a mutual block",
    _CMD + "elabNamespace": "namespace",
    _CMD + "elabSection": "section",
    _CMD + "elabNonComputableSection": "noncomputable section",
    _CMD + "elabEnd": "end",
    _CMD + "elabOpen": "open",
    _CMD + "elabVariable": "variable",
    _CMD + "elabUniverse": "universe",
    _CMD + "elabSetOption": "set_option (its option is checked)",
    _CMD + "elabAttr": "attribute (its attributes are checked)",
    _CMD + "elabInclude": "include",
    _CMD + "elabOmit": "omit",
    _CMD + "elabCheck": "#check",
    _CMD + "elabCheckFailure": "#check_failure",
    _CMD + "elabReduce": "#reduce",
    _CMD + "elabSynth": "#synth",
    _CMD + "elabPrint": "#print",
    _CMD + "elabPrintAxioms": "#print axioms",
    _CMD + "elabEoi": "the end of the input",
    # What `cmd₁ in cmd₂` expands to, across versions.
    _CMD + "elabPushScope": "push_scope% (from `in`)",
    _CMD + "elabPopScope": "pop_scope% (from `in`)",
    _CMD + "elabWithoutScopeRestriction": "a scope restriction (from `in`)",
    _CMD + "elabWithGlobalScopeRestriction": "a scope restriction (from `in`)",
    _CMD + "elabWithLocalScopeRestriction": "a scope restriction (from `in`)",
    _CMD + "elabEndLocalScope": "the end of an `in` scope",
}
# Macros whose expansion is checked command by command (a macro is a pure syntax
# transformation; what it makes is what runs).
TRANSPARENT_MACROS: dict[str, str] = {
    _CMD + "expandInCmd": "`cmd in cmd`",
    "expandLemma": "Mathlib's `lemma`",
    "Mathlib.Tactic.expandLemma": "Mathlib's `lemma`",
}
# Notation commands are allowed whole: core's notation macros make `syntax` and
# `macro_rules` out of the notation (pure syntax; the notation's right-hand side runs only
# where it is used, inside checked commands), and the text scan checks their tokens.
NOTATION_KINDS = frozenset({"Lean.Parser.Command.notation", "Lean.Parser.Command.mixfix"})
# Declarations whose kind (the second argument of `Lean.Parser.Command.declaration`) is a
# finding of its own.
DECLARATION_FINDINGS = {"Lean.Parser.Command.axiom": ("new_axiom", "Lean elaborated an `axiom` declaration")}
# Options set inside tactics and terms (`set_option ... in` there).
SET_OPTION_KINDS = frozenset(
    {"Lean.Parser.Command.set_option", "Lean.Parser.Tactic.set_option", "Lean.Parser.Term.set_option"}
)
_SET_OPTION_PP = re.compile(r"^\s*set_option\s+(\S+)")
_ATTRIBUTES_PP = re.compile(r"@\[([^\]]*)\]|attribute\s*\[([^\]]*)\]")


@dataclass
class CommandCheck:
    findings: list[ToolMessage] = field(default_factory=list)
    commands: int = 0  # CommandInfo nodes looked at
    ran: bool = True  # False: the answer had no usable infotree


def _stx(node: InfoNode) -> dict:
    return (node.node or {}).get("stx") or {}


def _where(node: InfoNode) -> str:
    rng = node.range
    return f" (line {rng.start.line})" if rng is not None and rng.start.line > 0 else ""


def _shown(node: InfoNode) -> str:
    pp = _stx(node).get("pp") or _stx(node).get("kind") or "?"
    return summary_line(pp, 80)


def check_commands(trees: list[InfoNode] | None, extra_allowed: Iterable[str] = ()) -> CommandCheck:
    """Every command Lean ran, macro expansions included, against the allowlist."""
    if not trees or any(t.kind != "CommandInfo" for t in trees):
        # No tree (an old REPL, another infotree mode) or one of a shape we do not know.
        return CommandCheck(ran=False)
    allowed = set(ALLOWED_ELABORATORS) | set(extra_allowed)
    check = CommandCheck()
    stack: list[tuple[InfoNode, bool]] = [(t, False) for t in reversed(trees)]
    while stack:
        node, made_by_macro = stack.pop()
        if node.kind == "CommandInfo":
            check.commands += 1
            children_made_by_macro = _check_command(node, made_by_macro, allowed, check)
            if children_made_by_macro is None:
                continue  # not descended: rejected, or a notation allowed whole
        else:
            _check_option(node, check)
            children_made_by_macro = made_by_macro
        stack.extend((c, children_made_by_macro) for c in reversed(node.children))
    return check


def _check_command(node: InfoNode, made_by_macro: bool, allowed: set[str], check: CommandCheck) -> bool | None:
    """Check one CommandInfo; returns whether its children were made by a macro, or None
    when they are not to be looked at."""
    elaborator = (node.node or {}).get("elaborator")
    stx = _stx(node)
    kind = stx.get("kind")
    if kind in NOTATION_KINDS:
        return None
    if elaborator in TRANSPARENT_MACROS:
        return True
    if elaborator not in allowed:
        check.findings.append(
            ToolMessage(
                "disallowed_command",
                f"Lean ran `{_shown(node)}` (elaborator {elaborator}, syntax {kind}), which is not a command "
                f"the verifier allows{' (made by a macro)' if made_by_macro else ''}{_where(node)}",
            )
        )
        return None
    arg_kinds = stx.get("argKinds") or []
    if kind == "Lean.Parser.Command.declaration" and len(arg_kinds) > 1 and arg_kinds[1] in DECLARATION_FINDINGS:
        reason, what = DECLARATION_FINDINGS[arg_kinds[1]]
        check.findings.append(ToolMessage(reason, f"{what}: `{_shown(node)}`{_where(node)}"))
    before = len(check.findings)
    _check_option(node, check)
    _check_attributes(node, check)
    if made_by_macro:
        _scan_macro_output(node, check, {m.reason for m in check.findings[before:]})
    return made_by_macro


def _check_option(node: InfoNode, check: CommandCheck) -> None:
    if _stx(node).get("kind") not in SET_OPTION_KINDS:
        return
    m = _SET_OPTION_PP.match(_stx(node).get("pp") or "")
    if m is None:
        check.findings.append(
            ToolMessage(
                "unsafe_option", f"Lean set an option it could not print, so it cannot be checked{_where(node)}"
            )
        )
        return
    why = _option_is_unsafe(m.group(1).replace("«", "").replace("»", ""))
    if why is not None:
        check.findings.append(ToolMessage("unsafe_option", f"Lean ran `set_option {m.group(1)}`: {why}{_where(node)}"))


def _check_attributes(node: InfoNode, check: CommandCheck) -> None:
    pp = _stx(node).get("pp") or ""
    for m in _ATTRIBUTES_PP.finditer(pp):
        for entry in (m.group(1) or m.group(2) or "").split(","):
            words = [w for w in entry.replace("-", " ").split() if w not in ("local", "scoped")]
            if words and words[0] in CODE_ATTRIBUTES | {"implemented_by", "extern"}:
                reason = words[0] if words[0] in ("implemented_by", "extern") else "metaprogramming"
                check.findings.append(ToolMessage(reason, f"Lean applied the attribute `{words[0]}`{_where(node)}"))


def _scan_macro_output(node: InfoNode, check: CommandCheck, already: set[str]) -> None:
    """A command a macro made has no text of its own in the candidate: scan Lean's
    printing of it instead."""
    pp = _stx(node).get("pp")
    if pp is None:
        check.findings.append(
            ToolMessage(
                "disallowed_command",
                f"a macro made a command Lean could not print, so it cannot be checked{_where(node)}",
            )
        )
        return
    for found in scan_candidate(pp):
        if found.reason in already:
            continue
        check.findings.append(
            ToolMessage(found.reason, f"in what a macro made ({_shown(node)}): {found.message}{_where(node)}")
        )


def command_skeleton(trees: list[InfoNode] | None) -> Iterator[tuple[str | None, str | None, str]]:
    """(elaborator, syntax kind, first line) of every command in a tree, for reports."""
    stack = list(reversed(trees or []))
    while stack:
        node = stack.pop()
        if node.kind == "CommandInfo":
            yield (node.node or {}).get("elaborator"), _stx(node).get("kind"), _shown(node)
        stack.extend(reversed(node.children))


# --------------------------------------------------------------------------- axioms

DEFAULT_ALLOWED_AXIOMS: tuple[str, ...] = ("propext", "Classical.choice", "Quot.sound")
# native_decide / bv_decide before v4.29: one axiom for all uses.
NATIVE_DECIDE_AXIOMS: tuple[str, ...] = ("Lean.ofReduceBool", "Lean.trustCompiler")
# From v4.29: one axiom per use, named after the declaration that used it.
NATIVE_AXIOM = re.compile(r"^(?:.+\.)?_native\.(?:native_decide|bv_decide|decide)\.ax(?:_\d+)+$")


def is_native_axiom(name: str) -> bool:
    """An axiom that records a native evaluation (native_decide, bv_decide, decide +native),
    in either encoding."""
    return name in NATIVE_DECIDE_AXIOMS or bool(NATIVE_AXIOM.match(name))


def disallowed_axioms(axioms: Iterable[str], allowed: set[str], allow_native: bool) -> list[str]:
    """The axioms (sorryAx aside: it has its own rule) a checked declaration may not use."""
    return [a for a in axioms if a != "sorryAx" and a not in allowed and not (allow_native and is_native_axiom(a))]


# --------------------------------------------------------------------------- self-check

CONTROL_STATEMENT = "theorem selfcheck_add_zero (n : Nat) : n + 0 = n := by\n  sorry"


@dataclass(frozen=True)
class Control:
    name: str
    candidate: str
    expect: str | None  # the reason the verifier must give; None: it must say okay


CONTROLS: tuple[Control, ...] = (
    Control("honest proof", "theorem selfcheck_add_zero (n : Nat) : n + 0 = n := rfl", None),
    Control("sorry", "theorem selfcheck_add_zero (n : Nat) : n + 0 = n := by\n  sorry", "sorry"),
    Control(
        "changed hypothesis", "theorem selfcheck_add_zero (n : Nat) (h : n = 0) : n + 0 = n := rfl", "type_mismatch"
    ),
    Control(
        "extra axiom",
        "axiom selfcheck_cheat (n : Nat) : n + 0 = n\ntheorem selfcheck_add_zero (n : Nat) : n + 0 = n := selfcheck_cheat n",
        "disallowed_axiom",
    ),
    Control("banned command", "#eval 0\ntheorem selfcheck_add_zero (n : Nat) : n + 0 = n := rfl", "disallowed_command"),
)
VERSION_QUERY = "#eval Lean.versionString"
FAULTS = ("timeout", "repl_failure")


@dataclass
class SelfCheck:
    """What the controls showed on one process and import header."""

    lean_version: str | None = None
    misbehaved: list[str] = field(default_factory=list)  # "control: what happened"
    fault: ToolMessage | None = None  # a control could not run (not kept: tried again)

    @property
    def passed(self) -> bool:
        return not self.misbehaved and self.fault is None


def judge_control(control: Control, reasons: list[str], okay: bool) -> str | None:
    """Why a control's verdict is wrong, or None when it is right."""
    if control.expect is None:
        return None if okay else f"an honest proof was rejected ({', '.join(reasons)})"
    if okay:
        return f"it was accepted (expected {control.expect})"
    if control.expect not in reasons:
        return f"it was rejected for {', '.join(reasons)} (expected {control.expect})"
    return None


def parse_version(data: str) -> str | None:
    text = data.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return text or None


class SelfCheckRegistry:
    """Outcomes of the controls, per session, REPL process of it (a restart is a new
    process, checked again) and import header. Thread-safe; a session that is gone takes
    its entries with it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _key(self, session: LeanSession, header: str) -> tuple[int, str]:
        return session.repl_generation, header_key(header)

    def get(self, session: LeanSession, header: str) -> SelfCheck | None:
        with self._lock:
            return self._outcomes.get(session, {}).get(self._key(session, header))

    def record(self, session: LeanSession, header: str, outcome: SelfCheck) -> None:
        if outcome.fault is not None:
            return  # inconclusive: the next verification tries again
        with self._lock:
            self._outcomes.setdefault(session, {})[self._key(session, header)] = outcome


SELF_CHECKS = SelfCheckRegistry()
