"""ReplProcess against the stand-in REPL: one test per way the REPL can fail.

Each fault test checks the specific exception and its message, that it came back (a
generous bound, only to prove there was no hang), that the REPL was restarted
(generation + 1), and that the NEXT request gets the correct recorded answer from a fresh
process (env and proof-state ids from 0 again).

Faults are injected by request number per process, so they sit at request 2: request 1
of the restarted process is then served normally.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import stat
import threading
import time
from pathlib import Path

import pytest

from lean_kernel.config import ConfigError, ReplConfig
from lean_kernel.process import (
    ReplBadOutput,
    ReplExited,
    ReplFailure,
    ReplInterrupted,
    ReplKilled,
    ReplNotFound,
    ReplOutOfMemory,
    ReplOutputTooLarge,
    ReplProcess,
    ReplTimeout,
)
from lean_kernel.protocol import CommandRequest, CommandResponse, TacticResponse, parse_request
from lean_kernel.testing.transcripts import default_root, load_transcript

VERSION = "v4.33.0-rc2"
PROOF_STEP = default_root() / VERSION / "proof_step.in"
SCRIPTED = Path(__file__).resolve().parents[1] / "fixtures" / "scripted"
NO_HANG = 30.0  # seconds of slack: proves "came back", not "was fast"


@pytest.fixture(scope="module")
def recorded():
    """proof_step: `def f : Nat := by sorry`, then tactic steps on its proof states."""
    t = load_transcript(PROOF_STEP)
    return [(parse_request(obj), json.loads(text)) for obj, text in t.exchanges]


@pytest.fixture
def config(standin_config):
    """A stand-in replaying only proof_step.in (fast to start), plus fault flags."""

    def make(*faults, scripted=False, **changes):
        return standin_config(*faults, recordings=PROOF_STEP, scripted=scripted, **changes)

    return make


@pytest.fixture
def open_process():
    procs: list[ReplProcess] = []

    def make(cfg: ReplConfig) -> ReplProcess:
        proc = ReplProcess(cfg)
        procs.append(proc)
        return proc

    yield make
    for proc in procs:
        proc.close()


def first_ok(proc: ReplProcess, recorded) -> None:
    req, expected = recorded[0]
    assert proc.request(req).to_json() == expected


def assert_recovered(proc: ReplProcess, failure: ReplFailure, generation_before: int, recorded) -> None:
    assert failure.restarted is True
    assert failure.generation == generation_before
    assert proc.generation == generation_before + 1
    assert proc.alive and proc.requests_served == 0
    assert "restarted" in str(failure)
    # A fresh process: the recorded session replays from its start, ids from 0. (Only one
    # request: the fault flags apply to the new process too, from its request 2.)
    req, expected = recorded[0]
    assert proc.request(req).to_json() == expected
    assert proc.requests_served == 1


def run_fault(proc: ReplProcess, req, timeout=None):
    """Send a request that must fail; returns (exception, seconds taken)."""
    start = time.monotonic()
    with pytest.raises(ReplFailure) as info:
        if timeout is None:
            proc.request(req)
        else:
            proc.request(req, timeout=timeout)
    return info.value, time.monotonic() - start


# --------------------------------------------------------------------------- exits and signals


def test_exit_at_n_reports_the_exit_code_and_recovers(config, open_process, recorded):
    proc = open_process(config("--exit-at", "2", "--exit-code", "3"))
    first_ok(proc, recorded)
    gen = proc.generation
    failure, took = run_fault(proc, recorded[1][0])
    assert type(failure) is ReplExited
    assert failure.returncode == 3 and failure.signal is None
    assert "exited with code 3" in str(failure)
    assert "--exit-at" in failure.stderr_tail, "the dead process's stderr is kept"
    assert took < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


def test_killed_by_signal_names_the_signal(config, open_process, recorded):
    proc = open_process(config("--kill-at", "2"))
    first_ok(proc, recorded)
    gen = proc.generation
    failure, took = run_fault(proc, recorded[1][0])
    assert type(failure) is ReplKilled, "no memory limit is set, so this is not out-of-memory"
    assert failure.signal == signal.SIGKILL and failure.signal_name == "SIGKILL"
    assert "killed by signal SIGKILL" in str(failure)
    assert took < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


def test_malformed_request_kills_the_repl_with_uncaught_exception(config, open_process, recorded):
    proc = open_process(config())
    first_ok(proc, recorded)
    gen = proc.generation
    # A wrong field type is fatal to the real REPL: "uncaught exception" on stderr, exit 1.
    start = time.monotonic()
    with pytest.raises(ReplExited) as info:
        proc.request_json({"cmd": "def f : Nat := by sorry", "env": "zero"})
    failure = info.value
    assert failure.returncode == 1
    assert "uncaught exception" in failure.stderr_tail
    assert "exited with code 1" in str(failure) and "uncaught exception" in str(failure)
    assert time.monotonic() - start < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


def test_typed_request_with_a_negative_env_is_fatal_too(config, open_process, recorded):
    proc = open_process(config())
    first_ok(proc, recorded)
    gen = proc.generation
    # `extra` overrides the typed env, the way a caller could smuggle in a bad value.
    bad = CommandRequest("def f : Nat := by sorry", extra={"env": -1})
    failure, took = run_fault(proc, bad)
    assert type(failure) is ReplExited and failure.returncode == 1
    assert "uncaught exception" in failure.stderr_tail
    assert took < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


def test_request_that_is_not_json_is_fatal(config, open_process, recorded):
    proc = open_process(config())
    first_ok(proc, recorded)
    gen = proc.generation
    with pytest.raises(ReplExited) as info:
        proc.request_json("this is not json")
    assert info.value.returncode == 1
    assert "uncaught exception" in str(info.value)
    assert_recovered(proc, info.value, gen, recorded)


# --------------------------------------------------------------------------- time


def test_hang_times_out_after_the_configured_timeout(config, open_process, recorded):
    proc = open_process(config("--hang-at", "2", timeout=1.5))
    first_ok(proc, recorded)
    gen = proc.generation
    failure, took = run_fault(proc, recorded[1][0])
    assert type(failure) is ReplTimeout
    assert failure.timeout == 1.5
    assert "timed out after 1.5 s" in str(failure)
    assert 1.5 <= took < 1.5 + NO_HANG
    assert_recovered(proc, failure, gen, recorded)


def test_delay_beyond_a_per_request_timeout(config, open_process, recorded):
    # The config allows 10 s; the call asks for 1 s and the stand-in sleeps 5 s.
    proc = open_process(config("--delay-on", "apply Int.natAbs=5", timeout=10))
    first_ok(proc, recorded)
    gen = proc.generation
    failure, took = run_fault(proc, recorded[1][0], timeout=1)
    assert type(failure) is ReplTimeout and failure.timeout == 1
    assert "timed out after 1 s" in str(failure)
    assert took < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


def test_delay_within_the_timeout_is_just_slow(config, open_process, recorded):
    proc = open_process(config("--delay-on", "apply Int.natAbs=0.5", timeout=10))
    first_ok(proc, recorded)
    req, expected = recorded[1]
    assert proc.request(req).to_json() == expected
    assert proc.generation == 1


def test_keyboard_interrupt_while_waiting_kills_restarts_and_raises(config, open_process, recorded):
    proc = open_process(config("--hang-at", "2", timeout=60))
    first_ok(proc, recorded)
    gen = proc.generation
    old_pid = proc.pid
    # SIGINT to our own pid only (never the group): Python turns it into KeyboardInterrupt
    # in the main thread, which is blocked inside request(), exactly as in a kernel.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    try:
        timer.start()
        with pytest.raises(ReplInterrupted) as info:
            proc.request(recorded[1][0])
    except KeyboardInterrupt:  # pragma: no cover - would mean the client let it escape
        pytest.fail("KeyboardInterrupt escaped ReplProcess.request")
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert "interrupted" in str(info.value)
    assert time.monotonic() - start < NO_HANG
    assert proc.pid != old_pid
    assert_recovered(proc, info.value, gen, recorded)


def test_cancel_from_another_thread_interrupts_the_request(config, open_process, recorded):
    proc = open_process(config("--hang-at", "2", timeout=60))
    first_ok(proc, recorded)
    assert proc.cancel() is False, "nothing in flight: cancel must not kill an idle REPL"
    assert proc.alive
    gen = proc.generation
    timer = threading.Timer(0.5, proc.cancel)
    timer.start()
    try:
        failure, took = run_fault(proc, recorded[1][0])
    finally:
        timer.cancel()
        timer.join()
    assert type(failure) is ReplInterrupted
    assert "cancelled" in str(failure)
    assert took < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


# --------------------------------------------------------------------------- output


def test_garbage_frame_is_bad_output_showing_its_first_bytes(config, open_process, recorded):
    proc = open_process(config("--garbage-at", "2"))
    first_ok(proc, recorded)
    gen = proc.generation
    failure, took = run_fault(proc, recorded[1][0])
    assert type(failure) is ReplBadOutput
    # It starts with "{" like a response would, yet no suffix of the frame is JSON.
    assert failure.first_bytes.startswith(b"{this is not json")
    assert "unparsable output" in str(failure) and "this is not json" in str(failure)
    assert took < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


def test_response_over_max_response_bytes_is_too_large(config, open_process, recorded):
    proc = open_process(config("--huge-at", "2", "--huge-mb", "3", max_response_bytes=1024 * 1024))
    first_ok(proc, recorded)
    gen = proc.generation
    failure, took = run_fault(proc, recorded[1][0])
    assert type(failure) is ReplOutputTooLarge
    assert "more than 1048576 bytes" in str(failure) and "max_response_bytes" in str(failure)
    assert failure.first_bytes.startswith(b'{"messages":')
    assert took < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


def test_20_mb_response_is_read_and_parsed_with_the_default_limit(config, open_process, recorded):
    proc = open_process(config("--huge-at", "2"))  # the stand-in's default: 20 MiB
    assert proc.config.max_response_bytes > 20 * 1024 * 1024
    first_ok(proc, recorded)
    resp = proc.request(CommandRequest("#eval hugeOutput", env=0))
    assert isinstance(resp, CommandResponse)
    assert resp.env == 1, "live numbering: the second env of this process"
    [message] = resp.messages
    assert message.severity == "info"
    # 20 MiB of JSON text; escapes ("\\n" is two bytes, one char) make the decoded text
    # a little shorter, still over 20 million characters.
    assert len(message.data) > 20_000_000
    assert message.data.startswith("stand-in REPL huge output")
    # Same process, still in sync: the recorded session continues (proof state 0 is live).
    req, expected = recorded[1]
    assert proc.request(req).to_json() == expected
    assert proc.generation == 1


def test_stderr_flood_does_not_block_and_its_tail_is_kept(config, open_process, recorded):
    proc = open_process(config("--stderr-flood-at", "2", "--stderr-mb", "1"))
    first_ok(proc, recorded)
    req, expected = recorded[1]
    assert proc.request(req).to_json() == expected
    # The stand-in wrote 1 MiB to stderr before answering; all but what is still in the
    # pipe has been drained, and only a bounded tail is kept.
    assert proc.stderr_bytes >= 1024 * 1024 - 65536
    tail = proc.stderr_tail()
    assert "stderr flood" in tail
    assert len(tail) <= 64 * 1024
    assert proc.generation == 1
    for req, expected in recorded[2:]:
        assert proc.request(req).to_json() == expected


def test_stray_stdout_before_the_response_is_kept_aside(config, open_process):
    # Scripted transcript tests/fixtures/scripted/process_stray_stdout: a tactic that
    # prints to stdout in tactic mode, where the REPL does not capture it (inferred in
    # REPL-PROTOCOL.md). One stray line even starts with "{".
    t = load_transcript(SCRIPTED / "process_stray_stdout.in")
    proc = open_process(config(scripted=True))
    (cmd, cmd_out), (tac, _tac_out) = t.exchanges
    assert proc.request(parse_request(cmd)).to_json() == json.loads(cmd_out)
    resp = proc.request(parse_request(tac))
    assert isinstance(resp, TacticResponse)
    assert resp.goals == ["⊢ Nat"] and resp.proof_state == 1
    assert proc.last_stray_output == "stray line printed by a tactic\n{ not JSON either\n"
    assert proc.generation == 1


# --------------------------------------------------------------------------- memory


def test_kill_while_a_memory_limit_is_set_is_out_of_memory(config, open_process, recorded):
    proc = open_process(config("--kill-at", "2", memory_limit_mb=4096))
    first_ok(proc, recorded)
    gen = proc.generation
    failure, took = run_fault(proc, recorded[1][0])
    assert type(failure) is ReplOutOfMemory and isinstance(failure, ReplKilled)
    assert failure.signal == signal.SIGKILL
    assert "out of memory (limit 4096 MiB)" in str(failure)
    assert "LEAN_MEMORY_LIMIT_MB" in str(failure)
    assert took < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


def test_real_rlimit_as_stops_an_allocation(config, open_process, recorded):
    # The limit really reaches the child: building a 1 GiB answer cannot fit in 300 MiB of
    # address space, so the stand-in dies of MemoryError (exit 1, "MemoryError" on stderr).
    proc = open_process(config("--huge-at", "2", "--huge-mb", "1024", memory_limit_mb=300))
    first_ok(proc, recorded)
    gen = proc.generation
    failure, took = run_fault(proc, recorded[1][0])
    assert type(failure) is ReplOutOfMemory
    assert failure.returncode == 1
    assert "MemoryError" in failure.stderr_tail
    assert "out of memory (limit 300 MiB)" in str(failure)
    assert took < NO_HANG
    assert_recovered(proc, failure, gen, recorded)


# --------------------------------------------------------------------------- starting


def test_missing_binary_names_the_fix(tmp_path):
    proc = ReplProcess(ReplConfig(repl_path=str(tmp_path / "no-such-repl")))
    with pytest.raises(ReplNotFound) as info:
        proc.start()
    msg = str(info.value)
    assert "not found" in msg and "LEAN_REPL_PATH" in msg
    # The process layer names the setting; each frontend adds its own tool (install_kernel.py,
    # %lean_setup): see tests/kernel/test_startup.py and tests/magic/test_magic_setup.py.
    assert "install_kernel.py" not in msg and "%lean" not in msg
    assert info.value.restarted is False
    assert proc.generation == 0 and not proc.alive and proc.pid is None
    # request() starts lazily and fails the same way.
    with pytest.raises(ReplNotFound):
        proc.request(CommandRequest("#eval 2+2"))


def test_nothing_configured_names_the_fix():
    with pytest.raises(ReplNotFound) as info:
        ReplProcess(ReplConfig()).start()
    assert "LEAN_REPL_PATH" in str(info.value) and "LEAN_PROJECT" in str(info.value)


def test_binary_that_cannot_exec_names_the_fix(tmp_path):
    script = tmp_path / "repl"
    script.write_text("#!/nonexistent/interpreter\n")
    script.chmod(0o755)
    with pytest.raises(ReplNotFound) as info:
        ReplProcess(ReplConfig(repl_path=str(script))).start()
    msg = str(info.value)
    assert str(script) in msg and "interpreter" in msg and "LEAN_REPL_PATH" in msg


def test_failed_restart_is_retried_by_the_next_request(config, open_process, recorded, tmp_path):
    base = config("--kill-at", "2")
    script = tmp_path / "repl"
    body = "#!/bin/sh\nexec " + shlex.join([base.repl_path, *base.repl_args]) + ' "$@"\n'

    def install() -> None:
        script.write_text(body)
        script.chmod(script.stat().st_mode | stat.S_IXUSR)

    install()
    proc = open_process(base.with_changes(repl_path=str(script), repl_args=[]))
    first_ok(proc, recorded)
    script.unlink()  # the running REPL is unaffected; a restart now cannot find it
    with pytest.raises(ReplKilled) as info:
        proc.request(recorded[1][0])
    assert info.value.restarted is False
    assert "restarting it failed" in str(info.value) and "LEAN_REPL_PATH" in str(info.value)
    assert not proc.alive and proc.pid is None and proc.generation == 1
    with pytest.raises(ReplNotFound):
        proc.request(recorded[0][0])
    install()
    first_ok(proc, recorded)
    assert proc.generation == 2


# --------------------------------------------------------------------------- lifecycle


def test_close_lets_the_repl_exit_cleanly_on_eof(config, open_process, recorded):
    proc = open_process(config())
    first_ok(proc, recorded)
    pid = proc.pid
    proc.close()
    assert proc.last_returncode == 0, "closing stdin must end it by EOF, not by a kill"
    assert not proc.alive and proc.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # Still usable: the next request starts a new generation.
    first_ok(proc, recorded)
    assert proc.generation == 2


def test_restart_gives_a_new_process_and_fresh_ids(config, open_process, recorded):
    proc = open_process(config())
    first_ok(proc, recorded)
    old = proc.pid
    proc.restart()
    assert proc.pid != old and proc.generation == 2 and proc.requests_served == 0
    first_ok(proc, recorded)  # env 0 / proof state 0 again


def test_rss_bytes_counts_the_process_group(config, open_process, recorded):
    proc = open_process(config())
    assert proc.rss_bytes() is None, "nothing runs before start"
    first_ok(proc, recorded)
    rss = proc.rss_bytes()
    assert rss is not None and rss > 1024 * 1024  # a Python interpreter is megabytes
    proc.close()
    assert proc.rss_bytes() is None


def test_one_request_in_flight_across_threads(config, open_process):
    # Two threads share one process; without the lock their frames would interleave.
    proc = open_process(config())
    req = CommandRequest("def f : Nat := by sorry")
    envs: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(25):
                resp = proc.request(req)
                assert isinstance(resp, CommandResponse) and len(resp.sorries) == 1
                envs.append(resp.env)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(NO_HANG)
    assert not errors, errors
    assert sorted(envs) == list(range(50)), "each request got its own answer, in order of arrival"
    assert proc.generation == 1


def test_timeout_none_in_config_waits_without_a_deadline(config, open_process, recorded):
    proc = open_process(config("--delay", "0.3", timeout=None))
    first_ok(proc, recorded)
    assert proc.config.timeout is None and proc.generation == 1


def test_interrupt_while_killing_leaves_no_half_closed_process(config, open_process, recorded):
    # A second Ctrl-C can land while a fault's kill is still waiting (for the leader, or
    # for stderr, which a grandchild that left the group may hold open for a second).
    # Injected at that wait: the stderr drain thread's join.
    proc = open_process(config())
    first_ok(proc, recorded)
    gen = proc.generation
    drain = proc._stderr_thread

    class InterruptedJoin:
        def join(self, timeout=None):
            raise KeyboardInterrupt

    proc._stderr_thread = InterruptedJoin()
    with pytest.raises(KeyboardInterrupt):
        proc.restart()
    drain.join(NO_HANG)
    # Its pipes are closed: the next request must start a new process, never write to
    # (or poll) the old fd numbers, which the OS may already have given to another file.
    assert proc.pid is None and not proc.alive
    first_ok(proc, recorded)
    assert proc.generation == gen + 1


def test_infinite_timeout_means_no_deadline(config, open_process, recorded):
    # `LEAN_TIMEOUT=inf` or `LeanChecker(timeout=math.inf)` read as "no limit", not as
    # an OverflowError from turning infinity into poll milliseconds.
    proc = open_process(config(timeout=float("inf")))
    first_ok(proc, recorded)
    req, expected = recorded[1]
    assert proc.request(req, timeout=float("inf")).to_json() == expected
    assert proc.generation == 1


@pytest.mark.parametrize("raw", ["-1", "-0.5", "nan"])
def test_a_timeout_that_is_no_duration_names_the_fix(raw):
    # A negative deadline would time out every request at once (and every replay).
    with pytest.raises(ConfigError, match="LEAN_TIMEOUT"):
        ReplConfig.from_env({"LEAN_TIMEOUT": raw})
    assert ReplConfig.from_env({"LEAN_TIMEOUT": "inf"}).timeout is None


def test_repl_path_relative_to_our_cwd_works_when_the_repl_runs_in_the_project(
    config, open_process, recorded, tmp_path, monkeypatch
):
    # LEAN_REPL_PATH=repl (or repl/.lake/build/bin/repl) names a file next to the notebook;
    # the REPL itself runs in LEAN_PROJECT, where that relative path means nothing.
    base = config()
    here, project = tmp_path / "notebooks", tmp_path / "project"
    here.mkdir(), project.mkdir()
    script = here / "repl"
    script.write_text("#!/bin/sh\nexec " + shlex.join([base.repl_path, *base.repl_args]) + ' "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.chdir(here)
    proc = open_process(base.with_changes(repl_path="repl", repl_args=[], project_dir=str(project), use_lake=False))
    first_ok(proc, recorded)


def test_lake_path_relative_to_our_cwd_works_too(config, open_process, recorded, tmp_path, monkeypatch):
    # LEAN_LAKE_PATH=./lake: `lake env <repl>` runs in the project, not where ./lake is.
    # The fake lake drops "env" and runs the rest, in this process group, as lake does.
    base = config()
    here, project = tmp_path / "notebooks", tmp_path / "project"
    here.mkdir(), project.mkdir()
    lake = here / "lake"
    lake.write_text('#!/bin/sh\nshift\n"$@"\n')
    lake.chmod(lake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.chdir(here)
    proc = open_process(base.with_changes(lake_path="./lake", project_dir=str(project)))
    first_ok(proc, recorded)


def test_many_restarts_leak_no_fds_threads_or_processes(config, open_process, recorded):
    proc = open_process(config())
    first_ok(proc, recorded)
    fds, threads = len(os.listdir("/proc/self/fd")), threading.active_count()
    pids = set()
    for i in range(60):
        pids.add(proc.pid)
        proc.close() if i % 2 else proc.restart()
        if i % 20 == 0:
            first_ok(proc, recorded)
    first_ok(proc, recorded)
    assert len(os.listdir("/proc/self/fd")) == fds
    assert threading.active_count() == threads
    for pid in pids - {None, proc.pid}:  # killed and reaped: no zombie of ours is left
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
