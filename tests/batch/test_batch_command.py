"""``lean-check`` (python -m lean_magic.batch) as a pipeline runs it: a subprocess on a
JSONL file, with the stand-in REPL from the environment.

Stand-in answers: recorded fresh commands of v4.33.0-rc2 (def_eval's `def f := 37`,
dup_sorries' `theorem thm1 : 1 = 1 := sorry`, term_sorry's `def f : Nat := sorry`);
verifications replay the scripted verify_* transcripts (tests/fixtures/scripted); the
crash is a stand-in fault (--crash-on) on a text no recording answers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "verify"))
from verify_transcripts import CASES, STATEMENTS

CHECKS = ["def f := 37", "theorem thm1 : 1 = 1 := sorry", "def f : Nat := sorry"]
CRASH = "def batch_command_crash_here := 1"


def write_items(path: Path, items: list[dict]) -> None:
    path.write_text("".join(json.dumps(x) + "\n" for x in items), encoding="utf-8")


def run(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lean_magic.batch", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        **kwargs,
    )


def complete_lines(path: Path) -> list[dict]:
    """Every line that ends in a newline must be one JSON object; a line being written
    (no newline yet) is left out."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.split("\n")[:-1]]


@pytest.fixture
def env(standin_env):
    def make(*fault_args) -> dict:
        return {**os.environ, **standin_env(*fault_args), "PYTHONUNBUFFERED": "1"}

    return make


def test_resume_after_an_interrupted_run(env, tmp_path):
    # 60 checks, each held 0.15 s by the stand-in on 2 workers (about 5 s in all); Ctrl-C
    # (SIGINT) after about 15 results; then --resume finishes the file.
    items = [{"id": f"item-{k}", "code": CHECKS[k % 3]} for k in range(60)]
    items[7]["code"] = CRASH
    source, out = tmp_path / "items.jsonl", tmp_path / "results.jsonl"
    write_items(source, items)
    e = env("--delay", "0.15", "--crash-on", "batch_command_crash_here")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lean_magic.batch", str(source), "-o", str(out), "--workers", "2", "--timeout", "20"],
        env=e,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while len(complete_lines(out)) < 15:  # valid JSONL at every look
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "--resume" in err
    text = out.read_text(encoding="utf-8")
    assert text.endswith("\n")  # no torn line
    first = complete_lines(out)
    assert 15 <= len(first) < 60
    first_ids = [x["id"] for x in first]
    assert len(set(first_ids)) == len(first_ids)

    again = run([str(source), "-o", str(out), "--workers", "2", "--resume", "--timeout", "20"], e)
    assert again.returncode == 0, again.stderr
    assert f"{len(first)} of 60 ids already in {out}, {60 - len(first)} to go" in again.stderr
    lines = complete_lines(out)
    assert lines[: len(first)] == first  # appended, nothing rewritten
    ids = [x["id"] for x in lines]
    assert sorted(ids) == sorted(x["id"] for x in items) and len(ids) == 60  # none missing, none twice
    by_id = {x["id"]: x for x in lines}
    assert by_id["item-7"]["status"] == "fault" and by_id["item-7"]["failure_kind"] == "ReplExited"
    for k in range(60):
        if k != 7:
            line = by_id[f"item-{k}"]
            assert line["status"] == "ok" and line["code"] == items[k]["code"], line
    assert by_id["item-1"]["reasons"] == ["sorry"] and by_id["item-1"]["sorries"][0]["goal"] == "⊢ 1 = 1"
    # The closing summary: this run's items, and what was skipped.
    assert f"{60 - len(first)} items:" in again.stderr
    assert f"skipped        {len(first)} ids already in {out}" in again.stderr

    done = run([str(source), "-o", str(out), "--resume"], e)
    assert done.returncode == 0 and "nothing to do" in done.stderr


def test_resume_drops_a_torn_last_line(env, tmp_path):
    items = [{"id": k, "code": "def f := 37"} for k in range(4)]
    source, out = tmp_path / "items.jsonl", tmp_path / "results.jsonl"
    write_items(source, items)
    first = run([str(source), "-o", str(out), "--quiet"], env())
    assert first.returncode == 0, first.stderr
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:2]) + lines[2][:25])  # as if killed in the middle of line 3
    again = run([str(source), "-o", str(out), "--resume"], env())
    assert again.returncode == 0, again.stderr
    assert "dropping a torn last line" in again.stderr
    assert sorted(x["id"] for x in complete_lines(out)) == [0, 1, 2, 3]
    assert out.read_text().endswith("\n")


def test_verify_items_write_the_verification(env, tmp_path):
    # Scripted: verify_ok_rfl and verify_sorry (statement add_zero), mixed with a check.
    cases = {c.name: c for c in CASES}
    statement = STATEMENTS["add_zero"].text
    items = [
        {"id": "good", "statement": statement, "candidate": cases["verify_ok_rfl"].candidate},
        {"id": "bad", "statement": statement, "candidate": cases["verify_sorry"].candidate},
        {"id": "plain", "code": "def f := 37"},
    ]
    source = tmp_path / "items.jsonl"
    write_items(source, items)
    done = run([str(source), "--workers", "1"], env())  # results on stdout, the summary on stderr
    assert done.returncode == 0, done.stderr
    lines = {x["id"]: x for x in map(json.loads, done.stdout.splitlines())}
    assert lines["good"]["status"] == "verified" and lines["good"]["okay"] is True
    assert lines["bad"]["status"] == "rejected" and lines["bad"]["reasons"] == ["sorry", "sorryAx"]
    assert lines["bad"]["tool_messages"][0]["reason"] == "sorry"  # VerificationResult.to_dict() follows
    assert lines["plain"]["status"] == "ok"
    assert "3 items: 2 passed (66.7 %), 1 failed" in done.stderr
    assert "verified 1" in done.stderr and "rejected 1" in done.stderr and "p95" in done.stderr


def test_bad_input_and_options_name_the_problem(env, tmp_path):
    source, out = tmp_path / "items.jsonl", tmp_path / "results.jsonl"
    source.write_text('{"id": 1, "code": "def f := 37"}\n{"id": 1, "code": "def g := 1"}\n')
    bad = run([str(source)], env())
    assert bad.returncode == 2 and "items.jsonl:2: id 1 is also on line 1" in bad.stderr
    source.write_text('{"id": 1, "proof": "x"}\n')
    bad = run([str(source)], env())
    assert bad.returncode == 2 and 'needs "code" (to check) or "statement" and "candidate"' in bad.stderr
    source.write_text('{"id": 1, "code": "def f := 37"}\n')
    out.write_text('{"id": 0}\n')
    bad = run([str(source), "-o", str(out)], env())
    assert bad.returncode == 2 and "pass --resume to continue it, or --overwrite" in bad.stderr
    out.write_text("not json\n")
    bad = run([str(source), "-o", str(out), "--resume"], env())
    assert bad.returncode == 2 and "not a result line of lean-check" in bad.stderr
    bad = run([str(source), "--max-retries", "2"], env())
    assert bad.returncode == 2 and "--max-retries is for --ray" in bad.stderr


def test_a_missing_repl_is_one_clear_error(tmp_path):
    source = tmp_path / "items.jsonl"
    write_items(source, [{"id": 1, "code": "def f := 37"}])
    e = {k: v for k, v in os.environ.items() if not k.startswith("LEAN_")}
    e["LEAN_REPL_PATH"] = str(tmp_path / "no-such-repl")
    done = run([str(source), "-o", str(tmp_path / "out.jsonl")], e)
    assert done.returncode == 1
    assert "cannot start" in done.stderr and "no-such-repl" in done.stderr
    assert not (tmp_path / "out.jsonl").exists() or not (tmp_path / "out.jsonl").read_text()
