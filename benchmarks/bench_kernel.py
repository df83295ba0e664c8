"""What the Jupyter kernel adds to each cell, and how that grows with the notebook.

    python benchmarks/bench_kernel.py [--cells 500] [--warmup 30] [--chain 5000]
                                      [--rerun-chain 3000] [--reruns 10]

All on a stand-in REPL (v4.33.0-rc2 recordings, tests/fixtures/scripted for the start-up
check, and a generated chain transcript: lean_kernel.testing.chains), through
jupyter_client, timed from the execute_request until the kernel's idle status, as a
frontend sees it. Three parts, in one run:

(a) Overhead per cell, with the same request ``{"cmd": "#print List.cons"}``:
    raw    = Popen + os.write of the request + os.read until the blank line;
    kernel = an execute_request of the cell ``#print List.cons`` (always the same cellId,
             so every run is a re-run of one cell on the fresh env it started from);
    floor  = the magic cell ``%timeout``, which never reaches the REPL: what ipykernel's
             messaging alone costs (the two kinds of cell alternate).
    The kernel reports the REPL round trip it measured itself (``elapsed`` in the raw
    result the display carries), so overhead = wall time - REPL time. Target: <= 5 ms.

(b) A growing chain: cell k is ``def ck := k`` on the env of cell k-1, each a new cell
    (its own cellId). One kernel per checkpoint (100, 1,000 and 5,000 cells, or up to
    ``--chain``) grows its chain to that length; then the kernels take turns running
    ``--window`` more chain cells each, ``--block`` at a time, so the per-cell costs at
    the checkpoints are measured interleaved, under the same load (machines are shared). Target: the cost
    at 5,000 within 1.2x of the cost at 100 (the kernel keeps no per-cell work that grows).

(c) Re-running an early cell of a ``--rerun-chain`` cell chain (after %reset; the chain
    is built ``--rerun-repeats`` times, for as many samples of the first re-run): it goes on
    the env it first ran on and marks every later cell stale. The first re-run turns
    them all stale (the note counts them; banners go to the first few); the next ones
    re-run cells 3, 4, ... (stale: they go on the current env) and walk the rest of the
    chain again. A magic cell (no REPL) runs after each, as the floor under the same load.
    Target: under 50 ms; also counted: update_display_data messages.

Prints tables and exits 0. Needs the recordings (LEAN_TRANSCRIPTS or ../shared/repl-transcripts).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_process import RawPipe, child_env  # noqa: E402  (the raw client and child env of bench_process)

from lean_kernel.render import RESULT_MIME_TYPE  # noqa: E402
from lean_kernel.testing.chains import chain_cell, write_chain_transcript  # noqa: E402
from lean_kernel.testing.standin import standin_command  # noqa: E402
from lean_kernel.testing.transcripts import default_root  # noqa: E402

CELL = "#print List.cons"  # recorded in v4.33.0-rc2/options.in on a fresh env
REQUEST = (json.dumps({"cmd": CELL}, separators=(",", ":")) + "\n\n").encode()
CHECKPOINTS = (100, 1000, 5000)


def standin_argv(chain_dir: Path | None = None) -> list[str]:
    scripted = [REPO / "tests" / "fixtures" / "scripted"] + ([chain_dir] if chain_dir else [])
    return standin_command([default_root() / "v4.33.0-rc2"], scripted)


def raw_round_trips(n: int, warmup: int) -> list[float]:
    raw = RawPipe(standin_argv())
    times = []
    try:
        for i in range(warmup + n):
            started = time.perf_counter()
            raw.roundtrip(REQUEST)
            if i >= warmup:
                times.append(time.perf_counter() - started)
    finally:
        raw.close()
    return times


class Kernel:
    """One kernel on the stand-in, started from an installed kernelspec."""

    def __init__(self, chain_dir: Path, prefix: str) -> None:
        from jupyter_client.manager import KernelManager

        argv = standin_argv(chain_dir)
        env = {**child_env(), "LEAN_REPL_PATH": argv[0], "LEAN_REPL_ARGS": shlex.join(argv[1:]), "LEAN_TIMEOUT": "30"}
        subprocess.run(
            [sys.executable, str(REPO / "install_kernel.py"), "--prefix", prefix],
            check=True,
            capture_output=True,
            env=child_env(),
        )
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
        self.km = KernelManager(kernel_name="lean4")
        self.km.start_kernel(env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code: str, cell_id: str) -> tuple[float, list[dict]]:
        """(wall seconds, iopub messages) of one cell; raises if it fails."""
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        msg = self.kc.session.msg("execute_request", content, metadata={"cellId": cell_id})
        started = time.perf_counter()
        self.kc.shell_channel.send(msg)
        messages = []
        while True:
            m = self.kc.get_iopub_msg(timeout=60)
            if m["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                continue
            if m["msg_type"] == "error":
                raise RuntimeError(f"cell {code!r} failed: {m['content']['evalue']}")
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
            messages.append(m)
        wall = time.perf_counter() - started
        self.kc.get_shell_msg(timeout=60)  # the execute_reply (sent before idle)
        return wall, messages

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def overhead(kernel: Kernel, n: int, warmup: int) -> tuple[list[float], list[float], list[float]]:
    walls, repl, floor = [], [], []
    for i in range(2 * (warmup + n)):
        # Odd runs: a magic cell that never reaches the REPL (ipykernel's own floor).
        magic = i % 2 == 1
        wall, messages = kernel.run("%timeout" if magic else CELL, "bench")
        if i < 2 * warmup:
            continue
        if magic:
            floor.append(wall)
        else:
            walls.append(wall)
            repl.append(_elapsed(messages))
    return walls, repl, floor


def growing_chain(kernel: Kernel, cells: int, prefix: str, start: int = 1) -> tuple[list[float], list[float]]:
    """(wall, REPL round trip) of each cell of the chain from cell ``start`` to ``cells``
    (a new chain, after %reset, when ``start`` is 1)."""
    if start == 1:
        kernel.run("%reset", f"{prefix}-reset")
    walls, repl = [], []
    for k in range(start, cells + 1):
        wall, messages = kernel.run(chain_cell(k), f"{prefix}-{k}")
        walls.append(wall)
        repl.append(_elapsed(messages))
    return walls, repl


def interleaved_chains(
    kernels: dict[int, Kernel], window: int, block: int
) -> dict[int, tuple[list[float], list[float]]]:
    """Grow each kernel's chain to its length, then time ``window`` more cells on each,
    the kernels taking turns every ``block`` cells."""
    for length, kernel in kernels.items():
        growing_chain(kernel, length, "g")
    timed: dict[int, tuple[list[float], list[float]]] = {n: ([], []) for n in kernels}
    for done in range(0, window, block):
        for length, kernel in kernels.items():
            first = length + done + 1
            walls, repl = growing_chain(kernel, min(first + block - 1, length + window), "g", start=first)
            timed[length][0].extend(walls)
            timed[length][1].extend(repl)
    return timed


def _elapsed(messages: list[dict]) -> float:
    return next(m["content"]["data"][RESULT_MIME_TYPE]["elapsed"] for m in messages if m["msg_type"] == "display_data")


def reruns(
    kernel: Kernel, cells: int, count: int, repeats: int
) -> tuple[list[tuple[float, int]], list[tuple[float, int]], list[float]]:
    """``repeats`` times: a new chain of ``cells``, then re-running its cells 2, 3, ...
    ``count`` of them, each followed by the magic cell ``%timeout`` (no REPL), the floor
    under the same load. Returns (wall, update_display_data messages) of the re-runs of
    cell 2 (each makes the whole chain stale), of the later re-runs, and the floor."""
    first, later, floor = [], [], []
    for repeat in range(repeats):
        growing_chain(kernel, cells, f"r{repeat}")
        for k in range(2, 2 + count):
            wall, messages = kernel.run(chain_cell(k), f"r{repeat}-{k}")
            (first if k == 2 else later).append(
                (wall, sum(1 for m in messages if m["msg_type"] == "update_display_data"))
            )
            floor.append(kernel.run("%timeout", "floor")[0])
    return first, later, floor


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) >= 20 else max(xs)


def ms(x: float) -> str:
    return f"{x * 1000:8.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=500, help="(a): cells of each kind")
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--chain", type=int, default=5000, help="(b): the longest chain (checkpoints 100, 1,000 below it)")
    ap.add_argument("--window", type=int, default=200, help="(b): cells timed on each chain")
    ap.add_argument("--block", type=int, default=10, help="(b): cells a kernel runs before the next takes its turn")
    ap.add_argument("--rerun-chain", type=int, default=3000, help="(c): chain whose early cells are re-run")
    ap.add_argument("--reruns", type=int, default=10, help="(c): early cells re-run")
    ap.add_argument("--rerun-repeats", type=int, default=3, help="(c): chains built, each re-run")
    args = ap.parse_args(argv)
    checkpoints = [c for c in CHECKPOINTS if c < args.chain] + [args.chain]

    raw = raw_round_trips(args.cells, args.warmup)
    with tempfile.TemporaryDirectory() as tmp:
        chain_dir = write_chain_transcript(Path(tmp) / "chain", max(args.chain + args.window, args.rerun_chain))
        kernels = {n: Kernel(chain_dir, str(Path(tmp) / f"prefix-{n}")) for n in checkpoints}
        try:
            walls, repl, floor = overhead(kernels[checkpoints[0]], args.cells, args.warmup)
            timed = interleaved_chains(kernels, args.window, args.block)
            first_reruns, later_reruns, rerun_floor = reruns(
                kernels[checkpoints[0]], args.rerun_chain, args.reruns, args.rerun_repeats
            )
        finally:
            for kernel in kernels.values():
                kernel.close()
    cost = [w - r for w, r in zip(walls, repl)]

    print(f"bench_kernel (a): {args.cells} cells ({args.warmup} warm-up) of {CELL!r} on a stand-in REPL")
    print(f"{'':34} {'median ms':>9} {'p95 ms':>8}")
    print(f"{'raw pipe round trip':34} {ms(statistics.median(raw))} {ms(p95(raw))}")
    print(f"{'REPL round trip inside the kernel':34} {ms(statistics.median(repl))} {ms(p95(repl))}")
    print(f"{'kernel cell, frontend wall time':34} {ms(statistics.median(walls))} {ms(p95(walls))}")
    print(f"{'kernel overhead per cell':34} {ms(statistics.median(cost))} {ms(p95(cost))}")
    print(f"{'(a magic cell, no REPL: floor)':34} {ms(statistics.median(floor))} {ms(p95(floor))}")
    ratio = statistics.median(walls) / statistics.median(raw)
    print(f"ratio kernel cell / raw round trip (medians): {ratio:.1f}x")
    verdict = "meets" if statistics.median(cost) <= 0.005 else "MISSES"
    print(f"median overhead {statistics.median(cost) * 1000:.2f} ms {verdict} the 5 ms target")

    print(
        f"\nbench_kernel (b): growing chains (def ck := k, each on the one before), {args.window} more cells "
        f"timed on each, kernels taking turns every {args.block}"
    )
    print(f"{'after cells':>12} {'median ms':>9} {'p95 ms':>8} {'vs first':>8} {'REPL ms':>8}")
    first = statistics.median(timed[checkpoints[0]][0])
    for count in checkpoints:
        window, window_repl = timed[count]
        print(
            f"{count:>12,} {ms(statistics.median(window))} {ms(p95(window))} {statistics.median(window) / first:7.2f}x "
            f"{ms(statistics.median(window_repl))}"
        )
    growth = statistics.median(timed[checkpoints[-1]][0]) / first
    verdict = "meets" if growth <= 1.2 else "MISSES"
    print(
        f"per-cell cost at {checkpoints[-1]:,} cells / at {checkpoints[0]:,}: {growth:.2f}x, {verdict} the 1.2x target"
    )

    print(
        f"\nbench_kernel (c): re-running early cells of a {args.rerun_chain:,}-cell chain, {args.rerun_repeats} chain(s) "
        "(each re-run followed by a magic cell, the floor under the same load)"
    )
    heads = [w for w, _ in first_reruns]
    print(
        f"re-run of cell 2 (makes {args.rerun_chain - 2:,} cells stale): median {statistics.median(heads) * 1000:.1f} ms "
        f"(each: {', '.join(f'{w * 1000:.1f}' for w in heads)} ms), "
        f"{max(u for _, u in first_reruns)} update_display_data messages each"
    )
    if later_reruns:
        rest = [w for w, _ in later_reruns]
        print(
            f"re-runs of cells 3..{args.reruns + 1} (each walks the rest of the chain again): median "
            f"{statistics.median(rest) * 1000:.1f} ms, max {max(rest) * 1000:.1f} ms"
        )
    print(f"magic cell between them (floor): median {statistics.median(rerun_floor) * 1000:.1f} ms")
    median = statistics.median(heads)
    verdict = "meets" if median < 0.050 else "MISSES"
    print(f"median re-run of cell 2: {median * 1000:.1f} ms, {verdict} the 50 ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
