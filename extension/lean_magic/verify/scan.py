"""The text scan: a fast first filter over the candidate's code (comments and literal
text blanked by ``lean_kernel.lean_text``). The command allowlist on Lean's own infotree
(``lean_checks``) stands behind it.

Which strings are interpolated depends on grammar a lexer cannot know for sure, so the
code is read three ways (Lean's usual interpolation contexts, every string
interpolated, none) and a finding of any reading counts.

The scan is linear in the candidate and fast on hostile text too: each rule's pattern
starts with a literal word (so the regex engine skips to it), the word rules run only when
a word they are about can be in the code, and a scan of code that an earlier reading
already scanned is replayed rather than run again."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from lean_kernel.lean_text import WORD, Lexed, find_declarations, line_starts, plain_name, readings, word_positions

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
        "run_cmd",
        "run_elab",
        "run_meta",
        "#eval",
        "#eval!",
        "elab",
        "elab_rules",
        "macro",
        "macro_rules",
        "syntax",
        "declare_syntax_cat",
        "initialize",
        "builtin_initialize",
        "command_elab",
        "term_elab",
        "delab",
        "app_unexpander",
        # Code run from inside a proof or by simp (Batteries/Mathlib `run_tac`, `by_elab`;
        # core simprocs): MetaM code there can add declarations the kernel never sees.
        "run_tac",
        "by_elab",
        "simproc",
        "dsimproc",
        "simproc_decl",
        "dsimproc_decl",
    }
)
# Attributes that register a definition as code the elaborator runs, beyond those named in
# METAPROGRAMMING_TOKENS (`@[command_elab k]`, `@[macro k]`... are found as tokens):
# `@[tactic Lean.Parser.Tactic.decide] def t : Tactic := ...` replaces `decide` without any
# of the commands above; norm_num/positivity extensions run MetaM code inside proofs.
CODE_ATTRIBUTES = frozenset(
    {
        "tactic",
        "norm_num",
        "positivity",
        "init",
        "builtin_init",
        "env_linter",
        "code_action_provider",
        "command_code_action",
        "tactic_code_action",
        "hole_command",
        "term_parser",
        "tactic_parser",
        "command_parser",
    }
)
# Words and symbols of the verifier's own check commands (see script.candidate_checks). A
# notation of the candidate that makes one of them its own token (`notation (priority :=
# high) "type_of% " x => True`, or `"PLift.up" x => ()`, which drops the defeq test)
# changes what the checks mean without changing the statement's printout.
CHECK_VOCABULARY = frozenset(
    {
        "PLift",
        "PLift.up",
        "HEq",
        "HEq.refl",
        "apply",
        "type_of%",
        "with_unfolding_all",
        "by",
        "def",
        "noncomputable",
        "theorem",
        "universe",
        "sorry",
        "_root_",
        "axioms",
        "set_option",
        "in",
        "true",
        "false",
        "#check",
        "#print",
        "=",
        "@",
        ":",
        ":=",
        "(",
        ")",
        ".{",
        "pp.fullNames",
    }
)
# Names only a metaprogram needs (the last component is compared): defence in depth behind
# the entry points above. `modifyEnv`/`setEnv`/`addDeclWithoutChecking` add unchecked
# constants; the monads are what such code is written in.
METAPROGRAMMING_NAMES = frozenset(
    {
        "MetaM",
        "TacticM",
        "TermElabM",
        "CommandElabM",
        "CoreM",
        "MacroM",
        "SimpM",
        "Simproc",
        "DSimproc",
        "modifyEnv",
        "setEnv",
        "addDeclWithoutChecking",
        "addDeclCore",
        "evalExpr",
        "evalConst",
        "unsafeCast",
        "unsafeBaseIO",
        "unsafeIO",
        "unsafeEIO",
    }
)
# The kernel evaluates `Lean.reduceBool c` / `Lean.reduceNat c` by running compiled code,
# and records no axiom for it (native_decide's `Lean.ofReduceBool` is what records it).
NATIVE_REDUCTION_NAMES = frozenset({"reduceBool", "reduceNat", "Lean.reduceBool", "Lean.reduceNat"})

STMT_SUFFIX = "__stmt"
RESERVED_MARKERS = (STMT_SUFFIX, "__verify")


def _word_start(*words: str) -> str:
    """A regex for any of ``words`` where a word of code starts (not after ``[\\w'.]``),
    the word first, so that the regex engine skips quickly to where it could be."""
    return "(?:" + "|".join(f"{re.escape(w)}(?<![\\w'.]{re.escape(w)})" for w in words) + ")"


_NOTATION_KEYWORDS = ("notation3", "notation", "infixl", "infixr", "infix", "prefix", "postfix", "binder_predicate")
_NOTATION_COMMAND = re.compile("(" + _word_start(*_NOTATION_KEYWORDS) + r")(?![\w'!?])")
_NOTATION_WORDS = re.compile("|".join(_NOTATION_KEYWORDS))
_ATTRIBUTE_LIST = re.compile(r"(?:@\[|" + _word_start("attribute") + r"\s*\[)([^\]]*)\]")
_SET_OPTION = re.compile(_word_start("set_option") + r"\s+(" + WORD.pattern + ")")
_OPEN_PRIVATE = re.compile(_word_start("open") + r"\s+private(?![\w'])")
_EXPORT = re.compile("(" + _word_start("export", "renaming") + r")(?![\w'])[^\n]*")
_COLUMN_0_LINE = re.compile(r"\n(?=\S)")  # the line break before a line that starts in column 0


def _option_is_unsafe(option: str) -> str | None:
    for name, why in UNSAFE_OPTIONS.items():
        if option == name or (name.endswith(".") and option.startswith(name)):
            return why
    return None


@dataclass(frozen=True)
class TokenRule:
    """A word of the candidate that is a finding by itself: the word (without «») is one
    of ``words``, or its last dotted part one of ``last_parts``, or ``test`` says so (only
    tried on dotted words). Every word ``test`` accepts contains one of ``needles``: the
    scan looks for the words, parts and needles first, and skips the word rules when none
    is in the code."""

    reason: str
    message: str  # formatted with {tok}
    words: frozenset[str] = frozenset()
    last_parts: frozenset[str] = frozenset()
    test: Callable[[str], bool] | None = None
    needles: frozenset[str] = frozenset()


TOKEN_RULES: tuple[TokenRule, ...] = (
    TokenRule("new_axiom", "the candidate declares an axiom", words=frozenset({"axiom"})),
    TokenRule("sorryAx", "the candidate uses sorryAx directly", last_parts=frozenset({"sorryAx"})),
    TokenRule(
        "implemented_by",
        "@[implemented_by] makes compiled code differ from the checked definition",
        words=frozenset({"implemented_by"}),
    ),
    TokenRule(
        "extern", "@[extern] replaces a definition's compiled code with foreign code", words=frozenset({"extern"})
    ),
    TokenRule(
        "metaprogramming",
        "`{tok}` runs or defines metaprograms, which can change the env unchecked",
        words=METAPROGRAMMING_TOKENS,
    ),
    TokenRule(
        "metaprogramming",
        "`{tok}` belongs to Lean's metaprogramming API, which can change the env unchecked",
        last_parts=METAPROGRAMMING_NAMES,
    ),
    TokenRule(
        "native_reduction",
        "`{tok}`: the kernel runs compiled code for it and records no axiom",
        words=NATIVE_REDUCTION_NAMES | {"_root_." + n for n in NATIVE_REDUCTION_NAMES},
    ),
    TokenRule(
        "hidden_messages",
        "`#guard_msgs` swallows the messages (errors, sorry warnings) the checks read",
        words=frozenset({"#guard_msgs"}),
    ),
    # An option named in code (`withOptions (·.setBool `debug.skipKernelTC true)`).
    TokenRule(
        "unsafe_option",
        "`{tok}` names an option that switches checks off",
        test=lambda t: _option_is_unsafe(t) is not None,
        needles=frozenset(UNSAFE_OPTIONS),
    ),
)
_BY_WORD: dict[str, TokenRule] = {}
_BY_LAST: dict[str, TokenRule] = {}
for _rule in reversed(TOKEN_RULES):  # the first rule listed wins
    _BY_WORD.update(dict.fromkeys(_rule.words, _rule))
    _BY_LAST.update(dict.fromkeys(_rule.last_parts, _rule))
_TESTED = tuple(r for r in TOKEN_RULES if r.test is not None)
_PLAIN_HITS = frozenset(_BY_WORD) | frozenset(_BY_LAST)


def _needle(word: str) -> str:
    """``word`` as a regex that also finds it written with «» around its dotted parts (or
    around the part after a leading `#`): `«debug».skipKernelTC`, `#«eval»`."""
    parts = word.split(".")
    head = "#«?" + re.escape(parts[0][1:]) if parts[0].startswith("#") else re.escape(parts[0])
    return r"»?\.«?".join([head, *map(re.escape, parts[1:])])


# A word that breaks a rule holds one of these; none holds whitespace, so each is found
# in one of the code's whitespace-separated chunks (see _scan_words).
_NEEDLES = re.compile(
    "|".join(
        sorted(
            {_needle(w) for r in TOKEN_RULES for w in r.words | r.last_parts | r.needles}
            | set(map(re.escape, RESERVED_MARKERS))
        )
    )
)


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

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None  # line starts, worked out at the first finding
        self.found: list[ToolMessage] = []
        self._seen: set[tuple[str, str, str | None]] = set()
        self._count: dict[str, int] = {}
        self._more: dict[str, list] = {}  # reason -> [its summary message, findings past the limit]
        self._chunks_of: dict[str, str] = {}

    def line_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = line_starts(self.text)
        return self._starts

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts(), offset)

    def chunks(self, code: str) -> str:
        """_chunks(code), worked out once per code of this scan."""
        if code not in self._chunks_of:
            self._chunks_of[code] = _chunks(code)
        return self._chunks_of[code]

    def add(self, reason: str, message: str, offset: int | None = None, declaration: str | None = None) -> None:
        more = self._more.get(reason)
        if more is not None:
            more[1] += 1
            return
        if self._count.get(reason, 0) >= MAX_FINDINGS_PER_REASON:
            self._more[reason] = more = [ToolMessage(reason, "", None), 1]
            self.found.append(more[0])
            return
        where = f" (line {self.line(offset)})" if offset is not None else ""
        key = (reason, message + where, declaration)
        if key not in self._seen:
            self._seen.add(key)
            self._count[reason] = self._count.get(reason, 0) + 1
            self.found.append(ToolMessage(reason, message + where, declaration))

    def result(self) -> list[ToolMessage]:
        for summary, count in self._more.values():
            summary.message = f"and {count} more findings of this kind (readings counted apart)"
        return self.found


class _Recording:
    """What a scan adds, kept to be added again for a later reading with the same code."""

    def __init__(self, findings: _Findings) -> None:
        self.findings = findings
        self.calls: list[tuple] = []

    def add(self, reason: str, message: str, offset: int | None = None, declaration: str | None = None) -> None:
        self.calls.append((reason, message, offset, declaration))

    def line_starts(self) -> list[int]:
        return self.findings.line_starts()

    def chunks(self, code: str) -> str:
        return self.findings.chunks(code)


class _Sink(Protocol):
    """Where a scan puts its findings: the scan's _Findings, or a _Recording of them."""

    def add(self, reason: str, message: str, offset: int | None = None, declaration: str | None = None) -> None: ...

    def line_starts(self) -> list[int]: ...

    def chunks(self, code: str) -> str: ...


def scan_candidate(
    candidate: str, statement_names: Iterable[str] = (), statement_imports: Iterable[str] | None = None
) -> list[ToolMessage]:
    """The text-level cheat scan. ``statement_names``: full names of the statement's
    declarations; ``statement_imports``: its modules (None: do not compare imports)."""
    findings = _Findings(candidate)
    names = list(statement_names)
    lexed = readings(candidate)
    # Readings derived from the usual one share its code (and maybe its strings): a scan
    # of what it saw before is replayed, each reading still counted apart.
    recorded: dict[tuple, list[tuple]] = {}
    for reading in lexed:
        for scan, reads_strings in _CODE_SCANS:
            if len(lexed) == 1:
                scan(reading, names, findings)
                continue
            key = (scan, id(reading.code), id(reading.string_table) if reads_strings else None)
            if key not in recorded:
                recording = _Recording(findings)
                scan(reading, names, recording)
                recorded[key] = recording.calls
            for args in recorded[key]:
                findings.add(*args)
    if statement_imports is not None:
        _scan_imports(lexed[0], set(statement_imports), findings)
    return findings.result()


def _chunks(code: str) -> str:
    """The code's distinct whitespace-separated chunks: a much shorter text in which to
    look for a rule's keyword or needle (none holds whitespace) before reading the code."""
    return " ".join(set(code.split()))


def _scan_words(lexed: Lexed, names: list[str], findings: _Sink) -> None:
    code = lexed.code
    chunks = findings.chunks(code)
    if not _NEEDLES.search(chunks):
        return  # no word of the code can break a rule (the common case, kept cheap)
    # The words to judge: those of the chunks holding a needle (a word lies in one chunk,
    # unless a «» in it holds whitespace).
    text = code if "«" in chunks else " ".join(filter(_NEEDLES.search, chunks.split(" ")))
    verdicts = {
        word: verdict
        for word in set(WORD.findall(text))
        if _may_hit(word)
        for verdict in [_verdict(word)]
        if verdict[1] or verdict[3]
    }
    if not verdicts:
        return
    option_names = {m.start(1) for m in _SET_OPTION.finditer(code)}
    line_starts_ = findings.line_starts()
    seen: set[tuple[str, int]] = set()
    for word, pos in word_positions(code, verdicts):
        name, rule, message, reserved = verdicts[word]
        key = (name, bisect.bisect_right(line_starts_, pos))
        if key in seen:
            continue  # the same word on the same line: one finding
        seen.add(key)
        if rule is not None and not (rule.reason == "unsafe_option" and pos in option_names):
            findings.add(rule.reason, message, pos)
        if reserved:
            findings.add("redefined_statement_name", f"`{name}` uses a name reserved by the verifier", pos)


def _may_hit(word: str) -> bool:
    """Can a rule be about ``word``? (cheap: most words are plain and no rule's)"""
    return word in _PLAIN_HITS or "." in word or "«" in word or "__" in word


def _verdict(tok: str) -> tuple[str, TokenRule | None, str, bool]:
    """(the word without «», the rule it breaks, that rule's message, does it hold a name
    reserved by the verifier?). Identifiers are compared without «»: `«sorryAx»` and
    `@[«implemented_by» f]` are the same names to Lean (keywords such as `axiom` or
    `run_cmd` cannot be quoted)."""
    name = plain_name(tok)
    rule = rule_for(name)
    reserved = "__" in name and any(marker in name for marker in RESERVED_MARKERS)
    return name, rule, rule.message.format(tok=name) if rule is not None else "", reserved


def _scan_options(lexed: Lexed, names: list[str], findings: _Sink) -> None:
    if "set_option" not in findings.chunks(lexed.code):
        return
    for m in _SET_OPTION.finditer(lexed.code):
        option = plain_name(m.group(1))
        why = _option_is_unsafe(option)
        if why is not None:
            findings.add("unsafe_option", f"set_option {option}: {why}", m.start())


def _scan_attributes(lexed: Lexed, names: list[str], findings: _Sink) -> None:
    if "@[" not in findings.chunks(lexed.code) and "attribute" not in findings.chunks(lexed.code):
        return
    for m in _ATTRIBUTE_LIST.finditer(lexed.code):
        for entry in m.group(1).split(","):
            words = [plain_name(w.group(0)) for w in WORD.finditer(entry.strip().lstrip("-"))]
            words = [w for w in words if w not in ("local", "scoped")]
            if words and words[0] in CODE_ATTRIBUTES:
                findings.add(
                    "metaprogramming",
                    f"the attribute `{words[0]}` makes a definition code that the elaborator runs",
                    m.start(),
                )


def _scan_open_private(lexed: Lexed, names: list[str], findings: _Sink) -> None:
    if "private" not in findings.chunks(lexed.code):
        return
    for m in _OPEN_PRIVATE.finditer(lexed.code):
        findings.add("open_private", "`open private` exposes private declarations of other modules", m.start())


def _scan_notations(lexed: Lexed, names: list[str], findings: _Sink) -> None:
    code = lexed.code
    if not _NOTATION_WORDS.search(findings.chunks(code)):
        return
    commands = list(_NOTATION_COMMAND.finditer(code))
    if not commands:
        return
    table = lexed.string_table
    by_start = sorted(range(len(table.starts)), key=table.starts.__getitem__)
    starts = [table.starts[k] for k in by_start]
    column_0 = [m.end() for m in _COLUMN_0_LINE.finditer(code)]
    for m in commands:
        # The notation runs to the next line that starts in column 0.
        line_end = code.find("\n", m.start())
        later = bisect.bisect_right(column_0, line_end) if line_end >= 0 else len(column_0)
        end = column_0[later] if later < len(column_0) else len(code)
        inside = by_start[bisect.bisect_right(starts, m.start()) : bisect.bisect_left(starts, end)]
        for k in sorted(inside):  # in the order the strings close, as lexed.strings has them
            clash = sorted(set(table.values[k].split()) & CHECK_VOCABULARY)
            if clash:
                findings.add(
                    "notation_clash",
                    f'`{m.group(1)}` makes "{clash[0]}" a token of its own; the verifier\'s checks use it',
                    m.start(),
                )


def _short_names(lexed: Lexed, names: list[str]) -> dict[str, str]:
    """The statement's names by their last part, if one of them is in the candidate."""
    short = {n.split(".")[-1]: n for n in names}
    return short if any(name in lexed.source for name in short) else {}


def _scan_declared_names(lexed: Lexed, names: list[str], findings: _Sink) -> None:
    short = _short_names(lexed, names)
    if not short:
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


def _scan_string_names(lexed: Lexed, names: list[str], findings: _Sink) -> None:
    short = _short_names(lexed, names)
    table = lexed.string_table
    values = "\0".join(table.values)
    if not any(name in values for name in short):
        return
    for start, value in zip(table.starts, table.values):
        value = value.strip()
        if value and (value in short or value in names):
            findings.add(
                "redefined_statement_name", f'the string "{value}" (a notation?) spells a statement name', start
            )


def _scan_exports(lexed: Lexed, names: list[str], findings: _Sink) -> None:
    short = _short_names(lexed, names)
    if not short or ("export" not in findings.chunks(lexed.code) and "renaming" not in findings.chunks(lexed.code)):
        return
    for m in _EXPORT.finditer(lexed.code):
        hit = sorted({w.group(0) for w in WORD.finditer(m.group(0))} & (set(short) | set(names)))
        if hit:
            findings.add(
                "redefined_statement_name", f"`{m.group(1)}` makes `{hit[0]}` stand for another declaration", m.start()
            )


# Each scan, and whether it reads the strings (the others read only the code).
_CODE_SCANS = (
    (_scan_words, False),
    (_scan_options, False),
    (_scan_attributes, False),
    (_scan_open_private, False),
    (_scan_notations, True),
    (_scan_declared_names, False),
    (_scan_string_names, True),
    (_scan_exports, False),
)


def _scan_imports(lexed: Lexed, allowed: set[str], findings: _Findings) -> None:
    for mod in lexed.header().modules:
        if plain_name(mod) not in {plain_name(a) for a in allowed}:
            findings.add(
                "extra_import", f"imports {mod}, which the statement does not import (its contents would be trusted)"
            )
