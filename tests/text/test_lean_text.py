"""lean_kernel.lean_text: the one Lean lexer, and the verifier's scan over it, attacked.

No REPL. Every adversarial input hides a banned command from a lexer that gets Lean's
grammar wrong (each would have hidden it from the verifier's previous hand-written
lexer or from a plausible simpler one); each must be flagged by the scan, and by the
command allowlist given the infotree Lean would return for the hidden command (built
here in the recorded CommandInfo shape, see tests/verify/verify_infotree.py)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "verify"))

from lean_magic.verify import check_commands, scan_candidate
from verify_infotree import command_node, macro_expansion

from lean_kernel.lean_text import (
    declared_names,
    find_declarations,
    is_id_first,
    is_id_rest,
    is_name_char,
    lex,
    offset_of,
    position_of,
    read_header,
    summary_line,
)
from lean_kernel.protocol import InfoNode

# The hidden command of each input, how the scan names it, and how Lean's infotree shows
# it (elaborator, syntax kind, argKinds: src/Lean/Elab/BuiltinCommand.lean,
# Declaration.lean, ElabRules/Syntax elaborators for `elab`).
HIDDEN = {
    "run_cmd": (
        "metaprogramming",
        ("Lean.Elab.Command.elabRunCmd", "Lean.Parser.Command.runCmd", ["run_cmd", "Lean.Parser.Term.doSeq"]),
        "disallowed_command",
    ),
    "#eval": (
        "metaprogramming",
        ("Lean.Elab.Command.elabEval", "Lean.Parser.Command.eval", ["#eval", "term"]),
        "disallowed_command",
    ),
    "elab": (
        "metaprogramming",
        ("Lean.Elab.Command.elabElab", "Lean.Parser.Command.elab", ["null"] * 9),
        "disallowed_command",
    ),
    "axiom": (
        "new_axiom",
        (
            "Lean.Elab.Command.elabDeclaration",
            "Lean.Parser.Command.declaration",
            ["Lean.Parser.Command.declModifiers", "Lean.Parser.Command.axiom"],
        ),
        "new_axiom",
    ),
    "set_option": (
        "unsafe_option",
        (
            "Lean.Elab.Command.elabSetOption",
            "Lean.Parser.Command.set_option",
            ["set_option", "ident", "null", "Lean.Parser.Command.optionValue"],
        ),
        "unsafe_option",
    ),
}
BANNED = {
    "run_cmd": "run_cmd pure ()",
    "#eval": "#eval (0 : Nat)",
    "elab": 'elab "zz" : term => pure default',
    "axiom": "axiom cheat : False",
    "set_option": "set_option debug.skipKernelTC true",
}

Q = '"'
ADVERSARIAL: list[tuple[str, str, str]] = [
    # The bypasses found in the previous lexer (issue 9): a `"` inside an interpolation.
    ("issue: char in s!", "run_cmd", 'def s := s!"{\'"\'}"\n{cmd}\n-- "'),
    ("issue: comment in s!", "run_cmd", 'def s := s!"{0 -- }"\n}"\n{cmd}\n-- "'),
    ("issue: string in s!", "run_cmd", 'def s := s!"{"\\""}"\n{cmd}\n-- "'),
    ("issue: char in m!", "run_cmd", 'def s := m!"{\'"\'}"\n{cmd}\n-- "'),
    (
        "issue: all four at once",
        "axiom",
        'def s := s!"{\'"\'}"\nrun_cmd pure ()\nelab "x" : term => pure default\nset_option debug.skipKernelTC true\n{cmd}\n-- "',
    ),
    # Interpolation.
    ("f! with a char", "#eval", 'def s := f!"{\'"\'}"\n{cmd}\n-- "'),
    ("s! with a space before the string", "#eval", 'def s := s! "{\'"\'}"\n{cmd}\n-- "'),
    ("s! with a comment before the string", "#eval", 'def s := s! -- why not\n  "{\'"\'}"\n{cmd}\n-- "'),
    ("nested s! in s!", "set_option", 'def s := s!"{s!"{\'"\'}"}"\n{cmd}\n-- "'),
    ("braces inside the interpolation", "axiom", 'def s := s!"{ ({ x := \'"\' } : Foo).x }"\n{cmd}\n-- "'),
    ("block comment with a quote inside the interpolation", "axiom", 'def s := s!"{0 /- " -/}"\n{cmd}\n-- "'),
    ("escaped brace then an interpolation", "run_cmd", 'def s := s!"\\{{\'"\'}}"\n{cmd}\n-- "'),
    ("interpolated string spanning lines", "run_cmd", 'def s := s!"a\n{\'"\'}\nb"\n{cmd}\n-- "'),
    ("println! is interpolated", "run_cmd", 'def s : IO Unit := println! "{\'"\'}"\n{cmd}\n-- "'),
    ("dbg_trace is interpolated", "run_cmd", 'def s := dbg_trace "{\'"\'}"; 0\n{cmd}\n-- "'),
    ("a user word ending in ! before a plain string", "axiom", 'def s := foo! "{"\n{cmd}\ndef t := "}"'),
    ("throwErrorAt: interpolated after a term", "run_cmd", 'def s := throwErrorAt ref "{\'"\'}"\n{cmd}\n-- "'),
    # Plain strings, escapes, gaps.
    ("escaped quote", "axiom", 'def s := "a\\"b"\n{cmd}\n-- "'),
    ("escaped backslash before the quote", "axiom", 'def s := "a\\\\"\n{cmd}\n-- "'),
    ("string gap", "axiom", 'def s := "a\\\n   b"\n{cmd}\n-- "'),
    ("plain string with a brace", "run_cmd", 'def s := "{"\n{cmd}\n-- }"'),
    # Raw strings.
    ("raw string with a quote", "run_cmd", 'def s := r#"a"b"#\n{cmd}\n-- "'),
    ("raw string with two hashes", "run_cmd", 'def s := r##"x"#"y"##\n{cmd}\n-- "'),
    ("raw string: backslash is no escape", "run_cmd", 'def s := r"a\\"\n{cmd}\n-- "'),
    ("raw string after a number", "run_cmd", 'def s := f 2r"a"\n{cmd}\n-- "'),
    # Character literals.
    ("char literal of a quote", "#eval", "#check '\"'\n{cmd}\n-- \""),
    ("char literal after a number", "#eval", "def s := f 2'\"'\n{cmd}\n-- \""),
    ("escaped quote char", "#eval", "def s := '\\''\ndef t := \"a\"\n{cmd}"),
    ("hex escape char", "#eval", "def s := '\\x22'\n{cmd}\n-- \""),
    ("unicode escape char", "#eval", "def s := '\\u0022'\n{cmd}\n-- \""),
    ("prime in a name, then a string", "axiom", "theorem h' : x' = x' := rfl\ndef s := h'\"\"\n{cmd}"),
    ("image notation '' then a string", "axiom", 'def s := f \'\' "a"\n{cmd}\n-- "'),
    # Comments.
    ("nested block comments", "run_cmd", '/- /- -/ " -/\n{cmd}\n-- "'),
    ("quote inside a block comment", "run_cmd", '/- " -/\n{cmd}\n-- "'),
    ("doc comment with a nested comment", "run_cmd", '/-- doc /- " -/ still -/\n{cmd}\n-- "'),
    ("module doc with a quote", "run_cmd", '/-! " -/\n{cmd}\n-- "'),
    ("line comment marker inside a string", "run_cmd", 'def s := "--"\n{cmd}'),
    ("block comment marker inside a string", "run_cmd", 'def s := "/-"\n{cmd}\n-- -/'),
    # «» names.
    ("guillemets with a quote", "run_cmd", 'def «a"b» := 1\n{cmd}\n-- "'),
    ("guillemets spanning a line", "run_cmd", 'def «a\n"b» := 1\n{cmd}\n-- "'),
    ("guillemets with a comment marker", "axiom", "def «a -- b» := 1\n{cmd}"),
    ("dotted guillemet name", "axiom", 'def x.«y"».z := 1\n{cmd}\n-- "'),
    # Unicode look-alikes: Lean has no such token, so the command after them still runs
    # (after a parse error Lean resumes at the next command); nothing may swallow it.
    ("fullwidth quote", "run_cmd", "def s := ＂\n{cmd}\n-- ＂"),
    ("fullwidth comment dashes", "run_cmd", "－－ {cmd}"),
    ("look-alike guillemet", "run_cmd", "def ‹a := 1\n{cmd}\n-- ›"),
    ("zero-width space glued to the command", "run_cmd", "\u200b{cmd}"),
    ("Greek question mark look-alike of ;", "axiom", "def s := 1 ;\n{cmd}"),
]


def _text(template: str, hidden: str) -> str:
    return template.replace("{cmd}", BANNED[hidden])


@pytest.mark.parametrize("name, hidden, template", ADVERSARIAL, ids=[a[0] for a in ADVERSARIAL])
def test_adversarial_input_is_flagged(name, hidden, template):
    text = _text(template, hidden)
    scan_reason, (elaborator, kind, arg_kinds), allowlist_reason = HIDDEN[hidden]
    found = [m.reason for m in scan_candidate(text, ["foo"], [])]
    assert scan_reason in found, (text, found)
    # Lean's infotree for the same file shows the hidden command: the allowlist rejects it.
    at = text.index(BANNED[hidden])
    tree = [InfoNode.from_json(command_node(text, at, at + len(BANNED[hidden]), elaborator, kind, arg_kinds))]
    check = check_commands(tree)
    assert check.ran and allowlist_reason in [m.reason for m in check.findings]


def test_there_are_enough_adversarial_inputs():
    assert len(ADVERSARIAL) >= 34  # the issue's 4 bypasses and at least 30 more


def test_the_issue_bypass_reads_as_lean_reads_it():
    lexed = lex('def s := s!"{\'"\'}"\nrun_cmd foo\n-- "')
    assert "run_cmd foo" in lexed.code and lexed.state == "ok"
    assert [s.interpolated for s in lexed.strings] == [True]


def test_macro_expansions_are_checked_command_by_command():
    # `set_option … in theorem …`: the `in` macro is transparent, its expansion is checked.
    text = "set_option debug.skipKernelTC true in\ntheorem foo : True := trivial"
    opt = command_node(text, 0, 34, "Lean.Elab.Command.elabSetOption", "Lean.Parser.Command.set_option", ["set_option"])
    decl = command_node(
        text,
        38,
        len(text),
        "Lean.Elab.Command.elabDeclaration",
        "Lean.Parser.Command.declaration",
        ["Lean.Parser.Command.declModifiers", "Lean.Parser.Command.theorem"],
    )
    macro = command_node(
        text,
        0,
        len(text),
        "Lean.Elab.Command.expandInCmd",
        "Lean.Parser.Command.in",
        [],
        [macro_expansion([opt, decl])],
    )
    check = check_commands([InfoNode.from_json(macro)])
    assert [m.reason for m in check.findings] == ["unsafe_option"] and check.commands == 3
    # An unknown macro is not transparent: it is rejected, whatever it made.
    macro["node"]["elaborator"] = "Evil.myMacro"
    assert [m.reason for m in check_commands([InfoNode.from_json(macro)]).findings] == ["disallowed_command"]


def test_a_command_a_macro_made_is_scanned_in_lean_printing():
    # Mathlib's `lemma` expands to a theorem; Lean's printing of the expansion is scanned.
    text = "lemma foo : True := trivial"
    inner = command_node(
        text,
        0,
        len(text),
        "Lean.Elab.Command.elabDeclaration",
        "Lean.Parser.Command.declaration",
        ["Lean.Parser.Command.declModifiers", "Lean.Parser.Command.theorem"],
    )
    inner["node"]["stx"]["pp"] = "@[implemented_by evil] theorem foo : True := trivial"
    lemma = command_node(text, 0, len(text), "expandLemma", "lemma", [], [macro_expansion([inner])])
    reasons = [m.reason for m in check_commands([InfoNode.from_json(lemma)]).findings]
    assert "implemented_by" in reasons


def test_allowlist_fails_closed_without_command_nodes():
    assert not check_commands(None).ran
    assert not check_commands([]).ran
    tactic = InfoNode.from_json({"node": None, "kind": "TacticInfo", "children": []})
    assert not check_commands([tactic]).ran  # the "tactics" mode's shape: no commands in it


def test_options_set_inside_tactics_are_checked():
    text = "theorem foo : True := by\n  set_option debug.skipKernelTC true in trivial"
    decl = command_node(
        text,
        0,
        len(text),
        "Lean.Elab.Command.elabDeclaration",
        "Lean.Parser.Command.declaration",
        ["Lean.Parser.Command.declModifiers", "Lean.Parser.Command.theorem"],
    )
    tac = {
        "node": {
            "stx": {
                "range": None,
                "pp": "set_option debug.skipKernelTC true in trivial",
                "kind": "Lean.Parser.Tactic.set_option",
                "argKinds": [],
            },
            "name": "Lean.Parser.Tactic.set_option",
            "goalsBefore": [],
            "goalsAfter": [],
        },
        "kind": "TacticInfo",
        "children": [],
    }
    decl["children"] = [tac]
    assert [m.reason for m in check_commands([InfoNode.from_json(decl)]).findings] == ["unsafe_option"]


# --------------------------------------------------------------------------- the lexer itself


def test_blanking_keeps_offsets_lines_and_quotes():
    src = "theorem t : True := by -- axiom here\n  /- a /- nested axiom -/ still -/ trivial\n#check \"axiom\" 'a'"
    out = lex(src)
    assert len(out.code) == len(src) and out.code.count("\n") == src.count("\n")
    assert "axiom" not in out.code
    assert out.code.index("trivial") == src.index("trivial")
    assert [s.value for s in out.strings] == ["axiom"]
    assert out.code.endswith("\"     \" ' '")


def test_open_constructs_are_reported():
    assert lex("/- open").state == "comment"
    assert lex('def s := "open').state == "string"
    assert lex('def s := s!"{x').state == "string"
    assert lex("def «open").state == "name"
    assert lex("def x := 1").state == "ok"


@pytest.mark.parametrize(
    "ch, first, rest",
    [
        ("a", True, True),
        ("_", True, True),
        ("1", False, True),
        ("'", False, True),
        ("!", False, True),
        ("α", True, True),
        ("λ", False, False),
        ("Π", False, False),
        ("Σ", False, False),
        ("ℕ", True, True),
        ("₁", False, True),
        ("é", True, True),
        ("а", False, False),
        ("-", False, False),
        ("\u00a0", False, False),
    ],
)
def test_identifier_characters_are_leans(ch, first, rest):
    # Init/Meta/Defs.lean: ASCII letters, isLetterLike (Greek but λ Π Σ, ℕ..., Latin-1 in
    # newer Lean), subscripts; not Cyrillic а, not a no-break space.
    assert (is_id_first(ch), is_id_rest(ch)) == (first, rest)


@pytest.mark.parametrize(
    "source, modules, rest",
    [
        ("import Mathlib -- reals\ntheorem x : True := trivial", ["Mathlib"], " -- reals\ntheorem"),
        ("import Lake open Lake DSL", ["Lake"], " open Lake DSL"),
        ("/- © -/\nimport A\n-- c\nimport B.C\n\ndef x := 1", ["A", "B.C"], "\n\ndef x"),
        ("module\npublic import Lean\nmeta import all Foo\nx", ["Lean", "Foo"], "\nx"),
        ("import A B", ["A"], " B"),  # one module per import, as Module.lean parses it
        ("theorem x : True := trivial\nimport A", [], None),
        ("import «My Module»\n", ["«My Module»"], "\n"),
    ],
)
def test_header_is_read_as_lean_reads_it(source, modules, rest):
    header = read_header(source)
    assert header.modules == modules
    if rest is not None:
        assert source[header.end :].startswith(rest)


def test_positions_round_trip():
    text = "ab\ncdé\n\nx"
    for offset in range(len(text) + 1):
        line, column = position_of(text, offset)
        assert offset_of(text, line, column) == offset


def test_declarations_with_guillemets_and_namespaces():
    code = lex("namespace «A B»\ntheorem «foo bar» : True := trivial\nend «A B»").code
    assert [d.full_name for d in find_declarations(code)] == ["«A B».«foo bar»"]


# --------------------------------------------------------------------------- properties

_LEAN_ALPHABET = st.sampled_from([*list("ab'\"{}-/#r«»\\\n !s0"), "--", "/-", "-/", 's!"', 'r#"', '"#', "'\"'"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_LEAN_ALPHABET, max_size=60).map("".join))
def test_lexing_keeps_length_lines_and_only_blanks(text):
    out = lex(text)
    assert len(out.code) == len(text)
    for a, b in zip(text, out.code):
        assert b == a or (b == " " and a != "\n")
    for reading in ("all", "none"):
        assert len(lex(text, interpolation=reading).code) == len(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LEAN_ALPHABET, max_size=40).map("".join), st.sampled_from(sorted(BANNED)))
def test_a_command_on_its_own_line_after_closed_text_is_seen(prefix, hidden):
    # Whatever comes before, once every comment, string and name is closed, a command on
    # a line of its own is code in every reading.
    if lex(prefix).state != "ok" or any(lex(prefix, interpolation=r).state != "ok" for r in ("all", "none")):
        return
    text = prefix + "\n" + BANNED[hidden] + "\n"
    keyword = BANNED[hidden].split()[0]
    for reading in ("context", "all", "none"):
        assert "\n" + keyword + " " in lex(text, interpolation=reading).code


_SHAPES = {
    "primes": lambda n: "x" + "'" * n,
    "digit primes": lambda n: "1'1'" * (n // 4),
    "nested comments": lambda n: "/-" * (n // 4) + "-/" * (n // 4),
    "interpolations": lambda n: 's!"{' * (n // 8) + '}"' * (n // 8),
    "raw strings": lambda n: 'r#"a"#\n' * (n // 8),
    "words": lambda n: "axiom run_cmd h' «x» " * (n // 21),
}


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_lexing_time_grows_linearly(shape):
    # Doubling the input roughly doubles the time: over two doublings a linear scan takes
    # about 4x, a quadratic one 16x. The bound (8x, i.e. at most 2.8x per doubling) leaves
    # room for a loaded machine; best of 5 runs each, in CPU time, which other processes
    # on a busy machine disturb far less than wall time.
    make = _SHAPES[shape]

    def best(n: int) -> float:
        text = make(n)
        times = []
        for _ in range(5):
            t0 = time.process_time()
            scan_candidate(text, ["foo"], [])
            times.append(time.process_time() - t0)
        return min(times)

    small, large = best(50_000), best(200_000)
    assert large < 8 * small + 0.02, (shape, small, large)


# --------------------------------------------------------------------------- the shared small helpers


def test_name_characters_one_rule_with_the_goal_dagger_as_an_option():
    for ch in "aZ_0'!?ℕα₁.":
        assert is_name_char(ch) and is_name_char(ch, inaccessible=True)
    assert not is_name_char("✝") and is_name_char("✝", inaccessible=True)
    for ch in " (:⊢«":
        assert not is_name_char(ch, inaccessible=True)


def test_declared_names_with_and_without_namespaces():
    code = "namespace Foo\ntheorem bar : True := trivial\nend Foo\ndef _root_.top := 1\ndef baz := 2"
    assert declared_names(code) == ["Foo.bar", "top", "baz"]
    assert declared_names(code, qualified=False) == ["bar", "_root_.top", "baz"]


@pytest.mark.parametrize(
    "text, options, expected",
    [
        ("\n  simp\n  rfl\n", {}, "simp"),
        ("\n  simp\n  rfl\n", {"more": " …"}, "simp …"),
        ("simp", {"more": " …"}, "simp"),
        ("theorem a_long_name : True", {"limit": 10}, "theorem a…"),
        ("x : Nat\n⊢   x = x", {"lines": "joined"}, "x : Nat ⊢ x = x"),
        ("  unknown\nidentifier  ", {"lines": "all", "limit": 9}, "unknown\n…"),
        ("short", {"limit": 5}, "short"),
    ],
)
def test_summary_line(text, options, expected):
    assert summary_line(text, **options) == expected
