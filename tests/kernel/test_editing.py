"""Pure editor helpers: word under the cursor, ranking, and is_complete for the console."""

from __future__ import annotations

import pytest

from lean_kernel import editing


@pytest.mark.parametrize(
    "code, cursor, expected",
    [
        ("theo", 4, (0, "theo")),
        ("example : Nat.su", 16, (10, "Nat.su")),
        ("  intr", 6, (2, "intr")),
        ("#pri", 4, (0, "#pri")),
        ("%wid", 4, (0, "%wid")),
        ("x₁ + α'", 7, (5, "α'")),
        ("f (g", 4, (3, "g")),
        ("", 0, (0, "")),
        ("a#b", 3, (2, "b")),  # `#` inside a word is not a command prefix
    ],
)
def test_word_before(code, cursor, expected):
    assert editing.word_before(code, cursor) == expected


@pytest.mark.parametrize(
    "code, cursor, expected",
    [
        ("#check List.cons", 12, "List.cons"),
        ("#check List.cons", 16, "List.cons"),
        ("exact h.left", 9, "h.left"),
        ("(fun x => x)", 1, "fun"),
        ("1 + 2", 0, ""),
        ("λ x", 0, ""),
        ("  ", 1, ""),
    ],
)
def test_name_at(code, cursor, expected):
    assert editing.name_at(code, cursor) == expected


def test_rank_matches_keeps_group_order_and_dedups():
    found = editing.rank_matches("f", [("declared", ["foo", "f"]), ("keyword", ["fun", "foo"])])
    assert found == [("f", "declared"), ("foo", "declared"), ("fun", "keyword")]


def test_word_lists_are_single_tokens():
    for word in editing.KEYWORDS + editing.TACTICS:
        assert word == word.strip() and " " not in word


@pytest.mark.parametrize(
    "code",
    [
        "def f := 37",
        "#print List.cons",
        "theorem t : 1 = 1 := by\n  rfl\n",  # an empty last line submits
        "example : True := by\n  trivial\n",
        "%env",
        "",
        "-- a comment (with a paren",
        'def s := "a ( string"',
        "def f := 1 -- ends with by",
    ],
)
def test_complete(code):
    assert editing.is_complete(code) == ("complete", "")


@pytest.mark.parametrize(
    "code, indent",
    [
        ("theorem t : 1 = 1 := by", "  "),
        ("def f :=", "  "),
        ("structure P where", "  "),
        ("def g := (1 +", "  "),
        ("/- an unclosed /- nested -/ comment", "  "),
        ('def s := "open', "  "),
        ("example : True := by\n  trivial", "  "),
        ("theorem t : p ∧ q := by\n  constructor\n  · exact hp", "  "),
        ("theorem t : p := by\n  have h : q := by", "    "),
        ("example : p ∧ q → q ∧ p :=\n  fun ⟨hp, hq⟩ =>", "    "),
        ("def xs := [1,", "  "),
    ],
)
def test_incomplete(code, indent):
    assert editing.is_complete(code) == ("incomplete", indent)


@pytest.mark.parametrize("code", ["def f := (1 + 2))", "example := ⟨a, b]"])
def test_invalid(code):
    assert editing.is_complete(code)[0] == "invalid"
