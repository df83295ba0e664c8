"""A stand-in for the Lean REPL: a real executable that replays recorded sessions.

    python -m lean_kernel.testing.standin --recordings DIR_OR_IN_FILE [--scripted DIR] [faults]

It speaks the REPL's protocol on stdin/stdout (requests end at a blank line, responses are
the recorded pretty JSON followed by one blank line) so everything above the process layer
runs unchanged against it and against the real REPL.

Replay is by request, not by position. The stand-in numbers envs and proof states itself,
from 0, as the REPL does, and remembers for each live id which recorded ids it may stand
for (``(transcript, recorded id)`` candidates). A request that names a live id is looked up
among the recorded requests of those candidates, with the id swapped for the recorded
one; the recorded answer is then written with its ids rewritten to live ids. So a client
may chain, branch or repeat recorded requests in any order, and replaying one transcript
in order from a fresh process still yields its recorded bytes exactly.

It never invents a success: a request nothing recorded answers with a REPL-style
``{"message": "stand-in REPL: no recording for request ..."}``. Requests the REPL itself
would reject (an id it never issued, malformed JSON, an unknown shape) are treated the way
the REPL treats them.

Options may also come from the environment variable LEAN_STANDIN_ARGS (shell-split and
appended), so faults can be injected into a REPL started deep inside a kernel.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lean_kernel.protocol import ID_KEYS, ProtocolError, classify_request, request_ids
from lean_kernel.testing.transcripts import (
    Transcript,
    decode_request,
    is_blank,
    is_comment,
    iter_scripted,
    iter_transcripts,
    joins_without_separator,
)

ENV_ARGS = "LEAN_STANDIN_ARGS"
MODULE = "lean_kernel.testing.standin"
KINDS = ID_KEYS
# Response ids as the REPL's pretty printer writes them. The lookbehind skips the text
# `\"env\": 3` inside a JSON string (checked against every recording by the tests).
ID_RX = re.compile(r'(?<!\\)"(env|proofState)": (\d+)')
GARBAGE = "{this is not json @@@ (stand-in REPL --garbage-at)"
PICKLE_MARK = "lean-repl-standin pickle"
_LEAN_WS = " \t\r\n"


class ShapeError(ValueError):
    """JSON that is no request shape the REPL knows: the REPL dies on it."""


# --------------------------------------------------------------------------- request shapes


# What the REPL answers when a request names an id it never issued.
_UNKNOWN = {
    "env": "Unknown environment.",
    "proofState": "Unknown proof state.",
    # pickleProofSnapshot spells it differently upstream.
    ("pickle_proof_state", "proofState"): "Unknown proof State.",
}


def classify(obj: Any) -> tuple[str, tuple[str, ...]]:
    """``(shape, id fields present)`` of a decoded request, as the REPL reads it (the
    shapes and their order are the protocol module's, shared with the client)."""
    try:
        request_type = classify_request(obj)
    except ProtocolError as exc:
        raise ShapeError(f"Could not parse as a valid JSON command:\n{exc}") from None
    return request_type.shape, request_ids(request_type, obj)


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _request_key(obj: dict, shape: str, id_fields: tuple[str, ...]) -> tuple:
    rest = {k: v for k, v in obj.items() if k not in id_fields and not (k in KINDS and v is None)}
    return shape, id_fields, _canonical(rest)


def format_error(message: str) -> str:
    """``{"message": ...}`` laid out as the REPL's pretty printer does (80 columns)."""
    body = json.dumps(message, ensure_ascii=False)
    one_line = '{"message": ' + body + "}"
    return one_line if len(one_line) <= 80 else '{"message":\n ' + body + "}"


def no_recording(obj) -> str:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if len(text) > 300:
        text = text[:300] + "..."
    return format_error(f"stand-in REPL: no recording for request {text}")


# --------------------------------------------------------------------------- recorded entries


# How a recorded id in a response is replayed: ("new", kind, offset from the counter),
# ("req", kind, id) for the id the request named, ("old", kind, id) for an earlier one.
Slot = tuple[str, str, int]


@dataclass(eq=False)
class _Entry:
    """One recorded exchange, pre-cut for live renumbering."""

    t: int  # index of its transcript
    i: int  # index of the exchange in it
    request: dict[str, Any]
    shape: str
    id_fields: tuple[str, ...]
    req_ids: dict[str, int]  # the ids the request names
    # A recorded request on an id that did not exist yet got "Unknown ...": it may only
    # answer live requests on ids the stand-in never issued, never live-mapped ones.
    valid: bool
    response: str | None
    counters: dict[str, int]  # the next new id of each kind before this exchange
    provenance: tuple[str, int] | None  # for an unpickle: (transcript key, id) pickled there
    pieces: list[str] = field(default_factory=list)  # the response text between its ids
    slots: list[Slot] = field(default_factory=list)  # one per id, between the pieces
    new_counts: dict[str, int] = field(default_factory=dict)  # ids of each kind it creates
    sig: str = ""  # the response with new ids abstracted, to find equivalent entries
    _is_error: bool | None = None

    def is_error(self) -> bool:
        if self._is_error is None:
            try:
                obj = json.loads(self.response or "")
            except ValueError:
                obj = None
            self._is_error = isinstance(obj, dict) and "message" in obj and not any(k in obj for k in KINDS)
        return self._is_error


def _unpickle_path(shape: str, request: dict[str, Any]) -> str:
    return str(request["unpickleEnvFrom" if shape == "unpickle_env" else "unpickleProofStateFrom"])


def _cut_transcript(t_index: int, transcript: Transcript, entries_out: list[_Entry]) -> None:
    counters = {"env": 0, "proofState": 0}
    last_pickle: dict[str, tuple[str, int]] = {}
    for i, (request, response) in enumerate(transcript.exchanges):
        try:
            shape, id_fields = classify(request)
        except ShapeError:
            continue  # the REPL would have died here; nothing to replay
        req_ids = {f: request[f] for f in id_fields}
        provenance = None
        if shape in ("unpickle_env", "unpickle_proof_state"):
            provenance = last_pickle.get(_unpickle_path(shape, request))
        elif shape in ("pickle_env", "pickle_proof_state"):
            kind = "env" if shape == "pickle_env" else "proofState"
            last_pickle[request["pickleTo"]] = (transcript.key, request[kind])
        e = _Entry(
            t=t_index,
            i=i,
            request=request,
            shape=shape,
            id_fields=id_fields,
            req_ids=req_ids,
            valid=all(r < counters[f] for f, r in req_ids.items()),
            response=response,
            counters=dict(counters),
            provenance=provenance,
        )
        pieces: list[str] = []
        slots: list[Slot] = []
        sig: list[str] = []
        new_counts = {"env": 0, "proofState": 0}
        if response is not None:
            pos = 0
            for m in ID_RX.finditer(response):
                kind, rec = m.group(1), int(m.group(2))
                pieces.append(response[pos : m.start(2)])
                sig.append(response[pos : m.start(2)])
                slot: Slot
                if rec >= counters[kind]:
                    # New ids are consecutive from the counter but may be printed out of
                    # order (sorries before tactics), so they map by offset, not by order.
                    slot = ("new", kind, rec - counters[kind])
                    new_counts[kind] = max(new_counts[kind], rec - counters[kind] + 1)
                elif e.req_ids.get(kind) == rec:
                    slot = ("req", kind, rec)  # e.g. pickling an env answers that env
                else:
                    slot = ("old", kind, rec)
                slots.append(slot)
                sig.append("\x00%s:%s:%s\x00" % (slot if slot[0] != "old" else ("old", kind, "?")))
                pos = m.end(2)
            pieces.append(response[pos:])
            sig.append(response[pos:])
            for kind in KINDS:
                counters[kind] += new_counts[kind]
        e.pieces, e.slots, e.new_counts, e.sig = pieces, slots, new_counts, "".join(sig)
        entries_out.append(e)


# --------------------------------------------------------------------------- the replay engine


class Replayer:
    """Answers requests from recordings, with live env / proof-state numbering. Pure
    logic and no I/O beyond pickle marker files, so tests can drive it directly too."""

    def __init__(self, transcripts, *, pickle_dir: str | os.PathLike | None = None):
        self.transcripts = list(transcripts)
        self.entries: list[_Entry] = []
        for t_index, transcript in enumerate(self.transcripts):
            if transcript.has_responses:
                _cut_transcript(t_index, transcript, self.entries)
        self.index: dict[tuple, list[_Entry]] = {}
        for e in self.entries:
            self.index.setdefault(_request_key(e.request, e.shape, e.id_fields), []).append(e)
        self._literal: dict[str, list[_Entry]] | None = None
        self.pickle_dir = Path(pickle_dir) if pickle_dir is not None else None
        self.reset()

    def reset(self) -> None:
        """Forget all live state, as a fresh REPL process would."""
        self.next_id = {"env": 0, "proofState": 0}
        self.candidates: dict[str, list[set]] = {"env": [], "proofState": []}
        self.latest_live: dict[str, dict] = {"env": {}, "proofState": {}}
        self.cursor = [0] * len(self.transcripts)
        self.last_t: int | None = None
        self.pickles: dict[str, set] = {}

    @property
    def version(self) -> str | None:
        for t in self.transcripts:
            if not t.scripted:
                return t.version
        return self.transcripts[0].version if self.transcripts else None

    # ----------------------------------------------------------------- public

    def respond(self, obj) -> str:
        """The response block (without its blank line) for one decoded request.
        Raises ShapeError for a request the REPL cannot decode."""
        shape, id_fields = classify(obj)
        live = {f: obj[f] for f in id_fields}
        for f, value in live.items():
            if value >= self.next_id[f]:
                return self._unknown_id(obj, shape, f)
        matches = [
            e
            for e in self.index.get(_request_key(obj, shape, id_fields), ())
            if e.valid and all((e.t, e.req_ids[f]) in self.candidates[f][v] for f, v in live.items())
        ]
        if shape in ("unpickle_env", "unpickle_proof_state"):
            matches = self._agreeing_with_pickle(shape, obj, matches)
        if not matches:
            return no_recording(obj)
        best = min(matches, key=self._rank)
        same = [e for e in matches if e.sig == best.sig]
        text = self._render(best, live)
        self._advance(best, same)
        if shape in ("pickle_env", "pickle_proof_state") and not best.is_error():
            kind = id_fields[0]
            self._remember_pickle(obj["pickleTo"], kind, self.candidates[kind][live[kind]])
        return text

    def new_env_without_recording(self, like: int | None = None) -> int:
        """Allocate an env id for a fault response. ``like``: the live env the request ran
        on; the new env stands for the same recorded ones, as the env after a command that
        only prints (a huge ``#eval``) holds what the env before it held. Without it, no
        recording stands behind the new env."""
        if like is None or not 0 <= like < self.next_id["env"]:
            return self._allocate("env", set())
        return self._allocate("env", set(self.candidates["env"][like]))

    # ----------------------------------------------------------------- matching

    def _rank(self, e: _Entry) -> tuple:
        # Continuing a transcript where it left off keeps in-order replay byte-exact;
        # then the transcript that answered last, then load order.
        cur = self.cursor[e.t]
        return (e.i != cur, e.t != self.last_t, e.t, e.i < cur, e.i)

    def _unknown_id(self, obj: dict, shape: str, field: str) -> str:
        if self._literal is None:
            self._literal = {}
            for e in self.entries:
                self._literal.setdefault(_canonical(e.request), []).append(e)
        recorded = [e for e in self._literal.get(_canonical(obj), ()) if e.is_error()]
        if recorded:
            best = min(recorded, key=self._rank)
            self.cursor[best.t] = best.i + 1
            self.last_t = best.t
            assert best.response is not None  # is_error() parsed it
            return best.response
        return format_error(_UNKNOWN.get((shape, field)) or _UNKNOWN[field])

    def _render(self, best: _Entry, live: dict) -> str:
        out = [best.pieces[0]]
        for (how, kind, rec), piece in zip(best.slots, best.pieces[1:]):
            if how == "new":
                value = self.next_id[kind] + rec
            elif how == "req":
                value = live[kind]
            else:
                value = self.latest_live[kind].get((best.t, rec), rec)
            out.append(str(value))
            out.append(piece)
        return "".join(out)

    def _advance(self, best: _Entry, same: list[_Entry]) -> None:
        for kind in KINDS:
            for offset in range(best.new_counts[kind]):
                cands = {(e.t, e.counters[kind] + offset) for e in same}
                self._allocate(kind, cands)
        for e in sorted(same, key=self._rank, reverse=True):
            self.cursor[e.t] = e.i + 1
        self.last_t = best.t

    def _allocate(self, kind: str, cands: set) -> int:
        live = self.next_id[kind]
        self.next_id[kind] += 1
        self.candidates[kind].append(cands)
        for pair in cands:
            self.latest_live[kind][pair] = live
        return live

    # ----------------------------------------------------------------- pickles

    def _remember_pickle(self, path: str, kind: str, cands: set) -> None:
        states = sorted({(self.transcripts[t].key, rec) for t, rec in cands})
        self.pickles[path] = set(states)
        # A marker file lets another stand-in process (or a test) unpickle this path
        # later, as the real REPL's .olean would. Only where the REPL could write it.
        target = Path(path) if self.pickle_dir is None else self.pickle_dir / path
        if target.parent.is_dir():
            try:
                target.write_text(json.dumps({PICKLE_MARK: kind, "states": states}), encoding="utf-8")
            except OSError:
                pass

    def _pickled_states(self, path: str) -> set | None:
        if path in self.pickles:
            return self.pickles[path]
        target = Path(path) if self.pickle_dir is None else self.pickle_dir / path
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
            return {(str(k), int(r)) for k, r in data["states"]} if PICKLE_MARK in data else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _agreeing_with_pickle(self, shape: str, obj: dict, matches: list[_Entry]) -> list[_Entry]:
        # Several recordings unpickle the same path (test/f.olean) with different
        # contents; prefer those whose recorded pickle was of the state pickled here.
        if not matches:
            return matches
        states = self._pickled_states(_unpickle_path(shape, obj))
        if not states:
            return matches
        keep = [e for e in matches if e.provenance is None or e.provenance in states]
        return keep or matches


# --------------------------------------------------------------------------- command line


def standin_command(recordings, scripted=(), faults=()) -> list[str]:
    """argv that starts a stand-in: ``[python, -m, module, --recordings ..., --scripted ...,
    *faults]``. ``recordings`` and ``scripted`` are one path or several."""
    argv = [sys.executable, "-m", MODULE]
    for path in [recordings] if isinstance(recordings, (str, os.PathLike)) else list(recordings or ()):
        argv += ["--recordings", str(path)]
    for path in [scripted] if isinstance(scripted, (str, os.PathLike)) else list(scripted or ()):
        argv += ["--scripted", str(path)]
    return argv + [str(a) for a in faults]


def _parse_args(argv: list[str]):
    import argparse

    p = argparse.ArgumentParser(
        prog="lean-repl-standin",
        description="Replay recorded Lean REPL sessions on stdin/stdout, with optional faults. "
        f"Options may also come from ${ENV_ARGS} (shell-split, appended).",
        allow_abbrev=False,
    )
    p.add_argument(
        "--recordings",
        action="append",
        default=[],
        metavar="PATH",
        help="a version folder (recursively) or one .in file; repeatable",
    )
    p.add_argument(
        "--scripted",
        action="append",
        default=[],
        metavar="DIR",
        help="our own transcripts (tests/fixtures/scripted); repeatable",
    )
    at = p.add_argument_group("faults at the N-th request of this process (1-based; repeatable)")
    for flag, what in (
        ("--exit-at", "exit with --exit-code without answering"),
        ("--hang-at", "stop forever without answering or reading"),
        ("--garbage-at", "answer with a framed block that is not JSON"),
        ("--huge-at", "answer with a valid command response of --huge-mb MiB"),
        ("--stderr-flood-at", "write --stderr-mb MiB to stderr, then answer"),
        ("--kill-at", "SIGKILL itself without answering"),
    ):
        at.add_argument(flag, action="append", type=int, default=[], metavar="N", help=what)
    at.add_argument("--exit-code", type=int, default=1, metavar="C")
    at.add_argument("--huge-mb", type=float, default=20.0, metavar="MB")
    at.add_argument("--stderr-mb", type=float, default=1.0, metavar="MB")
    on = p.add_argument_group("faults on requests whose JSON text contains TEXT (repeatable)")
    on.add_argument(
        "--crash-on",
        action="append",
        default=[],
        metavar="TEXT",
        help="print an uncaught exception and exit with --exit-code",
    )
    on.add_argument("--hang-on", action="append", default=[], metavar="TEXT")
    on.add_argument("--kill-on", action="append", default=[], metavar="TEXT")
    on.add_argument("--garbage-on", action="append", default=[], metavar="TEXT", help="as --garbage-at")
    on.add_argument("--huge-on", action="append", default=[], metavar="TEXT", help="as --huge-at")
    on.add_argument("--stderr-flood-on", action="append", default=[], metavar="TEXT", help="as --stderr-flood-at")
    on.add_argument("--delay-on", action="append", default=[], metavar="TEXT=SECONDS")
    p.add_argument("--delay", type=float, default=0.0, metavar="SECONDS", help="sleep before every reply")
    p.add_argument(
        "--log",
        metavar="PATH",
        help="append every request received, as one compact JSON line, to PATH (for tests); "
        "{pid} in PATH becomes the process id, one log per process",
    )
    args = p.parse_args(argv)
    delays = []
    for spec in args.delay_on:
        text, sep, secs = spec.rpartition("=")
        try:
            if not sep or not text:
                raise ValueError
            delays.append((text, float(secs)))
        except ValueError:
            p.error(f"--delay-on wants TEXT=SECONDS, got {spec!r}")
    args.delay_on = delays
    return args


def load(recordings, scripted=()) -> Replayer:
    seen: set = set()
    transcripts = []

    def add(t) -> None:
        real = t.path.resolve()
        if real not in seen:
            seen.add(real)
            transcripts.append(t)

    versions: set[str | None] = set()
    for path in recordings:
        if not Path(path).exists():
            raise FileNotFoundError(f"--recordings {path}: no such file or folder")
        for t in iter_transcripts(path):
            add(t)
            versions.add(t.version)
    primary = transcripts[0].version if transcripts else None
    for folder in scripted:
        for t in iter_scripted(
            folder, versions={v for v in versions if v} if versions else None, default_version=primary
        ):
            add(t)
    return Replayer(transcripts)


def read_query(stream, join_without_separator: bool) -> str:
    """One request as the REPL's getLines reads it: lines up to and including a blank
    line, each stripped of trailing whitespace on REPLs that join without a separator;
    "" only at EOF before any line."""
    parts: list[str] = []
    while True:
        raw = stream.readline()
        if not raw:
            return "".join(parts)
        line = raw.decode("utf-8", errors="replace")
        if is_blank(line):
            parts.append(line)
            return "".join(parts)
        parts.append(line.rstrip(_LEAN_WS) if join_without_separator else line)


class _Server:
    def __init__(self, replayer: Replayer, args):
        self.replayer = replayer
        self.args = args
        self.join_without_separator = joins_without_separator(replayer.version)
        self.out = sys.stdout.buffer
        self.err = sys.stderr.buffer
        self.served = 0

    def _say(self, text: str) -> None:
        self.err.write(text.encode("utf-8"))
        self.err.flush()

    def _die(self, message: str, code: int) -> None:
        self._say(f"uncaught exception: {json.dumps({'message': message}, ensure_ascii=False)}\n")
        sys.stdout.flush()
        os._exit(code)

    def _log(self, query: str) -> None:
        # Before any fault, so a request that hangs or crashes is logged too.
        try:
            line = json.dumps(decode_request(query), ensure_ascii=False, separators=(",", ":"))
        except ValueError:
            line = json.dumps({"unparsable": query}, ensure_ascii=False)
        with open(self.args.log.replace("{pid}", str(os.getpid())), "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def _hang(self) -> None:
        while True:
            time.sleep(3600)

    def serve(self) -> int:
        args = self.args
        while True:
            query = read_query(sys.stdin.buffer, self.join_without_separator)
            if query == "":
                return 0
            if is_comment(query):
                continue
            self.served += 1
            n = self.served
            if args.log:
                self._log(query)
            if n in args.kill_at or any(t in query for t in args.kill_on):
                os.kill(os.getpid(), signal.SIGKILL)
            if n in args.exit_at:
                self._say(f"stand-in REPL: exiting with code {args.exit_code} at request {n} (--exit-at)\n")
                os._exit(args.exit_code)
            crash = next((t for t in args.crash_on if t in query), None)
            if crash is not None:
                self._die(f"stand-in REPL: crash on request {n} containing {crash!r} (--crash-on)", args.exit_code)
            if n in args.hang_at or any(t in query for t in args.hang_on):
                self._hang()
            try:
                obj = decode_request(query)
            except (ValueError, RecursionError) as exc:
                self._die(f"Could not parse JSON:\n{exc}", 1)
            try:
                classify(obj)
                if n in args.garbage_at or any(t in query for t in args.garbage_on):
                    text = GARBAGE
                elif n in args.huge_at or any(t in query for t in args.huge_on):
                    text = self._huge(obj.get("env"))
                else:
                    text = self.replayer.respond(obj)
            except ShapeError as exc:
                self._die(str(exc), 1)
            if n in args.stderr_flood_at or any(t in query for t in args.stderr_flood_on):
                self._flood_stderr()
            delay = args.delay + sum(secs for t, secs in args.delay_on if t in query)
            if delay > 0:
                time.sleep(delay)
            self.out.write((text + "\n\n").encode("utf-8"))
            self.out.flush()

    def _huge(self, env_before: int | None) -> str:
        # A valid command answer: one info message, as a huge #eval output would give.
        size = int(self.args.huge_mb * 1024 * 1024)
        line = "stand-in REPL huge output (--huge-at) " + "x" * 984 + "\\n"
        data = line * (size // len(line) + 1)
        env = self.replayer.new_env_without_recording(like=env_before if isinstance(env_before, int) else None)
        return (
            '{"messages":\n [{"severity": "info",\n   "pos": {"line": 1, "column": 0},\n'
            '   "endPos": {"line": 1, "column": 5},\n   "data":\n   "' + data + '"}],\n'
            f' "env": {env}}}'
        )

    def _flood_stderr(self) -> None:
        size = int(self.args.stderr_mb * 1024 * 1024)
        line = b"stand-in REPL stderr flood (--stderr-flood-at) " + b"." * 79 + b"\n"
        chunk = line * (65536 // len(line) + 1)
        written = 0
        while written < size:
            self.err.write(chunk)
            written += len(chunk)
        self.err.flush()


def main(argv: list[str] | None = None) -> int:
    # Behave like a native program: Ctrl-C and a closed stdout kill it quietly.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    argv = list(sys.argv[1:] if argv is None else argv) + shlex.split(os.environ.get(ENV_ARGS, ""))
    args = _parse_args(argv)
    try:
        replayer = load(args.recordings, args.scripted)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"lean-repl-standin: cannot load recordings: {exc}\n")
        return 2
    return _Server(replayer, args).serve()


if __name__ == "__main__":
    sys.exit(main())
