"""Fuzz (marker ``soak``): 10,000 hostile cells into the kernel over jupyter_client.

Magics with bad arguments (nan, inf, negative numbers, surrogates, NUL), Lean-ish text,
deep nesting, megabytes of input (see tests/hostile.py). Each cell must end in a normal
reply or a named error of ours, never a Python exception name or a traceback shown as
output, and never a hang (every wait is bounded). Every BATCH cells a known-good cell
(recorded: v4.33.0-rc2/options, ``#print List.cons`` on a fresh env) must still give the
answer it gave at the start: nothing desynchronised."""

from __future__ import annotations

import json
import sys

import pytest
from hostile import LEAN_TEXT, PYTHON_ERRORS, magic_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jupyter_client.session import json_default

from lean_kernel.kernel import MAGICS
from lean_kernel.render import RESULT_MIME_TYPE

from .conftest import KernelHarness

pytestmark = pytest.mark.soak

EXAMPLES = int(__import__("os").environ.get("FUZZ_EXAMPLES", "10000"))
BATCH = 250
# %restart replays (slow, and the soak suite covers it); %project with a real folder
# would start another session; neither adds hostility the others lack.
NAMES = [name for name in MAGICS if name not in ("restart",)]
GOOD = "%timeout 30\n%output 1MB\n%widget off\n%reset\n#print List.cons"
RESTORE = {"%timeout": "%timeout 30", "%output": "%output 1MB", "%widget": "%widget off"}

CELLS = LEAN_TEXT | st.builds(
    lambda magics, body: "\n".join(magics) + ("\n" + body if body else ""),
    st.lists(magic_line(NAMES), min_size=1, max_size=3),
    st.just("") | LEAN_TEXT,
)


@pytest.fixture(scope="module")
def fuzzed(base_kernelspec, standin_env):
    k = KernelHarness(base_kernelspec, standin_env(timeout=10))
    # A browser sends lone surrogates as "\ud800" escapes; jupyter_client's packer cannot.
    k.kc.session.pack = lambda obj: json.dumps(obj, default=json_default, ensure_ascii=True).encode()
    state = {"cells": 0, "good": answer(k), "errors": {}}
    yield k, state
    with capsys_disabled():
        print(
            f"\nkernel fuzz: {state['cells']} hostile cells; replies by error name: {dict(sorted(state['errors'].items()))}"
        )
    k.close()


def capsys_disabled():
    class _Out:
        def __enter__(self):
            self.saved = sys.stdout
            sys.stdout = sys.__stdout__

        def __exit__(self, *exc):
            sys.stdout = self.saved

    return _Out()


def answer(kernel) -> list[dict]:
    """The messages of the known-good cell's answer, as its raw result carries them."""
    good = kernel.run(GOOD, timeout=60)
    assert good.status == "ok", good.text
    (raw,) = [d["data"][RESULT_MIME_TYPE] for d in good.displays if RESULT_MIME_TYPE in d["data"]]
    assert raw["messages"], raw
    return raw["messages"]


def check_good(kernel, state) -> None:
    assert answer(kernel) == state["good"], "the known-good cell lost its recorded answer"


@pytest.mark.timeout(1800)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
    ],
)
@given(cell=CELLS)
def test_hostile_cells_end_in_a_result_or_a_named_error(fuzzed, cell):
    kernel, state = fuzzed
    result = kernel.run(cell, timeout=60)  # a hang fails here
    content = result.reply["content"]
    assert content["status"] in ("ok", "error")
    if content["status"] == "error":
        assert content["ename"] not in PYTHON_ERRORS, (cell[:200], content["ename"], content["evalue"][:500])
        state["errors"][content["ename"]] = state["errors"].get(content["ename"], 0) + 1
    assert "Traceback (most recent call last)" not in result.text, cell[:200]
    for magic, restore in RESTORE.items():
        if magic in cell:
            kernel.run(restore)
    state["cells"] += 1
    if state["cells"] % BATCH == 0:
        check_good(kernel, state)
