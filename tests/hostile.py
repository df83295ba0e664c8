"""Hypothesis strategies for hostile cells, shared by the kernel and the magic fuzz tests
(marker ``soak``): what a careless or malicious user, or an LLM, can type into a cell.

Nothing here is Lean that the stand-in answers with a success: the point is that every
cell ends in a normal result or a named error, whatever it holds."""

from __future__ import annotations

import builtins

from hypothesis import strategies as st

# Python's own exception names: a cell must never end in one of these (that is a
# traceback of ours shown to the user, not an answer).
PYTHON_ERRORS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
)

NUMBERS = st.sampled_from(
    [
        "nan",
        "NaN",
        "-nan",
        "inf",
        "-inf",
        "Infinity",
        "-1",
        "-0",
        "0",
        "0.0",
        "1e308",
        "1e400",
        "-1e-300",
        "1e-9",
        "3",
        "2.5",
        "9" * 40,
        "0x10",
        "1_000",
        "٣",
        "²",
        "",
        " ",
        "off",
        "OFF",
        "none",
    ]
)
WEIRD_CHARS = st.sampled_from(
    [
        "\x00",
        "\ud800",
        "\udfff",
        "\ud83d",
        "\u202e",
        "\ufeff",
        "\r",
        "\t",
        "\x1b[31m",
        "%",
        "\\",
        '"',
        "'",
        "{",
        "}",
        "(",
        ")",
        "⊢",
        "∀",
        "𝔽",
        "\u0301",
        "\n",
    ]
)
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40) | st.lists(WEIRD_CHARS, max_size=12).map(
    "".join
)
ARG = NUMBERS | TEXT | st.builds(lambda a, b: f"{a} {b}", NUMBERS, TEXT)


@st.composite
def nested(draw) -> str:
    depth = draw(st.sampled_from([10, 1000, 20_000]))
    left, right = draw(st.sampled_from([("(", ")"), ("[", "]"), ("{", "}"), ("⟨", "⟩"), ("fun x => ", "")]))
    return left * depth + "x" + right * depth


@st.composite
def huge(draw) -> str:
    size = draw(st.sampled_from([10_000, 100_000, 1_500_000]))
    unit = draw(st.sampled_from(["a", "def x := 1\n", "\n", "é", "𝔽", "\x00", "\ud800"]))
    return unit * (size // len(unit))


LEAN_ISH = st.sampled_from(
    [
        "def f := 37",
        "#eval 1 +",
        "theorem t : 1 = 2 := rfl",
        "import Mathlib",
        "import",
        "example : True := by",
        "#print axioms",
        "set_option maxHeartbeats 0",
        "sorry",
        "by\n  simp",
        "/- unterminated",
        "-- comment",
        '#eval IO.println "\\n\\n"',
        "\n\n\n",
        "",
        "   ",
    ]
)
LEAN_TEXT = LEAN_ISH | TEXT | nested() | huge() | st.builds(lambda a, b: a + b, LEAN_ISH, TEXT)


def magic_line(names: list[str]) -> st.SearchStrategy[str]:
    """``%name arg`` with a known magic name (or a near miss) and a hostile argument."""
    name = (
        st.sampled_from(names) | st.sampled_from(["", "%", "proofstate", "timeoutt", "ENV", "lean_result", "é"]) | TEXT
    )
    return st.builds(lambda n, a: f"%{n} {a}".rstrip(" "), name, ARG)
