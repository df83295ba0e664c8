"""How much ReplProcess costs on top of a bare pipe, and how fast it reads huge answers.

    python benchmarks/bench_process.py [--requests 2000] [--sizes 1,10,100] [--repeats 3]

(a) Per-request overhead. The same stand-in REPL (replaying the recorded proof_step
    transcript, answering the same recorded command every time) is driven twice:
    raw  = Popen + os.write of the encoded request + os.read until "\\n\\n";
    client = ReplProcess.request(...) with framing, deadline, json and typed parse.
    Both include the stand-in's own time, so the ratio understates the client's relative
    cost; the difference of medians is the client's absolute overhead per request.
(b) Huge responses. The stand-in answers request 2, 3, ... with a valid command response
    of N MiB (--huge-at, --huge-mb); we time raw read-until-"\\n\\n" and the client's
    read + parse of the same answers. The stand-in builds each answer before writing it,
    and that time is in both wall-clock columns; "client CPU s" is the CPU time of the
    calling thread alone (read, frame, json and typed parse), the client's own cost.

Prints tables and exits 0. Needs the recordings (LEAN_TRANSCRIPTS or ../shared/repl-transcripts).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lean_kernel.config import ReplConfig  # noqa: E402
from lean_kernel.process import ReplProcess  # noqa: E402
from lean_kernel.protocol import CommandRequest, CommandResponse, encode_request  # noqa: E402
from lean_kernel.testing.standin import standin_command  # noqa: E402
from lean_kernel.testing.transcripts import default_root  # noqa: E402

RECORDING = default_root() / "v4.33.0-rc2" / "proof_step.in"
REQUEST = CommandRequest("def f : Nat := by sorry")  # recorded in proof_step.in


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def argv(*faults: str) -> list[str]:
    return standin_command([RECORDING], [], list(faults))


class RawPipe:
    """The least a client can do: write bytes, read until the blank line."""

    def __init__(self, cmd: list[str]) -> None:
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
            env=child_env(),
            start_new_session=True,
        )
        self.out = self.proc.stdout.fileno()
        self.inp = self.proc.stdin.fileno()

    def roundtrip(self, payload: bytes) -> bytes:
        os.write(self.inp, payload)
        buf = bytearray()
        scan = 0
        while True:
            chunk = os.read(self.out, 1 << 20)
            if not chunk:
                raise RuntimeError("stand-in closed its stdout")
            buf += chunk
            end = buf.find(b"\n\n", max(0, scan - 1))
            if end >= 0:
                return bytes(buf[:end])
            scan = len(buf)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


def client(*faults: str) -> ReplProcess:
    cmd = argv(*faults)
    proc = ReplProcess(
        ReplConfig(repl_path=cmd[0], repl_args=cmd[1:], env={"PYTHONPATH": child_env()["PYTHONPATH"]}, timeout=600)
    )
    proc.start()
    return proc


def micros(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples) * 1e6, statistics.fmean(samples) * 1e6


def bench_overhead(n: int) -> None:
    payload = encode_request(REQUEST)
    warm = min(50, n)

    raw = RawPipe(argv())
    for _ in range(warm):
        raw.roundtrip(payload)
    raw_times = []
    for _ in range(n):
        t = time.perf_counter()
        raw.roundtrip(payload)
        raw_times.append(time.perf_counter() - t)
    raw.close()

    proc = client()
    for _ in range(warm):
        proc.request(REQUEST)
    cli_times = []
    for _ in range(n):
        t = time.perf_counter()
        resp = proc.request(REQUEST)
        cli_times.append(time.perf_counter() - t)
    assert isinstance(resp, CommandResponse) and resp.sorries, resp
    json_times = []
    for _ in range(n):
        t = time.perf_counter()
        proc.request_json(REQUEST.to_json())
        json_times.append(time.perf_counter() - t)
    assert proc.generation == 1
    proc.close()

    raw_med, raw_mean = micros(raw_times)
    cli_med, cli_mean = micros(cli_times)
    js_med, js_mean = micros(json_times)
    print(f"\n(a) per-request cost, {n} requests each (same stand-in, same recorded request)")
    print(f"{'path':<34}{'median us':>12}{'mean us':>12}{'ratio (median)':>16}")
    print(f"{'raw pipe (write, read to blank)':<34}{raw_med:>12.1f}{raw_mean:>12.1f}{1.0:>16.2f}")
    print(f"{'ReplProcess.request_json':<34}{js_med:>12.1f}{js_mean:>12.1f}{js_med / raw_med:>16.2f}")
    print(f"{'ReplProcess.request (typed)':<34}{cli_med:>12.1f}{cli_mean:>12.1f}{cli_med / raw_med:>16.2f}")
    print(f"client overhead per request: {cli_med - raw_med:+.1f} us (median), ratio {cli_med / raw_med:.2f}")


def bench_huge(sizes: list[float], repeats: int) -> None:
    print(f"\n(b) huge responses: read + parse, median of {repeats} (stand-in --huge-at)")
    print(f"{'MiB':>6}{'raw read s':>12}{'client s':>12}{'client - raw':>15}{'client CPU s':>14}{'client MiB/s':>14}")
    for mb in sizes:
        at = [x for i in range(repeats) for x in ("--huge-at", str(i + 2))]
        faults = (*at, "--huge-mb", str(mb))

        raw = RawPipe(argv(*faults))
        raw.roundtrip(encode_request(REQUEST))
        raw_times = []
        for _ in range(repeats):
            t = time.perf_counter()
            body = raw.roundtrip(encode_request(CommandRequest("#eval huge", env=0)))
            raw_times.append(time.perf_counter() - t)
        raw.close()
        size_mib = len(body) / (1 << 20)
        del body

        proc = client(*faults)
        proc.request(REQUEST)
        cli_times, cpu_times = [], []
        for _ in range(repeats):
            t, c0 = time.perf_counter(), time.thread_time()
            resp = proc.request(CommandRequest("#eval huge", env=0))
            cli_times.append(time.perf_counter() - t)
            cpu_times.append(time.thread_time() - c0)
            assert isinstance(resp, CommandResponse) and len(resp.messages[0].data) > size_mib * 1e6 * 0.9
            del resp
        assert proc.generation == 1
        proc.close()
        r, c, cpu = statistics.median(raw_times), statistics.median(cli_times), statistics.median(cpu_times)
        print(f"{size_mib:>6.0f}{r:>12.3f}{c:>12.3f}{c - r:>15.3f}{cpu:>14.3f}{size_mib / c:>14.0f}")


def main(argv_: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=2000, help="requests per path in (a) (default 2000)")
    ap.add_argument("--sizes", default="1,10,100", help="response sizes in MiB for (b) (default 1,10,100)")
    ap.add_argument("--repeats", type=int, default=3, help="huge responses per size (default 3)")
    args = ap.parse_args(argv_)
    if not RECORDING.is_file():
        print(f"recording not found: {RECORDING} (set LEAN_TRANSCRIPTS)", file=sys.stderr)
        return 2
    print(f"bench_process: python {sys.version.split()[0]}, {os.cpu_count()} cpus, stand-in on {RECORDING.name}")
    bench_overhead(args.requests)
    bench_huge([float(s) for s in args.sizes.split(",") if s], args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
