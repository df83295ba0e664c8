"""What the Jupyter kernel adds to each cell on top of the REPL round trip.

    python benchmarks/bench_kernel.py [--cells 500] [--warmup 30]

One stand-in REPL setup (v4.33.0-rc2 recordings + tests/fixtures/scripted for the
start-up check), measured two ways with the same request, `{"cmd": "#print List.cons"}`:

    raw    = Popen + os.write of the request + os.read until the blank line;
    kernel = an execute_request of the cell `#print List.cons` (always the same cellId,
             so every run is a re-run of one cell: it goes on the env that cell started
             from, a fresh one, and the stand-in answers it every time) from send until
             the kernel's idle status, through jupyter_client, as a frontend sees it;
    floor  = the same for the magic cell `%timeout`, which never reaches the REPL: what
             ipykernel's messaging alone costs (the two kinds of cell alternate).

Per kernel cell, the kernel also reports the REPL round trip it measured itself
(``elapsed`` in the raw result the display carries), so "overhead" is, cell by cell, the frontend's
wall time minus the time spent waiting for the REPL: ZeroMQ messaging, session
bookkeeping, rendering and publishing. Target: median overhead <= 5 ms.

Prints a table and exits 0. Needs the recordings (LEAN_TRANSCRIPTS or ../shared/repl-transcripts).
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

from lean_kernel.render import RESULT_MIME_TYPE  # noqa: E402
from lean_kernel.testing.standin import standin_command  # noqa: E402
from lean_kernel.testing.transcripts import default_root  # noqa: E402

CELL = "#print List.cons"  # recorded in v4.33.0-rc2/options.in on a fresh env
REQUEST = (json.dumps({"cmd": CELL}, separators=(",", ":")) + "\n\n").encode()


def standin_argv() -> list[str]:
    return standin_command([default_root() / "v4.33.0-rc2"], [REPO / "tests" / "fixtures" / "scripted"])


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def raw_round_trips(n: int, warmup: int) -> list[float]:
    proc = subprocess.Popen(
        standin_argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        bufsize=0, env=child_env(), start_new_session=True,
    )
    out = proc.stdout.fileno()
    times = []
    try:
        for i in range(warmup + n):
            started = time.perf_counter()
            os.write(proc.stdin.fileno(), REQUEST)
            buf = b""
            while not buf.endswith(b"\n\n"):
                chunk = os.read(out, 65536)
                if not chunk:
                    raise RuntimeError("stand-in exited")
                buf += chunk
            if i >= warmup:
                times.append(time.perf_counter() - started)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    return times


def kernel_cells(n: int, warmup: int) -> tuple[list[float], list[float], list[float]]:
    from jupyter_client.manager import KernelManager

    argv = standin_argv()
    env = {**child_env(), "LEAN_REPL_PATH": argv[0], "LEAN_REPL_ARGS": shlex.join(argv[1:]), "LEAN_TIMEOUT": "30"}
    with tempfile.TemporaryDirectory() as prefix:
        subprocess.run([sys.executable, str(REPO / "install_kernel.py"), "--prefix", prefix], check=True,
                       capture_output=True, env=child_env())
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
        km = KernelManager(kernel_name="lean4")
        km.start_kernel(env=env)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            walls, repl, floor = [], [], []
            for i in range(2 * (warmup + n)):
                # Odd runs: a magic cell that never reaches the REPL (ipykernel's own floor).
                magic = i % 2 == 1
                content = {"code": "%timeout" if magic else CELL, "silent": False, "store_history": True, "user_expressions": {},
                           "allow_stdin": False, "stop_on_error": True}
                msg = kc.session.msg("execute_request", content, metadata={"cellId": "bench"})
                started = time.perf_counter()
                kc.shell_channel.send(msg)
                elapsed = None
                while True:
                    m = kc.get_iopub_msg(timeout=30)
                    if m["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                        continue
                    if m["msg_type"] == "display_data" and not magic:
                        elapsed = m["content"]["data"][RESULT_MIME_TYPE]["elapsed"]
                    elif m["msg_type"] == "error":
                        raise RuntimeError(f"cell failed: {m['content']['evalue']}")
                    elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                        break
                wall = time.perf_counter() - started
                kc.get_shell_msg(timeout=30)  # the execute_reply (sent before idle)
                if i < 2 * warmup:
                    continue
                if magic:
                    floor.append(wall)
                else:
                    walls.append(wall)
                    repl.append(elapsed)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return walls, repl, floor


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) >= 20 else max(xs)


def ms(x: float) -> str:
    return f"{x * 1000:8.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=30)
    args = ap.parse_args(argv)

    raw = raw_round_trips(args.cells, args.warmup)
    walls, repl, floor = kernel_cells(args.cells, args.warmup)
    overhead = [w - r for w, r in zip(walls, repl)]

    print(f"bench_kernel: {args.cells} cells ({args.warmup} warm-up) of {CELL!r} on a stand-in REPL")
    print(f"{'':34} {'median ms':>9} {'p95 ms':>8}")
    print(f"{'raw pipe round trip':34} {ms(statistics.median(raw))} {ms(p95(raw))}")
    print(f"{'REPL round trip inside the kernel':34} {ms(statistics.median(repl))} {ms(p95(repl))}")
    print(f"{'kernel cell, frontend wall time':34} {ms(statistics.median(walls))} {ms(p95(walls))}")
    print(f"{'kernel overhead per cell':34} {ms(statistics.median(overhead))} {ms(p95(overhead))}")
    print(f"{'(a magic cell, no REPL: floor)':34} {ms(statistics.median(floor))} {ms(p95(floor))}")
    ratio = statistics.median(walls) / statistics.median(raw)
    print(f"ratio kernel cell / raw round trip (medians): {ratio:.1f}x")
    verdict = "meets" if statistics.median(overhead) <= 0.005 else "MISSES"
    print(f"median overhead {statistics.median(overhead) * 1000:.2f} ms {verdict} the 5 ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
