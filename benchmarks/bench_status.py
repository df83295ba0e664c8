"""What the running-status line costs a fast cell (one that ends before the line shows).

    python benchmarks/bench_status.py [--cells 300] [--warmup 20]

Three measurements, each A/B interleaved in one run so machine load hits both sides:

    clock    = RunningStatus.start() + report(phase) + stop(), alone: the whole price of
               the machinery for a cell that ends before the threshold;
    session  = LeanSession.run_cell of `#print List.cons` (fresh, not committed) on a
               stand-in REPL, with the clock around it and the session's on_phase hook
               set (on) or neither (off), alternating cell by cell;
    kernel   = the same cell as an execute_request, send to idle status, on three kernels
               started side by side, two with LEAN_STATUS_AFTER=off (their difference is
               the noise between two kernel processes) and one with the default (1 s),
               taking turns; it also counts status messages seen (must be 0).

Growth: the clock is one daemon thread per frontend, started at the first cell; the
script reports how many exist after all the cells (1 for the in-process runs).

Prints tables and exits 0. Needs the recordings (LEAN_TRANSCRIPTS or ../shared/repl-transcripts).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_kernel import CELL, child_env, standin_argv  # noqa: E402  (the same stand-in and cell)

from lean_kernel.config import ReplConfig  # noqa: E402
from lean_kernel.results import Phase  # noqa: E402
from lean_kernel.session import LeanSession  # noqa: E402
from lean_kernel.status import ENV_STATUS_AFTER, RunningStatus, StatusSettings  # noqa: E402


def never_called(bundle: dict, first: bool) -> None:
    raise AssertionError("a fast cell published a status line")


def clock_alone(n: int, warmup: int) -> list[float]:
    status = RunningStatus(never_called, StatusSettings())
    times = []
    for i in range(warmup + n):
        started = time.perf_counter()
        status.start()
        status.report(Phase("elaborating"))
        status.stop()
        if i >= warmup:
            times.append(time.perf_counter() - started)
    return times


def session_cells(n: int, warmup: int) -> tuple[list[float], list[float]]:
    argv = standin_argv()
    config = ReplConfig(repl_path=argv[0], repl_args=argv[1:], timeout=30, env={"PYTHONPATH": str(REPO)})
    status = RunningStatus(never_called, StatusSettings())
    off, on = [], []
    with LeanSession(config) as session:
        for i in range(2 * (warmup + n)):
            with_status = i % 2 == 1
            session.on_phase = status.report if with_status else None
            started = time.perf_counter()
            if with_status:
                status.start()
            result = session.run_cell(CELL, fresh=True, commit=False)
            if with_status:
                status.stop()
            wall = time.perf_counter() - started
            if not result.ok:
                raise RuntimeError(f"cell failed: {result.to_dict()}")
            if i >= 2 * warmup:
                (on if with_status else off).append(wall)
    return off, on


SIDES = ("off", "off", "1")  # LEAN_STATUS_AFTER of each kernel


def kernel_cells(n: int, warmup: int) -> tuple[list[list[float]], int]:
    from jupyter_client.manager import KernelManager

    argv = standin_argv()
    env = {**child_env(), "LEAN_REPL_PATH": argv[0], "LEAN_REPL_ARGS": shlex.join(argv[1:]), "LEAN_TIMEOUT": "30"}
    with tempfile.TemporaryDirectory() as prefix:
        subprocess.run(
            [sys.executable, str(REPO / "install_kernel.py"), "--prefix", prefix],
            check=True,
            capture_output=True,
            env=child_env(),
        )
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
        kernels = []
        for after in SIDES:
            km = KernelManager(kernel_name="lean4")
            km.start_kernel(env={**env, ENV_STATUS_AFTER: after})
            kc = km.client()
            kc.start_channels()
            kernels.append((km, kc))
        try:
            for _, kc in kernels:
                kc.wait_for_ready(timeout=60)
            walls: list[list[float]] = [[] for _ in SIDES]
            status_messages = 0
            for i in range(len(SIDES) * (warmup + n)):
                side = i % len(SIDES)
                kc = kernels[side][1]
                content = {
                    "code": CELL,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                }
                # Always the same cellId: every run re-runs one cell on the env it started from.
                msg = kc.session.msg("execute_request", content, metadata={"cellId": "bench"})
                started = time.perf_counter()
                kc.shell_channel.send(msg)
                while True:
                    m = kc.get_iopub_msg(timeout=30)
                    if m["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                        continue
                    transient = m["content"].get("transient") or {}
                    if m["msg_type"] in ("update_display_data", "clear_output") or str(
                        transient.get("display_id", "")
                    ).startswith("lean-status-"):
                        status_messages += 1
                    if m["msg_type"] == "error":
                        raise RuntimeError(f"cell failed: {m['content']['evalue']}")
                    if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                        break
                wall = time.perf_counter() - started
                kc.get_shell_msg(timeout=30)
                if i >= len(SIDES) * warmup:
                    walls[side].append(wall)
        finally:
            for km, kc in kernels:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
    return walls, status_messages


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) >= 20 else max(xs)


def row(label: str, xs: list[float], scale: float, unit: str) -> str:
    return f"{label:40} {statistics.median(xs) * scale:10.2f} {p95(xs) * scale:10.2f}  {unit}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args(argv)

    clock = clock_alone(args.cells * 10, args.warmup)
    s_off, s_on = session_cells(args.cells, args.warmup)
    clocks = sum(1 for t in threading.enumerate() if t.name == "lean-status-line")
    (k_off, k_off2, k_on), status_messages = kernel_cells(args.cells, args.warmup)

    print(f"bench_status: {args.cells} fast cells of {CELL!r} per side ({args.warmup} warm-up), A/B interleaved")
    print(f"{'':40} {'median':>10} {'p95':>10}")
    print(row(f"clock alone: start+report+stop (x{args.cells * 10})", clock, 1e6, "µs"))
    print(row("session cell, status off", s_off, 1e3, "ms"))
    print(row("session cell, status on", s_on, 1e3, "ms"))
    print(row("kernel cell, LEAN_STATUS_AFTER=off", k_off, 1e3, "ms"))
    print(row("kernel cell, LEAN_STATUS_AFTER=off (2nd)", k_off2, 1e3, "ms"))
    print(row("kernel cell, status after 1 s (default)", k_on, 1e3, "ms"))
    s_diff = statistics.median(s_on) - statistics.median(s_off)
    k_diff = statistics.median(k_on) - statistics.median(k_off)
    k_noise = statistics.median(k_off2) - statistics.median(k_off)
    print(
        f"session: on - off (medians) {s_diff * 1e6:+.1f} µs; ratio on/off {statistics.median(s_on) / statistics.median(s_off):.3f}"
    )
    print(
        f"kernel:  on - off (medians) {k_diff * 1e6:+.1f} µs; ratio on/off {statistics.median(k_on) / statistics.median(k_off):.3f}; "
        f"off - off (noise between two kernels) {k_noise * 1e6:+.1f} µs"
    )
    print(f"status messages on fast kernel cells: {status_messages} (want 0)")
    print(
        f"clock threads in this process after {2 * (args.cells + args.warmup)} session cells and "
        f"{args.cells * 10 + args.warmup} clock runs: {clocks} per RunningStatus made (2 made)"
    )
    return 0 if status_messages == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
