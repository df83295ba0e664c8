"""Soak (marker ``soak``): 10,000 chained cells through one kernel over jupyter_client,
a fault every 100 cells, rotating through every fault mode, double interrupts included.

The cells are a generated chain (lean_kernel.testing.chains: ``def ck := k`` on the env
of cell k-1), in segments of SEGMENT cells started by ``%reset``, so a replay costs at
most a segment. The stand-in answers cell k only on the env cell k-1 made, so each
chain cell that succeeds proves the chain before it intact: after every fault, the next
chain cell must succeed, and ``%env`` must count every committed cell (none lost).

Fault modes (stand-in options keyed on text only the fault cells contain):
  crash       the REPL prints an uncaught exception and exits (--crash-on)
  kill        the REPL is SIGKILLed (--kill-on)
  timeout     the REPL hangs; the 1 s limit ends the cell (--hang-on, %timeout 1)
  interrupt   the REPL hangs; Ctrl-C (SIGINT to the kernel's group) ends the cell
  garbage     a frame that is not JSON (--garbage-on)
  huge        a 20 MiB #eval answer: shown within the limit, committed, replayed
  flood       2 MiB on stderr before the answer (--stderr-flood-on)
  double      Ctrl-C on a hung cell, then Ctrl-C again while the replay is in a slow
              cell (cell 50 of each segment takes 0.15 s: --delay-on)
Printed: cells run, faults injected / survived, committed cells lost, double interrupts
that landed in a replay, kernel RSS at start and end (after %reset drops the huge
answers), and REPL processes left after shutdown."""

from __future__ import annotations

import os
import re
import sys
import time

import pytest
from processes import processes_with, rss_mb

from lean_kernel.testing.chains import chain_cell, write_chain_transcript

from .conftest import KernelHarness

pytestmark = pytest.mark.soak

CELLS = int(os.environ.get("SOAK_CELLS", "10000"))
SEGMENT = 500
FAULT_EVERY = 100
MODES = ("crash", "kill", "timeout", "interrupt", "garbage", "huge", "flood", "double")
SLOW_CELL = 50  # replaying a segment past it takes 0.15 s more: time for a second Ctrl-C


class LogTail:
    """New lines of the stand-in's request log, read incrementally (it grows to 50k lines)."""

    def __init__(self, path) -> None:
        self.path, self.offset = path, 0

    def skip(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.path.exists():
                with open(self.path, "rb") as f:
                    f.seek(self.offset)
                    chunk = f.read()
                at = chunk.find(text.encode())
                if at >= 0:
                    self.offset += at + len(text)
                    return
            time.sleep(0.005)
        raise AssertionError(f"the stand-in never received {text!r}")


class Soak:
    def __init__(self, kernel: KernelHarness, log) -> None:
        self.k, self.log = kernel, LogTail(log)
        self.cells = self.faults = self.survived = self.lost = 0
        self.doubles = self.doubles_in_replay = 0
        self.committed = 0  # in the current segment, by our count
        self.by_mode: dict[str, int] = {}

    def run(self, code: str, cell_id: str | None = None, timeout: float = 60):
        self.cells += 1
        return self.k.run(code, cell_id, timeout=timeout)

    def chain(self, segment: int, k: int) -> None:
        result = self.run(chain_cell(k), f"s{segment}-{k}")
        assert result.status == "ok", (segment, k, result.text[:2000])
        self.committed += 1

    def interrupt_hung(self, cell: str):
        self.log.skip()
        msg = self.k.send(cell)
        self.cells += 1
        self.log.wait_for("HANG")
        self.k.km.interrupt_kernel()
        return msg

    def fault(self, mode: str, n: int, position: int):
        """Inject one fault; returns the failed cell's execution (None for huge: it commits)."""
        if mode == "crash":
            return self.run(f"theorem CRASH_{n} : True := trivial")
        if mode == "kill":
            return self.run(f"theorem KILL_{n} : True := trivial")
        if mode == "garbage":
            return self.run(f"theorem GARBAGE_{n} : True := trivial")
        if mode == "flood":
            return self.run(f"theorem FLOOD_{n} : True := trivial")
        if mode == "timeout":
            result = self.run(f"%timeout 1\ntheorem HANG_{n} : True := trivial")
            assert self.run("%timeout 30").status == "ok"
            return result
        if mode == "interrupt":
            return self.k.wait(self.interrupt_hung(f"theorem HANG_{n} : True := trivial"), timeout=60)
        if mode == "huge":
            result = self.run(f'#eval "HUGE_{n}"', f"huge-{n}")
            assert result.status == "ok" and "output truncated" in result.text, result.text[:500]
            self.committed += 1
            return None
        if mode == "double":
            msg = self.interrupt_hung(f"theorem HANG_{n} : True := trivial")
            self.doubles += 1
            if position > SLOW_CELL:
                self.log.wait_for(f'"{chain_cell(SLOW_CELL)}"')  # the replay reached the slow cell
                self.k.km.interrupt_kernel()
            result = self.k.wait(msg, timeout=60)
            if "interrupted again while replaying" in result.text:
                self.doubles_in_replay += 1
            return result
        raise AssertionError(mode)

    def check_nothing_lost(self) -> None:
        shown = self.run("%env").text
        total = int(re.search(r"([\d,]+) committed cells?", shown)[1].replace(",", ""))
        self.lost += max(0, self.committed - total)
        assert total == self.committed, shown[-500:]


@pytest.fixture(scope="module")
def soak_kernel(base_kernelspec, standin_env, tmp_path_factory):
    folder = write_chain_transcript(tmp_path_factory.mktemp("chain"), SEGMENT)
    log = tmp_path_factory.mktemp("standin") / "requests.jsonl"
    env = standin_env(
        "--log",
        str(log),
        "--crash-on",
        "CRASH_",
        "--kill-on",
        "KILL_",
        "--hang-on",
        "HANG_",
        "--garbage-on",
        "GARBAGE_",
        "--huge-on",
        "HUGE_",
        "--huge-mb",
        "20",
        "--stderr-flood-on",
        "FLOOD_",
        "--stderr-mb",
        "2",
        "--delay-on",
        f'"{chain_cell(SLOW_CELL)}"=0.15',
        timeout=30,
    )
    env["LEAN_REPL_ARGS"] += f" --scripted {folder}"
    k = KernelHarness(base_kernelspec, env)
    yield k, log
    k.close()


@pytest.mark.timeout(3600)
def test_ten_thousand_cells_with_a_fault_every_hundred(soak_kernel):
    kernel, log = soak_kernel
    soak = Soak(kernel, log)
    pid = kernel.km.provisioner.process.pid
    started = time.monotonic()

    # Warm-up, not counted in RSS: one of each answer kind, then %reset drops them.
    assert soak.run("%reset").status == "ok"
    soak.chain(0, 1)
    soak.fault("huge", 0, 1)
    assert soak.run("%reset").status == "ok"
    rss_start = rss_mb(pid)

    chained = segment = 0
    due = False  # a fault is due (every FAULT_EVERY chained cells)
    while chained < CELLS:
        segment += 1
        assert soak.run("%reset").status == "ok"
        soak.committed = 0
        k = 0
        while k < SEGMENT and chained < CELLS:
            k += 1
            soak.chain(segment, k)
            chained += 1
            due = due or chained % FAULT_EVERY == 0
            if not due or k == SEGMENT or chained == CELLS:
                continue  # at a segment's end the fault waits for the next segment's first cell
            due = False
            mode = MODES[soak.faults % len(MODES)]
            soak.faults += 1
            soak.by_mode[mode] = soak.by_mode.get(mode, 0) + 1
            failed = soak.fault(mode, soak.faults, k)
            if failed is not None:
                assert failed.status == "error", (mode, failed.text[:1000])
            # The next chain cell runs only on the replayed chain; and %env counts it all.
            k += 1
            soak.chain(segment, k)
            chained += 1
            soak.check_nothing_lost()
            assert len(processes_with(str(log))) <= 1, "more than one REPL alive"
            soak.survived += 1

    assert soak.run("%reset").status == "ok"
    time.sleep(0.5)
    rss_end = rss_mb(pid)
    alive_before_shutdown = len(processes_with(str(log)))
    kernel.close()
    deadline = time.monotonic() + 10
    while processes_with(str(log)) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = processes_with(str(log))
    elapsed = time.monotonic() - started

    report = (
        f"\nsoak: {soak.cells:,} cells ({chained:,} chained, in segments of {SEGMENT}) in {elapsed:.0f} s\n"
        f"  faults injected {soak.faults}, survived {soak.survived}, committed cells lost {soak.lost}\n"
        f"  by mode: {dict(sorted(soak.by_mode.items()))}\n"
        f"  double interrupts {soak.doubles}, {soak.doubles_in_replay} of them landed in a replay\n"
        f"  kernel RSS {rss_start:.1f} MB at start, {rss_end:.1f} MB at end (after %reset)\n"
        f"  REPL processes: {alive_before_shutdown} before shutdown, {len(left)} left after it\n"
    )
    saved, sys.stdout = sys.stdout, sys.__stdout__
    try:
        print(report)
    finally:
        sys.stdout = saved
    assert chained >= CELLS and soak.faults >= CELLS // FAULT_EVERY - 1
    assert soak.survived == soak.faults and soak.lost == 0
    if CELLS >= 2 * len(MODES) * FAULT_EVERY:  # a shorter run (SOAK_CELLS) may not reach every mode
        assert set(soak.by_mode) == set(MODES)
        assert soak.doubles_in_replay >= 1
    assert rss_end - rss_start < 20, report
    assert left == [], report
