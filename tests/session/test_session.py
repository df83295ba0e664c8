"""LeanSession against the stand-in REPL: the env ids it really sends, what it commits,
and how it rebuilds state after the process dies.

Every answer comes from the v4.33.0-rc2 recordings (trace_simp, dup_msg, proof_step,
pickle_environment_with_imports) unless a test says otherwise. The stand-in's ``--log``
records each request it received, which is what these tests assert on."""

from __future__ import annotations

import json

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
    make, sent = logged_session
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
    assert as_single_tactic("intro h\nexact h") == "(intro h\n exact h)"
    assert as_single_tactic("  rfl  ") == "rfl"
    assert parse_axioms_message("'foo' depends on axioms: [propext, sorryAx]") == ["propext", "sorryAx"]
    assert parse_axioms_message("'foo' does not depend on any axioms") == []
    assert parse_axioms_message("f : Nat") is None
