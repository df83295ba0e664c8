"""Lean's Unicode abbreviations (`\\to` → `→`) by Tab: the rule (pure functions) and the
kernel's complete_request over the whole table, through a real kernel process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lean_kernel import abbreviations

from .conftest import KernelHarness, read_log

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "lean_kernel" / "data"


def complete(kernel, code, cursor=None):
    return kernel.request("complete", code, len(code) if cursor is None else cursor)


# ----------------------------------------------------------------------------- the table


def test_table_is_the_pinned_unicode_input_package_with_its_license():
    table = abbreviations.table()
    assert len(table) > 1800  # about 1,850 in @leanprover/unicode-input 0.1.x
    assert (table["to"], table["N"], table["forall"], table["alpha"]) == ("→", "ℕ", "∀", "α")
    assert table["<>"] == "⟨$CURSOR⟩"
    # The JupyterLab extension bundles the package at this version: both sides use one table.
    pinned = json.loads((REPO / "labextension" / "package.json").read_text())["dependencies"][
        "@leanprover/unicode-input"
    ]
    notice = (DATA / "abbreviations.NOTICE").read_text()
    assert f"@leanprover/unicode-input {pinned}\n" in notice
    assert f"{len(table)} entries" in notice
    assert "Apache License" in (DATA / "abbreviations.LICENSE").read_text()


# ----------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    "typed, first, exact",
    [
        ("to", "→", True),  # an abbreviation: its symbol alone, although `\top` exists too
        ("N", "ℕ", True),
        ("<>", "⟨⟩", True),  # the cursor mark is dropped
        ("forall", "∀", True),
        ("\\", "\\", True),  # `\\` is a literal backslash
        ("al", "∀", False),  # not one: the shortest abbreviation first (`\all`), as VS Code picks
    ],
)
def test_lookup(typed, first, exact):
    found = abbreviations.lookup(typed)
    assert found[0].symbol == first
    assert (len(found) == 1) is exact


def test_prefix_lists_each_symbol_once_shortest_first():
    assert [a.symbol for a in abbreviations.lookup("alp")] == ["α"]  # one abbreviation starts so
    found = abbreviations.lookup("ri")  # `\\ri` is not an abbreviation; many start with it
    symbols = [a.symbol for a in found]
    assert len(symbols) == len(set(symbols)) > 5
    lengths = [len(a.name) for a in found]
    assert lengths == sorted(lengths)
    assert all(a.name.startswith("ri") and abbreviations.table()[a.name] == a.symbol for a in found)
    assert abbreviations.lookup("") == [] and abbreviations.lookup("qqqq") == []


@pytest.mark.parametrize(
    "code, cursor, expected",
    [
        ("\\to", 3, (0, "to")),
        ("theorem t : p \\to", 17, (14, "to")),
        ("f \\alpha x", 8, (2, "alpha")),  # mid-line: up to the cursor
        ("\\alpha\\be", 9, (6, "be")),  # after a finished one
        ("\\\\", 2, (0, "\\")),  # the abbreviation `\`, not a bare backslash
        ("\\", 1, None),  # nothing typed yet
        ("\\to\nfoo", 7, None),  # the backslash is on another line
        ("a \\alp7", 7, None),  # no abbreviation starts with `alp7`
        ("def f := 1", 10, None),
    ],
)
def test_abbreviation_before(code, cursor, expected):
    assert abbreviations.abbreviation_before(code, cursor) == expected


# ----------------------------------------------------------------------------- the kernel


@pytest.fixture(scope="module")
def typing_kernel(base_kernelspec, standin_env, tmp_path_factory):
    """A kernel that has run no cell: abbreviations must not need (or start) the REPL."""
    log = tmp_path_factory.mktemp("abbrev") / "requests.jsonl"
    k = KernelHarness(base_kernelspec, standin_env("--log", str(log)))
    yield k, log
    k.close()


def test_every_abbreviation_completes_to_its_symbol(typing_kernel):
    kernel, log = typing_kernel
    wrong = {}
    for name, symbol in abbreviations.table().items():
        code = f"example : p {abbreviations.LEADER}{name}"
        reply = complete(kernel, code)
        got = (reply["matches"], reply["cursor_start"], reply["cursor_end"])
        want = ([symbol.replace("$CURSOR", "")], len("example : p "), len(code))
        if got != want:
            wrong[name] = got
    assert not wrong, f"{len(wrong)} abbreviations complete wrongly, e.g. {list(wrong.items())[:5]}"
    assert read_log(log) == []  # the REPL was never asked (nor started)


def test_prefix_offers_several_with_their_abbreviations(typing_kernel):
    kernel, _ = typing_kernel
    reply = complete(kernel, "theorem t : \\al")
    assert reply["cursor_start"] == len("theorem t : ")
    assert reply["matches"][:2] == ["∀", "∀ᶠ"]  # `\all`, `\allf`: shortest first
    assert {"α", "ℵ"} <= set(reply["matches"])
    assert len(set(reply["matches"])) == len(reply["matches"])
    types = reply["metadata"]["_jupyter_types_experimental"]
    assert types[0] == {"start": reply["cursor_start"], "end": reply["cursor_end"], "text": "∀", "type": "\\all"}
    assert {"\\alpha", "\\aleph"} <= {t["type"] for t in types}


def test_mid_cell_and_ordinary_completion_unchanged(typing_kernel):
    kernel, _ = typing_kernel
    code = "theorem t (p q : Prop) : p \\and q := by\n  exact ⟨hp, hq⟩"
    cursor = code.index(" q :=")
    reply = complete(kernel, code, cursor)
    assert reply["matches"] == ["∧"] and reply["cursor_start"] == code.index("\\and")
    # No backslash: keywords and tactics as before.
    assert "theorem" in complete(kernel, "theo")["matches"]
