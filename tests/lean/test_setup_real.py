"""What `lean-kernel setup` checks, re-done on the REAL Lean it set up (marker ``lean``):
the `%%lean` check cells whose answers the default suite scripts
(tests/fixtures/scripted/setup_check.in, setup_check_mathlib.in), and the saved settings
being what a Python notebook falls back on. CI runs this after `lean-kernel setup` (see
.github/workflows/real-lean.yml)."""

from __future__ import annotations

import os

import pytest
from lean_magic import LeanChecker

from lean_kernel.cli import CHECK_CELL, CHECK_CELL_MATHLIB

pytestmark = pytest.mark.lean


def test_check_cell(lean_config):
    with LeanChecker(lean_config) as lean:
        r = lean.run(CHECK_CELL, timeout=300)
        assert r.ok and not r.messages, r.problem_summary()


@pytest.mark.skipif(
    os.environ.get("LEAN_TEST_MATHLIB") != "1", reason="set LEAN_TEST_MATHLIB=1 (and a Mathlib project)"
)
def test_mathlib_check_cell(lean_config):
    with LeanChecker(lean_config) as lean:
        r = lean.run(CHECK_CELL_MATHLIB, timeout=1200)
        assert r.ok and not r.errors, r.problem_summary()
