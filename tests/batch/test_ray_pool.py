"""The Ray backend (lean_magic.cluster.RayPool) on a real local Ray instance (2 CPUs, see
conftest.local_ray) against stand-in REPLs.

Stand-in answers: recorded fresh commands of v4.33.0-rc2 (def_eval, dup_sorries,
proof_step, term_sorry, by_cases, Mathlib/test/20240209) and, behind imports, recorded
chains: `import Mathlib` (Mathlib/test/exact, Mathlib/test/induction), `import
Mathlib.Tactic.Cases` (Mathlib/test/H20231115), `import Lean`
(pickle_environment_with_imports). The verify test replays the scripted verify_*
transcripts (tests/fixtures/scripted). Crashes and hangs are stand-in faults
(--crash-on / --hang-on) on texts no recording answers; a lost actor is a real SIGKILL of
the Ray worker process.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from lean_magic.batch_results import BatchResults
from lean_magic.pool import LeanPool, verify_many

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "verify"))
from verify_transcripts import CASES, STATEMENTS

pytestmark = [pytest.mark.ray, pytest.mark.timeout(300)]

RECORDED = [
    "def f := 37",
    "theorem thm1 : 1 = 1 := sorry",
    "example : False := by sorry",
    "def f : Nat := by sorry",
    "def f : Nat := sorry",
    "theorem foo (x : Int) : x = x := by sorry",
]
WITH_IMPORTS = [
    "import Mathlib\ntheorem test : 0 < 1 := by sorry",
    "import Mathlib\ntheorem foo (x : Nat) : x = x := by sorry",
    "import Mathlib.Tactic.Cases\nexample {x : Nat} : x + 1 > x := by sorry",
    "import Lean\ndef f := 42",
]
HEADERS = ["import Mathlib", "import Mathlib.Tactic.Cases", "import Lean"]
CRASH = "def ray_pool_crash_here := 1"
HANG = "def ray_pool_hang_here := 1"
FAULTS = ("--crash-on", "ray_pool_crash_here", "--hang-on", "ray_pool_hang_here")


def seen_by_lean(result) -> tuple:
    """What Lean said, up to env / proof-state numbering (stand-ins renumber them live)."""
    return (
        result.failure_kind,
        [m.to_json() for m in result.messages],
        [(s.goal, s.pos, s.end_pos) for s in result.sorries],
    )


def read_logs(folder: Path) -> dict[int, list[dict]]:
    """The stand-in's request log of each REPL process (``--log repl-{pid}.log``)."""
    return {
        int(p.stem.split("-")[1]): [json.loads(line) for line in p.read_text().splitlines()]
        for p in folder.glob("repl-*.log")
    }


def test_200_items_over_headers_with_a_crash_and_a_hang(local_ray, standin_config, tmp_path):
    config = standin_config("--delay", "0.005", *FAULTS, "--log", str(tmp_path / "repl-{pid}.log"))
    codes = list(itertools.islice(itertools.cycle(RECORDED + WITH_IMPORTS), 200))
    codes[37] = CRASH
    codes[83] = HANG
    from lean_magic.cluster import RayPool

    with RayPool(config, workers=2) as pool:
        results = pool.check_many(codes, timeout=1.0, progress=False)
        records = pool.records
    with LeanPool(standin_config("--delay", "0.005", *FAULTS), workers=2) as local:
        expected = local.check_many(codes, timeout=1.0, progress=False)

    # Order and statuses: the same typed results as the local pool, in input order.
    assert isinstance(results, BatchResults) and [r.code for r in results] == codes
    assert results[37].failure_kind == "ReplExited" and "uncaught exception" in results[37].failure
    assert results[83].failure_kind == "ReplTimeout"
    for i, (mine, theirs) in enumerate(zip(results, expected)):
        assert seen_by_lean(mine) == seen_by_lean(theirs), i
        if i not in (37, 83):
            assert mine.ok, (i, mine.failure)
    assert results.summary().by_status == {"ok": 198, "fault": 1, "timeout": 1}
    assert [o.index for o in results.summary().restarted] == [37, 83]
    assert [r.index for r in records] == list(range(200))
    assert {r.worker for r in records} == {0, 1}  # both actors worked
    for bad in (37, 83):
        assert records[bad].generation_after == records[bad].generation_before + 1  # its REPL was replaced

    # Routing: within an actor's REPL process, a header is imported once; every later
    # item with that header found it held. Records group items by (actor, process).
    by_process = defaultdict(list)
    for r in records:
        if r.header:
            by_process[(r.worker, r.pid, r.header)].append(r)
    for (worker, pid, header), recs in by_process.items():
        recs.sort(key=lambda r: r.order)
        assert [r.header_held for r in recs] == [False] + [True] * (len(recs) - 1), (worker, pid, header)
    # ...and the stand-ins' own logs agree: each process sent each import at most once,
    # and the imports sent are exactly the items that found their header missing.
    logs = read_logs(tmp_path)
    assert set(logs) >= {r.pid for r in records}
    imports = Counter()
    for pid, requests in logs.items():
        sent = [q["cmd"] for q in requests if "cmd" in q and q["cmd"].startswith("import")]
        assert len(sent) == len(set(sent)), (pid, sent)
        imports.update(sent)
    assert set(imports) == set(HEADERS)
    assert imports == Counter(r.header for r in records if r.header and not r.header_held)
    # 80 items with imports cost a handful of imports (at most one per header per process).
    assert sum(imports.values()) <= len(HEADERS) * len({(r.worker, r.pid) for r in records}) < 20


def test_a_lost_actor_has_its_items_retried(local_ray, standin_config, tmp_path):
    from lean_magic.cluster import RayPool

    config = standin_config("--delay", "0.02")
    codes = list(itertools.islice(itertools.cycle(RECORDED), 120))
    with RayPool(config, workers=2, max_retries=2) as pool:
        pool.start()
        victim = pool.actor_info()[0]
        order = []
        results = {}
        records = {}
        for i, result, record in pool.run_iter(_check_job(), codes):
            order.append(i)
            results[i] = result
            records[i] = record
            if len(order) == 20:
                os.kill(victim["pid"], signal.SIGKILL)  # the actor's process dies, as with a lost node
        assert sorted(order) == list(range(120))  # every item once, none lost, none twice
        assert all(results[i].ok for i in range(120)), [results[i].failure for i in range(120) if not results[i].ok]
        retried = [r for r in records.values() if r.attempt > 1]
        assert retried and all(r.attempt == 2 for r in retried)
        assert all(r.pid != victim["repl_pid"] for r in retried)
        assert pool.lost == 1
        # The dead actor's REPL does not outlive it (stdin closed: it exits), and Ray
        # restarts the actor (max_restarts), so the pool is whole again.
        assert _gone(victim["repl_pid"], 15.0)
        deadline = time.monotonic() + 60
        while (info := pool.actor_info()[0]) is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert info is not None and info["pid"] != victim["pid"]
        again = pool.check_many(RECORDED, progress=False)
        assert all(r.ok for r in again)


def test_an_item_that_keeps_killing_its_actor_fails_alone(local_ray, standin_config):
    from lean_magic.cluster import RayPool

    def run(session, code):
        from lean_kernel.session import FRESH

        if code == "poison":
            os.kill(os.getpid(), signal.SIGKILL)  # takes the whole actor process down
        return session.run_cell(code, env=FRESH, commit=False).ok

    def failed(code, exc):
        return f"failed: {exc}"

    items = ["def f := 37"] * 6 + ["poison"] + ["def f := 37"] * 6
    with RayPool(standin_config(), workers=2, max_retries=1) as pool:
        results = pool.map(run, items, on_error=failed, progress=False)
        assert pool.lost >= 2
    assert results[:6] == [True] * 6 and results[7:] == [True] * 6
    assert results[6].startswith("failed: its Ray worker was lost 2 times (max_retries=1)")


def test_closing_early_cancels_on_the_actors(local_ray, standin_config):
    from lean_magic.cluster import RayPool

    # The stand-in holds each `def f : Nat := sorry` for 20 s. After the first quick item
    # the iterator is closed: the actors drop their queued items and kill the requests in
    # flight, so the next run starts at once instead of after 20-40 s.
    config = standin_config("--delay-on", "def f : Nat := sorry=20")
    with RayPool(config, workers=2) as pool:
        pool.start()
        it = pool.check_iter(["def f := 37"] + ["def f : Nat := sorry"] * 6)
        first = next(it)
        it.close()
        started = time.monotonic()
        again = pool.check_many(["def f := 37"] * 4, progress=False)
        took = time.monotonic() - started
    assert first[1].ok and all(r.ok for r in again)
    assert took < 15, took


def test_verify_many_on_ray_matches_the_local_pool(local_ray, standin_config, capsys, monkeypatch):
    # tqdm.auto picks the notebook bar once another test made an IPython shell: pin the terminal one.
    import tqdm.auto
    import tqdm.std

    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.std.tqdm)
    pairs = [(STATEMENTS[c.statement].text, c.candidate) for c in CASES]
    options = {"permitted_sorries": ["helper"]}
    on_ray = verify_many(pairs, workers=2, config=standin_config(), progress=True, backend="ray", **options)
    bar = capsys.readouterr().err
    local = verify_many(pairs, workers=2, config=standin_config(), progress=False, **options)
    passed = sum(r.okay for r in local)
    assert f"{len(pairs)}/{len(pairs)}" in bar and f"pass {passed}/{len(pairs)}" in bar  # the same bar as locally
    assert isinstance(on_ray, BatchResults)
    for case, r in zip(CASES, on_ray):
        assert set(r.reasons) == set(case.expect), (case.name, r.summary())
    assert [r.reasons for r in on_ray] == [r.reasons for r in local]
    assert on_ray.summary().by_status == local.summary().by_status
    assert local_ray.is_initialized()  # a pool that found Ray running leaves it running


def test_more_workers_than_the_cluster_holds_names_the_fix(local_ray, standin_config):
    from lean_magic.cluster import RayPool

    with pytest.raises(ValueError, match=r"5 Ray workers need 5 CPUs .* has 2: ask for fewer workers"):
        RayPool(standin_config(), workers=5)
    with RayPool(standin_config()) as pool:  # the default fills the cluster
        assert pool.workers == 2


def _check_job():
    from lean_magic.pool import CheckJob

    return CheckJob(timeout=10.0)


def _gone(pid: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def test_lean_check_on_the_running_ray_cluster(local_ray, standin_env, tmp_path):
    # The command as a second Ray driver (--ray ADDRESS) on the test's cluster. Recorded:
    # def_eval's `def f := 37`, dup_sorries' `theorem thm1 : 1 = 1 := sorry`.
    import subprocess

    source, out = tmp_path / "items.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps({"id": k, "code": RECORDED[k % 2]}) + "\n" for k in range(20)))
    address = local_ray.get_runtime_context().gcs_address
    env = {**os.environ, **standin_env()}
    done = subprocess.run(
        [sys.executable, "-m", "lean_magic.batch", str(source), "-o", str(out), "--ray", address, "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(x["id"] for x in lines) == list(range(20))
    assert all(x["status"] == "ok" for x in lines)
    assert "20 items: 20 passed" in done.stderr and "(ray, 2 workers)" in done.stderr
