"""The text scan: a fast first filter over the candidate's code (comments and literal
text blanked by ``lean_kernel.lean_text``). The command allowlist on Lean's own infotree
(``lean_checks``) stands behind it.

Which strings are interpolated depends on grammar a lexer cannot know for sure, so the
code is read three ways (Lean's usual interpolation contexts, every string
interpolated, none) and a finding of any reading counts."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from lean_kernel.lean_text import WORD, Lexed, find_declarations, lex, line_starts, plain_name, read_header

from .result import ToolMessage

DEFAULT_MAX_CANDIDATE_BYTES = 1_000_000

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
# Words and symbols of the verifier's own check commands (see script.candidate_checks). A
# notation of the candidate that makes one of them its own token (`notation (priority :=
# high) "type_of% " x => True`, or `"PLift.up" x => ()`, which drops the defeq test)
# changes what the checks mean without changing the statement's printout.
CHECK_VOCABULARY = frozenset(
    {
        "PLift", "PLift.up", "HEq", "HEq.refl", "apply", "type_of%", "with_unfolding_all", "by", "def",
        "noncomputable", "theorem", "universe", "sorry", "_root_", "axioms", "set_option",
        "in", "true", "false", "#check", "#print", "=", "@", ":", ":=", "(", ")", ".{", "pp.fullNames",
    }
)
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

_NOTATION_COMMAND = re.compile(r"(?<![\w'.])(notation3?|infixl?|infixr|prefix|postfix|binder_predicate)(?![\w'!?])")
_ATTRIBUTE_LIST = re.compile(r"(?:@\[|(?<![\w'.])attribute\s*\[)([^\]]*)\]")
_SET_OPTION = re.compile(r"(?<![\w'.])set_option\s+(" + WORD.pattern + ")")
_OPEN_PRIVATE = re.compile(r"(?<![\w'.])open\s+private(?![\w'])")
_EXPORT = re.compile(r"(?<![\w'.])(export|renaming)(?![\w'])[^\n]*")
_LINE_START = re.compile(r"(?m)^(?=\S)")


def _option_is_unsafe(option: str) -> str | None:
    for name, why in UNSAFE_OPTIONS.items():
        if option == name or (name.endswith(".") and option.startswith(name)):
            return why
    return None


@dataclass(frozen=True)
class TokenRule:
    """A word of the candidate that is a finding by itself: the word (without «») is one
    of ``words``, or its last dotted part one of ``last_parts``, or ``test`` says so (only
    tried on dotted words)."""

    reason: str
    message: str  # formatted with {tok}
    words: frozenset[str] = frozenset()
    last_parts: frozenset[str] = frozenset()
    test: Callable[[str], bool] | None = None


TOKEN_RULES: tuple[TokenRule, ...] = (
    TokenRule("new_axiom", "the candidate declares an axiom", words=frozenset({"axiom"})),
    TokenRule("sorryAx", "the candidate uses sorryAx directly", last_parts=frozenset({"sorryAx"})),
    TokenRule("implemented_by", "@[implemented_by] makes compiled code differ from the checked definition",
              words=frozenset({"implemented_by"})),
    TokenRule("extern", "@[extern] replaces a definition's compiled code with foreign code", words=frozenset({"extern"})),
    TokenRule("metaprogramming", "`{tok}` runs or defines metaprograms, which can change the env unchecked",
              words=METAPROGRAMMING_TOKENS),
    TokenRule("metaprogramming", "`{tok}` belongs to Lean's metaprogramming API, which can change the env unchecked",
              last_parts=METAPROGRAMMING_NAMES),
    TokenRule("native_reduction", "`{tok}`: the kernel runs compiled code for it and records no axiom",
              words=NATIVE_REDUCTION_NAMES | {"_root_." + n for n in NATIVE_REDUCTION_NAMES}),
    TokenRule("hidden_messages", "`#guard_msgs` swallows the messages (errors, sorry warnings) the checks read",
              words=frozenset({"#guard_msgs"})),
    # An option named in code (`withOptions (·.setBool `debug.skipKernelTC true)`).
    TokenRule("unsafe_option", "`{tok}` names an option that switches checks off", test=lambda t: _option_is_unsafe(t) is not None),
)
_BY_WORD: dict[str, TokenRule] = {}
_BY_LAST: dict[str, TokenRule] = {}
for _rule in reversed(TOKEN_RULES):  # the first rule listed wins
    _BY_WORD.update(dict.fromkeys(_rule.words, _rule))
    _BY_LAST.update(dict.fromkeys(_rule.last_parts, _rule))
_TESTED = tuple(r for r in TOKEN_RULES if r.test is not None)
_PLAIN_HITS = frozenset(_BY_WORD) | frozenset(_BY_LAST)


def rule_for(tok: str) -> TokenRule | None:
    """The rule a word breaks, if any (table lookups; tests only for dotted words)."""
    rule = _BY_WORD.get(tok)
    if rule is None and "." in tok:
        rule = _BY_LAST.get(tok[tok.rfind(".") + 1 :]) or next((r for r in _TESTED if r.test(tok)), None)  # type: ignore[misc]
    return rule if rule is not None else _BY_LAST.get(tok)


# Past this many findings of one reason, the rest are only counted (a hostile candidate
# can hold a hundred thousand `axiom`s; one message each helps nobody).
MAX_FINDINGS_PER_REASON = 10


class _Findings:
    """Findings of one scan, each reported once however many readings see it."""

    def __init__(self, code: str) -> None:
        self.starts = line_starts(code)
        self.found: list[ToolMessage] = []
        self._seen: set[tuple[str, str, str | None]] = set()
        self._count: dict[str, int] = {}
        self._summaries: dict[str, ToolMessage] = {}

    def add(self, reason: str, message: str, offset: int | None = None, declaration: str | None = None) -> None:
        if self._count.get(reason, 0) >= MAX_FINDINGS_PER_REASON:
            self._more(reason)
            return
        where = f" (line {bisect.bisect_right(self.starts, offset)})" if offset is not None else ""
        key = (reason, message + where, declaration)
        if key not in self._seen:
            self._seen.add(key)
            self._count[reason] = self._count.get(reason, 0) + 1
            self.found.append(ToolMessage(reason, message + where, declaration))

    def _more(self, reason: str) -> None:
        summary = self._summaries.get(reason)
        if summary is None:
            summary = self._summaries[reason] = ToolMessage(reason, "", None)
            summary.declaration = None
            self.found.append(summary)
            self._count[reason + " more"] = 0
        self._count[reason + " more"] += 1
        summary.message = f"and {self._count[reason + ' more']} more findings of this kind (readings counted apart)"


def readings(candidate: str) -> Iterator[Lexed]:
    """The candidate lexed with Lean's usual interpolation contexts, then (when a string
    has a `{` and the readings can differ) with every string interpolated and with none."""
    usual = lex(candidate)
    yield usual
    if any(s.interpolated or "{" in s.value for s in usual.strings):
        yield lex(candidate, interpolation="all")
        yield lex(candidate, interpolation="none")


def scan_candidate(
    candidate: str, statement_names: Iterable[str] = (), statement_imports: Iterable[str] | None = None
) -> list[ToolMessage]:
    """The text-level cheat scan. ``statement_names``: full names of the statement's
    declarations; ``statement_imports``: its modules (None: do not compare imports)."""
    findings = _Findings(candidate)
    names = list(statement_names)
    for lexed in readings(candidate):
        for scan in _CODE_SCANS:
            scan(lexed, names, findings)
    if statement_imports is not None:
        _scan_imports(candidate, set(statement_imports), findings)
    return findings.found


def _scan_words(lexed: Lexed, names: list[str], findings: _Findings) -> None:
    option_names = {m.start(1) for m in _SET_OPTION.finditer(lexed.code)}
    seen: set[tuple[str, int]] = set()
    for m in WORD.finditer(lexed.code):
        tok = m.group(0)
        if tok not in _PLAIN_HITS and "." not in tok and "«" not in tok and "__" not in tok:
            continue  # the common case, kept cheap: a plain word no rule is about
        # Identifiers are compared without «»: `«sorryAx»` and `@[«implemented_by» f]` are
        # the same names to Lean (keywords such as `axiom` or `run_cmd` cannot be quoted).
        tok, pos = plain_name(tok), m.start()
        key = (tok, bisect.bisect_right(findings.starts, pos))
        if key in seen:
            continue  # the same word on the same line: one finding
        seen.add(key)
        rule = rule_for(tok)
        if rule is not None and not (rule.reason == "unsafe_option" and pos in option_names):
            findings.add(rule.reason, rule.message.format(tok=tok), pos)
        if "__" in tok and any(marker in tok for marker in RESERVED_MARKERS):
            findings.add("redefined_statement_name", f"`{tok}` uses a name reserved by the verifier", pos)


def _scan_options(lexed: Lexed, names: list[str], findings: _Findings) -> None:
    for m in _SET_OPTION.finditer(lexed.code):
        option = plain_name(m.group(1))
        why = _option_is_unsafe(option)
        if why is not None:
            findings.add("unsafe_option", f"set_option {option}: {why}", m.start())


def _scan_attributes(lexed: Lexed, names: list[str], findings: _Findings) -> None:
    for m in _ATTRIBUTE_LIST.finditer(lexed.code):
        for entry in m.group(1).split(","):
            words = [plain_name(w.group(0)) for w in WORD.finditer(entry.strip().lstrip("-"))]
            words = [w for w in words if w not in ("local", "scoped")]
            if words and words[0] in CODE_ATTRIBUTES:
                findings.add("metaprogramming", f"the attribute `{words[0]}` makes a definition code that the elaborator runs", m.start())


def _scan_open_private(lexed: Lexed, names: list[str], findings: _Findings) -> None:
    for m in _OPEN_PRIVATE.finditer(lexed.code):
        findings.add("open_private", "`open private` exposes private declarations of other modules", m.start())


def _scan_notations(lexed: Lexed, names: list[str], findings: _Findings) -> None:
    code = lexed.code
    for m in _NOTATION_COMMAND.finditer(code):
        # The notation runs to the next line that starts in column 0.
        nxt = _LINE_START.search(code, code.find("\n", m.start()) + 1) if "\n" in code[m.start() :] else None
        end = nxt.start() if nxt else len(code)
        for lit in lexed.strings:
            if m.start() < lit.start < end:
                clash = sorted(set(lit.value.split()) & CHECK_VOCABULARY)
                if clash:
                    findings.add(
                        "notation_clash", f"`{m.group(1)}` makes \"{clash[0]}\" a token of its own; the verifier's checks use it", m.start()
                    )


def _scan_statement_names(lexed: Lexed, names: list[str], findings: _Findings) -> None:
    short = {n.split(".")[-1]: n for n in names}
    if not short or not any(name in lexed.source for name in short):
        return
    for decl in find_declarations(lexed.code, only=set(short)):
        if decl.full_name is None:
            continue
        last = plain_name(decl.full_name).split(".")[-1]
        if last in short and plain_name(decl.full_name) != short[last]:
            findings.add(
                "redefined_statement_name",
                f"declares `{decl.full_name}`, a second `{last}` beside the statement's `{short[last]}`",
                decl.start,
                short[last],
            )
    for lit in lexed.strings:
        value = lit.value.strip()
        if value and (value in short or value in names):
            findings.add("redefined_statement_name", f"the string \"{value}\" (a notation?) spells a statement name", lit.start)
    for m in _EXPORT.finditer(lexed.code):
        hit = sorted({w.group(0) for w in WORD.finditer(m.group(0))} & (set(short) | set(names)))
        if hit:
            findings.add("redefined_statement_name", f"`{m.group(1)}` makes `{hit[0]}` stand for another declaration", m.start())


_CODE_SCANS = (_scan_words, _scan_options, _scan_attributes, _scan_open_private, _scan_notations, _scan_statement_names)


def _scan_imports(candidate: str, allowed: set[str], findings: _Findings) -> None:
    for mod in read_header(candidate).modules:
        if plain_name(mod) not in {plain_name(a) for a in allowed}:
            findings.add("extra_import", f"imports {mod}, which the statement does not import (its contents would be trusted)")
