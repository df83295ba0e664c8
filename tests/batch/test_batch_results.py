"""The result collection (lean_magic.batch_results), its statistics (lean_kernel.summary)
and their views (lean_kernel.render_batch), on collections whose numbers are worked out
by hand below; then the collection as the local pool returns it, against the stand-in.

Stand-in items: recorded fresh commands of v4.33.0-rc2 (def_eval's `def f := 37`,
term_sorry's `def f : Nat := sorry`); the crash is a stand-in fault (--crash-on) on a text
no recording answers.
"""

from __future__ import annotations

import json
import pickle
import re

import pytest
from lean_magic.batch_results import BatchResults, item_line, outcome_of
from lean_magic.pool import ItemRecord, LeanPool, check_many
from lean_magic.verify import ToolMessage, VerificationResult

from lean_kernel.protocol import CommandResponse, Message, Pos, ReplErrorResponse, Sorry
from lean_kernel.render_batch import histogram_svg, summary_html, summary_text
from lean_kernel.results import CellResult
from lean_kernel.summary import ItemOutcome, percentile, summarize, time_histogram


def ok(code: str, seconds: float, sorry: bool = False) -> CellResult:
    sorries = [Sorry("⊢ Nat", 0, Pos(1, 15), Pos(1, 20))] if sorry else []
    return CellResult(code=code, response=CommandResponse(env=1, sorries=sorries), elapsed=seconds)


def lean_error(code: str, seconds: float, text: str) -> CellResult:
    msg = Message("error", text, Pos(1, 4), Pos(1, 5))
    return CellResult(code=code, response=CommandResponse(env=1, messages=[msg]), elapsed=seconds)


def fault(code: str, seconds: float, kind: str, text: str) -> CellResult:
    return CellResult(code=code, failure=text, failure_kind=kind, elapsed=seconds)


# Worked out by hand:
#   idx  status   reasons       seconds  passed
#   0    ok       -             0.5      yes
#   1    ok       sorry         1.0      yes
#   2    error    lean_error    1.5
#   3    ok       -             2.0      yes
#   4    timeout  ReplTimeout   10.0
#   5    fault    ReplExited    3.0
#   6    error    repl_error    4.0
#   7    ok       sorry         8.0      yes
# sorted times 0.5 1 1.5 2 3 4 8 10 (sum 30): p50 at rank 3.5 = 2 + 0.5 * (3 - 2) = 2.5;
# p95 at rank 0.95 * 7 = 6.65 = 8 + 0.65 * (10 - 8) = 9.3; mean 30 / 8 = 3.75.
# Histogram: ceil(sqrt(8)) = 3 bins of 10/3 s: (0, 3.33] holds 0.5 1 2 passed and 1.5 3
# failed; (3.33, 6.67] holds 4 failed; (6.67, 10] holds 8 passed and 10 failed.
def hand_collection() -> BatchResults:
    return BatchResults(
        [
            ok("def a := 1", 0.5),
            ok("def b : Nat := sorry", 1.0, sorry=True),
            lean_error("def c := x", 1.5, "Unknown identifier `x` <here> & there"),
            ok("def d := 4", 2.0),
            fault("def e := 5", 10.0, "ReplTimeout", "no answer within 10 s"),
            fault("def f := 6", 3.0, "ReplExited", "the REPL exited with code 1"),
            CellResult(code="def g := 7", response=ReplErrorResponse("Unknown environment."), elapsed=4.0),
            ok("import Mathlib\ntheorem h : True := sorry", 8.0, sorry=True),
        ],
        wall_seconds=15.0,
    )


def test_summary_numbers_of_a_hand_computed_collection():
    s = hand_collection().summary()
    assert (s.total, s.passed, s.failed, s.pass_rate) == (8, 4, 4, 0.5)
    assert s.by_status == {"ok": 4, "error": 2, "fault": 1, "timeout": 1}
    assert list(s.by_status) == ["ok", "error", "fault", "timeout"]  # most frequent first
    assert s.by_reason == {"sorry": 2, "ReplExited": 1, "ReplTimeout": 1, "lean_error": 1, "repl_error": 1}
    assert s.p50 == pytest.approx(2.5) and s.p95 == pytest.approx(9.3)
    assert (s.max, s.mean, s.busy_seconds) == (10.0, 3.75, 30.0)
    assert s.throughput == pytest.approx(8 / 15)
    assert [o.index for o in s.slowest] == [4, 7, 6, 5, 3]
    assert [o.index for o in s.timed_out] == [4]
    assert [o.index for o in s.restarted] == [4, 5]  # no pool records: every fault restarts the REPL
    assert [o.index for o in s.failures] == [2, 4, 5, 6]
    assert s.retried == []
    bins = [(round(b.low, 3), round(b.high, 3), b.passed, b.failed) for b in s.histogram]
    assert bins == [(0.0, 3.333, 3, 2), (3.333, 6.667, 0, 1), (6.667, 10.0, 1, 1)]


def test_percentiles_agree_with_pandas():
    pd = pytest.importorskip("pandas")
    frame = hand_collection().to_pandas()
    s = hand_collection().summary()
    assert s.p50 == pytest.approx(frame.seconds.quantile(0.5))
    assert s.p95 == pytest.approx(frame.seconds.quantile(0.95))
    assert isinstance(frame, pd.DataFrame)


def test_percentile_and_histogram_edges():
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert summarize([]).pass_rate is None and summarize([]).histogram == []
    zero = [ItemOutcome(i, "ok", True, 0.0) for i in range(3)]
    assert [(b.passed, b.failed) for b in time_histogram(zero)] == [(3, 0)]
    # A time on a bin's upper edge counts in that bin; the slowest is in the last.
    edge = [
        ItemOutcome(0, "ok", True, 1.0),
        ItemOutcome(1, "ok", True, 2.0),
        ItemOutcome(2, "ok", True, 3.0),
        ItemOutcome(3, "ok", True, 4.0),
    ]
    assert [b.count for b in time_histogram(edge, max_bins=2)] == [2, 2]


def test_verification_statuses_and_reasons():
    results = BatchResults(
        [
            VerificationResult(okay=True, timings={"total": 1.0}),
            VerificationResult(
                okay=False,
                tool_messages=[ToolMessage("sorry", "uses sorry", "foo"), ToolMessage("sorryAx", "x", "foo")],
                timings={"total": 2.0},
            ),
            VerificationResult(
                okay=False,
                tool_messages=[ToolMessage("timeout", "the verification ran out of time")],
                timings={"total": 30.0},
            ),
            VerificationResult(
                okay=False, tool_messages=[ToolMessage("repl_failure", "ReplExited: crashed")], timings={"total": 0.5}
            ),
            VerificationResult(
                okay=False, tool_messages=[ToolMessage("compile_error", "unknown tactic")], timings={"total": 1.5}
            ),
        ]
    )
    outcomes = results.outcomes()
    assert [o.status for o in outcomes] == ["verified", "rejected", "timeout", "fault", "rejected"]
    assert [o.passed for o in outcomes] == [True, False, False, False, False]
    assert outcomes[1].reasons == ("sorry", "sorryAx")
    assert outcomes[1].messages == ("sorry [foo]: uses sorry", "sorryAx [foo]: x")
    s = results.summary()
    assert s.by_status == {"rejected": 2, "fault": 1, "timeout": 1, "verified": 1}
    assert s.by_reason == {"compile_error": 1, "repl_failure": 1, "sorry": 1, "sorryAx": 1, "timeout": 1}
    assert s.max == 30.0 and [o.index for o in s.timed_out] == [2]
    assert [o.index for o in s.restarted] == [2, 3]
    assert results.failures() == [(i, results[i]) for i in (1, 2, 3, 4)]


def test_pool_records_give_wall_times_restarts_and_retries():
    results = BatchResults(
        [ok("def a := 1", 0.1), ok("def b := 2", 0.1), fault("def c := 3", 0.1, "ReplExited", "crash")],
        records=[
            ItemRecord(0, 0, 0, 0, 1, 2.5, "", False, 11),  # first start: generation 0 -> 1 is no restart
            ItemRecord(1, 1, 0, 1, 1, 1.5, "import Mathlib", True, 12, attempt=2, node="10.0.0.2"),
            ItemRecord(2, 0, 1, 1, 2, 0.5, "", False, 13),
        ],
    )
    s = results.summary()
    assert [o.seconds for o in results.outcomes()] == [2.5, 1.5, 0.5]  # the pool's wall time, imports included
    assert [o.index for o in s.restarted] == [2]
    assert [o.index for o in s.retried] == [1]


def test_it_is_still_a_list():
    results = hand_collection()
    assert isinstance(results, list) and len(results) == 8
    assert results[2].errors[0].data.startswith("Unknown identifier")
    assert [r.ok for r in results] == [True, True, False, True, False, False, False, True]
    assert results == list(results) and results[1:3] == list(results)[1:3]
    copy = pickle.loads(pickle.dumps(results))
    assert isinstance(copy, BatchResults) and copy.wall_seconds == 15.0 and copy.summary().p95 == pytest.approx(9.3)


def test_text_and_html_views():
    s = hand_collection().summary()
    text = summary_text(s)
    assert text.splitlines()[0] == "8 items: 4 passed (50.0 %), 4 failed"
    assert "ok 4 · error 2 · fault 1 · timeout 1" in text
    assert "p50 2.50 s · p95 9.30 s · max 10.0 s · mean 3.75 s" in text
    assert "timeouts       1: #4" in text and "restarts       2: #4, #5" in text
    assert str(s) == text

    html = summary_html(s)
    assert html.count('<details class="lean-batch-item"') == 4
    assert re.findall(r'data-index="(\d+)" data-status="(\w+)"', html) == [
        ("2", "error"),
        ("4", "timeout"),
        ("5", "fault"),
        ("6", "error"),
    ]
    assert "Unknown identifier `x` &lt;here&gt; &amp; there" in html  # escaped, never raw
    assert "<here>" not in html
    assert html.count("<svg") == 1 and "<script" not in html
    bins = re.findall(r'class="lean-bin" data-passed="(\d+)" data-failed="(\d+)"', html)
    assert bins == [("3", "2"), ("0", "1"), ("1", "1")]
    assert hand_collection()._repr_html_() == html


def test_histogram_svg_bars_scale_to_the_tallest_bin():
    svg = histogram_svg(hand_collection().summary().histogram, width=320, height=120)
    heights = [float(h) for h in re.findall(r'class="lean-bar lean-bar-\w+" [^>]*height="([\d.]+)"', svg)]
    plot = 120 - 14 - 18
    # bin 0: 3 passed + 2 failed = the tallest (5): its two bars fill the plot height.
    assert heights[:2] == pytest.approx([plot * 3 / 5, plot * 2 / 5], abs=0.1)
    assert "3.33 s" in svg and ">10.0 s<" in svg


def test_to_jsonl_and_item_line(tmp_path):
    results = hand_collection()
    path = tmp_path / "out.jsonl"
    assert results.to_jsonl(path) == 8
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [x["id"] for x in lines] == list(range(8))
    assert [x["status"] for x in lines] == ["ok", "ok", "error", "ok", "timeout", "fault", "error", "ok"]
    assert lines[4]["reasons"] == ["ReplTimeout"] and lines[4]["failure_kind"] == "ReplTimeout"
    assert lines[1]["sorries"][0]["goal"] == "⊢ Nat"  # the result's own to_dict() follows
    verdict = VerificationResult(okay=True, timings={"total": 1.0}, declarations=["foo"])
    line = item_line(verdict, outcome_of(verdict, 0, id="p-1"))
    assert line["id"] == "p-1" and line["status"] == "verified" and line["okay"] is True
    assert {k: line[k] for k in verdict.to_dict()} == verdict.to_dict()


def test_to_pandas_rows():
    pytest.importorskip("pandas")
    frame = hand_collection().to_pandas()
    assert list(frame.columns) == [
        "id",
        "status",
        "passed",
        "reasons",
        "seconds",
        "timed_out",
        "restarted",
        "attempts",
        "message",
        "label",
        "result",
    ]
    assert frame.loc[4, "status"] == "timeout" and frame.loc[4, "message"] == "ReplTimeout: no answer within 10 s"
    assert frame.loc[7, "label"] == "theorem h : True := sorry"  # the import line is skipped
    assert frame.passed.sum() == 4


def test_to_pandas_without_pandas_names_the_fix(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        hand_collection().to_pandas()


# --------------------------------------------------------------------------- from the pool


def test_pool_returns_the_collection_with_records(standin_config):
    config = standin_config("--crash-on", "batch_results_crash_here")
    codes = ["def f := 37", "def f : Nat := sorry", "def batch_results_crash_here := 1", "def f := 37"]
    with LeanPool(config, workers=2) as pool:
        results = pool.check_many(codes, progress=False)
    assert isinstance(results, BatchResults) and len(results.records) == 4
    assert [r.index for r in results.records] == [0, 1, 2, 3]
    assert results.wall_seconds > 0
    s = results.summary()
    assert s.by_status == {"ok": 3, "fault": 1}
    assert s.by_reason == {"ReplExited": 1, "sorry": 1}
    assert [o.index for o in s.restarted] == [2]
    assert [o.seconds for o in results.outcomes()] == [rec.elapsed for rec in results.records]


def test_iterators_yield_each_item_once_as_it_finishes(standin_config):
    # The stand-in holds the reply to `def f : Nat := sorry` for 1.5 s, so `def f := 37`
    # items finish first on the other worker.
    config = standin_config("--delay-on", "def f : Nat := sorry=1.5")
    codes = ["def f : Nat := sorry"] + ["def f := 37"] * 5
    with LeanPool(config, workers=2) as pool:
        seen = list(pool.check_iter(codes))
    assert sorted(i for i, _ in seen) == list(range(6))
    assert seen[-1][0] == 0  # the slow one came last
    assert all(r.ok for _, r in seen)


def test_closing_an_iterator_early_cancels_and_the_pool_goes_on(standin_config):
    # Each `def f : Nat := sorry` is held 20 s by the stand-in; closing the iterator after
    # the first quick item must not wait for them.
    config = standin_config("--delay-on", "def f : Nat := sorry=20")
    with LeanPool(config, workers=2) as pool:
        it = pool.check_iter(["def f := 37", "def f : Nat := sorry", "def f : Nat := sorry", "def f : Nat := sorry"])
        first = next(it)
        it.close()
        assert first[1].ok
        again = pool.check_many(["def f := 37"] * 4, progress=False)  # the lock is free, the REPLs replaced
    assert all(r.ok for r in again)


def test_progress_bar_shows_the_pass_rate(standin_config, capsys, monkeypatch):
    # tqdm.auto picks the notebook bar once another test made an IPython shell: pin the terminal one.
    import tqdm.auto
    import tqdm.std

    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.std.tqdm)
    config = standin_config("--crash-on", "batch_results_crash_here")
    check_many(["def f := 37"] * 3 + ["def batch_results_crash_here := 1"], workers=1, config=config, progress=True)
    err = capsys.readouterr().err
    assert "4/4" in err and "pass 3/4 75%" in err


def test_ray_backend_without_ray_says_how_to_install(standin_config, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails, as when it is not installed
    with pytest.raises(ImportError, match=r'pip install "lean-kernel\[ray\]"'):
        check_many(["def f := 37"], config=standin_config(), backend="ray", progress=False)
    with pytest.raises(ValueError, match="backend must be one of 'local', 'ray'"):
        check_many(["def f := 37"], config=standin_config(), backend="dask")
    with pytest.raises(ValueError, match="max_retries: only for backend='ray'"):
        check_many(["def f := 37"], config=standin_config(), max_retries=3)
