"""Does a candidate Lean file prove a formal statement? ``verify`` answers like AXLE's
``verify_proof``: ``okay``, the candidate's Lean messages, our own findings (each with a
named reason), the declarations that failed, and timings.

    from lean_magic.verify import verify
    result = verify(session, "theorem foo (n : Nat) : n + 0 = n := by sorry",
                    "theorem foo (m : Nat) : m + 0 = m := rfl")
    result.okay, result.reasons, result.to_dict()

Trust model
===========

What is trusted: the Lean kernel and elaborator of the REPL's toolchain, the modules the
statement imports (their declarations are taken as they are, axioms included), and the
statement itself (it is the specification; it is parsed as text to find its declarations).

What is checked, and how (REPL requests per candidate: the statement probe, the
candidate, one check command; the import header is run once per process and cached):

1. The candidate compiles. It runs as one command on a fresh env with its own imports
   (a candidate without imports gets the statement's). Any error message is
   ``compile_error``; nothing else is checked then.
2. Every declaration of the statement exists in the candidate, with the same kind and
   type, and a definition with the same value. The comparison is on what Lean
   elaborated, never on text:
   - A *renamed copy* of the statement (each declared name ``x`` becomes ``x__stmt``,
     and references to it too, except references to free definitions, see below) is
     elaborated twice: in a clean env (the statement's imports, the statement, the copy)
     and after the candidate, in the same command as the checks. In both we print each
     copied declaration's type (``#check`` with ``pp.all``: every implicit argument,
     instance, universe and full name shown, no notation) and, for a definition, its
     whole ``#print`` with ``pp.all``. The two printouts must be identical, or the
     candidate changed what the statement's words mean (an instance, a notation, an open
     namespace or ``variable`` left in scope, a macro...): ``statement_changed``. This is
     conservative: an honest candidate whose leftovers merely change how the statement
     elaborates (say, its own instance of a class the statement uses) is rejected too.
     ``pp.all`` printing is the one place where we trust that two printouts that are
     equal denote equal terms.
   - In the candidate's env, ``noncomputable def c.{vs} : PLift (HEq (type_of%
     @x__stmt.{vs}) (type_of% @_root_.x)) := PLift.up (by apply HEq.refl)`` is accepted
     exactly when the candidate's ``x`` has the statement's type up to definitional
     equality (the rule the kernel itself uses to check a proof against its statement;
     the kernel re-checks ``c``), with the statement's universe parameters held fixed
     as our own names ``vs`` (a less general candidate fails; the candidate's own
     universes are unified). A renamed binder passes; a changed hypothesis fails:
     ``type_mismatch``. ``_root_.x`` means the root-level ``x``, whatever the
     candidate's namespaces or ``open``s make ``x`` resolve to. Why not ``theorem c :
     A = B := rfl``: Lean turns the universe metavariables of a theorem's (newer Lean:
     any Prop-typed declaration's) header into fresh parameters before the proof is
     elaborated, so no universe-polymorphic candidate could pass; ``A = B`` elaborates
     ``B`` against ``A``'s type and may insert a coercion the candidate declared, where
     ``HEq`` types each side on its own; and a proof term may be coerced too, where
     ``apply`` only unifies. ``universe`` names the statement declares are renamed in
     the copy (``u`` to ``u__stmt``), since a candidate that repeats ``universe u``
     leaves ``u`` in scope for the checks.
   - The kind is the first word of ``#print _root_.x`` (theorem, def, axiom, opaque...;
     attributes and modifiers skipped), compared with the statement's:
     ``kind_mismatch``. ``x`` absent: ``missing_declaration``.
   - A definition's value: ``HEq @x__stmt @_root_.x`` by ``with_unfolding_all apply
     HEq.refl`` (definitional equality, unfolding everything; same def/PLift shape):
     ``value_mismatch``. A statement definition whose value is ``sorry``
     (``abbrev answer : ℕ := sorry``) is the part
     the candidate fills in: its value is free, and the copy refers to the candidate's
     definition, so the theorem is checked about the candidate's answer.
3. No ``sorry`` except in ``permitted_sorries``: every sorry the REPL reports
   ("declaration uses `sorry`" warnings and ``sorries``) is mapped by position to the
   declaration it sits in (``sorry``); and ``sorryAx`` among a checked declaration's
   axioms is rejected (``sorryAx``) unless all the candidate's sorries are in permitted
   declarations and there is at least one there (a sorry that comes from an imported
   module is not excused). A sorry counts as in a permitted declaration only if that is
   a theorem whose text has no ``where`` / ``let rec`` and Lean's sorry warning sits on
   its name: otherwise the sorry may belong to another constant made inside its text
   (``helper.aux``, a definition's ``helper.proof_1``, an unknown command's
   declaration), which a checked theorem could use to prove anything.
4. Axioms: ``#print axioms _root_.x`` for every statement declaration not in
   ``permitted_sorries``; each axiom must be in ``allowed_axioms`` (default ``propext``,
   ``Classical.choice``, ``Quot.sound``; ``allow_native_decide=True`` adds
   ``Lean.ofReduceBool`` and ``Lean.trustCompiler``): ``disallowed_axiom``. Axioms are
   collected by Lean over everything the declaration uses, so helper lemmas and macros
   cannot hide one.
5. Known cheats, found by a scan of the candidate's text with comments and string
   literals blanked out (a small lexer: ``--`` comments, nested ``/- -/`` comments,
   string, raw string and char literals, ``«»`` names), so a comment that mentions
   ``axiom`` is not a finding:
   ``new_axiom`` (an ``axiom`` declaration), ``sorryAx`` (written directly),
   ``implemented_by`` / ``extern`` (compiled code that may differ from the checked
   definition: it matters to proofs through ``native_decide``, whose axiom is rejected
   by default, and through ``Lean.reduceBool``, see ``native_reduction``),
   ``native_reduction`` (``Lean.reduceBool c`` / ``Lean.reduceNat c`` written out: the
   kernel evaluates them by running compiled code and records NO axiom, so with
   ``implemented_by`` or a compiler bug ``#print axioms`` would stay clean),
   ``unsafe_option`` (``set_option`` of ``UNSAFE_OPTIONS``: ``debug.skipKernelTC`` and
   every ``debug.*`` option switch checks off; ``pp.*`` options could hide a changed
   statement from the printout comparison; ``warn.sorry`` hides sorry warnings;
   ``maxHeartbeats``, ``maxRecDepth`` and the like are fine; such an option named
   in code, as a quoted name for ``withOptions``, counts too), ``open_private``
   (Batteries' ``open private``: it reaches private declarations of other modules),
   ``metaprogramming``
   (``run_cmd``, ``#eval``, ``elab``, ``macro``, ``syntax``, ``run_tac``, ``by_elab``,
   ``simproc``..., attributes that make a definition code the elaborator runs
   (``@[tactic k]``, ``@[norm_num p]``, ``@[init]``... see ``CODE_ATTRIBUTES``), and the
   API names such code needs (``MetaM``, ``modifyEnv``, ``addDeclWithoutChecking``...):
   a metaprogram can add declarations without the kernel, e.g.
   ``Environment.addDeclWithoutChecking``, or rewrite commands so that no scan sees
   them), ``hidden_messages`` (``#guard_msgs`` consumes errors and sorry warnings, which
   steps 1 and 3 read), ``notation_clash`` (a ``notation``/``infix``/... whose token is a
   word of our own check commands, ``CHECK_VOCABULARY``: with ``priority := high`` it
   replaces ``type_of%`` or ``PLift.up`` there, where the statement printouts cannot see
   it), ``redefined_statement_name`` (the candidate declares a
   statement name in another namespace, uses one as a notation string, or uses our
   reserved ``__stmt`` / ``__verify`` names), ``extra_import`` (a module the
   statement does not import: its contents would be trusted unchecked). Names are
   compared without ``«»`` quotes (``«debug».skipKernelTC`` is ``debug.skipKernelTC``).

What is not checked, or only partly:
- The text scan sees text, not what macros expand to. We reject the commands that
  define macros and elaborators, but a macro imported from a module (the statement's
  imports are trusted) could still expand to ``set_option debug.skipKernelTC true``.
  Likewise the scan knows the code-running entry points it lists; an imported module
  that offers another way to run user code at elaboration time (a new attribute, a
  tactic that evaluates a term as a program) is trusted with the module. The defence
  in depth for that case is the list of metaprogramming API names.
- ``permitted_sorries`` trusts the sorry reports: ``sorryAx`` in a checked declaration
  is excused when every reported sorry sits in a permitted declaration. A sorry Lean
  does not report (its warning and its ``sorries`` entry both hidden) would be excused
  too; ``#guard_msgs`` and ``warn.sorry`` are rejected for that reason.
- There is no independent re-check of the candidate's env by the kernel (as
  lean4checker does); an env changed by metaprogramming is only kept out by the scan.
- Binder kinds (explicit vs implicit) and binder names are not compared: definitional
  equality ignores them, as it should.
- Equal ``pp.all`` printouts are trusted to mean equal terms (see 2).
- Statements with ``structure``, ``inductive``, ``class``, ``axiom`` or unnamed
  declarations are refused (``statement_error``), as are ``example``s: name them.
- The statement's declarations are found by scanning its text (namespaces tracked); a
  statement that builds declarations with its own macros is not supported. Its
  ``universe`` names are renamed in the copy token by token, so a statement that also
  uses such a name as a named argument (``(u := 1)``) makes the copy fail
  (``statement_error``).
- Faults are reported, not retried: ``timeout`` (the whole verification's budget ran
  out) and ``repl_failure`` (the REPL crashed or refused a request).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from lean_kernel.protocol import CommandResponse, Message, Pos, shift_lines
from lean_kernel.results import CellResult
from lean_kernel.session import LeanSession, imported_modules, parse_axioms_message, split_header

__all__ = [
    "DEFAULT_ALLOWED_AXIOMS",
    "NATIVE_DECIDE_AXIOMS",
    "REASONS",
    "UNSAFE_OPTIONS",
    "ToolMessage",
    "VerificationResult",
    "StatementCache",
    "verify",
    "strip_comments_and_strings",
    "scan_declarations",
    "scan_candidate",
]

DEFAULT_ALLOWED_AXIOMS: tuple[str, ...] = ("propext", "Classical.choice", "Quot.sound")
# native_decide trusts the compiler: Lean.ofReduceBool, and Lean.trustCompiler in newer Lean.
NATIVE_DECIDE_AXIOMS: tuple[str, ...] = ("Lean.ofReduceBool", "Lean.trustCompiler")

REASONS: dict[str, str] = {
    "compile_error": "the candidate does not compile",
    "missing_declaration": "a declaration of the statement is missing from the candidate",
    "kind_mismatch": "a declaration has another kind than in the statement (e.g. def for theorem)",
    "type_mismatch": "a declaration's type differs from the statement's",
    "value_mismatch": "a definition's value differs from the statement's",
    "statement_changed": "after the candidate, the statement's text means something else",
    "sorry": "the candidate uses sorry outside the permitted declarations",
    "sorryAx": "a checked declaration depends on sorryAx",
    "disallowed_axiom": "a checked declaration depends on an axiom outside the allowed set",
    "new_axiom": "the candidate declares an axiom",
    "implemented_by": "the candidate uses @[implemented_by]",
    "extern": "the candidate uses @[extern]",
    "unsafe_option": "the candidate sets an option that switches checks off",
    "open_private": "the candidate uses `open private`",
    "metaprogramming": "the candidate defines or runs metaprograms",
    "native_reduction": "the candidate uses Lean.reduceBool / Lean.reduceNat (compiled code trusted by the kernel, no axiom recorded)",
    "hidden_messages": "the candidate hides Lean's messages (#guard_msgs)",
    "notation_clash": "a notation of the candidate spells a word the verifier's own checks use",
    "redefined_statement_name": "the candidate redefines or shadows a statement name",
    "extra_import": "the candidate imports a module the statement does not",
    "statement_error": "the statement itself cannot be checked",
    "timeout": "the verification ran out of time",
    "repl_failure": "the REPL failed or refused a request",
    "internal_error": "the verifier failed (a bug; the message says where)",
}

# set_option names rejected outright, with why. Prefixes end with ".".
UNSAFE_OPTIONS: dict[str, str] = {
    "debug.skipKernelTC": "skips the kernel's type check of later declarations",
    "debug.byAsSorry": "turns every `by` block into sorry",
    "debug.": "debug options exist to switch checks off",
    "warn.sorry": "hides the `declaration uses sorry` warnings the sorry check reads",
    "pp.": "pretty-printer options can hide a changed statement from the comparison",
}

METAPROGRAMMING_TOKENS = frozenset(
    {
        "run_cmd", "run_elab", "run_meta", "#eval", "#eval!", "elab", "elab_rules",
        "macro", "macro_rules", "syntax", "declare_syntax_cat", "initialize",
        "builtin_initialize", "command_elab", "term_elab", "delab", "app_unexpander",
        # Code run from inside a proof or by simp (Batteries/Mathlib `run_tac`, `by_elab`;
        # core simprocs): MetaM code there can add declarations the kernel never sees.
        "run_tac", "by_elab", "simproc", "dsimproc", "simproc_decl", "dsimproc_decl",
    }
)
# Attributes that register a definition as code the elaborator runs, beyond those named in
# METAPROGRAMMING_TOKENS (`@[command_elab k]`, `@[macro k]`... are found as tokens):
# `@[tactic Lean.Parser.Tactic.decide] def t : Tactic := ...` replaces `decide` without any
# of the commands above; norm_num/positivity extensions run MetaM code inside proofs.
CODE_ATTRIBUTES = frozenset(
    {
        "tactic", "norm_num", "positivity", "init", "builtin_init", "env_linter",
        "code_action_provider", "command_code_action", "tactic_code_action", "hole_command",
        "term_parser", "tactic_parser", "command_parser",
    }
)
# Words and symbols of the verifier's own check commands (see candidate_checks). A
# notation of the candidate that makes one of them its own token (`notation (priority :=
# high) "type_of% " x => True`, or `"PLift.up" x => ()`, which drops the defeq test)
# changes what the checks mean without changing the statement's printout.
CHECK_VOCABULARY = frozenset(
    {
        "PLift", "PLift.up", "HEq", "HEq.refl", "apply", "type_of%", "with_unfolding_all", "by", "def",
        "noncomputable", "theorem", "universe", "sorry", "_root_", "axioms", "set_option",
        "in", "true", "false", "#check", "#print", "=", "@", ":", ":=", "(", ")", ".{",
    }
)
_NOTATION_COMMAND = re.compile(r"(?<![\w'.])(notation3?|infixl?|infixr|prefix|postfix|binder_predicate)(?![\w'!?])")
# Names only a metaprogram needs (the last component is compared): defence in depth behind
# the entry points above. `modifyEnv`/`setEnv`/`addDeclWithoutChecking` add unchecked
# constants; the monads are what such code is written in.
METAPROGRAMMING_NAMES = frozenset(
    {
        "MetaM", "TacticM", "TermElabM", "CommandElabM", "CoreM", "MacroM", "SimpM",
        "Simproc", "DSimproc", "modifyEnv", "setEnv", "addDeclWithoutChecking", "addDeclCore",
        "evalExpr", "evalConst", "unsafeCast", "unsafeBaseIO", "unsafeIO", "unsafeEIO",
    }
)
# The kernel evaluates `Lean.reduceBool c` / `Lean.reduceNat c` by running compiled code,
# and records no axiom for it (native_decide's `Lean.ofReduceBool` is what records it).
NATIVE_REDUCTION_NAMES = frozenset({"reduceBool", "reduceNat", "Lean.reduceBool", "Lean.reduceNat"})

STMT_SUFFIX = "__stmt"
RESERVED_MARKERS = (STMT_SUFFIX, "__verify")
_CHECK_PREFIX = "stmt__verify"

_SORRY_WARNING = re.compile(r"declaration uses .sorry.")
_AUX_CONSTANTS = re.compile(r"(?<![\w'.])(?:where|let\s+rec)(?![\w'!?])")
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉ₐₑₒₓₔₕₖₗₘₙₚₛₜᵢᵣᵤᵥᵦᵧᵨᵩᵪⱼ"
_ATOM = r"(?:«[^»\n]*»|[^\W\d][\w'!?" + _SUBSCRIPTS + r"]*)"
_TOKEN = re.compile(r"(?<![\w'!?." + _SUBSCRIPTS + r"])#?" + _ATOM + r"(?:\." + r"(?:" + _ATOM + r"|\d+))*")
_CHAR_LITERAL = re.compile(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'\n])'")
_RAW_STRING_OPEN = re.compile(r'r(#*)"')

DECL_KEYWORDS = (
    "theorem", "lemma", "def", "abbrev", "instance", "example", "axiom", "opaque",
    "structure", "inductive", "class",
)
_DECL_KW = re.compile(r"(?<![\w'.#!?])(" + "|".join(DECL_KEYWORDS) + r")(?![\w'!?])")
_SCOPE = re.compile(r"(?m)^[ \t]*(?:noncomputable[ \t]+)?(namespace|section|end)(?![\w'!?])[ \t]*([^\s]*)")
# Commands at the start of a line end the declaration before them (proof lines are indented).
_LINE_COMMAND = re.compile(
    r"(?m)^(?:namespace|section|end|open|set_option|variable|universe|attribute|notation|"
    r"infix|infixl|infixr|prefix|postfix|macro|syntax|elab|local|scoped|#\w+|@\[|private|protected|"
    r"noncomputable|unsafe|partial|nonrec|" + "|".join(DECL_KEYWORDS) + r")(?![\w'!?])"
)


# --------------------------------------------------------------------------- results


@dataclass
class ToolMessage:
    """One finding of the verifier: a named ``reason`` (see REASONS) and what it means here."""

    reason: str
    message: str
    declaration: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "message": self.message, "declaration": self.declaration, "severity": self.severity}

    def __str__(self) -> str:
        where = f" [{self.declaration}]" if self.declaration else ""
        return f"{self.reason}{where}: {self.message}"


@dataclass
class VerificationResult:
    okay: bool
    lean_messages: list[Message] = field(default_factory=list)  # the candidate's own messages
    tool_messages: list[ToolMessage] = field(default_factory=list)
    failed_declarations: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: statement, candidate, checks, total
    axioms: dict[str, list[str]] = field(default_factory=dict)  # checked declaration -> its axioms
    declarations: list[str] = field(default_factory=list)  # the statement's declarations, full names
    candidate: CellResult | None = None  # the candidate's run, raw

    @property
    def reasons(self) -> list[str]:
        """The distinct reasons of the errors found, in the order first found."""
        seen: list[str] = []
        for m in self.tool_messages:
            if m.severity == "error" and m.reason not in seen:
                seen.append(m.reason)
        return seen

    def to_dict(self) -> dict[str, Any]:
        return {
            "okay": self.okay,
            "lean_messages": [m.to_json() for m in self.lean_messages],
            "tool_messages": [m.to_dict() for m in self.tool_messages],
            "failed_declarations": list(self.failed_declarations),
            "timings": dict(self.timings),
            "axioms": {k: list(v) for k, v in self.axioms.items()},
            "declarations": list(self.declarations),
            "reasons": self.reasons,
        }

    def __repr__(self) -> str:
        state = "okay" if self.okay else "REJECTED: " + ", ".join(self.reasons)
        return f"<VerificationResult {state}>"

    def summary(self) -> str:
        if self.okay:
            return "verified: " + ", ".join(self.declarations)
        return "\n".join(str(m) for m in self.tool_messages if m.severity == "error")


# --------------------------------------------------------------------------- text scanning


@dataclass(frozen=True)
class StringLiteral:
    start: int
    end: int
    value: str  # the raw text between the quotes


@dataclass
class Stripped:
    """The source with comments and literals blanked (same length, newlines kept, so
    offsets and line numbers match the source), plus the string literals it had."""

    text: str
    strings: list[StringLiteral]


def _ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_'!?" or ch in _SUBSCRIPTS


def strip_comments_and_strings(src: str) -> Stripped:
    out = list(src)
    strings: list[StringLiteral] = []
    n = len(src)

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    i = 0
    while i < n:
        c = src[i]
        if c == "-" and src.startswith("--", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif c == "/" and src.startswith("/-", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/-", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("-/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c == "«":
            j = src.find("»", i + 1)
            i = n if j < 0 else j + 1
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            strings.append(StringLiteral(i, min(j + 1, n), src[i + 1 : j]))
            blank(i + 1, j)
            i = j + 1
        elif c == "r" and (i == 0 or not _ident_char(src[i - 1])) and _RAW_STRING_OPEN.match(src, i):
            m = _RAW_STRING_OPEN.match(src, i)
            assert m is not None
            close = '"' + m.group(1)
            j = src.find(close, m.end())
            j = n if j < 0 else j
            strings.append(StringLiteral(i, min(j + len(close), n), src[m.end() : j]))
            blank(m.end(), j)
            i = j + len(close)
        elif c == "'" and (i == 0 or not _ident_char(src[i - 1])) and _CHAR_LITERAL.match(src, i):
            m = _CHAR_LITERAL.match(src, i)
            assert m is not None
            blank(i + 1, m.end() - 1)
            i = m.end()
        else:
            i += 1
    return Stripped("".join(out), strings)


@dataclass
class Declaration:
    kind: str  # the keyword: theorem, lemma, def, ...
    name: str | None  # as written (None: example, unnamed instance)
    full_name: str | None  # with the enclosing namespaces
    start: int  # offset of the keyword
    name_start: int | None
    end: int  # offset where the next command starts
    text: str = ""  # the stripped text of the declaration


def _name_after(text: str, pos: int, kind: str) -> tuple[str | None, int | None]:
    """The declared name that follows a keyword ending at ``pos``, if any."""
    j = pos
    n = len(text)
    while j < n and text[j] in " \t\n":
        j += 1
    if kind == "class" and text.startswith("inductive", j):
        j += len("inductive")
        while j < n and text[j] in " \t\n":
            j += 1
    if kind == "instance" and text.startswith("(priority", j):
        depth = 0
        while j < n:
            depth += text[j] == "("
            depth -= text[j] == ")"
            j += 1
            if depth == 0:
                break
        while j < n and text[j] in " \t\n":
            j += 1
    if kind == "example":
        return None, None
    m = _TOKEN.match(text, j)
    if not m or m.group(0).startswith("#"):
        return None, None
    return m.group(0), j


def scan_declarations(stripped: str) -> list[Declaration]:
    """Declarations in (comment-stripped) Lean text, with their namespaces resolved."""
    events: list[tuple[int, str, Any]] = []
    for m in _DECL_KW.finditer(stripped):
        before = stripped[max(0, m.start() - 20) : m.start()].replace("[", " ").split()
        if before and before[-1] in ("deriving", "attribute", "local", "scoped") and m.group(1) == "instance":
            continue  # `deriving instance ...`, `attribute [local instance]`
        if before and before[-1] == "class" and m.group(1) == "inductive":
            continue
        events.append((m.start(), "decl", m))
    for m in _SCOPE.finditer(stripped):
        events.append((m.start(1), m.group(1), m.group(2)))
    events.sort(key=lambda e: e[0])
    boundaries = sorted({m.start() for m in _LINE_COMMAND.finditer(stripped)} | {e[0] for e in events})

    stack: list[tuple[str, str]] = []
    decls: list[Declaration] = []
    for pos, what, data in events:
        if what == "namespace":
            stack.append(("namespace", data))
        elif what == "section":
            stack.append(("section", data))
        elif what == "end":
            if stack:
                stack.pop()
        else:
            kind = data.group(1)
            name, name_start = _name_after(stripped, data.end(), kind)
            namespace = ".".join(n for k, n in stack if k == "namespace" and n)
            full = None
            if name is not None:
                if name.startswith("_root_."):
                    full = name[len("_root_.") :]
                else:
                    full = f"{namespace}.{name}" if namespace else name
            end = next((b for b in boundaries if b > pos and b != name_start), len(stripped))
            decls.append(Declaration(kind, name, full, pos, name_start, end, stripped[pos:end]))
    return decls


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


_ATTRIBUTE_LIST = re.compile(r"(?:@\[|(?<![\w'.])attribute\s*\[)([^\]]*)\]")


def _plain(name: str) -> str:
    """A name as Lean reads it: «» quotes dropped (`«debug».skipKernelTC` is debug.skipKernelTC)."""
    return re.sub(r"«([^»\n]*)»", r"\1", name)


def _split_attributes(text: str) -> list[str]:
    return [part.strip().lstrip("-").strip() for part in text.split(",") if part.strip()]


def scan_candidate(candidate: str, statement_names: Iterable[str] = (), statement_imports: Iterable[str] | None = None) -> list[ToolMessage]:
    """The text-level cheat scan (comments and strings blanked). ``statement_names``: full
    names of the statement's declarations."""
    stripped = strip_comments_and_strings(candidate)
    text = stripped.text
    found: list[ToolMessage] = []

    def add(reason: str, message: str, offset: int | None = None, declaration: str | None = None) -> None:
        where = f" (line {_line_of(text, offset)})" if offset is not None else ""
        found.append(ToolMessage(reason, message + where, declaration))

    # Identifiers are compared without «»: `«sorryAx»` and `@[«implemented_by» f]` are the
    # same names to Lean (keywords such as `axiom` or `run_cmd` cannot be quoted that way).
    tokens = [(_plain(m.group(0)), m.start()) for m in _TOKEN.finditer(text)]
    set_options = list(re.finditer(r"(?<![\w'.])set_option\s+(" + _TOKEN.pattern + ")", text))
    option_names = {m.start(1) for m in set_options}
    for tok, pos in tokens:
        last = tok.split(".")[-1]
        if tok == "axiom":
            add("new_axiom", "the candidate declares an axiom", pos)
        elif tok == "sorryAx" or last == "sorryAx":
            add("sorryAx", "the candidate uses sorryAx directly", pos)
        elif tok == "implemented_by":
            add("implemented_by", "@[implemented_by] makes compiled code differ from the checked definition", pos)
        elif tok == "extern":
            add("extern", "@[extern] replaces a definition's compiled code with foreign code", pos)
        elif tok in METAPROGRAMMING_TOKENS:
            add("metaprogramming", f"`{tok}` runs or defines metaprograms, which can change the env unchecked", pos)
        elif last in METAPROGRAMMING_NAMES:
            add("metaprogramming", f"`{tok}` belongs to Lean's metaprogramming API, which can change the env unchecked", pos)
        elif tok.removeprefix("_root_.").removeprefix("@") in NATIVE_REDUCTION_NAMES:
            add("native_reduction", f"`{tok}`: the kernel runs compiled code for it and records no axiom", pos)
        elif tok == "#guard_msgs":
            add("hidden_messages", "`#guard_msgs` swallows the messages (errors, sorry warnings) the checks read", pos)
        elif pos not in option_names and "." in tok and any(
            tok == name or (name.endswith(".") and tok.startswith(name)) for name in UNSAFE_OPTIONS
        ):
            # An option named in code (`withOptions (·.setBool `debug.skipKernelTC true)`).
            add("unsafe_option", f"`{tok}` names an option that switches checks off", pos)
        if any(marker in tok for marker in RESERVED_MARKERS):
            add("redefined_statement_name", f"`{tok}` uses a name reserved by the verifier", pos)

    for m in set_options:
        option = _plain(m.group(1))
        for name, why in UNSAFE_OPTIONS.items():
            if option == name or (name.endswith(".") and option.startswith(name)):
                add("unsafe_option", f"set_option {option}: {why}", m.start())
                break
    for m in _ATTRIBUTE_LIST.finditer(text):
        for entry in _split_attributes(m.group(1)):
            words = [_plain(t.group(0)) for t in _TOKEN.finditer(entry)]
            words = [w for w in words if w not in ("local", "scoped")]
            if words and words[0] in CODE_ATTRIBUTES:
                add("metaprogramming", f"the attribute `{words[0]}` makes a definition code that the elaborator runs", m.start())
    for m in re.finditer(r"(?<![\w'.])open\s+private(?![\w'])", text):
        add("open_private", "`open private` exposes private declarations of other modules", m.start())

    boundaries = sorted({b.start() for b in _LINE_COMMAND.finditer(text)} | {b.start() for b in _DECL_KW.finditer(text)})
    for m in _NOTATION_COMMAND.finditer(text):
        end = next((b for b in boundaries if b > m.start()), len(text))
        for lit in stripped.strings:
            if m.start() < lit.start < end:
                clash = sorted(set(lit.value.split()) & CHECK_VOCABULARY)
                if clash:
                    add("notation_clash", f"`{m.group(1)}` makes \"{clash[0]}\" a token of its own; the verifier's checks use it", m.start())

    names = list(statement_names)
    short = {n.split(".")[-1]: n for n in names}
    for decl in scan_declarations(text):
        if decl.name is None or decl.full_name is None:
            continue
        last = decl.full_name.split(".")[-1]
        if last in short and decl.full_name != short[last]:
            add(
                "redefined_statement_name",
                f"declares `{decl.full_name}`, a second `{last}` beside the statement's `{short[last]}`",
                decl.start,
                short[last],
            )
    for lit in stripped.strings:
        value = lit.value.strip()
        if value and (value in short or value in names):
            add("redefined_statement_name", f"the string \"{value}\" (a notation?) spells a statement name", lit.start)
    for m in re.finditer(r"(?<![\w'.])(export|renaming)(?![\w'])[^\n]*", text):
        words = set(t for t, _ in ((x.group(0), 0) for x in _TOKEN.finditer(m.group(0))))
        hit = sorted(words & (set(short) | set(names)))
        if hit:
            add("redefined_statement_name", f"`{m.group(1)}` makes `{hit[0]}` stand for another declaration", m.start())

    if statement_imports is not None:
        header, _, _ = split_header(candidate)
        allowed = set(statement_imports)
        for mod in imported_modules(header):
            if mod not in allowed:
                add("extra_import", f"imports {mod}, which the statement does not import (its contents would be trusted)")
    return found


# --------------------------------------------------------------------------- the statement


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
_SUPPORTED = {"theorem": "theorem", "lemma": "theorem", "def": "def", "abbrev": "def", "instance": "def", "opaque": "opaque"}


def parse_statement(statement: str) -> Statement:
    header, body, _ = split_header(statement)
    stripped = strip_comments_and_strings(body)
    decls = scan_declarations(stripped.text)
    if not decls:
        raise StatementError("the statement declares nothing: give it a named theorem (e.g. `theorem foo : ... := by sorry`)")
    found: list[StatementDecl] = []
    for d in decls:
        if d.kind not in _SUPPORTED:
            if d.kind == "example":
                raise StatementError("the statement has an `example`; name it (`theorem foo : ...`) so the candidate can be matched")
            raise StatementError(f"statements with `{d.kind}` declarations are not supported (only theorem, lemma, def, abbrev, named instance)")
        if d.full_name is None:
            raise StatementError(f"an unnamed `{d.kind}` in the statement cannot be matched; give it a name")
        if any(marker in d.full_name for marker in RESERVED_MARKERS):
            raise StatementError(f"the statement name `{d.full_name}` uses a marker reserved by the verifier ({', '.join(RESERVED_MARKERS)})")
        free = d.kind in ("def", "abbrev", "instance") and bool(_FREE_VALUE.search(d.text.rstrip()))
        found.append(StatementDecl(d.full_name, d.kind, free))
    names = [d.name for d in found]
    if len(set(names)) != len(names):
        raise StatementError("the statement declares the same name twice")
    copy_text = _renamed_copy(body, stripped.text, decls, found)
    return Statement(statement, header, imported_modules(header), found, copy_text)


def _rename_token(token: str, decl: str) -> str | None:
    parts = token.split(".")
    target = decl.split(".")
    if parts[0] == "_root_":
        if parts[1 : 1 + len(target)] == target:
            k = len(target)
            return ".".join(parts[: k] + [parts[k] + STMT_SUFFIX] + parts[k + 1 :])
        return None
    for k in range(len(target), 0, -1):
        if parts[:k] == target[-k:]:
            return ".".join(parts[: k - 1] + [parts[k - 1] + STMT_SUFFIX] + parts[k:])
    return None


def _renamed_copy(body: str, stripped: str, scanned: list[Declaration], decls: list[StatementDecl]) -> str:
    """The statement's body with each declared name x renamed x__stmt, and references to
    them renamed too, except references to free definitions (they must mean the
    candidate's definition)."""
    sites = {d.name_start: sd for d, sd in zip(scanned, decls) if d.name_start is not None}
    renamed_refs = [sd for sd in decls if not sd.free]
    # Universe names the statement declares (`universe u v`) are renamed too: a candidate
    # that repeats `universe u` leaves it in scope, and declaring it again is an error.
    universes = {t.group(0) for m in _UNIVERSE_COMMAND.finditer(stripped) for t in _TOKEN.finditer(m.group(1))} - {"in"}
    out: list[str] = []
    last = 0
    for m in _TOKEN.finditer(stripped):
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


# --------------------------------------------------------------------------- the Lean side


@dataclass
class _Segment:
    first: int  # line numbers in the command text, 1-based, inclusive
    last: int
    tag: str
    decl: str | None = None


class _Script:
    """Lean text built from pieces, remembering which lines each piece occupies, so that
    each message of the answer can be traced to the piece it is about."""

    def __init__(self, prefix: str = "") -> None:
        self.parts: list[str] = []
        self.segments: list[_Segment] = []
        self.line = 1
        if prefix:
            self.add(prefix, "prefix")

    def add(self, text: str, tag: str, decl: str | None = None) -> None:
        text = text.rstrip("\n")
        lines = text.count("\n") + 1
        self.segments.append(_Segment(self.line, self.line + lines - 1, tag, decl))
        self.parts.append(text)
        self.line += lines

    @property
    def text(self) -> str:
        return "\n".join(self.parts)

    def segment_of(self, message: Message) -> _Segment | None:
        line = message.pos.line if message.pos else None
        if line is None:
            return None
        for seg in self.segments:
            if seg.first <= line <= seg.last:
                return seg
        return None

    def messages(self, response: CommandResponse, tag: str, decl: str | None = None) -> list[Message]:
        out = []
        for m in response.messages:
            seg = self.segment_of(m)
            if seg is not None and seg.tag == tag and (decl is None or seg.decl == decl):
                out.append(m)
        return out


def _root(name: str) -> str:
    return "_root_." + name


def _univ(decl: StatementDecl) -> str:
    """Universe parameters for a check about ``decl``: as many as its copy has, under names
    of our own (``u__verify_k``), so they cannot collide with a ``universe u`` the
    candidate left in scope ("a universe level named 'u' has already been declared")."""
    names = [f"u{RESERVED_MARKERS[1]}_{k}" for k in range(1, len(decl.universes) + 1)]
    return ".{" + ", ".join(names) + "}" if names else ""


def _statement_prints(script: _Script, stmt: Statement) -> None:
    """The printouts that must agree between the clean env and the candidate's env."""
    for d in stmt.decls:
        script.add(f"set_option pp.all true in #check @{_root(d.copy)}", "stmt_type", d.name)
        if d.is_definition and not d.free:
            script.add(f"set_option pp.all true in #print {_root(d.copy)}", "stmt_value", d.name)


def clean_probe(stmt: Statement) -> _Script:
    """The statement, its renamed copy, and the reference printouts, on a clean env."""
    script = _Script()
    script.add(stmt.text, "statement")
    script.add(stmt.copy_text, "copy")
    for d in stmt.decls:
        script.add(f"#print {_root(d.copy)}", "stmt_print", d.name)
    _statement_prints(script, stmt)
    return script


def candidate_checks(stmt: Statement) -> _Script:
    """Run on the candidate's env: the renamed copy, the printouts to compare, and the
    checks of each statement declaration against the candidate's."""
    script = _Script()
    script.add(stmt.copy_text, "copy")
    _statement_prints(script, stmt)
    for i, d in enumerate(stmt.decls, 1):
        script.add(f"set_option pp.proofs false in #print {_root(d.name)}", "kind", d.name)
        script.add(f"#print axioms {_root(d.name)}", "axioms", d.name)
        us = _univ(d)
        # Why this shape (each point is a way the obvious `theorem _ : A = B := rfl` goes wrong):
        # - `def`, with a type in `Type` (PLift of the proposition), not a theorem: Lean turns
        #   the universe metavariables left in a theorem's (or, in newer Lean, any Prop-typed
        #   declaration's) header into fresh parameters before the body is elaborated, so the
        #   candidate's universes (`@x` gets `x.{?v}`) could never be unified with the
        #   statement's and every universe-polymorphic candidate would fail.
        # - `HEq`, not `=`: `A = B` elaborates B against A's type, and where they differ Lean
        #   tries a coercion, which the candidate may have declared (`Coe Type (Type 1)`).
        #   HEq takes each side with its own type; there is nothing to coerce.
        # - `by apply HEq.refl`: unification of `HEq ?a ?a` with the goal, a bare defeq test.
        #   A proof term (`rfl`, `exact HEq.rfl`) goes through `ensureHasType`, which may again
        #   insert a coercion of the candidate's (a `Coe` instance nobody checks the axioms of).
        # - `noncomputable`: nothing to compile. The kernel re-checks `HEq.refl A : HEq A B`.
        script.add(
            f"noncomputable def {_root(f'{_CHECK_PREFIX}_type_{i}')}{us} : "
            f"PLift (HEq (type_of% @{_root(d.copy)}{us}) (type_of% @{_root(d.name)})) := PLift.up (by apply HEq.refl)",
            "type",
            d.name,
        )
        if d.is_definition and not d.free:
            script.add(
                f"noncomputable def {_root(f'{_CHECK_PREFIX}_value_{i}')}{us} : "
                f"PLift (HEq @{_root(d.copy)}{us} @{_root(d.name)}) := PLift.up (by with_unfolding_all apply HEq.refl)",
                "value",
                d.name,
            )
    return script


_PRINT_HEAD = re.compile(
    r"^(?:@\[[^\]]*\]\s*)?(?:(?:unsafe|partial|private|protected|meta|noncomputable)\s+)*"
    r"(?P<kind>Quotient primitive|[a-z]+)\s+(?P<name>(?:«[^»]*»|[^\s«])+?)(?:\.\{(?P<us>[^}]*)\})?\s*:",
)


def parse_print_header(text: str) -> tuple[str, list[str]] | None:
    """(kind, universe parameters) from the first line of a ``#print`` answer."""
    m = _PRINT_HEAD.match(text.strip())
    if not m:
        return None
    us = [u.strip() for u in (m.group("us") or "").split(",") if u.strip()]
    return m.group("kind"), us


def _normalise(text: str) -> str:
    # The formatter breaks lines by width; breaks carry no meaning.
    return " ".join(text.split())


# --------------------------------------------------------------------------- verify


class StatementCache:
    """What the clean env says about statements (printouts, kinds, universes), kept across
    verifications. It holds no env ids, so it stays valid across restarts and processes
    of the same Lean setup; LeanPool shares one between its workers. Thread-safe."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._data: dict[str, tuple[Statement, _Reference]] = {}
        self._lock = threading.Lock()

    def get(self, statement: str) -> tuple[Statement, _Reference] | None:
        with self._lock:
            return self._data.get(statement)

    def put(self, statement: str, value: tuple[Statement, _Reference]) -> None:
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.pop(next(iter(self._data)))
            self._data[statement] = value

    def __len__(self) -> int:
        return len(self._data)


class _Budget:
    def __init__(self, timeout: float | None) -> None:
        self.deadline = None if timeout is None else time.monotonic() + timeout

    def left(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()


class _Abort(Exception):
    def __init__(self, message: ToolMessage) -> None:
        super().__init__(message.message)
        self.tool_message = message


def _fault(result: CellResult, what: str) -> ToolMessage | None:
    """A REPL fault or refusal during ``what`` as a tool message, else None."""
    if result.failure is not None:
        reason = "timeout" if result.failure_kind == "ReplTimeout" else "repl_failure"
        return ToolMessage(reason, f"{what}: {result.failure_kind}: {result.failure.splitlines()[0]}")
    if result.repl_error is not None:
        return ToolMessage("repl_failure", f"{what}: the REPL refused the request: {result.repl_error}")
    if not isinstance(result.response, CommandResponse):
        return ToolMessage("repl_failure", f"{what}: the REPL gave no command answer")
    return None


def _first_line(text: str, limit: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


def verify(
    session: LeanSession,
    formal_statement: str,
    candidate: str,
    *,
    permitted_sorries: Iterable[str] = (),
    allowed_axioms: Iterable[str] = DEFAULT_ALLOWED_AXIOMS,
    allow_native_decide: bool = False,
    timeout: float | None = None,
    cache: StatementCache | None = None,
) -> VerificationResult:
    """Check that ``candidate`` (a Lean file) proves ``formal_statement`` (a Lean file whose
    declarations have ``sorry`` proofs). See the module docstring for what is checked.
    ``timeout``: seconds for the whole verification (default: the session's per-request
    timeout for each request). ``cache``: reuse the statement's clean-env printouts from
    an earlier verification (saves one request). Nothing is committed to ``session``."""
    if not isinstance(formal_statement, str) or not isinstance(candidate, str):
        raise TypeError("formal_statement and candidate must be Lean source text (str)")
    started = time.monotonic()
    budget = _Budget(timeout)
    permitted = set(permitted_sorries)
    allowed = set(allowed_axioms) | (set(NATIVE_DECIDE_AXIOMS) if allow_native_decide else set())
    result = VerificationResult(okay=False)

    def finish() -> VerificationResult:
        result.timings["total"] = time.monotonic() - started
        result.okay = not any(m.severity == "error" for m in result.tool_messages)
        failed = list(dict.fromkeys(m.declaration for m in result.tool_messages if m.declaration and m.severity == "error"))
        result.failed_declarations = failed
        return result

    cached = cache.get(formal_statement) if cache is not None else None
    try:
        stmt = cached[0] if cached else parse_statement(formal_statement)
    except StatementError as exc:
        result.tool_messages.append(ToolMessage("statement_error", str(exc)))
        return finish()
    result.declarations = [d.name for d in stmt.decls]

    header, _, _ = split_header(candidate)
    prepended = 0
    run_text = candidate
    if not header and stmt.header:
        # A bare candidate runs on the statement's imports.
        run_text = stmt.header + "\n" + candidate
        prepended = stmt.header.count("\n") + 1
    result.tool_messages.extend(
        scan_candidate(candidate, [d.name for d in stmt.decls], stmt.imports if (header or not stmt.header) else None)
    )
    for m in result.tool_messages:
        if m.reason == "extra_import":
            # Another module set: the statement's meaning there is unknown. Stop here.
            return finish()

    try:
        # 1. The statement and its renamed copy on a clean env.
        t0 = time.monotonic()
        if cached:
            reference = cached[1]
        else:
            probe = clean_probe(stmt)
            clean = _run(session, probe.text, None, budget, "elaborating the statement")
            reference = _read_clean_probe(stmt, probe, clean)
            if cache is not None:
                cache.put(formal_statement, (stmt, reference))
        result.timings["statement"] = time.monotonic() - t0

        # 2. The candidate.
        t0 = time.monotonic()
        cand = _run(session, run_text, None, budget, "running the candidate")
        result.timings["candidate"] = time.monotonic() - t0
        response = cand.command
        assert response is not None
        if prepended:
            response = shift_lines(response, -prepended)  # type: ignore[assignment]
            cand.response = response
        result.candidate = cand
        result.lean_messages = list(response.messages)
        if response.errors:
            for e in response.errors:
                where = f" (line {e.pos.line})" if e.pos else ""
                result.tool_messages.append(ToolMessage("compile_error", _first_line(e.data) + where))
            return finish()
        sorries = _check_sorries(candidate, response, permitted, result)

        # 3. The checks on the candidate's env.
        t0 = time.monotonic()
        checks = candidate_checks(stmt)
        answer = _run(session, checks.text, cand.env_after, budget, "checking the candidate's declarations", on_env=True)
        result.timings["checks"] = time.monotonic() - t0
        _judge(stmt, checks, answer, reference, permitted, allowed, sorries, result)
    except _Abort as abort:
        result.tool_messages.append(abort.tool_message)
    return finish()


def _run(session: LeanSession, text: str, env: int | None, budget: _Budget, what: str, *, on_env: bool = False) -> CellResult:
    """One request within the budget. ``on_env``: run ``text`` as is on ``env`` (a query);
    else as a cell, whose imports the session runs (or reuses) first."""
    left = budget.left()
    if left is not None and left <= 0:
        raise _Abort(ToolMessage("timeout", f"{what}: no time left"))
    if on_env:
        result = session.query(text, env=env, timeout=left)
    else:
        result = session.run_cell(text, env=env, commit=False, timeout=left)
    fault = _fault(result, what)
    if fault is not None:
        raise _Abort(fault)
    return result


@dataclass
class _Reference:
    types: dict[str, str]  # decl -> normalised pp.all #check of its copy
    values: dict[str, str]  # non-free definitions -> normalised pp.all #print of the copy


def _read_clean_probe(stmt: Statement, probe: _Script, clean: CellResult) -> _Reference:
    response = clean.command
    assert response is not None
    for tag, what in (("statement", "the statement does not compile"), ("copy", "the verifier's renamed copy of the statement does not compile")):
        errors = [m for m in probe.messages(response, tag) if m.is_error]
        if errors:
            detail = "; ".join(_first_line(e.data, 200) for e in errors[:3])
            raise _Abort(ToolMessage("statement_error", f"{what}: {detail}"))
    for d in stmt.decls:
        infos = [m for m in probe.messages(response, "stmt_print", d.name) if m.severity == "info"]
        parsed = parse_print_header(infos[0].data) if infos else None
        if parsed is None:
            raise _Abort(
                ToolMessage("statement_error", f"could not find `{d.name}` after elaborating the statement (is the name right?)", d.name)
            )
        d.lean_kind, d.universes = parsed
    ref = _Reference({}, {})
    for d in stmt.decls:
        ref.types[d.name] = _single_info(probe, response, "stmt_type", d.name)
        if d.is_definition and not d.free:
            ref.values[d.name] = _single_info(probe, response, "stmt_value", d.name)
    for printed in list(ref.types.values()) + list(ref.values.values()):
        if printed.startswith(_NO_PRINTOUT):
            raise _Abort(ToolMessage("statement_error", f"printing the statement failed: {printed[len(_NO_PRINTOUT):]}"))
    return ref


_NO_PRINTOUT = "\x00no printout: "


def _single_info(script: _Script, response: CommandResponse, tag: str, decl: str) -> str:
    infos = [m.data for m in script.messages(response, tag, decl) if m.severity == "info"]
    errors = [m.data for m in script.messages(response, tag, decl) if m.is_error]
    if errors or len(infos) != 1:
        return _NO_PRINTOUT + _normalise(" ".join(errors) or f"{len(infos)} printouts")
    return _normalise(infos[0])


def _check_sorries(
    candidate: str, response: CommandResponse, permitted: set[str], result: VerificationResult
) -> tuple[list[str], int]:
    """Report sorries outside permitted declarations; returns (where those are, how many
    sorries sit in permitted declarations)."""
    decls = scan_declarations(strip_comments_and_strings(candidate).text)
    places: list[tuple[int, int, str]] = []
    for s in response.sorries:
        if s.pos is not None:
            places.append((s.pos.line, s.pos.column, "sorry"))
    for m in response.messages:
        if m.pos is not None and _SORRY_WARNING.search(m.data):
            places.append((m.pos.line, m.pos.column, "warning"))
    outside: list[str] = []
    inside = 0
    reported: set[str] = set()
    # The sorries themselves first: their lines are the ones worth reporting.
    for line, column, what in sorted(places, key=lambda p: (p[2] != "sorry", p[0], p[1])):
        offset = Pos(line, column).offset_in(candidate)
        owner = None
        for d in decls:
            if d.start <= offset < max(d.end, d.start + 1):
                owner = d
        name = owner.full_name if owner is not None else None
        label = name or (f"an {owner.kind}" if owner is not None and owner.kind == "example" else f"line {line}")
        if name is not None and (name in permitted or name.split(".")[-1] in permitted):
            assert owner is not None
            # Constants made inside a permitted declaration's text carry its sorry under
            # other names: `where` / `let rec` (helper.aux), and a definition's nested
            # proofs (helper.proof_1). Another theorem could use them to prove anything.
            # Lean puts a declaration's sorry warning on its name: a warning elsewhere in the
            # text is another declaration's, made by a command the scan does not know
            # (Mathlib's `irreducible_def cheat : False := sorry` right after the theorem).
            leak = _AUX_CONSTANTS.search(owner.text)
            foreign = what == "warning" and offset != owner.name_start
            if leak is None and not foreign and owner.kind in ("theorem", "lemma"):
                inside += 1
                continue
            if leak is not None:
                how = f"its `{' '.join(leak.group(0).split())}` makes further constants that could carry it elsewhere"
            elif foreign:
                how = "Lean reports it for another declaration inside its text"
            else:
                how = f"a {owner.kind}'s nested proofs become constants that could carry it elsewhere"
            why = f"`sorry` in {label} (line {line}): {how}"
        else:
            why = f"`sorry` in {label} (line {line})"
        outside.append(label)
        if label not in reported:
            reported.add(label)
            result.tool_messages.append(ToolMessage("sorry", why, name))
    return outside, inside


def _judge(
    stmt: Statement,
    script: _Script,
    answer: CellResult,
    reference: _Reference,
    permitted: set[str],
    allowed: set[str],
    sorries: tuple[list[str], int],
    result: VerificationResult,
) -> None:
    sorry_outside, sorry_permitted = sorries
    response = answer.command
    assert response is not None
    copy_errors = [m for m in script.messages(response, "copy") if m.is_error]
    if copy_errors:
        detail = "; ".join(_first_line(e.data, 200) for e in copy_errors[:3])
        result.tool_messages.append(
            ToolMessage("statement_changed", f"the statement no longer elaborates after the candidate: {detail}")
        )
    for d in stmt.decls:

        def add(reason: str, message: str, name: str = d.name) -> None:
            result.tool_messages.append(ToolMessage(reason, message, name))

        kind_msgs = script.messages(response, "kind", d.name)
        if any(m.is_error for m in kind_msgs) or not any(m.severity == "info" for m in kind_msgs):
            add("missing_declaration", f"the candidate has no `{d.name}`")
            continue
        changed = False
        if _single_info(script, response, "stmt_type", d.name) != reference.types[d.name]:
            changed = True
            add("statement_changed", f"the type of `{d.name}` as stated means something else after the candidate (compare with pp.all)")
        if d.name in reference.values and _single_info(script, response, "stmt_value", d.name) != reference.values[d.name]:
            changed = True
            add("statement_changed", f"the value of `{d.name}` as stated means something else after the candidate")
        printed = parse_print_header(next(m.data for m in kind_msgs if m.severity == "info"))
        kind = printed[0] if printed else "?"
        if kind != d.lean_kind:
            add("kind_mismatch", f"`{d.name}` is a {kind} in the candidate but a {d.lean_kind} in the statement")
        if not changed and not copy_errors:
            type_errors = [m for m in script.messages(response, "type", d.name) if m.is_error]
            if type_errors:
                add("type_mismatch", f"the type of `{d.name}` differs from the statement's: {_first_line(type_errors[0].data, 400)}")
            elif d.name in reference.values:
                value_errors = [m for m in script.messages(response, "value", d.name) if m.is_error]
                if value_errors:
                    add("value_mismatch", f"the value of `{d.name}` differs from the statement's: {_first_line(value_errors[0].data, 400)}")
        if d.name in permitted or d.name.split(".")[-1] in permitted:
            continue
        axioms = None
        for m in script.messages(response, "axioms", d.name):
            if m.severity == "info":
                axioms = parse_axioms_message(m.data)
        if axioms is None:
            add("repl_failure", f"no `#print axioms` answer for `{d.name}`")
            continue
        result.axioms[d.name] = axioms
        # sorryAx is excused only when every sorry of the candidate sits in a permitted
        # declaration and there is one there for it to come from.
        if "sorryAx" in axioms and (sorry_outside or not sorry_permitted):
            add("sorryAx", f"`{d.name}` depends on sorryAx")
        bad = [a for a in axioms if a not in allowed and a != "sorryAx"]
        for a in bad:
            hint = " (native_decide; pass allow_native_decide=True to accept it)" if a in NATIVE_DECIDE_AXIOMS else ""
            add("disallowed_axiom", f"`{d.name}` depends on the axiom {a}{hint}")
