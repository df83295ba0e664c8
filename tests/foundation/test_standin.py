"""The stand-in REPL, driven as a real subprocess on raw pipes (not through our client),
plus the transcript loader it is built on."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from lean_kernel.config import ReplConfig
from lean_kernel.testing.standin import ID_RX, load, standin_command
from lean_kernel.testing.transcripts import (
    iter_transcripts,
    list_version_folders,
    load_transcript,
    split_requests,
    split_responses,
)

V = "v4.33.0-rc2"
WAIT = 15  # seconds: generous deadline so a broken stand-in fails instead of hanging
REPO = Path(__file__).resolve().parents[2]
DEF = {"cmd": "def f := 37"}  # recorded in def_eval: answers {"env": N}


def child_env(**extra) -> dict[str, str]:
    # The stand-in must import lean_kernel from this checkout even when not installed.
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env


class Pipe:
    """One stand-in process with raw pipes: send request text, read framed blocks."""

    def __init__(self, argv, *, cwd=None, env=None):
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env or child_env(),
            start_new_session=True,
        )
        self.lines: queue.Queue = queue.Queue()
        self.stderr = bytearray()
        threading.Thread(target=self._pump_out, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    def _pump_out(self):
        for line in iter(self.proc.stdout.readline, b""):
            self.lines.put(line)
        self.lines.put(None)

    def _pump_err(self):
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self.stderr += chunk

    def send(self, text: str) -> None:
        self.proc.stdin.write(text.encode("utf-8"))
        self.proc.stdin.flush()

    def request(self, obj, timeout=WAIT) -> str:
        self.send(json.dumps(obj, ensure_ascii=False) + "\n\n")
        return self.read_block(timeout)

    def read_block(self, timeout=WAIT) -> str | None:
        """Lines up to the blank line after some content (without it); None at EOF."""
        deadline = time.monotonic() + timeout
        got: list[bytes] = []
        while True:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            if line is None:
                return None if not got else b"".join(got).decode()
            if line == b"\n" and got:
                return b"".join(got).decode().removesuffix("\n")
            got.append(line)

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.lines.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self, timeout=WAIT) -> int:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(WAIT)


@pytest.fixture
def version_dir(transcripts_root) -> Path:
    return transcripts_root / V


@pytest.fixture
def spawn(version_dir):
    started: list[Pipe] = []

    def make(*faults, recordings=None, cwd=None, env=None) -> Pipe:
        p = Pipe(standin_command(recordings or version_dir, (), faults), cwd=cwd, env=env)
        started.append(p)
        return p

    yield make
    for p in started:
        p.kill()


def recorded(version_dir: Path, name: str) -> list[str]:
    return load_transcript(version_dir / f"{name}.in").responses


def run_file(argv, data: bytes, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, input=data, capture_output=True, timeout=WAIT, cwd=cwd, env=env or child_env())


# --------------------------------------------------------------------------- transcripts


def test_version_folders_are_found_oldest_first(transcripts_root):
    names = [p.name for p in list_version_folders(transcripts_root)]
    assert names[0] == "v4.8.0" and names[-1] == V
    assert "v4.22.0-rc4" in names and names.index("v4.19.0") < names.index("v4.22.0-rc4")


def test_request_lines_join_like_each_repl_version():
    text = '{"cmd": "theorem foo : 1 = 1 := by  \nsorry"}\n\n{"cmd": "x"}\n'
    # v4.22+: each line loses trailing whitespace and the lines join with nothing between.
    new = split_requests(text, "v4.22.0-rc4")
    assert json.loads(new[0][1]) == {"cmd": "theorem foo : 1 = 1 := bysorry"}
    assert new[0][0] == '{"cmd": "theorem foo : 1 = 1 := by  \nsorry"}'
    # Older REPLs keep the raw newline inside the string.
    old = split_requests(text, "v4.19.0")
    assert json.loads(old[0][1], strict=False)["cmd"] == "theorem foo : 1 = 1 := by  \nsorry"
    assert [json.loads(q) for _, q in new[1:]] == [{"cmd": "x"}]


def test_comment_requests_and_whitespace_lines_split_like_the_repl():
    text = '# a comment\n\n{"cmd": "a"}\n \t\n{"cmd": "b"}'
    assert [q for _, q in split_requests(text, V)] == ['{"cmd": "a"}', '{"cmd": "b"}']


def test_invalid_line_break_recording_parses_as_the_repl_saw_it(version_dir):
    t = load_transcript(version_dir / "invalid_line_break.in")
    assert t.requests[0] == {"cmd": "theorem foo : 1 = 1 := bysorry"}
    assert "`bysorry`" in t.responses[0]
    assert t.name == "invalid_line_break" and t.version == V


def test_responses_split_back_to_the_exact_file(transcripts_root):
    for t in iter_transcripts(transcripts_root):
        if t.has_responses:
            assert "".join(r + "\n\n" for r in t.responses).encode() == t.expected_bytes(), t.key
            assert all(isinstance(json.loads(r), dict) for r in t.responses), t.key
    assert split_responses('{"env": 0}\n\n{"env": 1}\n\n') == ['{"env": 0}', '{"env": 1}']


def test_inputs_without_expected_output_load_with_no_responses(version_dir):
    t = load_transcript(version_dir / "pickle_scoped_notation.in")
    assert t.exchanges and all(resp is None for _, resp in t.exchanges)
    m = load_transcript(version_dir / "Mathlib" / "test" / "H20231214.in")
    assert m.name == "Mathlib/test/H20231214" and not m.has_responses


def test_id_pattern_finds_exactly_the_json_id_fields(transcripts_root):
    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("env", "proofState"):
                    yield k, v
                yield from walk(v)
        elif isinstance(o, list):
            for x in o:
                yield from walk(x)

    for t in iter_transcripts(transcripts_root):
        for resp in t.responses:
            if resp is not None:
                found = [(m.group(1), int(m.group(2))) for m in ID_RX.finditer(resp)]
                assert found == list(walk(json.loads(resp))), t.key


# --------------------------------------------------------------------------- replay


def test_every_recording_replays_exactly_through_the_engine(transcripts_root):
    # The engine in-process, once per transcript from a fresh state: fast full coverage.
    # The subprocess tests below check the same through real pipes for a sample.
    count = 0
    for folder in list_version_folders(transcripts_root):
        replayer = load([folder])
        for t in replayer.transcripts:
            if not t.has_responses:
                continue
            replayer.reset()
            count += 1
            for k, (req, resp) in enumerate(t.exchanges):
                assert replayer.respond(req) == resp, f"{t.key} exchange {k}"
    assert count > 400


@pytest.mark.parametrize(
    "version,name",
    [
        (V, "calc"),  # ids printed out of allocation order
        (V, "pickle_proof_state_1"),  # pickling a proof state allocates a new one
        (V, "invalid_line_break"),  # raw newlines inside JSON strings, joined away
        (V, "unknown_proof_state"),
        (V, "Mathlib/test/line_breaks"),  # a request spread over 14 lines
        ("v4.8.0", "readme"),
        ("v4.8.0", "enableInitializersExecution"),  # last request ends at EOF, no blank line
    ],
)
def test_subprocess_replays_a_recording_byte_for_byte(transcripts_root, version, name):
    t = load_transcript(transcripts_root / version / f"{name}.in")
    proc = run_file(standin_command(transcripts_root / version), t.input_bytes())
    assert proc.stdout == t.expected_bytes()
    assert proc.returncode == 0 and proc.stderr == b""


def test_live_ids_are_renumbered_for_chained_requests(spawn, version_dir):
    want = recorded(version_dir, "def_eval")  # def f := 37, then #check on its env 0
    p = spawn()
    assert p.request({"cmd": "def f := 37"}) == '{"env": 0}'
    assert p.request({"cmd": "def f := 37"}) == '{"env": 1}'
    # The recorded answer to the chained request, with the recorded env 1 now live env 2.
    assert p.request({"cmd": "#check (rfl : f = 37)", "env": 1}) == want[1].replace('"env": 1', '"env": 2')
    assert p.request({"env": 0, "cmd": "#check (rfl : f = 37)"}) == want[1].replace('"env": 1', '"env": 3')
    assert p.close() == 0


def test_proof_state_ids_are_renumbered(spawn, version_dir):
    want = recorded(version_dir, "readme")  # sorry -> ps 0; tactic -> ps 1; tactic -> ps 2
    p = spawn()
    first = p.request({"cmd": "def f (x : Unit) : Nat := by sorry"})
    assert first == want[0]
    second = p.request({"cmd": "def f (x : Unit) : Nat := by sorry"})
    assert second == want[0].replace('"proofState": 0', '"proofState": 1').replace('"env": 0', '"env": 1')
    step = p.request({"tactic": "apply Int.natAbs", "proofState": 1})
    assert step == want[1].replace('"proofState": 1', '"proofState": 2')
    done = p.request({"tactic": "exact -37", "proofState": 2})
    assert done == want[2].replace('"proofState": 2', '"proofState": 3')
    # Backtracking to the first sorry still works and takes the next id.
    again = p.request({"tactic": "apply Int.natAbs", "proofState": 0})
    assert json.loads(again)["proofState"] == 4
    assert p.close() == 0


def test_ids_never_issued_get_the_repls_errors(spawn):
    p = spawn()
    # Recorded as such (unknown_environment.in) ...
    assert p.request({"cmd": "def f : Nat := by sorry", "env": 5}) == '{"message": "Unknown environment."}'
    # ... or answered as the REPL does for any id it never issued.
    assert p.request({"cmd": "def g := 1", "env": 0}) == '{"message": "Unknown environment."}'
    assert p.request({"tactic": "rfl", "proofState": 3}) == '{"message": "Unknown proof state."}'
    assert p.request({"pickleTo": "x.olean", "proofState": 0}) == '{"message": "Unknown proof State."}'
    assert p.request({"cmd": "def f := 37"}) == '{"env": 0}'  # error answers took no id
    assert p.close() == 0


def test_unrecorded_request_gets_a_repl_style_error_and_the_process_lives_on(spawn):
    p = spawn()
    answer = json.loads(p.request({"cmd": "theorem nope : 1 = 2 := rfl"}))
    assert list(answer) == ["message"]
    assert answer["message"].startswith("stand-in REPL: no recording for request ")
    assert "theorem nope" in answer["message"]
    assert p.request({"cmd": "def f := 37"}) == '{"env": 0}'
    # A known id with an unrecorded request is not a success either.
    assert "no recording" in json.loads(p.request({"cmd": "#eval 2", "env": 0}))["message"]
    assert p.close() == 0


@pytest.mark.parametrize("version,answered", [(V, True), ("v4.8.0", False)])
def test_request_lines_join_per_version(transcripts_root, version, answered):
    # A raw newline inside a JSON string: v4.22+ joins the lines with nothing between
    # ("def f := 37", recorded in def_eval); older REPLs keep the newline (not recorded).
    # Neither is fatal.
    proc = run_file(standin_command(transcripts_root / version), b'{"cmd": "def f :=\n 37"}\n\n')
    assert proc.returncode == 0
    assert (proc.stdout == b'{"env": 0}\n\n') is answered
    assert answered or b"no recording" in proc.stdout


def test_sigint_kills_like_the_repl(spawn):
    # The real REPL has no interrupt: SIGINT ends it, so clients must restart.
    p = spawn()
    assert p.request(DEF) == '{"env": 0}'
    p.proc.send_signal(signal.SIGINT)
    assert p.proc.wait(WAIT) == -signal.SIGINT


def test_comment_requests_get_no_answer(spawn):
    p = spawn()
    p.send("# just a comment\n\n-- another\n\n")
    assert p.request({"cmd": "def f := 37"}) == '{"env": 0}'
    assert p.close() == 0


@pytest.mark.parametrize(
    "text",
    [
        '{"cmd": "def f := 37"\n\n',  # not JSON
        '{"cmd": "x", "env": -1}\n\n',  # no request shape fits
        '{"cmd": "x", "env": "0"}\n\n',
        "[1, 2]\n\n",
        '{"cmd": "def f := 37"}\n\n\n',  # a second blank line is an empty request
    ],
)
def test_malformed_request_kills_the_process_like_the_repl(version_dir, text):
    proc = run_file(standin_command(version_dir), text.encode())
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith('uncaught exception: {"message": "Could not parse')
    assert proc.stdout in (b"", b'{"env": 0}\n\n')


def test_eof_ends_cleanly_after_answering_a_last_unterminated_request(version_dir):
    proc = run_file(standin_command(version_dir), b'{"cmd": "def f := 37"}')
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b'{"env": 0}\n\n', b"")
    empty = run_file(standin_command(version_dir), b"")
    assert (empty.returncode, empty.stdout) == (0, b"")


# --------------------------------------------------------------------------- pickles


def test_pickle_in_one_process_unpickles_in_another(version_dir, tmp_path):
    (tmp_path / "test").mkdir()  # the REPL writes pickles relative to its cwd
    argv = standin_command(version_dir)
    for name in ("pickle_open", "pickle_open_2"):
        t = load_transcript(version_dir / f"{name}.in")
        proc = run_file(argv, t.input_bytes(), cwd=tmp_path)
        assert proc.stdout == t.expected_bytes(), name
    assert (tmp_path / "test" / "e.olean").is_file()


def test_unpickle_of_an_unrecorded_path_is_an_error(spawn):
    p = spawn()
    answer = json.loads(p.request({"unpickleEnvFrom": "test/never.olean"}))
    assert answer["message"].startswith("stand-in REPL: no recording")
    assert p.close() == 0


# --------------------------------------------------------------------------- faults


def test_exit_at_exits_with_the_code_without_answering(spawn):
    p = spawn("--exit-at", 2, "--exit-code", 7)
    assert p.request(DEF) == '{"env": 0}'
    p.send(json.dumps(DEF) + "\n\n")
    assert p.read_block() is None
    assert p.proc.wait(WAIT) == 7


def test_kill_at_dies_by_sigkill(spawn):
    p = spawn("--kill-at", 1)
    p.send(json.dumps(DEF) + "\n\n")
    assert p.read_block() is None
    assert p.proc.wait(WAIT) == -signal.SIGKILL


def test_faults_on_request_text(spawn):
    crash = spawn("--crash-on", "#check")
    assert crash.request(DEF) == '{"env": 0}'
    crash.send('{"cmd": "#check 1"}\n\n')
    assert crash.read_block() is None and crash.proc.wait(WAIT) == 1
    assert b"uncaught exception" in crash.stderr
    kill = spawn("--kill-on", "37")
    kill.send(json.dumps(DEF) + "\n\n")
    assert kill.read_block() is None and kill.proc.wait(WAIT) == -signal.SIGKILL


def test_garbage_at_sends_a_framed_non_json_block_then_serves_on(spawn):
    p = spawn("--garbage-at", 1)
    block = p.request(DEF)
    with pytest.raises(ValueError):
        json.loads(block)
    assert p.request(DEF) == '{"env": 0}'  # the garbage took no id
    assert p.close() == 0


def test_huge_at_sends_a_valid_command_response_of_20_mb(spawn):
    p = spawn("--huge-at", 2)
    assert p.request(DEF) == '{"env": 0}'
    block = p.request(DEF, timeout=60)
    assert len(block.encode()) >= 20 * 1024 * 1024
    answer = json.loads(block)
    assert answer["env"] == 1 and answer["messages"][0]["severity"] == "info"
    assert p.request(DEF) == '{"env": 2}'
    assert p.close() == 0


def test_stderr_flood_writes_a_megabyte_then_answers(spawn):
    p = spawn("--stderr-flood-at", 1, "--stderr-mb", 1)
    assert p.request(DEF) == '{"env": 0}'
    assert p.close() == 0
    assert len(p.stderr) >= 1024 * 1024


def test_hang_at_never_answers(spawn):
    p = spawn("--hang-at", 2)
    assert p.request(DEF) == '{"env": 0}'
    p.send(json.dumps(DEF) + "\n\n")
    assert p.nothing_within(1.0)
    assert p.proc.poll() is None
    p.kill()


def test_hang_on_request_text(spawn):
    p = spawn("--hang-on", "#check")
    p.send('{"cmd": "#check (rfl : f = 37)", "env": 0}\n\n')
    assert p.nothing_within(1.0)
    p.kill()


def test_delay_holds_every_reply_back(spawn):
    p = spawn("--delay", 1.0)
    p.send(json.dumps(DEF) + "\n\n")
    assert p.nothing_within(0.5)
    assert p.read_block() == '{"env": 0}'
    p.kill()


def test_delay_on_holds_back_only_matching_requests(spawn):
    p = spawn("--delay-on", "#check=1.0")
    assert p.request(DEF) == '{"env": 0}'
    p.send('{"cmd": "#check (rfl : f = 37)", "env": 0}\n\n')
    assert p.nothing_within(0.5)
    assert '"env": 1' in p.read_block()
    p.kill()


def test_faults_can_come_from_the_environment(spawn):
    env = child_env(LEAN_STANDIN_ARGS="--exit-at 1 --exit-code 5")
    p = spawn(env=env)
    p.send(json.dumps(DEF) + "\n\n")
    assert p.read_block() is None and p.proc.wait(WAIT) == 5


def test_bad_options_and_missing_recordings_fail_at_start(version_dir, tmp_path):
    bad = run_file(standin_command(version_dir, (), ["--delay-on", "nonsense"]), b"")
    assert bad.returncode == 2 and b"TEXT=SECONDS" in bad.stderr
    missing = run_file(standin_command(tmp_path / "nowhere"), b"")
    assert missing.returncode == 2 and b"nowhere" in missing.stderr


# --------------------------------------------------------------------------- fixtures


def test_standin_config_starts_a_working_standin(standin_config, version_dir):
    cfg = standin_config("--delay", 0.01, version="v4.8.0", timeout=3)
    assert isinstance(cfg, ReplConfig) and cfg.timeout == 3
    argv = cfg.command()
    assert argv[argv.index("--recordings") + 1].endswith("v4.8.0")
    assert argv[-2:] == ["--delay", "0.01"]
    proc = subprocess.run(
        argv, input=b'{"cmd": "def f := 37"}\n\n', capture_output=True, timeout=WAIT, env=cfg.process_env()
    )
    assert proc.stdout == b'{"env": 0}\n\n'


def test_standin_config_takes_single_recordings(standin_config):
    cfg = standin_config(recordings="v4.8.0/readme.in", scripted=False)
    argv = cfg.command()
    assert "--scripted" not in argv and argv[argv.index("--recordings") + 1].endswith("readme.in")


def test_standin_env_matches_the_config(standin_config, standin_env):
    env = standin_env("--kill-at", 3)
    from_env = ReplConfig.from_env(env)
    assert from_env.command() == standin_config("--kill-at", 3).command()
    assert shlex.split(env["LEAN_REPL_ARGS"])[-2:] == ["--kill-at", "3"]


# --------------------------------------------------------------------------- scripted transcripts


def test_scripted_transcripts_load_per_version_and_recordings_win(version_dir, tmp_path):
    # Scripted transcripts written here in tmp_path (not tests/fixtures/scripted): a
    # version-independent one, one for another version, and one that contradicts a recording.
    scripted = tmp_path / "scripted"
    (scripted / "v4.8.0").mkdir(parents=True)
    (scripted / "extra.in").write_text('{"cmd": "def scripted_only := 1"}\n\n{"cmd": "#eval 1", "env": 0}\n')
    (scripted / "extra.expected.out").write_text(
        '{"env": 0}\n\n{"messages":\n [{"severity": "info",\n   "pos": {"line": 1, "column": 0},\n'
        '   "endPos": {"line": 1, "column": 5},\n   "data": "1"}],\n "env": 1}\n\n'
    )
    (scripted / "v4.8.0" / "old.in").write_text('{"cmd": "def only_old := 1"}\n')
    (scripted / "v4.8.0" / "old.expected.out").write_text('{"env": 0}\n\n')
    (scripted / "clash.in").write_text('{"cmd": "def f := 37"}\n')
    (scripted / "clash.expected.out").write_text('{"message": "scripted, not recorded"}\n\n')

    p = Pipe(standin_command(version_dir, [scripted]))
    try:
        assert p.request({"cmd": "def f := 37"}) == '{"env": 0}'  # the recording, not clash
        assert p.request({"cmd": "def scripted_only := 1"}) == '{"env": 1}'
        assert json.loads(p.request({"cmd": "#eval 1", "env": 1})) == {
            "messages": [
                {"severity": "info", "pos": {"line": 1, "column": 0}, "endPos": {"line": 1, "column": 5}, "data": "1"}
            ],
            "env": 2,
        }
        assert "no recording" in p.request({"cmd": "def only_old := 1"})  # other version's folder
        assert p.close() == 0
    finally:
        p.kill()
    old = run_file(standin_command(version_dir.parent / "v4.8.0", [scripted]), b'{"cmd": "def only_old := 1"}\n\n')
    assert old.stdout == b'{"env": 0}\n\n'


def test_several_recordings_and_a_single_file(transcripts_root):
    one = transcripts_root / "v4.8.0" / "readme.in"
    both = standin_command([one, transcripts_root / V / "def_eval.in"])
    assert both.count("--recordings") == 2
    t = load_transcript(one)
    proc = run_file(both, t.input_bytes())
    assert proc.stdout == t.expected_bytes()
    # Only what --recordings names is loaded.
    other = run_file(both, b'{"cmd": "variable (x y : Nat)"}\n\n')
    assert b"no recording" in other.stdout
