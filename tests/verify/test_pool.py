"""LeanPool, check_many and verify_many against stand-in REPL processes.

Scripted responses: check_many items use only recorded fresh commands of v4.33.0-rc2
(def_eval, dup_sorries, proof_step, term_sorry, by_cases, Mathlib/test/20240209 and,
for imports, Mathlib/test/exact, Mathlib/test/H20231115, pickle_proof_state_1); nothing
scripted. The verify_many test replays every verify_* transcript of
tests/fixtures/scripted (see tests/verify/verify_transcripts.py). Crashes and hangs are
stand-in faults (--crash-on / --hang-on) on texts no recording answers.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from lean_magic.pool import LeanPool, check_many, choose, verify_many
from verify_transcripts import CASES, STATEMENTS

from lean_kernel.protocol import parse_response_text
from lean_kernel.testing.transcripts import iter_transcripts

RECORDED = [
    "def f := 37",
    "theorem thm1 : 1 = 1 := sorry",
    "example : False := by sorry",
    "def f : Nat := by sorry",
    "def f : Nat := sorry",
    "theorem foo (x : Int) : x = x := by sorry",
]
CRASH = "def verify_pool_crash_here := 1"
HANG = "def verify_pool_hang_here := 1"


@pytest.fixture(scope="module")
def recorded_answers(transcripts_root: Path) -> dict:
    """The recorded answer of each fresh command above (first recording that has it)."""
    out: dict = {}
    for t in iter_transcripts(transcripts_root / "v4.33.0-rc2"):
        for request, response in t.exchanges:
            if set(request) == {"cmd"} and request["cmd"] in RECORDED and request["cmd"] not in out:
                out[request["cmd"]] = parse_response_text(response)
    assert set(out) == set(RECORDED)
    return out


def same_answer(result, recorded) -> bool:
    """Equal up to env / proof-state numbering (the stand-in renumbers them live)."""
    mine = result.response
    return [m.to_json() for m in mine.messages] == [m.to_json() for m in recorded.messages] and [
        (s.goal, s.pos, s.end_pos) for s in mine.sorries
    ] == [(s.goal, s.pos, s.end_pos) for s in recorded.sorries]


def test_200_items_4_workers_with_a_crash_and_a_hang(standin_config, recorded_answers):
    # Recorded answers for every item but two; the stand-in delays each reply by 10 ms,
    # crashes on CRASH and hangs on HANG (no recording answers either text).
    config = standin_config(
        "--delay", "0.01", "--crash-on", "verify_pool_crash_here", "--hang-on", "verify_pool_hang_here"
    )
    codes = list(itertools.islice(itertools.cycle(RECORDED), 200))
    codes[37] = CRASH
    codes[83] = HANG
    with LeanPool(config, workers=4) as pool:
        results = pool.check_many(codes, timeout=1.0, progress=False)
        records = pool.records
        stats = pool.stats()

    assert [r.code for r in results] == codes  # input order
    assert results[37].failure_kind == "ReplExited" and "uncaught exception" in results[37].failure
    assert results[83].failure_kind == "ReplTimeout"
    for i, (code, r) in enumerate(zip(codes, results)):
        if i not in (37, 83):
            assert r.ok and r.env_before is None, (i, r.failure)
            assert same_answer(r, recorded_answers[code]), i

    assert sum(s.items for s in stats) == 200
    assert sum(s.restarts for s in stats) == 2
    assert len({rec.worker for rec in records}) == 4  # every worker took part
    for bad in (37, 83):
        rec = records[bad]
        assert rec.generation_after == rec.generation_before + 1  # replaced by the process layer
        later = [r for r in records if r.worker == rec.worker and r.order > rec.order and r.index not in (37, 83)]
        assert all(results[r.index].ok and r.generation_before >= rec.generation_after for r in later)
    # After the crash there is always work left: its replacement must have answered some.
    crash = records[37]
    assert [r for r in records if r.worker == crash.worker and r.order > crash.order]


def test_items_do_not_see_each_other(standin_config):
    # Recorded: def_eval's `def f := 37`. Run three times on one process: a chained env
    # would answer "already declared"; each run goes on a fresh env instead.
    with LeanPool(standin_config(), workers=1) as pool:
        results = pool.check_many(["def f := 37"] * 3, progress=False)
        session = pool.sessions()[0]
        assert [r.ok for r in results] == [True, True, True]
        assert [r.env_before for r in results] == [None, None, None]
        assert len({r.env_after for r in results}) == 3
        assert session.current_env is None and session.cells == []
        assert len({rec.pid for rec in pool.records}) == 1


def test_run_cell_without_commit_stays_on_a_fresh_env(standin_session):
    # Recorded: def_eval's `def f := 37`, and `#check (rfl : f = 37)` on its env.
    # The pool relies on this: an uncommitted cell leaves current_env None, so the next
    # cell (even without env=None) runs on a fresh env again, not on the previous item.
    session = standin_session()
    first = session.run_cell("def f := 37", commit=False)
    second = session.run_cell("def f := 37", commit=False)
    assert first.ok and second.ok and first.env_after != second.env_after
    assert session.current_env is None and second.env_before is None
    seen = session.query("#check (rfl : f = 37)", env=first.env_after)
    assert [m.data for m in seen.infos] == ["rfl : f = f"]


def test_imports_are_run_once_per_process_and_items_routed_to_them(standin_config):
    # Recorded: `import Mathlib` then `theorem test : 0 < 1 := by sorry` (Mathlib/test/exact),
    # `import Mathlib.Tactic.Cases` then `example {x : Nat} : ...` (Mathlib/test/H20231115).
    a = "import Mathlib\ntheorem test : 0 < 1 := by sorry"
    b = "import Mathlib.Tactic.Cases\nexample {x : Nat} : x + 1 > x := by sorry"
    codes = [a, b] * 10
    with LeanPool(standin_config(), workers=2) as pool:
        results = pool.check_many(codes, progress=False)
        records = pool.records
        held = [s.headers for s in pool.stats()]
    assert all(r.ok for r in results), [r.failure or r.errors for r in results]
    assert results[0].sorries[0].goal == "⊢ 0 < 1" and results[0].sorries[0].pos.line == 2  # cell lines
    imports = [r for r in records if not r.header_held]
    assert len(imports) <= 4  # at most one import per header per process
    assert set().union(*held) == {"import Mathlib", "import Mathlib.Tactic.Cases"}


def test_choose_prefers_held_headers_within_lookahead():
    keys = ["", "import A", "import B", "import A"]
    assert choose([0, 1, 2, 3], keys, set(), 64) == 0
    assert choose([0, 1, 2, 3], keys, {"import B"}, 64) == 2
    assert choose([1, 2, 3], keys, {"import A"}, 64) == 0
    assert choose([0, 1, 2, 3], keys, {"import B"}, 2) == 0  # beyond the lookahead: oldest


def test_recycle_after_n_items(standin_config):
    # Recorded: term_sorry's `def f : Nat := sorry`.
    with LeanPool(standin_config(), workers=1, recycle_after=4) as pool:
        results = pool.check_many(["def f : Nat := sorry"] * 10, progress=False)
        pids = [rec.pid for rec in pool.records]
        stats = pool.stats()[0]
    assert all(r.ok for r in results)
    assert stats.recycles == 2 and stats.restarts == 0
    assert len(set(pids)) == 3 and pids[:4] == [pids[0]] * 4 and pids[4:8] == [pids[4]] * 4


def test_recycle_over_rss_limit(standin_config):
    # Recorded: def_eval's `def f := 37`. A stand-in process holds far more than 1 MB.
    with LeanPool(standin_config(), workers=1, max_rss_mb=1) as pool:
        pool.check_many(["def f := 37"] * 3, progress=False)
        assert pool.stats()[0].recycles == 3
        assert len({rec.pid for rec in pool.records}) == 3


def test_memory_limit_reaches_the_process(standin_config):
    # Recorded: def_eval's `def f := 37`.
    with LeanPool(standin_config(), workers=1, memory_limit_mb=4096) as pool:
        assert pool.check_many(["def f := 37"], progress=False)[0].ok
        pid = pool.sessions()[0].process.pid
        limits = Path(f"/proc/{pid}/limits").read_text()
    line = next(ln for ln in limits.splitlines() if ln.startswith("Max address space"))
    assert line.split()[3] == str(4096 * 1024 * 1024)


def test_verify_many_in_order_with_shared_statement_cache(standin_config):
    # Scripted: every verify_* transcript (tests/fixtures/scripted) answers its case;
    # with the statement cache a worker sends a statement probe once per statement.
    pairs = [(STATEMENTS[c.statement].text, c.candidate) for c in CASES]
    options = {"permitted_sorries": ["helper"]}  # only the helper case has such a name
    with LeanPool(standin_config(), workers=3) as pool:
        results = pool.verify_many(pairs, progress=False, **options)
        cached = len(pool.statement_cache)
    for case, r in zip(CASES, results):
        assert set(r.reasons) == set(case.expect), (case.name, r.summary())
    assert cached == len({c.statement for c in CASES}) - 1  # the broken statement is not cached


def test_verify_many_one_statement_many_candidates(standin_config):
    # Scripted: verify_ok_rfl, verify_sorry and verify_kind_mismatch (one statement).
    cands = [
        next(c.candidate for c in CASES if c.name == n)
        for n in ("verify_ok_rfl", "verify_sorry", "verify_kind_mismatch")
    ]
    results = verify_many(STATEMENTS["add_zero"].text, cands, workers=2, config=standin_config(), progress=False)
    assert [r.reasons for r in results] == [[], ["sorry", "sorryAx"], ["kind_mismatch"]]


def test_check_many_function_and_progress_bar(standin_config, capsys, monkeypatch):
    # Recorded: dup_sorries' `theorem thm1 : 1 = 1 := sorry`.
    # tqdm.auto picks the notebook bar once another test has made an IPython shell in this
    # process; outside a frontend that bar prints no updates, so pin the terminal one.
    import tqdm.auto
    import tqdm.std

    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.std.tqdm)
    results = check_many(["theorem thm1 : 1 = 1 := sorry"] * 5, workers=2, config=standin_config(), progress=True)
    assert [r.sorries[0].goal for r in results] == ["⊢ 1 = 1"] * 5
    assert "5/5" in capsys.readouterr().err


def test_bad_arguments_name_the_fix(standin_config):
    with pytest.raises(TypeError, match=r"wrap it: \[code\]"):
        check_many("def f := 1", config=standin_config())
    with pytest.raises(ValueError, match="workers must be"):
        LeanPool(standin_config(), workers=0)
    with pytest.raises(ValueError, match="one per candidate"):
        verify_many(["theorem a : True := sorry"] * 2, ["x"], config=standin_config())
    with pytest.raises(TypeError, match="pair"):
        LeanPool(standin_config(), workers=1).verify_many([("only one",)])
