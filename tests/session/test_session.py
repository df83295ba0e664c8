"""LeanSession against the stand-in REPL: the env ids it really sends, what it commits,
and how it rebuilds state after the process dies.

Every answer comes from the v4.33.0-rc2 recordings (trace_simp, dup_msg, proof_step,
pickle_environment_with_imports) unless a test says otherwise. The stand-in's ``--log``
records each request it received, which is what these tests assert on."""

from __future__ import annotations

import json
import shlex
import stat

import pytest

from lean_kernel.session import LeanSession, as_single_tactic, parse_axioms_message, split_cell


@pytest.fixture
def logged_session(standin_config, tmp_path):
    """A session on the stand-in, plus a reader of the requests the stand-in received."""
    log = tmp_path / "requests.log"

    def make(*faults: str) -> LeanSession:
        return LeanSession(standin_config("--log", str(log), *faults))

    def sent() -> list[dict]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    sessions: list[LeanSession] = []

    def factory(*faults: str) -> LeanSession:
        s = make(*faults)
        sessions.append(s)
        return s

    yield factory, sent
    for s in sessions:
        s.close()


TRACE_SIMP = [
    ("a", "def f := 37"),
    ("b", "@[simp] theorem f_def : f = 37 := by rfl"),
    ("c", "set_option trace.Meta.Tactic.simp true"),
]


def test_chain_sends_each_cell_on_the_previous_env(logged_session):
    make, sent = logged_session
    session = make()
    for key, code in TRACE_SIMP:
        assert session.run_cell(code, cell_id=key).ok
    result = session.run_cell("example : f = 37 := by simp", cell_id="d")
    assert result.ok, result.to_dict()
    envs = [r.get("env") for r in sent()]
    assert envs == [None, 0, 1, 2]
    assert [r["cmd"] for r in sent()] == [c for _, c in TRACE_SIMP] + ["example : f = 37 := by simp"]
    assert session.current_env == 3


def test_failed_cell_commits_nothing(logged_session):
    make, sent = logged_session
    session = make()
    assert session.run_cell("def f := 2").ok
    assert session.run_cell("#check f").ok
    failed = session.run_cell("#check g")  # recorded: an "unknown identifier" error
    assert not failed.ok and failed.errors
    assert session.current_env == 1
    session.run_cell("#check f")  # the answer does not matter here: the env it was sent on does
    assert [r.get("env") for r in sent()] == [None, 0, 1, 1]


def test_rerun_of_a_middle_cell_goes_on_its_first_env_and_marks_later_cells_stale(logged_session):
    make, sent = logged_session
    session = make()
    for key, code in TRACE_SIMP:
        assert session.run_cell(code, cell_id=key).ok
    rerun = session.run_cell("@[simp] theorem f_def : f = 37 := by rfl", cell_id="b")
    assert rerun.ok
    assert sent()[-1] == {"cmd": "@[simp] theorem f_def : f = 37 := by rfl", "env": 0}
    assert session.stale_cells() == ["c"]
    assert any("stale: re-run 1 later cell: `set_option trace.Meta.Tactic.simp true`" in n for n in rerun.notes)
    # A new cell goes on the re-run cell's new env, not on the stale one.
    session.run_cell("set_option trace.Meta.Tactic.simp true", cell_id="c")
    assert sent()[-1]["env"] == rerun.env_after
    assert session.stale_cells() == []


def test_import_cell_rerun_sends_no_new_import(logged_session):
    make, sent = logged_session
    session = make()
    first = session.run_cell("import Lean", cell_id="imports")
    assert first.ok and first.env_after == 0
    again = session.run_cell("import Lean", cell_id="imports")
    assert again.ok and again.env_after == 0
    assert [r["cmd"] for r in sent()] == ["import Lean"]  # 0 new imports
    # A later cell with the same header reuses it too: only its body is sent, on env 0.
    body = session.run_cell("import Lean\ndef f := 42", cell_id="x")
    assert body.ok, body.to_dict()
    assert sent()[-1] == {"cmd": "def f := 42", "env": 0}
    assert len(sent()) == 2


def test_body_positions_are_moved_below_the_header(logged_session):
    make, _ = logged_session
    session = make()
    result = session.run_cell("import Lean\n\ndef f : Nat := by sorry")
    assert result.ok
    (sorry,) = result.sorries
    # Recorded at line 1 of the body; the body is line 3 of the cell.
    assert sorry.pos.line == 3
    assert result.code.split("\n")[sorry.pos.line - 1][sorry.pos.column :].startswith("sorry")


def test_crash_mid_cell_restarts_and_replays_the_chain(logged_session):
    make, sent = logged_session
    session = make("--crash-on", "CRASH_HERE")
    for key, code in TRACE_SIMP:
        assert session.run_cell(code, cell_id=key).ok
    generation = session.process.generation
    crashed = session.run_cell("theorem CRASH_HERE : True := trivial", cell_id="boom")
    assert not crashed.ok
    assert crashed.failure_kind == "ReplExited"
    assert session.process.generation == generation + 1
    assert any("replayed 3 cells" in n for n in crashed.notes), crashed.notes
    # The replay re-sent the three committed cells, chained on the new process's envs.
    replayed = sent()[-3:]
    assert [r["cmd"] for r in replayed] == [c for _, c in TRACE_SIMP]
    assert [r.get("env") for r in replayed] == [None, 0, 1]
    # The next cell sees the earlier definitions.
    after = session.run_cell("example : f = 37 := by simp", cell_id="d")
    assert after.ok, after.to_dict()
    assert sent()[-1]["env"] == 2


def test_timeout_restarts_and_replays(logged_session, standin_config):
    make, _sent = logged_session
    session = make("--hang-on", "SLOW_CELL")
    assert session.run_cell("def f := 37").ok
    result = session.run_cell("theorem SLOW_CELL : True := trivial", timeout=1.0)
    assert result.failure_kind == "ReplTimeout"
    assert any("replayed 1 cell" in n for n in result.notes)
    assert session.run_cell("#check (rfl : f = 37)").ok


def test_tactic_steps_continue_the_latest_proof_state(logged_session):
    make, sent = logged_session
    session = make()
    cell = session.run_cell("def f : Nat := by sorry")
    assert cell.ok and session.latest_proof_state == cell.sorries[0].proof_state
    step = session.run_tactic("have t : Nat := 42")
    assert step.ok and step.proof_status == "Incomplete: open goals remain"
    assert step.goals == ["t : Nat\n⊢ Nat"]
    done = session.run_tactic("exact t")  # on the state the previous step produced
    assert sent()[-1] == {"tactic": "exact t", "proofState": step.tactic.proof_state}
    assert done.proof_status == "Completed"


def test_tactic_without_a_proof_state_names_the_fix(logged_session):
    make, _ = logged_session
    result = make().run_tactic("rfl")
    assert not result.ok and "%proofstate" in result.failure


def test_repl_refusal_is_a_failed_cell(logged_session):
    make, _ = logged_session
    session = make()
    result = session.run_cell("def f : Nat := by sorry", env=5)  # unknown_environment
    assert result.repl_error == "Unknown environment."
    assert not result.ok and session.current_env is None


def test_split_cell_and_helpers():
    assert split_cell("import Lean\nimport Mathlib\n\n-- hi\ndef x := 1") == (
        "import Lean\nimport Mathlib",
        "-- hi\ndef x := 1",
        3,
    )
    assert split_cell("def x := 1") == ("", "def x := 1", 0)
    assert as_single_tactic("intro h\nexact h") == "(intro h\n exact h\n)"
    # A trailing `--` comment must not swallow the closing parenthesis.
    assert as_single_tactic("  intro h\n  exact h -- done") == "(intro h\n exact h -- done\n)"
    assert as_single_tactic("  rfl  ") == "rfl"
    assert parse_axioms_message("'foo' depends on axioms: [propext, sorryAx]") == ["propext", "sorryAx"]
    assert parse_axioms_message("'foo' does not depend on any axioms") == []
    # Primed names are common; Lean prints them inside the same apostrophes.
    assert parse_axioms_message("'foo'' depends on axioms: [propext,\n Quot.sound]") == ["propext", "Quot.sound"]
    assert parse_axioms_message("'foo'' does not depend on any axioms") == []
    assert parse_axioms_message("f : Nat") is None


# --------------------------------------------------------------------------- review findings


def _wrapped(base, tmp_path):
    """The stand-in behind a script that can be removed, so that a restart fails the way
    it does when the binary vanishes or fork fails (ENOMEM under memory pressure)."""
    script = tmp_path / "repl-wrapper"
    body = "#!/bin/sh\nexec " + shlex.join([base.repl_path, *base.repl_args]) + ' "$@"\n'

    def install() -> None:
        script.write_text(body)
        script.chmod(script.stat().st_mode | stat.S_IXUSR)

    install()
    return base.with_changes(repl_path=str(script), repl_args=[]), install, script.unlink


def test_header_cache_is_dropped_when_a_new_process_starts_with_nothing_committed(standin_config, tmp_path):
    # The pool and verify run every cell with commit=False: no cell is ever committed,
    # but the header env is cached. After a failed restart the next cell starts a new
    # process lazily; a header env id from the dead process must not be reused there.
    log = tmp_path / "requests.log"
    config, install, remove = _wrapped(standin_config("--log", str(log), "--kill-on", "KILL_HERE"), tmp_path)
    with LeanSession(config) as session:
        assert session.run_cell(
            "import Lean\ndef f := 42", commit=False
        ).ok  # recording: pickle_environment_with_imports
        remove()
        killed = session.run_cell("def KILL_HERE := 1", commit=False)
        assert killed.failure_kind == "ReplKilled" and session.process.pid is None
        install()
        again = session.run_cell("import Lean\ndef f := 42", commit=False)
        assert again.ok, again.to_dict()
        sent = [json.loads(line) for line in log.read_text().splitlines()]
        assert sent[-2:] == [{"cmd": "import Lean"}, {"cmd": "def f := 42", "env": 0}]


def test_interrupt_between_replay_requests_leaves_a_usable_session(logged_session):
    make, sent = logged_session
    session = make("--crash-on", "CRASH_HERE")
    for key, code in TRACE_SIMP:
        assert session.run_cell(code, cell_id=key).ok
    real = session._replay_request
    calls = []

    def interrupted_at_the_second(request, *args):
        # Ctrl-C landing in Python code between two replay requests (inside a request the
        # process layer turns it into ReplInterrupted; between them nothing does).
        calls.append(request)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(request, *args)

    session._replay_request = interrupted_at_the_second
    # The second Ctrl-C ends the replay, not the session: the crash is reported, and the
    # chain is kept for the next cell.
    boom = session.run_cell("theorem CRASH_HERE : True := trivial", cell_id="boom")
    assert boom.failure_kind == "ReplExited"
    assert any("interrupted again while replaying" in n and "3 committed cells are kept" in n for n in boom.notes), (
        boom.notes
    )
    assert session.replay_pending
    del session._replay_request
    after = session.run_cell("example : f = 37 := by simp", cell_id="d")
    assert after.ok, after.to_dict()
    assert any("replayed 3 cells" in n for n in after.notes), after.notes
    assert sent()[-1] == {"cmd": "example : f = 37 := by simp", "env": session.cells[-2].env_after}
    assert [c.key for c in session.cells] == ["a", "b", "c", "d"]


def test_rerunning_an_unchanged_import_cell_keeps_the_chain(logged_session):
    make, sent = logged_session
    session = make()
    assert session.run_cell("import Lean", cell_id="imports").ok
    assert session.run_cell("def f := 42", cell_id="x").ok  # recording: pickle_environment_with_imports
    again = session.run_cell("import Lean", cell_id="imports")
    assert again.ok and len(sent()) == 2  # nothing re-imported
    # The imports are the same env as before, so the cell built on them is still current.
    assert session.stale_cells() == []
    assert session.current_env == 1
    assert not any("stale" in n for n in again.notes)


def test_imports_after_a_leading_block_comment_are_the_header(logged_session):
    # A Lean file often opens with a /- copyright -/ comment, then its imports.
    code = "/- Copyright (c) 2024.\n   Released under Apache 2.0. -/\nimport Lean\n\ndef f := 42"
    assert split_cell(code) == ("import Lean", "def f := 42", 4)
    assert split_cell("/- a comment -/\ndef x := 1") == ("", "/- a comment -/\ndef x := 1", 0)
    # An import inside the comment is no import.
    assert split_cell("/-\nimport Mathlib\n-/\ndef x := 1")[0] == ""
    make, sent = logged_session
    session = make()
    assert session.run_cell("def f := 37").ok  # recording: def_eval; so the next cell is not the first
    result = session.run_cell(code)
    assert result.ok, result.to_dict()
    assert sent()[-2:] == [{"cmd": "import Lean"}, {"cmd": "def f := 42", "env": 1}]


def test_imports_on_an_explicit_env_are_refused_with_the_fix(logged_session):
    # The REPL takes imports only on a fresh env: silently running the body on the
    # imports' env instead of the env asked for would lose that env's definitions.
    make, sent = logged_session
    session = make()
    assert session.run_cell("def f := 37").ok  # recording: def_eval
    result = session.run_cell("import Lean\n#check f", env=0)
    assert not result.ok and result.failure_kind == "ImportsNeedFreshEnv"
    assert "fresh" in result.failure and "import" in result.failure
    assert sent() == [{"cmd": "def f := 37"}]
    assert session.current_env == 0


def test_reset_keeps_this_process_imports(logged_session):
    # Nothing is ever freed in the REPL: importing again after %reset would cost the
    # import's time and memory a second time for the very same env.
    make, sent = logged_session
    session = make()
    assert session.run_cell("import Lean", cell_id="imports").ok
    assert session.run_cell("def f := 42", cell_id="x").ok  # recording: pickle_environment_with_imports
    session.reset()
    assert session.cells == [] and session.current_env is None
    again = session.run_cell("import Lean", cell_id="imports")
    assert again.ok and again.env_after == 0 and session.current_env == 0
    assert len(sent()) == 2


def test_module_system_imports_are_header_lines():
    header, body, offset = split_cell("module\n\npublic import Lean\nmeta import Lean.Elab\n\ndef x := 1")
    assert header == "module\npublic import Lean\nmeta import Lean.Elab"
    assert (body, offset) == ("def x := 1", 5)


def test_imported_modules_reads_every_import_form():
    from lean_kernel.session import imported_modules

    header, _, _ = split_cell("import Mathlib\npublic import Lean.Elab\nmeta import all Batteries\ndef x := 1")
    assert imported_modules(header) == ["Mathlib", "Lean.Elab", "Batteries"]


def test_env_choices_say_what_they_mean_and_none_names_the_fix(logged_session):
    # One meaning per word: FRESH is a fresh env, CHAIN (the default) the chain's env, an
    # int that env. None once meant "fresh" here and "continue" at the API: refused.
    from lean_kernel.session import CHAIN, FRESH

    make, sent = logged_session
    session = make()
    for key, code in TRACE_SIMP[:2]:
        assert session.run_cell(code, cell_id=key, env=CHAIN).ok
    with pytest.raises(TypeError, match="FRESH"):
        session.run_cell("#check f", env=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="FRESH"):
        session.query("#check f", env=None)  # type: ignore[arg-type]
    assert session.run_cell(TRACE_SIMP[0][1], env=FRESH, commit=False).ok
    assert [r.get("env") for r in sent()] == [None, 0, None]  # nothing was sent for None


def test_timeout_words_none_is_the_configured_limit_everywhere(standin_config):
    # Session and process read None as CONFIGURED, as the API does; NO_LIMIT is no limit.
    from lean_kernel.config import CONFIGURED, NO_LIMIT, read_timeout, resolve_timeout

    config = standin_config("--hang-on", "SLOW_CELL", timeout=1.0)
    assert read_timeout(None) is CONFIGURED and read_timeout("off") is NO_LIMIT and read_timeout(0) is NO_LIMIT
    assert resolve_timeout(None, config) == 1.0 and resolve_timeout(CONFIGURED, config) == 1.0
    assert resolve_timeout(2, config) == 2.0 and config.with_changes(timeout=None).time_limit is NO_LIMIT
    with LeanSession(config) as session:
        assert session.run_cell("def f := 37", timeout=NO_LIMIT).ok
        slow = session.run_cell("theorem SLOW_CELL : True := trivial", timeout=None)
        assert slow.failure_kind == "ReplTimeout" and "1 s" in slow.failure
