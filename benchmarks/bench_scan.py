"""What verify's text scan and its infotree request cost.

    python benchmarks/bench_scan.py [--sizes 0.25,0.5,1] [--repeats 3] [--commands 10,100,1000]

(a) The text scan (``lean_magic.verify.scan_candidate``: Lean's lexing, three readings
    when strings could be interpolated, every rule) on generated candidates of 0.25,
    0.5 and 1 MB: an honest-looking file of tactic proofs, and hostile shapes (a wall of
    `axiom`s, nested interpolated strings, primes and char literals, nested comments).
    Best of --repeats; "growth" is t(largest)/t(smallest) against the size ratio (linear:
    equal; quadratic: its square).
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
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "extension"), str(REPO / "tests" / "verify")]

from lean_kernel.config import ReplConfig  # noqa: E402
from lean_kernel.protocol import parse_response  # noqa: E402
from lean_kernel.session import LeanSession  # noqa: E402
from lean_kernel.testing.standin import standin_command  # noqa: E402
from lean_kernel.testing.transcripts import default_root  # noqa: E402
from lean_magic.verify import check_commands, scan_candidate, verify  # noqa: E402

ROOT = default_root()
SCRIPTED = REPO / "tests" / "fixtures" / "scripted"

PROOF = (
    "/-- A lemma about {n}. -/\n"
    "theorem t{n} (a b : Nat) (h₁ : a ≤ b) (h' : b ≤ a) : a = b := by\n"
    "  -- antisymmetry, then clean up\n"
    "  have key : a = b := Nat.le_antisymm h₁ h'\n"
    "  simp [key] at *\n"
    '  all_goals first | rfl | exact key | omega -- "done"\n\n'
)
SHAPES = {
    "honest proofs": lambda size: "".join(PROOF.format(n=i) for i in range(size // len(PROOF) + 1))[:size],
    "wall of axioms": lambda size: ("axiom cheat : False\n" * (size // 20 + 1))[:size],
    "nested s! strings": lambda size: ('s!"{' * (size // 8) + '}"' * (size // 8)),
    "primes and chars": lambda size: ("f 2'\"' x' h'' '' r#\"a\"# «b»\n" * (size // 30 + 1))[:size],
    "nested comments": lambda size: "/-" * (size // 4) + "-/" * (size // 4),
}


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def scan_table(sizes: list[float], repeats: int) -> None:
    print("(a) text scan time (s), best of", repeats)
    print(f"{'candidate':<20}" + "".join(f"{s:>9g} MB" for s in sizes) + "   growth  (size ratio " + f"{sizes[-1] / sizes[0]:g})")
    for name, make in SHAPES.items():
        texts = [make(int(s * 1_000_000)) for s in sizes]
        times = [best_of(repeats, lambda t=t: scan_candidate(t, ["t0"], [])) for t in texts]
        print(f"{name:<20}" + "".join(f"{t:>12.3f}" for t in times) + f"   {times[-1] / times[0]:>6.2f}")
    print()


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
    return {"infotree": tree + [eoi], "env": 0}


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
        print(f"  recorded {version}: 1 command (50 chars) -> {len(text.encode())} bytes with the infotree, "
              f"{len(json.dumps(without))} without; {nodes} nodes")
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
        print(f"{n:>9}{len(raw.encode()) / 1024:>12.1f}{t_json * 1e3:>10.2f}{t_typed * 1e3:>10.2f}{t_allow * 1e3:>14.2f}"
              f"{total / n * 1e6:>12.1f}")
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
    requests = [json.loads(b) for b in blocks if b.strip() and not b.lstrip().startswith("--")]  # `--`: the evidence note
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
    print(f"  later verification: {f * 1e3:.1f} ms; its 3 requests alone: {b * 1e3:.1f} ms; "
          f"verifier's own cost {max(f - b, 0) * 1e3:.1f} ms per candidate (ratio {f / b:.2f})")
    print("  timings of that first one: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in first.timings.items()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="0.25,0.5,1", help="candidate sizes in MB")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--commands", default="10,100,1000", help="commands per generated infotree answer")
    p.add_argument("--rounds", type=int, default=20, help="verifications in (c)")
    args = p.parse_args(argv)
    scan_table([float(s) for s in args.sizes.split(",")], args.repeats)
    infotree_table([int(n) for n in args.commands.split(",")], args.repeats)
    verify_table(args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
