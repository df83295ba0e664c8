"""What verify's text scan and its infotree request cost.

    python benchmarks/bench_scan.py [--sizes 0.25,0.5,1] [--repeats 3] [--commands 10,100,1000]
                                    [--compare REV] [--only-scan] [--shapes NAME,NAME]

(a) The text scan (``lean_magic.verify.scan_candidate``: Lean's lexing, three readings
    when strings could be interpolated, every rule) on generated candidates of 0.25,
    0.5 and 1 MB: an honest-looking file of tactic proofs, and hostile shapes (a wall of
    `axiom`s, nested interpolated strings, primes and char literals, nested comments,
    and the densest forms of each token the lexer reads one at a time: a string, a line
    comment, a char literal every few characters, interpolations with text and with none).
    Best of --repeats; "growth" is t(largest)/t(smallest) against the size ratio (linear:
    equal; quadratic: its square). The machine's load average is printed with it.
    --compare REV also times the scan as it was at git revision REV (its lean_text.py and
    verify/scan.py, loaded from `git show`), interleaved with this tree's, run for run, and
    checks that both report the same findings.
(b) The infotree ("full") answer the command allowlist reads: its size on the recordings
    (repl-transcripts/*/infotree_theorem: the same command with and without the
    infotree), then on generated answers for candidates of N commands, each the
    recorded command's tree (Lean prints a tree of that shape per command; real trees grow
    with the proof's size, so these are a floor), and the client's cost per answer:
    JSON parse, typed parse (protocol.parse_response), the allowlist walk.
(c) verify's added cost per candidate, measured interleaved on the stand-in REPL: the
    same verification (verify_ok_rfl's scripted answers, with their infotree) on a warm
    session, against the requests alone (the three requests verify sends, sent by hand),
    and the one-time self-check of a new process.

The Lean side of "full" (Lean pretty-printing every term of the candidate) cannot be
measured here: no Lean runs on this machine. Prints tables and exits 0.
"""

from __future__ import annotations

import argparse
import copy
import gc
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "extension"), str(REPO / "tests" / "verify")]

from lean_magic.verify import check_commands, scan_candidate, verify  # noqa: E402
from scan_shapes import SHAPES  # noqa: E402

from lean_kernel.config import ReplConfig  # noqa: E402
from lean_kernel.protocol import parse_response  # noqa: E402
from lean_kernel.session import LeanSession  # noqa: E402
from lean_kernel.testing.standin import standin_command  # noqa: E402
from lean_kernel.testing.transcripts import default_root  # noqa: E402

ROOT = default_root()
SCRIPTED = REPO / "tests" / "fixtures" / "scripted"


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def scan_table(sizes: list[float], repeats: int, shapes: list[str]) -> None:
    print(f"(a) text scan time (s), best of {repeats}; load average {_load()}")
    print(
        f"{'candidate':<20}"
        + "".join(f"{s:>9g} MB" for s in sizes)
        + "   growth  (size ratio "
        + f"{sizes[-1] / sizes[0]:g})"
    )
    for name in shapes:
        texts = [SHAPES[name](int(s * 1_000_000)) for s in sizes]
        times = [best_of(repeats, lambda t=t: scan_candidate(t, ["t0"], [])) for t in texts]
        print(f"{name:<20}" + "".join(f"{t:>12.3f}" for t in times) + f"   {times[-1] / times[0]:>6.2f}")
    print()


def compare_table(rev: str, sizes: list[float], repeats: int, shapes: list[str]) -> None:
    """The scan at ``rev`` against this tree's, interleaved run for run."""
    old_scan = _scan_at(rev)
    print(f"(a') text scan at {rev} and in this tree (s, best of {repeats}, interleaved); load average {_load()}")
    print(f"{'candidate':<20}{'MB':>6}{rev[:10]:>12}{'this tree':>12}{'speed-up':>10}")
    for name in shapes:
        growth = []
        for size in sizes:
            text = SHAPES[name](int(size * 1_000_000))
            before, after = _findings(old_scan(text, ["t0"], [])), _findings(scan_candidate(text, ["t0"], []))
            if before != after:
                raise SystemExit(
                    f"{name}, {size} MB: the findings differ\n  {rev}: {before[:3]}\n  this tree: {after[:3]}"
                )
            old_times, new_times = [], []
            for _ in range(repeats):
                old_times.append(_timed(lambda: old_scan(text, ["t0"], [])))
                new_times.append(_timed(lambda: scan_candidate(text, ["t0"], [])))
            growth.append((min(old_times), min(new_times)))
            print(
                f"{name:<20}{size:>6g}{min(old_times):>12.3f}{min(new_times):>12.3f}{min(old_times) / min(new_times):>9.1f}x"
            )
        (o0, n0), (o1, n1) = growth[0], growth[-1]
        print(f"{'':<20}{'growth':>6}{o1 / o0:>12.2f}{n1 / n0:>12.2f}   (size ratio {sizes[-1] / sizes[0]:g})")
    print()


def _scan_at(rev: str):
    """scan_candidate as it was at git revision ``rev``: its lean_text.py and scan.py, run
    against this tree's verify.result (scan.py's only other import)."""

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), "show", f"{rev}:{path}"], capture_output=True, text=True, check=True
        ).stdout

    where = Path(tempfile.mkdtemp(prefix="bench_scan_"))
    (where / "rev_lean_text.py").write_text(show("lean_kernel/lean_text.py"), encoding="utf-8")
    scan_source = show("extension/lean_magic/verify/scan.py")
    scan_source = scan_source.replace("from lean_kernel.lean_text import", "from rev_lean_text import")
    (where / "rev_scan.py").write_text(
        scan_source.replace("from .result import", "from lean_magic.verify.result import"), encoding="utf-8"
    )
    sys.path.insert(0, str(where))
    spec = importlib.util.spec_from_file_location("rev_scan", where / "rev_scan.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["rev_scan"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.scan_candidate


def _findings(messages) -> list[tuple]:
    return [(m.reason, m.message, m.declaration) for m in messages]


def _timed(fn) -> float:
    gc.collect()  # neither scan pays for the garbage of the other
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def _recorded(version: str) -> tuple[dict, str]:
    text = (ROOT / version / "infotree_theorem.expected.out").read_text(encoding="utf-8")
    return json.loads(text.strip()), text


def _answer_for(commands: int, recorded: dict) -> dict:
    """A 'full' answer for a candidate of ``commands`` commands like the recorded one."""
    command, eoi = recorded["infotree"][0], recorded["infotree"][-1]
    tree = []
    for i in range(commands):
        node = copy.deepcopy(command)
        for n in _walk(node):
            rng = ((n.get("node") or {}).get("stx") or {}).get("range")
            if rng:
                rng["start"]["line"] += i
                rng["finish"]["line"] += i
        tree.append(node)
    return {"infotree": [*tree, eoi], "env": 0}


def _walk(node: dict):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.get("children") or [])


def infotree_table(command_counts: list[int], repeats: int) -> None:
    print("(b) infotree 'full' answers")
    for version in sorted(p.name for p in ROOT.iterdir() if (p / "infotree_theorem.expected.out").exists()):
        obj, text = _recorded(version)
        without = {k: v for k, v in obj.items() if k != "infotree"}
        nodes = sum(1 for t in obj["infotree"] for _ in _walk(t))
        print(
            f"  recorded {version}: 1 command (50 chars) -> {len(text.encode())} bytes with the infotree, "
            f"{len(json.dumps(without))} without; {nodes} nodes"
        )
    obj, _ = _recorded("v4.33.0-rc2")
    print(f"{'commands':>9}{'answer KB':>12}{'json ms':>10}{'typed ms':>10}{'allowlist ms':>14}{'per cmd us':>12}")
    for n in command_counts:
        raw = json.dumps(_answer_for(n, obj), ensure_ascii=False, indent=1)
        t_json = best_of(repeats, lambda: json.loads(raw))
        decoded = json.loads(raw)
        t_typed = best_of(repeats, lambda: parse_response(decoded))
        typed = parse_response(decoded)
        t_allow = best_of(repeats, lambda: check_commands(typed.infotree))
        assert check_commands(typed.infotree).findings == []
        total = t_json + t_typed + t_allow
        print(
            f"{n:>9}{len(raw.encode()) / 1024:>12.1f}{t_json * 1e3:>10.2f}{t_typed * 1e3:>10.2f}{t_allow * 1e3:>14.2f}"
            f"{total / n * 1e6:>12.1f}"
        )
    print()


def _config() -> ReplConfig:
    argv = standin_command([ROOT / "v4.33.0-rc2"], [SCRIPTED], [])
    pythonpath = str(REPO) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
    return ReplConfig(repl_path=argv[0], repl_args=argv[1:], timeout=60, env={"PYTHONPATH": pythonpath})


def verify_table(rounds: int) -> None:
    from verify_transcripts import CASES, STATEMENTS

    case = next(c for c in CASES if c.name == "verify_ok_rfl")
    statement = STATEMENTS[case.statement].text
    blocks = (SCRIPTED / "verify_ok_rfl.in").read_text(encoding="utf-8").split("\n\n")
    requests = [
        json.loads(b) for b in blocks if b.strip() and not b.lstrip().startswith("--")
    ]  # `--`: the evidence note
    print("(c) verify on the stand-in (verify_ok_rfl), interleaved, median of", rounds)
    with LeanSession(_config()) as session:
        t0 = time.perf_counter()
        first = verify(session, statement, case.candidate)
        first_time = time.perf_counter() - t0
        assert first.okay, first.summary()
        full, bare = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            assert verify(session, statement, case.candidate).okay
            full.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            env = None
            for req in requests:  # the same three requests, with no verifier around them
                if "env" in req:
                    req = {**req, "env": env}
                answer = json.loads(session.process.request_json(req))
                env = answer["env"] if "infotree" in req else env  # the checks run on the candidate's env
            bare.append(time.perf_counter() - t0)
    full.sort()
    bare.sort()
    f, b = full[len(full) // 2], bare[len(bare) // 2]
    print(f"  first verification of a process (self-check: version + 5 controls): {first_time * 1e3:.1f} ms")
    print(
        f"  later verification: {f * 1e3:.1f} ms; its 3 requests alone: {b * 1e3:.1f} ms; "
        f"verifier's own cost {max(f - b, 0) * 1e3:.1f} ms per candidate (ratio {f / b:.2f})"
    )
    print("  timings of that first one: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in first.timings.items()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="0.25,0.5,1", help="candidate sizes in MB")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--commands", default="10,100,1000", help="commands per generated infotree answer")
    p.add_argument("--rounds", type=int, default=20, help="verifications in (c)")
    p.add_argument("--compare", metavar="REV", help="also time the scan at this git revision, interleaved")
    p.add_argument("--shapes", default=",".join(SHAPES), help="candidate shapes in (a)")
    p.add_argument("--only-scan", action="store_true", help="print (a) (and (a')) only")
    args = p.parse_args(argv)
    sizes, shapes = [float(s) for s in args.sizes.split(",")], args.shapes.split(",")
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown:
        p.error(f"unknown shapes {unknown}; known: {', '.join(SHAPES)}")
    if args.compare:
        compare_table(args.compare, sizes, args.repeats, shapes)
    scan_table(sizes, args.repeats, shapes)
    if args.only_scan:
        return 0
    infotree_table([int(n) for n in args.commands.split(",")], args.repeats)
    verify_table(args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
