"""``%%lean`` and the Python API under abuse: bad options, bad timeouts, text no REPL can
take. Each ends in a named error (UsageError, ValueError, a failed result), and the next
answer is still its own request's.

Recordings (v4.33.0-rc2): def_eval (``def f := 37``, then ``#check (rfl : f = 37)``
answered ``rfl : f = f`` only on the env where ``def f`` ran)."""

from __future__ import annotations

import json
import math
import os

import pytest
from IPython.core.error import UsageError
from lean_magic import LeanChecker, close_shared_checker, shared_checker

from lean_kernel.testing.chains import chain_cell, write_chain_transcript


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
    with pytest.raises(UsageError, match=r"--timeout: .*number of seconds"):
        ip.run_cell_magic("lean", f"--timeout {bad}", "#check (rfl : f = 37)")
    assert_f_is_still_defined(ip)


@pytest.mark.parametrize("off", ["0", "off"])
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


# --------------------------------------------------------------------------- huge results


def _bundle_chars(bundle: dict) -> int:
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v, ensure_ascii=False)) for v in bundle.values())


def test_a_huge_result_displays_within_the_limit_and_lean_result_gives_it_whole(ip, use_standin, tmp_path, capsys):
    use_standin("--huge-on", "HUGE", "--huge-mb", "20")
    assert ip.run_cell_magic("lean", "", "def f := 37").ok
    r = ip.run_cell_magic("lean", "", '#eval "HUGE"')
    assert r.ok and len(r.infos[0].text) > 20_000_000  # the object keeps everything
    n = ip.execution_count
    bundle = r._repr_mimebundle_()
    assert _bundle_chars(bundle) < 1_000_000  # was three full copies
    assert f"full result: %lean_result {n} (a LeanResult: .messages, .to_dict())" in bundle["text/plain"]
    assert ip.run_line_magic("lean_result", str(n)) is r
    ip.run_line_magic("lean_result", f"{n} 2")
    assert f"cell {n}, whole result: part 2 of" in capsys.readouterr().out
    saved = tmp_path / "whole.json"
    ip.run_line_magic("lean_result", f"{n} {saved}")
    assert len(json.loads(saved.read_text())["messages"][0]["data"]) > 20_000_000
    with pytest.raises(UsageError, match="no whole result of cell"):
        ip.run_line_magic("lean_result", str(n + 100))
    assert_f_is_still_defined(ip)
    # A result of the API, displayed, says the same about itself.
    with LeanChecker() as lean:
        api = lean.run('#eval "HUGE"')
        assert "full result: this LeanResult (.messages, .to_dict())" in api._repr_mimebundle_()["text/plain"]


def test_lean_output_sets_the_limit(ip, use_standin, capsys):
    use_standin("--huge-on", "HUGE", "--huge-mb", "3")
    try:
        ip.run_line_magic("lean_output", "off")
        r = ip.run_cell_magic("lean", "", '#eval "HUGE"')
        assert _bundle_chars(r._repr_mimebundle_()) > 3_000_000
        ip.run_line_magic("lean_output", "100k")
        assert "100,000 characters per result" in capsys.readouterr().out
        assert _bundle_chars(r._repr_mimebundle_()) < 100_000
        with pytest.raises(UsageError, match="must be a size"):
            ip.run_line_magic("lean_output", "tiny")
    finally:
        ip.run_line_magic("lean_output", "1MB")


def test_lean_env_shows_the_newest_rows_of_a_long_chain(ip, use_standin, tmp_path):
    folder = write_chain_transcript(tmp_path / "chain", 120)
    env = use_standin()
    os.environ["LEAN_REPL_ARGS"] = env["LEAN_REPL_ARGS"] + f" --scripted {folder}"
    close_shared_checker()
    for k in range(1, 121):
        assert ip.run_cell_magic("lean", "", chain_cell(k)).ok
    chain = ip.run_line_magic("lean_env", "")
    assert len(chain) == 120  # the list holds them all
    shown = repr(chain)
    assert "(the newest 50 of 120 cells; this is a list: index or slice it for the rest)" in shown
    assert "def c120 := 120" in shown and "def c70 := 70" not in shown
    assert chain._repr_html_().count("<tr>") == 51  # a header and 50 rows
