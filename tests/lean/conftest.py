"""Real-Lean tests: they run only when a real REPL is configured.

Run `lean-kernel setup` (its saved settings are used when `-m lean` is selected; see
tests/conftest.py), or set LEAN_REPL_PATH (the repl binary) or LEAN_PROJECT (a Lean
project where `lake env repl` works); LEAN_TEST_MATHLIB=1 adds the Mathlib tests. Without
them every test here is skipped, so a green run here means nothing unless the skip count
is 0.
"""

from __future__ import annotations

import os

import pytest

from lean_kernel.config import ReplConfig
from lean_kernel.process import ReplProcess

SKIP_REASON = (
    "no real Lean REPL configured: run `lean-kernel setup` and `pytest -m lean`, or set LEAN_REPL_PATH to the "
    "repl binary or LEAN_PROJECT to a Lean project (see tests/lean/conftest.py)"
)


def lean_configured() -> bool:
    return bool(os.environ.get("LEAN_REPL_PATH") or os.environ.get("LEAN_PROJECT"))


@pytest.fixture(autouse=True)
def _require_real_lean(request):
    # Everything in this folder needs a real REPL; a test that forgot `pytestmark` is
    # still skipped rather than run against nothing.
    if not lean_configured():
        pytest.skip(SKIP_REASON)


@pytest.fixture
def lean_config() -> ReplConfig:
    """The user's configuration, as the kernel would read it (ReplConfig.from_env())."""
    return ReplConfig.from_env()


@pytest.fixture
def lean_repl(lean_config):
    """A fresh real REPL process for one test; closed afterwards."""
    proc = ReplProcess(lean_config)
    proc.start()
    try:
        yield proc
    finally:
        proc.close()
