"""``%%lean`` and the Python API under abuse: bad options, bad timeouts, text no REPL can
take. Each ends in a named error (UsageError, ValueError, a failed result), and the next
answer is still its own request's.

Recordings (v4.33.0-rc2): def_eval (``def f := 37``, then ``#check (rfl : f = 37)``
answered ``rfl : f = f`` only on the env where ``def f`` ran)."""

from __future__ import annotations

import math

import pytest
from IPython.core.error import UsageError

from lean_magic import LeanChecker, shared_checker


def assert_f_is_still_defined(ip) -> None:
    after = ip.run_cell_magic("lean", "", "#check (rfl : f = 37)")
    assert after.ok and [m.text for m in after.infos] == ["rfl : f = f"]


@pytest.mark.parametrize("line", ['"unterminated', "--out 'x", '--timeout "3'])
def test_unbalanced_quotes_in_the_options_are_a_usage_error(ip, line):
    with pytest.raises(UsageError, match="cannot read the %%lean options"):
        ip.run_cell_magic("lean", line, "def f := 37")
    shown = ip.run_cell(f"%%lean {line}\ndef f := 37")
    assert isinstance(shown.error_in_exec, UsageError)


@pytest.mark.parametrize("bad", ["nan", "-1", "-0.5", "soon", "NaN"])
def test_a_timeout_that_is_no_duration_is_a_usage_error_and_nothing_desyncs(ip, bad):
    assert ip.run_cell_magic("lean", "", "def f := 37").ok
    with pytest.raises(UsageError, match="--timeout: .*number of seconds"):
        ip.run_cell_magic("lean", f"--timeout {bad}", "#check (rfl : f = 37)")
    assert_f_is_still_defined(ip)


@pytest.mark.parametrize("off", ["0", "off", "inf"])
def test_timeout_zero_inf_and_off_mean_no_limit(ip, use_standin, off):
    use_standin("--delay-on", "def f=0.3", timeout=0.1)
    assert ip.run_cell_magic("lean", f"--timeout {off}", "def f := 37").ok


@pytest.mark.parametrize("bad", [math.nan, -1, "soon"])
def test_api_timeout_that_is_no_duration_raises_before_anything_is_sent(use_standin, bad):
    with LeanChecker() as lean:
        assert lean.run("def f := 37").ok
        with pytest.raises(ValueError, match="number of seconds"):
            lean.run("#check (rfl : f = 37)", timeout=bad)
        with pytest.raises(ValueError, match="number of seconds"):
            LeanChecker(timeout=bad)
        after = lean.run("#check (rfl : f = 37)")
        assert after.ok and [m.text for m in after.infos] == ["rfl : f = f"]


def test_a_lone_surrogate_is_a_failed_result_naming_its_position(ip):
    assert ip.run_cell_magic("lean", "", "def f := 37").ok
    r = ip.run_cell_magic("lean", "", 'def g : String :=\n  "\ud800"')
    assert not r.ok and r.failure_kind == "UnsendableText"
    assert "line 2, column 3 holds U+D800" in r.failure
    bundle = r._repr_mimebundle_()  # displayable: Jupyter's packer is strict UTF-8 too
    for value in (bundle["text/html"], bundle["text/plain"]):
        value.encode("utf-8")
    with LeanChecker() as lean:  # the API gives the same result, not an exception
        assert lean.run("#eval \udfff").failure_kind == "UnsendableText"
    assert_f_is_still_defined(ip)
    assert shared_checker().env is not None
