"""Fuzz (marker ``soak``): 10,000 hostile ``%%lean`` cells and line magics in IPython.

Options with bad values (nan, inf, negative numbers, unbalanced quotes, surrogates, NUL),
Lean-ish text, deep nesting, megabytes (tests/hostile.py). Each must end in a LeanResult
(displayable as a bundle Jupyter can send) or a named error (UsageError, LeanError),
never another exception, whose traceback the user would see. Every BATCH cells a
known-good cell (recorded: v4.33.0-rc2/def_eval) must still give its recorded answer."""

from __future__ import annotations

import json
import os
import sys

import pytest
from hostile import ARG, LEAN_TEXT, TEXT, magic_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from lean_magic import LeanError, LeanResult, shared_checker

pytestmark = pytest.mark.soak

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10000"))
BATCH = 250
OPTIONS = [
    "--fresh",
    "--env",
    "--timeout",
    "--out",
    "--raise",
    "-q",
    "--quiet",
    "--widget",
    "-i",
    "--interpolate",
    "--axioms",
    "--proofstate",
    "--bogus",
    "-",
    "--",
]
OPTION_LINE = (
    st.lists(st.builds(lambda o, a: f"{o} {a}".strip(), st.sampled_from(OPTIONS), st.just("") | ARG), max_size=4).map(
        " ".join
    )
    | TEXT
    | st.sampled_from(['"unterminated', "'", "--out 'x", '--timeout "3', "\\", "--env 1e400"])
)
LINE_MAGICS = st.builds(lambda m: m[1:].partition(" "), magic_line(["lean_env", "lean_result", "lean_output", "lean"]))


@pytest.fixture
def fuzz_ip(ip):
    state = {"cells": 0, "kinds": {}}
    yield ip, state
    saved, sys.stdout = sys.stdout, sys.__stdout__
    try:
        print(f"\nmagic fuzz: {state['cells']} hostile cells; outcomes: {dict(sorted(state['kinds'].items()))}")
    finally:
        sys.stdout = saved
        LeanResult.output_limit = 1_000_000


def known_good(ip) -> None:
    ip.run_line_magic("lean_output", "1MB")
    first = ip.run_cell_magic("lean", "--fresh", "def f := 37")
    second = ip.run_cell_magic("lean", f"--env {first.env}", "#check (rfl : f = 37)")
    assert first.ok and [m.text for m in second.infos] == ["rfl : f = f"], "the known-good cell lost its answer"


def sendable(result: LeanResult) -> None:
    """The display Jupyter would send: strict UTF-8 JSON, within the limit."""
    bundle = result._repr_mimebundle_()
    json.dumps(bundle, ensure_ascii=False).encode("utf-8")


@pytest.mark.timeout(1800)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
    ],
)
@given(data=st.data())
def test_hostile_lean_cells_end_in_a_result_or_a_named_error(fuzz_ip, data):
    ip, state = fuzz_ip
    if data.draw(st.booleans()):
        line, cell = data.draw(OPTION_LINE), data.draw(LEAN_TEXT)
        call = lambda: ip.run_cell_magic("lean", line, cell)  # noqa: E731
    else:
        name, _, arg = data.draw(LINE_MAGICS)
        if name not in ip.magics_manager.magics["line"]:
            name = "lean"
        call = lambda: ip.run_line_magic(name, arg)  # noqa: E731
    try:
        value = call()
        kind = type(value).__name__
        if isinstance(value, LeanResult):
            sendable(value)
    except (UsageError, LeanError) as exc:
        kind = type(exc).__name__
    state["kinds"][kind] = state["kinds"].get(kind, 0) + 1
    state["cells"] += 1
    if state["cells"] % BATCH == 0:
        known_good(ip)
    shared_checker()  # still there
