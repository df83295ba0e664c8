"""%%lean cells and the %lean_* line magics, through IPython's InteractiveShell, with the
stand-in configured by environment variables (LEAN_REPL_PATH / LEAN_REPL_ARGS) as a
user's notebook would be. Recordings: v4.33.0-rc2 unless a test says otherwise."""

from __future__ import annotations

import lean_magic
import pytest
from IPython.core.error import UsageError
from lean_magic import LeanError, LeanResult, shared_checker
from lean_magic.magic import EnvChain, interpolate


def test_cell_value_and_out(ip):
    # recording: unfinished_tactic_block
    r = ip.run_cell_magic("lean", "--out r", "def f : Nat := by\n")
    assert isinstance(r, LeanResult)
    assert ip.user_ns["r"] is r
    assert [(e.line, e.column, e.text) for e in r.errors] == [(1, 15, "unsolved goals\n⊢ Nat")]
    assert r.code == "def f : Nat := by"  # the trailing newline of the cell is not sent


def test_two_cells_chain(ip):
    # recording: def_eval
    first = ip.run_cell("%%lean\ndef f := 37\n").result
    second = ip.run_cell("%%lean\n#check (rfl : f = 37)\n").result
    assert isinstance(first, LeanResult) and first.ok
    assert second.env_before == first.env
    assert [m.text for m in second.infos] == ["rfl : f = f"]
    # the Python API sees the same session
    assert lean_magic.shared_checker().env == second.env


def test_one_line_magic(ip):
    # recording: def_eval
    ip.run_cell("%%lean\ndef f := 37")
    r = ip.run_cell("%lean #check (rfl : f = 37)").result
    assert r.code == "#check (rfl : f = 37)" and r.infos[0].text == "rfl : f = f"


def test_raise_stops_with_the_lean_messages(ip, capsys):
    # recording: unfinished_tactic_block
    outcome = ip.run_cell("%%lean --raise --out r\ndef f : Nat := by\n")
    assert isinstance(outcome.error_in_exec, LeanError)
    assert ip.user_ns["r"].errors[0].text == "unsolved goals\n⊢ Nat"  # stored before raising
    shown = capsys.readouterr().out
    assert "LeanError: Lean reported 1 error:" in shown and "1:15-1:17: error: unsolved goals" in shown
    assert "Traceback" not in shown  # the Lean messages, not the magic's frames
    # a success does not raise
    assert ip.run_cell("%%lean --raise\ndef f := 37").error_in_exec is None


def test_quiet_displays_nothing_but_stores(ip):
    # recording: def_eval
    assert ip.run_cell_magic("lean", "--quiet --out res", "def f := 37") is None
    assert ip.user_ns["res"].ok and ip.user_ns["res"].env == 0


def test_interpolation_is_opt_in(ip):
    ip.user_ns["n"] = 37
    ip.user_ns["x"] = 5
    ip.user_ns["α"] = "WRONG"
    # without -i the braces are Lean's: sent verbatim (no recording answers it)
    plain = ip.run_cell_magic("lean", "", "def f := {n}")
    assert plain.code == "def f := {n}" and plain.repl_error is not None
    # recording: def_eval
    r = ip.run_cell_magic("lean", "-i --fresh", "def f := {n}")
    assert r.code == "def f := 37" and r.ok
    # recording: name_generator ({x : Int} is a binder, untouched though x is a variable)
    code = "set_option trace.Meta.Tactic.simp true\nexample {x : Int} (h0 : x > 0) : False := by sorry"
    r = ip.run_cell_magic("lean", "-i --fresh", code)
    assert r.code == code and r.sorries[0].goal == "x : Int\nh0 : x > 0\n⊢ False"
    # scripted transcript: tests/fixtures/scripted/magic_interpolation ({{α}} is a literal {α})
    r = ip.run_cell_magic("lean", "--interpolate --fresh", "def magic_id {{α}} (a : α) : α := a")
    assert r.code == "def magic_id {α} (a : α) : α := a" and r.ok


def test_interpolate_rules():
    ns = {"n": 3, "name": "foo", "α": "T"}
    assert interpolate("theorem {name} : {n} = {n} := rfl", ns) == "theorem foo : 3 = 3 := rfl"
    assert (
        interpolate("{missing} {{n}} {n : Nat} { s with n := 1 } {α}", ns)
        == "{missing} {n} {n : Nat} { s with n := 1 } T"
    )


@pytest.mark.parametrize("asked", ["%lean?", "%%lean?"])
def test_help_text(ip, capsys, asked):
    ip.run_cell(asked)
    shown = capsys.readouterr().out
    for option in (
        "--fresh",
        "--env N",
        "--timeout S",
        "--out NAME",
        "--raise",
        "--quiet",
        "--widget",
        "--interpolate",
        "{{name}}",
        "--proofstate N",
        "%lean_setup",
    ):
        assert option in shown, option


def test_lean_env_shows_the_chain(ip):
    # recording: def_eval
    assert "no Lean cells" in repr(ip.run_line_magic("lean_env", ""))
    ip.run_cell("%%lean\ndef f := 37")
    ip.run_cell("%%lean\n#check (rfl : f = 37)")
    chain = ip.run_line_magic("lean_env", "")
    assert isinstance(chain, EnvChain) and len(chain) == 2
    assert [(e.env_before, e.env_after) for e in chain] == [(None, 0), (0, 1)]
    text = repr(chain)
    assert "current env: 1" in text and "fresh → 0" in text and "0 → 1" in text and "def f := 37" in text
    assert "<table" in chain._repr_html_()


def test_restart_replays_the_chain(ip, capsys):
    # recording: def_eval
    ip.run_cell("%%lean\ndef f := 37")
    process = lean_magic.shared_checker().session.process
    pid = process.pid
    ip.run_line_magic("lean_restart", "")
    assert "replayed 1 cell" in capsys.readouterr().out
    assert process.pid != pid and process.alive
    after = ip.run_cell("%%lean\n#check (rfl : f = 37)").result
    assert after.ok and after.env_before == 0 and after.infos[0].text == "rfl : f = f"


def test_env_option(ip):
    # recording: dup_msg
    ip.run_cell("%%lean\ndef f := 2")
    ip.run_cell("%%lean\n#check f")
    again = ip.run_cell_magic("lean", "--env 0", "#check f")
    assert again.env_before == 0 and again.infos[0].text == "f : Nat"
    missing = ip.run_cell_magic("lean", "--env 1", "#check g")
    assert missing.env_before == 1 and missing.errors[0].text == "Unknown identifier `g`"


def test_proofstate_option(ip):
    # recording: readme
    r = ip.run_cell_magic("lean", "", "def f (x : Unit) : Nat := by sorry")
    step = ip.run_cell_magic("lean", f"--proofstate {r.sorries[0].proof_state}", "apply Int.natAbs")
    assert step.kind == "tactic" and step.goals == ["x : Unit\n⊢ Int"]
    assert "%%lean --proofstate 0" in r._repr_mimebundle_()["text/plain"]  # how the display says to continue


def test_widget_option(ip, monkeypatch):
    shown = []
    monkeypatch.setattr("lean_magic.magic.display", lambda obj: shown.append(obj))
    # recording: all_tactics (the magic asks for allTactics)
    r = ip.run_cell_magic("lean", "--widget", "def f : Nat := by have t := 37; exact t")
    assert [t.tactic for t in r.response.tactics] == ["have t := 37", "exact t"]
    (widget,) = shown
    assert len(widget.steps) == 2 and widget.steps[1].tactic == "exact t"


def test_timeout_restarts_and_the_next_cell_works(ip, use_standin):
    use_standin("--hang-on", "HANG")
    # recording: def_eval; the hang is a stand-in fault (the request text contains HANG)
    ip.run_cell("%%lean\ndef f := 37")
    hung = ip.run_cell_magic("lean", "--timeout 0.5", "#eval 1 -- HANG")
    assert hung.failure_kind == "ReplTimeout" and not hung.ok
    assert any("replayed 1 cell" in n for n in hung.notes)
    assert ip.run_cell_magic("lean", "", "#check (rfl : f = 37)").ok


def test_usage_errors_leave_the_magic_usable(ip):
    for line, cell in [
        ("--fresh --env 0", "def f := 37"),
        ("", "   \n"),
        ("--out 1x", "def f := 37"),
        ("--proofstate 0 --fresh", "simp"),
        ("--env nope", "def f := 37"),
    ]:
        with pytest.raises(UsageError):
            ip.run_cell_magic("lean", line, cell)
    with pytest.raises(UsageError, match="needs Lean code"):
        ip.run_line_magic("lean", "")
    # recording: def_eval
    assert ip.run_cell_magic("lean", "", "def f := 37").ok


def test_doctor_magic(ip):
    report = ip.run_line_magic("lean_doctor", "")
    text = report.as_text()
    assert report.ok
    assert "[ok] positive control: `#eval 2+2` printed 4" in text
    for section in ("== versions", "ipython:", "== paths", "command:", "== checks"):
        assert section in text


def test_doctor_names_a_missing_repl(ip, clean_env):
    clean_env.setenv("LEAN_REPL_PATH", "/nonexistent/repl")
    lean_magic.close_shared_checker()
    report = ip.run_line_magic("lean_doctor", "")
    text = report.as_text()
    assert not report.ok
    assert "[FAIL] repl binary: repl binary not found at /nonexistent/repl" in text
    # the setting is named in the detail; the fix is the notebook's way (not install_kernel.py)
    assert "set LEAN_REPL_PATH" in text and "fix: in this notebook, %lean_setup BUNDLE" in text
    r = ip.run_cell_magic("lean", "", "def f := 37")  # a cell says the same, it does not crash
    assert r.failure_kind == "ReplNotFound" and "LEAN_REPL_PATH" in r.failure


def test_negative_ids_are_usage_errors(ip):
    # recording: readme. A negative id would kill the real REPL (uncaught exception).
    ip.run_cell_magic("lean", "", "def f (x : Unit) : Nat := by sorry")
    generation = shared_checker().session.process.generation
    for line, cell in [("--proofstate -1", "apply Int.natAbs"), ("--env -1", "#check f")]:
        with pytest.raises(UsageError, match=">= 0"):
            ip.run_cell_magic("lean", line, cell)
    assert shared_checker().session.process.generation == generation
