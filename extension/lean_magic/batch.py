"""``lean-check``: check or verify a JSONL file of items, streaming JSONL results.

    lean-check items.jsonl -o results.jsonl --workers 8 --timeout 120
    lean-check items.jsonl -o results.jsonl --resume          # after Ctrl-C or a crash
    lean-check items.jsonl -o results.jsonl --ray auto        # on a Ray cluster (ray start --head)
    python -m lean_magic.batch ...                            # the same command

Input, one JSON object per line: ``{"id": ..., "code": ...}`` to check a piece of Lean, or
``{"id": ..., "statement": ..., "candidate": ...}`` to verify a candidate proof (both kinds
may be mixed). ``id`` is any JSON value, unique in the file (without one, the line number).

Output, one line per item as it finishes (completion order): ``id``, ``status``,
``passed``, ``reasons``, ``seconds``, then the result's own ``to_dict()`` fields (for a
verification, its receipt among them). Each line is written whole and flushed, and
Ctrl-C (or SIGTERM) stops between two lines, so the file is valid JSONL after any stop;
``--resume`` skips the ids already there (and drops a torn last line a kill may leave).
At the end, a summary goes to stderr: counts by status and reason, pass rate, p50/p95
time per item, throughput. Exit status: 0 done, 1 could not start, 2 bad input or
options, 130 interrupted.

The REPL comes from the environment, as everywhere (LEAN_REPL_PATH, LEAN_PROJECT...).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lean_kernel.config import ReplConfig, TimeoutValueError, per_call_timeout
from lean_kernel.results import CellResult
from lean_kernel.session import LeanSession
from lean_kernel.summary import ItemOutcome, summarize

from .batch_results import item_line, outcome_of
from .pool import CheckJob, Job, LeanPool, VerifyJob, _BatchRunner, open_pool
from .verify import VerificationResult

__all__ = ["BatchItem", "BatchJob", "InputError", "main", "read_done_ids", "read_items"]

EXIT_OK, EXIT_START, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class InputError(ValueError):
    """A bad input or output file, with the line at fault."""


@dataclass(frozen=True)
class BatchItem:
    id: Any
    code: str | None = None  # a check
    statement: str | None = None  # or a verification
    candidate: str | None = None

    @property
    def is_verify(self) -> bool:
        return self.statement is not None


@dataclass(frozen=True)
class BatchJob(Job):
    """Checks and verifications in one run (items of both kinds may be mixed)."""

    timeout: float | None = None
    verify_options: dict = field(default_factory=dict)
    desc = "lean-check"

    def _job(self, item: BatchItem) -> Job:
        if item.is_verify:
            return VerifyJob({"timeout": self.timeout, **self.verify_options})
        return CheckJob(self.timeout)

    def _payload(self, item: BatchItem) -> Any:
        return (item.statement, item.candidate) if item.is_verify else item.code

    def header(self, item: BatchItem) -> str:
        return self._job(item).header(self._payload(item))

    def text(self, item: BatchItem) -> str:
        return (item.candidate if item.is_verify else item.code) or ""

    def run(self, pool: LeanPool, session: LeanSession, item: BatchItem) -> CellResult | VerificationResult:
        return self._job(item).run(pool, session, self._payload(item))

    def failed(self, item: BatchItem, exc: BaseException) -> CellResult | VerificationResult:
        return self._job(item).failed(self._payload(item), exc)


# --------------------------------------------------------------------------- files


def _id_key(value: Any) -> str:
    # 1 and "1" are different ids; JSON text tells them apart.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def read_items(lines: TextIO, name: str) -> list[BatchItem]:
    items: list[BatchItem] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}:{n}: not JSON ({exc.msg}); each line must be one JSON object") from None
        if not isinstance(obj, dict):
            raise InputError(f"{name}:{n}: a JSON object is needed, not {type(obj).__name__}")
        ident = obj.get("id", n)
        if isinstance(ident, (dict, list)):
            raise InputError(f"{name}:{n}: id must be a string or a number")
        if "code" in obj and ("statement" in obj or "candidate" in obj):
            raise InputError(f"{name}:{n}: give either code (check) or statement and candidate (verify), not both")
        if "code" in obj:
            fields = {"code": obj["code"]}
        elif "statement" in obj and "candidate" in obj:
            fields = {"statement": obj["statement"], "candidate": obj["candidate"]}
        else:
            raise InputError(f'{name}:{n}: needs "code" (to check) or "statement" and "candidate" (to verify)')
        bad = [k for k, v in fields.items() if not isinstance(v, str)]
        if bad:
            raise InputError(f"{name}:{n}: {', '.join(bad)} must be Lean source text (a JSON string)")
        key = _id_key(ident)
        if key in seen:
            raise InputError(
                f"{name}:{n}: id {key} is also on line {seen[key]}; ids must be unique (--resume relies on them)"
            )
        seen[key] = n
        items.append(BatchItem(ident, **fields))
    return items


def read_done_ids(path: Path) -> tuple[set[str], int]:
    """Ids already in an output file, and how many bytes of it are whole lines. A last
    line cut short (the process was killed mid-write) is not counted; any other bad line
    is an error: the file is not ours, or was edited."""
    done: set[str] = set()
    good = 0
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    n = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        n += 1
        if end < 0:
            break  # torn last line: dropped
        raw = data[pos:end]
        pos = end + 1
        if raw.strip():
            try:
                obj = json.loads(raw)
                done.add(_id_key(obj["id"]))
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{path}:{n}: not a result line of lean-check; refusing to append to it") from None
        good = pos
    return done, good


class _StopSignals:
    """SIGINT / SIGTERM raise KeyboardInterrupt, except while a line is being written:
    then they wait until the line is out, so no line is ever torn by Ctrl-C."""

    def __init__(self) -> None:
        self.writing = False
        self.pending = False
        self.saved: dict[int, Any] = {}

    def _handler(self, signum, frame) -> None:
        if self.writing:
            self.pending = True
        else:
            raise KeyboardInterrupt

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.saved[sig] = signal.signal(sig, self._handler)

    def restore(self) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)

    def write(self, out: TextIO, text: str) -> None:
        self.writing = True
        try:
            out.write(text)
            out.flush()
        finally:
            self.writing = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


# --------------------------------------------------------------------------- command


def _seconds(text: str) -> float:
    """--timeout, read as everywhere else (config.parse_timeout); argparse names the flag."""
    try:
        return per_call_timeout(text)  # type: ignore[return-value]
    except TimeoutValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lean-check",
        description="Check or verify a JSONL file of Lean items in parallel REPLs (locally or on Ray); "
        "results stream out as JSONL.",
        epilog='Input lines: {"id": ..., "code": ...} or {"id": ..., "statement": ..., "candidate": ...}.',
    )
    p.add_argument("input", help="JSONL file of items ('-' for stdin)")
    p.add_argument("-o", "--output", help="JSONL file for the results (default: stdout)")
    p.add_argument("--resume", action="store_true", help="skip the ids already in --output and append the rest")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    p.add_argument(
        "--workers", type=int, help="REPL processes (default: up to 4 locally; with --ray, the cluster's CPUs)"
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        help="seconds per item (a verification's whole budget; 0 or off: no limit); default: LEAN_TIMEOUT",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run on Ray: 'auto' (a cluster started with `ray start`), ray://HOST:PORT, or nothing for "
        'ray.init()\'s default (needs pip install "lean-kernel[ray]")',
    )
    p.add_argument(
        "--max-retries", type=int, help="with --ray: times an item is retried after its worker is lost (default 2)"
    )
    p.add_argument("--recycle-after", type=int, help="replace a REPL after this many items (default 500)")
    p.add_argument("--max-rss-mb", type=float, help="replace a REPL whose memory exceeds this after an item")
    p.add_argument("--memory-limit-mb", type=int, help="hard address-space limit per REPL (RLIMIT_AS)")
    p.add_argument(
        "--permitted-sorries",
        default="",
        metavar="NAMES",
        help="verify: comma-separated declarations that may use sorry",
    )
    p.add_argument("--allow-native-decide", action="store_true", help="verify: accept native_decide's axioms")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    return p


def _pool_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name in ("recycle_after", "max_rss_mb", "memory_limit_mb", "max_retries"):
        value = getattr(args, name)
        if value is not None:
            options[name] = value
    if args.ray is not None:
        options["backend"] = "ray"
        options["address"] = args.ray or None
    elif "max_retries" in options:
        raise InputError("--max-retries is for --ray (the local pool has no workers to lose)")
    return options


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    say = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        items = _read_input(args.input)
        options = _pool_options(args)
        out_path = Path(args.output) if args.output else None
        done = _ids_done(args, out_path, say)
    except (InputError, OSError) as exc:
        print(f"lean-check: {exc}", file=sys.stderr)
        return EXIT_USAGE

    todo = [it for it in items if _id_key(it.id) not in done]
    skipped = len(items) - len(todo)
    if skipped:
        say(f"lean-check: {skipped} of {len(items)} ids already in {out_path}, {len(todo)} to go")
    if not todo:
        say("lean-check: nothing to do")
        return EXIT_OK

    verify_options = {
        "permitted_sorries": [s for s in args.permitted_sorries.split(",") if s.strip()],
        "allow_native_decide": args.allow_native_decide,
    }
    job = BatchJob(args.timeout, verify_options)
    backend = options.pop("backend", "local")
    started = time.monotonic()
    pool = _start_pool(args.workers, backend, options)
    if isinstance(pool, int):
        return pool  # the exit code: it could not start, and said why
    startup = time.monotonic() - started

    outcomes, interrupted, wall = _run(pool, job, todo, out_path, append=args.resume, progress=not args.quiet)
    summary = summarize(outcomes, wall)
    where = f" in {out_path}" if out_path else ""
    summary.notes.append(("start-up", f"{startup:.2f} s ({backend}, {pool.workers} workers)"))
    if skipped:
        summary.notes.append(("skipped", f"{skipped} ids already{where}"))
    say(summary.as_text())
    if interrupted:
        left = len(todo) - len(outcomes)
        say(
            f"lean-check: interrupted: {len(outcomes)} results written{where}, {left} left"
            + ("; run again with --resume to finish" if out_path else "")
        )
        return EXIT_INTERRUPTED
    return EXIT_OK


def _read_input(name: str) -> list[BatchItem]:
    if name == "-":
        return read_items(sys.stdin, "<stdin>")
    with open(name, encoding="utf-8") as f:
        return read_items(f, name)


def _ids_done(args: argparse.Namespace, out_path: Path | None, say: Callable[[str], None]) -> set[str]:
    """The ids ``--resume`` skips (their results are in the output already); checks that
    an existing output is meant to be continued or replaced."""
    if args.resume and out_path is None:
        raise InputError("--resume needs --output (the file to continue)")
    if out_path is None or not out_path.exists() or not out_path.stat().st_size:
        return set()
    if not args.resume:
        if not args.overwrite:
            raise InputError(f"{out_path} exists: pass --resume to continue it, or --overwrite to replace it")
        return set()
    done, good = read_done_ids(out_path)
    if good < out_path.stat().st_size:
        say(f"lean-check: dropping a torn last line of {out_path} (the run before was killed mid-write)")
        os.truncate(out_path, good)
    return done


def _start_pool(workers: int | None, backend: str, options: dict[str, Any]) -> _BatchRunner | int:
    """A started pool, or the exit code after saying why none starts."""
    address = options.pop("address", None)
    pool = None
    try:
        pool = open_pool(ReplConfig.from_env(), workers, backend=backend, address=address, **options)
        pool.start()  # a missing REPL is one clear error, not a failure on every item
    except (Exception, KeyboardInterrupt) as exc:  # ReplNotFound, RayNotInstalled, bad options: each names its fix
        if pool is not None:
            pool.close()
        if isinstance(exc, KeyboardInterrupt):
            print("lean-check: interrupted while starting; nothing was written", file=sys.stderr)
            return EXIT_INTERRUPTED
        print(f"lean-check: cannot start: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ValueError) else EXIT_START
    return pool


def _run(
    pool: _BatchRunner, job: BatchJob, todo: list[BatchItem], out_path: Path | None, *, append: bool, progress: bool
) -> tuple[list[ItemOutcome], bool, float]:
    """Run the items, writing each result line as it comes: (outcomes, interrupted, wall
    seconds). The pool is closed afterwards."""
    stops = _StopSignals()
    stops.install()
    out = open(out_path, "a" if append else "w", encoding="utf-8") if out_path else sys.stdout
    outcomes = []
    interrupted = False
    run_started = time.monotonic()
    try:
        for i, result, record in pool.run_iter(job, todo, progress=progress):
            item = todo[i]
            outcome = outcome_of(result, i, record, id=item.id, text=job.text(item))
            stops.write(out, json.dumps(item_line(result, outcome), ensure_ascii=False) + "\n")
            outcomes.append(dataclasses.replace(outcome, messages=()))  # the summary needs no messages
    except KeyboardInterrupt:
        interrupted = True
    finally:
        wall = time.monotonic() - run_started
        stops.restore()
        if out is not sys.stdout:
            out.close()
        pool.close()
    return outcomes, interrupted, wall


if __name__ == "__main__":
    # Run as `python -m lean_magic.batch`: use the package's module, so jobs pickled for
    # Ray actors name lean_magic.batch, which the actors can import.
    from lean_magic.batch import main as _main

    sys.exit(_main())
