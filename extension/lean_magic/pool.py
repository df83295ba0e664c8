"""Check or verify many independent pieces of Lean in parallel REPL processes.

    from lean_magic.pool import LeanPool, check_many, verify_many
    results = check_many(codes, workers=4)                    # BatchResults of CellResult, input order
    verdicts = verify_many(statement, candidates, workers=4)  # BatchResults of VerificationResult
    verdicts.summary()                                        # pass rate, reasons, p50/p95 times...

    with LeanPool(config, workers=4, recycle_after=200, max_rss_mb=8000) as pool:
        pool.check_many(codes); pool.verify_many(pairs)
        for index, result in pool.check_iter(codes): ...      # as items finish

    verify_many(statement, candidates, workers=16, backend="ray", address="auto")  # cluster.py

How it works:
- One worker thread per REPL process, each with its own LeanSession. Items are taken from
  one shared queue; an idle worker takes the first item (within ``lookahead``) whose import
  header it has already imported, else the oldest item. So ``import Mathlib`` is paid
  once per process, not once per item.
- Every item runs on its own: on its header's env (imports cached by the session), or on a
  fresh env without imports. Nothing is committed, so items never see each other.
- A crash or a timeout fails only its own item (its result says which fault). The process
  layer has already started a new process; the worker goes on with it.
- A process is retired and replaced after ``recycle_after`` items, and after any item
  that leaves it above ``max_rss_mb`` of resident memory (the REPL never frees envs).
  ``memory_limit_mb`` (or the config's) is a hard RLIMIT_AS set by the process layer.
- Results come back in input order as a ``BatchResults`` (a list with ``summary()``, an
  HTML view, ``to_pandas()``, ``to_jsonl()``), or as they finish from ``*_iter``. A tqdm
  progress bar shows progress and the pass rate so far (``progress=False`` hides it).
  Ctrl-C kills the REPLs and re-raises.
- What an item is (check, verify, your function) is a ``Job``: how to find its header,
  run it on a session and turn an exception into a failed result. The Ray pool
  (``cluster.RayPool``) ships the same jobs to its actors, each running a ``LeanPool``,
  and shares this module's front (``_BatchRunner``), so both return the same collection.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence, Set
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lean_kernel.config import ReplConfig, per_call_timeout
from lean_kernel.results import CellResult
from lean_kernel.session import FRESH, LeanSession, header_key, split_header

from .batch_results import BatchResults, is_passed
from .verify import StatementCache, ToolMessage, VerificationResult, verify

__all__ = [
    "BACKENDS",
    "BatchResults",
    "CheckJob",
    "FunctionJob",
    "ItemRecord",
    "Job",
    "LeanPool",
    "VerifyJob",
    "WorkerLost",
    "WorkerStats",
    "check_many",
    "default_workers",
    "open_pool",
    "verify_many",
]

log = logging.getLogger(__name__)

BACKENDS = ("local", "ray")

DEFAULT_RECYCLE_AFTER = 500
DEFAULT_LOOKAHEAD = 64


def default_workers() -> int:
    """Up to 4, never more than the CPUs: each REPL is one busy core when it works."""
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class ItemRecord:
    """Where and how one item ran (``LeanPool.records`` after a run)."""

    index: int  # position in the input
    worker: int
    order: int  # the worker's n-th item in this run, from 0
    generation_before: int  # process generation when the item started (0: not started yet)
    generation_after: int
    elapsed: float
    header: str
    header_held: bool  # the worker's process had imported this header already
    pid: int | None  # the REPL process that answered (after a fault: its replacement)
    attempt: int = 1  # > 1: run again after the worker of an earlier attempt was lost (Ray)
    node: str | None = None  # the Ray node that ran it (None: this machine, local pool)


@dataclass
class WorkerStats:
    index: int
    items: int = 0  # items run, over the pool's life
    restarts: int = 0  # faults after which the process layer started a new process
    recycles: int = 0  # processes retired on purpose (recycle_after, max_rss_mb)
    headers: set[str] = field(default_factory=set)  # imports its current process holds (at stats())


class _Worker:
    def __init__(self, index: int, make_session: Callable[[], LeanSession]) -> None:
        self.index = index
        self.make_session = make_session
        self.session: LeanSession | None = None
        self.stats = WorkerStats(index)
        self.uses = 0  # items on the current process

    def ensure_session(self) -> LeanSession:
        if self.session is None:
            self.session = self.make_session()
            self.uses = 0
        return self.session

    @property
    def held_headers(self) -> frozenset[str]:
        """Import headers the worker's current process has loaded (the session knows)."""
        return self.session.cached_headers if self.session is not None else frozenset()

    def retire(self) -> None:
        if self.session is not None:
            try:
                self.session.close()
            finally:
                self.session = None
                self.stats.recycles += 1

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def cancel(self) -> None:
        session = self.session
        if session is not None:
            session.cancel()


class WorkerLost(Exception):
    """The worker running an item was lost (a Ray actor or its node died) too many times."""


class Job:
    """What one kind of item is: how to find its import header, run it on a worker's
    session, and turn an exception into a failed result. Jobs travel to Ray actors, so
    they are plain picklable objects; ``failed`` may raise to stop the whole run."""

    desc = "lean"

    def header(self, item: Any) -> str:
        return ""

    def text(self, item: Any) -> str:
        """The item's Lean text (labels in summaries)."""
        return item if isinstance(item, str) else ""

    def run(self, pool: LeanPool, session: LeanSession, item: Any) -> Any:
        raise NotImplementedError

    def failed(self, item: Any, exc: BaseException) -> Any:
        raise exc


@dataclass(frozen=True)
class CheckJob(Job):
    """Run a piece of Lean on its own (its imports, else a fresh env); a ``CellResult``."""

    timeout: float | None = None
    desc = "lean check"

    def __post_init__(self) -> None:
        # A bad value fails here, once, not once per item (config.parse_timeout).
        object.__setattr__(self, "timeout", per_call_timeout(self.timeout))

    def header(self, code: str) -> str:
        return _header_of(code)

    def run(self, pool: LeanPool, session: LeanSession, code: str) -> CellResult:
        return session.run_cell(code, env=FRESH, commit=False, timeout=self.timeout)

    def failed(self, code: str, exc: BaseException) -> CellResult:
        if isinstance(exc, WorkerLost):
            return CellResult(code=code, failure=str(exc), failure_kind="WorkerLost")
        return CellResult(code=code, failure=f"internal error: {exc!r}", failure_kind=type(exc).__name__)


@dataclass(frozen=True)
class VerifyJob(Job):
    """``verify`` a (formal_statement, candidate) pair; a ``VerificationResult``.
    ``options``: verify's keyword arguments (timeout, permitted_sorries...)."""

    options: dict = field(default_factory=dict)
    desc = "lean verify"

    def __post_init__(self) -> None:
        if self.options.get("timeout") is not None:
            self.options["timeout"] = per_call_timeout(self.options["timeout"])

    def header(self, pair: tuple[str, str]) -> str:
        return _header_of(pair[1]) or _header_of(pair[0])

    def text(self, pair: tuple[str, str]) -> str:
        return pair[1]

    def run(self, pool: LeanPool, session: LeanSession, pair: tuple[str, str]) -> VerificationResult:
        return verify(session, pair[0], pair[1], cache=pool.statement_cache, **self.options)

    def failed(self, pair: tuple[str, str], exc: BaseException) -> VerificationResult:
        if isinstance(exc, WorkerLost):
            return VerificationResult(okay=False, tool_messages=[ToolMessage("repl_failure", str(exc))])
        return VerificationResult(
            okay=False, tool_messages=[ToolMessage("internal_error", f"{type(exc).__name__}: {exc}")]
        )


@dataclass(frozen=True)
class FunctionJob(Job):
    """``fn(session, item)``; an exception becomes ``on_error(item, exc)`` (None: it
    stops the run and is raised)."""

    fn: Callable[[LeanSession, Any], Any]
    on_error: Callable[[Any, BaseException], Any] | None = None
    desc: str = "lean"

    def run(self, pool: LeanPool, session: LeanSession, item: Any) -> Any:
        return self.fn(session, item)

    def failed(self, item: Any, exc: BaseException) -> Any:
        if self.on_error is None:
            raise exc
        return self.on_error(item, exc)


Done = tuple[int, Any, "ItemRecord"]  # an item's index, its result, its record
_Runner = TypeVar("_Runner", bound="_BatchRunner")


class _BatchRunner:
    """The API the local pool and the Ray pool share. Each engine provides
    ``_iter_run(job, items, keys)``, yielding ``(index, result, record)`` as items finish,
    and a ``_run_lock``; everything the user sees (the collection, the progress bar,
    argument checks) is built here, once."""

    records: list[ItemRecord]
    _run_lock: threading.Lock

    def check_many(self, codes: Iterable[str], *, timeout: float | None = None, progress: bool = True) -> BatchResults:
        """Run each code on its own (its imports, else a fresh env); results in input order."""
        return self.run(CheckJob(timeout), _as_texts(codes, "codes"), progress=progress)

    def verify_many(
        self, pairs: Iterable[tuple[str, str]], *, progress: bool = True, **verify_options: Any
    ) -> BatchResults:
        """``verify`` each (formal_statement, candidate) pair; results in input order."""
        return self.run(VerifyJob(verify_options), _as_pairs(pairs), progress=progress)

    def check_iter(
        self, codes: Iterable[str], *, timeout: float | None = None, progress: bool = False
    ) -> Iterator[tuple[int, CellResult]]:
        """``(index, result)`` of each code as it finishes (completion order)."""
        with closing(self.run_iter(CheckJob(timeout), _as_texts(codes, "codes"), progress=progress)) as done:
            for i, result, _ in done:
                yield i, result

    def verify_iter(
        self, pairs: Iterable[tuple[str, str]], *, progress: bool = False, **verify_options: Any
    ) -> Iterator[tuple[int, VerificationResult]]:
        """``(index, result)`` of each pair as it finishes (completion order)."""
        with closing(self.run_iter(VerifyJob(verify_options), _as_pairs(pairs), progress=progress)) as done:
            for i, result, _ in done:
                yield i, result

    def map(
        self,
        fn: Callable[[LeanSession, Any], Any],
        items: Sequence[Any],
        *,
        headers: Sequence[str] | None = None,
        on_error: Callable[[Any, BaseException], Any] | None = None,
        progress: bool = True,
        desc: str = "lean",
    ) -> BatchResults:
        """``fn(session, item)`` for every item on the pool's workers; results in input
        order. ``headers[i]``: the import header key of item i (routes it to a worker that
        has it). An exception in ``fn`` becomes ``on_error(item, exc)`` (re-raised if None)."""
        return self.run(FunctionJob(fn, on_error, desc), items, headers=headers, progress=progress)

    def run(
        self,
        job: Job,
        items: Iterable[Any],
        *,
        headers: Sequence[str] | None = None,
        progress: bool = True,
        ids: Sequence[str] | None = None,
    ) -> BatchResults:
        """Every item through ``job``; a ``BatchResults`` in input order."""
        items = list(items)
        results: list[Any] = [None] * len(items)
        records: list[ItemRecord | None] = [None] * len(items)
        started = time.monotonic()
        for i, result, record in self.run_iter(job, items, headers=headers, progress=progress):
            results[i] = result
            records[i] = record
        wall = time.monotonic() - started
        self.records = [r for r in records if r is not None]
        return BatchResults(results, records=records, wall_seconds=wall, ids=ids)

    def run_iter(
        self, job: Job, items: Iterable[Any], *, headers: Sequence[str] | None = None, progress: bool = False
    ) -> Generator[Done, None, None]:
        """``(index, result, record)`` of every item as it finishes. Closing the iterator
        early (or Ctrl-C) stops the run: items in flight are cancelled, none is yielded
        twice. One run at a time per pool."""
        items = list(items)
        keys = list(headers) if headers is not None else [job.header(x) for x in items]
        if len(keys) != len(items):
            raise ValueError(f"headers has {len(keys)} entries for {len(items)} items")
        with self._run_lock:
            bar = _Progress(len(items), progress, job.desc)
            running = self._iter_run(job, items, keys)
            try:
                for done in running:
                    bar.add(done[1])
                    yield done
            finally:
                running.close()  # now, not at garbage collection: it cancels what is in flight
                bar.close()

    def _iter_run(self, job: Job, items: list[Any], keys: list[str]) -> Generator[Done, None, None]:
        raise NotImplementedError

    # What each engine provides besides _iter_run; the context manager is shared.
    @property
    def workers(self) -> int:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _Runner) -> _Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LeanPool(_BatchRunner):
    """A pool of REPL processes for independent items. Thread-safe for one run at a time."""

    def __init__(
        self,
        config: ReplConfig | None = None,
        workers: int | None = None,
        *,
        recycle_after: int | None = DEFAULT_RECYCLE_AFTER,
        max_rss_mb: float | None = None,
        memory_limit_mb: int | None = None,
        lookahead: int = DEFAULT_LOOKAHEAD,
        session_factory: Callable[[ReplConfig], LeanSession] | None = None,
    ) -> None:
        if workers is None:
            workers = default_workers()
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ValueError(f"workers must be a whole number >= 1, not {workers!r}")
        if recycle_after is not None and (not isinstance(recycle_after, int) or recycle_after < 1):
            raise ValueError(f"recycle_after must be a whole number >= 1 (or None for never), not {recycle_after!r}")
        if max_rss_mb is not None and max_rss_mb <= 0:
            raise ValueError(f"max_rss_mb must be positive (or None for no check), not {max_rss_mb!r}")
        config = config or ReplConfig.from_env()
        if memory_limit_mb is not None:
            config = config.with_changes(memory_limit_mb=memory_limit_mb)
        self.config = config
        self.recycle_after = recycle_after
        self.max_rss_mb = max_rss_mb
        self.lookahead = max(1, lookahead)
        factory = session_factory or (lambda cfg: LeanSession(cfg))
        self._workers = [_Worker(i, lambda: factory(self.config)) for i in range(workers)]
        self._run_lock = threading.Lock()
        self.records: list[ItemRecord] = []  # of the latest run, in input order
        self.statement_cache = StatementCache()

    # ------------------------------------------------------------------ public

    @property
    def workers(self) -> int:
        return len(self._workers)

    def stats(self) -> list[WorkerStats]:
        for w in self._workers:
            w.stats.headers = set(w.held_headers)
        return [w.stats for w in self._workers]

    def sessions(self) -> list[LeanSession | None]:
        """Each worker's current session (None before its first item)."""
        return [w.session for w in self._workers]

    def start(self) -> None:
        """Start every worker's REPL now, in parallel (else each starts on its first item),
        so start-up is paid before the work, e.g. before timing it. Raises the first
        start failure (ReplNotFound names the fix)."""
        errors: list[BaseException] = []

        def boot(worker: _Worker) -> None:
            try:
                worker.ensure_session().start()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=boot, args=(w,), daemon=True) for w in self._workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def close(self) -> None:
        for w in self._workers:
            w.close()

    def __repr__(self) -> str:
        return f"<LeanPool workers={self.workers} recycle_after={self.recycle_after} max_rss_mb={self.max_rss_mb}>"

    def run_one(self, job: Job, item: Any, header: str = "", index: int = 0, order: int = 0) -> tuple[Any, ItemRecord]:
        """One item on the first worker, in the calling thread (a Ray actor's entry)."""
        return self._run_item(self._workers[0], job, index, item, header, order)

    # ------------------------------------------------------------------ internals

    def _run_item(self, worker: _Worker, job: Job, i: int, item: Any, key: str, order: int) -> tuple[Any, ItemRecord]:
        session = worker.ensure_session()
        held = bool(key) and key in worker.held_headers
        gen_before = session.repl_generation
        started = time.monotonic()
        try:
            result = job.run(self, session, item)
        except Exception as exc:  # one item's bug must not stop the run (unless the job says so)
            log.debug("item %d raised; the job turns it into a failed result", i, exc_info=True)
            result = job.failed(item, exc)
        gen_after = session.repl_generation
        record = ItemRecord(
            i,
            worker.index,
            order,
            gen_before,
            gen_after,
            time.monotonic() - started,
            key,
            held,
            session.repl_pid,
        )
        self._after_item(worker, gen_before, gen_after)
        return result, record

    def _iter_run(self, job: Job, items: list[Any], keys: list[str]) -> Generator[Done, None, None]:
        pending = list(range(len(items)))
        lock = threading.Lock()
        stop = threading.Event()
        finished: queue.Queue = queue.Queue()  # (i, result, record), _Raised(exc) or _WORKER_DONE

        def take(worker: _Worker) -> int | None:
            with lock:
                if stop.is_set() or not pending:
                    return None
                return pending.pop(choose(pending, keys, worker.held_headers, self.lookahead))

        def work(worker: _Worker) -> None:
            order = 0
            try:
                while (i := take(worker)) is not None:
                    result, record = self._run_item(worker, job, i, items[i], keys[i], order)
                    finished.put((i, result, record))
                    order += 1
            except BaseException as exc:
                stop.set()
                finished.put(_Raised(exc))
            finally:
                finished.put(_WORKER_DONE)

        threads = [
            threading.Thread(target=work, args=(w,), name=f"lean-pool-{w.index}", daemon=True)
            for w in self._workers[: max(1, min(self.workers, len(items)))]
        ]
        running = len(threads)
        failed = False
        try:
            for t in threads:
                t.start()
            while running:
                got = finished.get()
                if got is _WORKER_DONE:
                    running -= 1
                elif isinstance(got, _Raised):
                    failed = True
                    raise got.exc
                else:
                    yield got
        finally:
            stop.set()
            if running and not failed:
                # Ctrl-C, or the consumer stopped early: do not wait for the items in flight.
                for w in self._workers:
                    w.cancel()
            for t in threads:
                t.join(5 if running and not failed else None)

    def _after_item(self, worker: _Worker, gen_before: int, gen_after: int) -> None:
        stats = worker.stats
        stats.items += 1
        worker.uses += 1
        faults = max(0, gen_after - max(gen_before, 1))  # the first start is no fault
        stats.restarts += faults
        if self.recycle_after is not None and worker.uses >= self.recycle_after:
            worker.retire()
            return
        if self.max_rss_mb is not None and worker.session is not None:
            rss = worker.session.rss_bytes()
            if rss is not None and rss > self.max_rss_mb * 1024 * 1024:
                worker.retire()


def choose(pending: Sequence[int], keys: Sequence[str], held: Set[str], lookahead: int) -> int:
    """Position in ``pending`` of the item a worker holding imports ``held`` takes next:
    the first one (within ``lookahead``) whose header it holds, else the oldest."""
    for k, i in enumerate(pending[:lookahead]):
        if keys[i] and keys[i] in held:
            return k
    return 0


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool, desc: str):
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is a dependency; a broken install must not stop the work
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="item")


class _Progress:
    """The tqdm bar of a run, with the pass rate so far ("pass 41/50 82%") after each
    check or verification result."""

    def __init__(self, total: int, enabled: bool, desc: str) -> None:
        self.bar = _progress_bar(total, enabled, desc)
        self.judged = 0
        self.passed = 0

    def add(self, result: Any) -> None:
        verdict = is_passed(result)
        if verdict is not None:
            self.judged += 1
            self.passed += verdict
            self.bar.set_postfix_str(
                f"pass {self.passed}/{self.judged} {100 * self.passed / self.judged:.0f}%", refresh=False
            )
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class _Raised:
    """An exception a worker thread hands to the consumer of ``_iter_run``."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_WORKER_DONE = object()


def _header_of(code: str) -> str:
    return header_key(split_header(code)[0])


def _as_texts(values: Iterable[object], what: str) -> list[str]:
    # Takes any iterable: users pass what they have, and the check below says what is wrong.
    if isinstance(values, str):
        raise TypeError(f"{what} must be a list of Lean texts, not one str (wrap it: [code])")
    out = []
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise TypeError(f"{what}[{i}] must be Lean source text (str), not {type(v).__name__}")
        out.append(v)
    return out


def _as_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = [tuple(p) for p in pairs]
    for i, p in enumerate(items):
        if len(p) != 2 or not all(isinstance(x, str) for x in p):
            raise TypeError(f"item {i} must be a (formal_statement, candidate) pair of str, not {p!r}")
    return items  # type: ignore[return-value]


# --------------------------------------------------------------------------- one-shot helpers


def open_pool(
    config: ReplConfig | None = None,
    workers: int | None = None,
    *,
    backend: str = "local",
    address: str | None = None,
    **pool_options: Any,
) -> _BatchRunner:
    """A ``LeanPool`` (``backend="local"``), or a ``cluster.RayPool`` on the Ray cluster at
    ``address`` (``backend="ray"``; None: a running local cluster, else a new one).
    Close it (or use ``with``) when done."""
    if backend == "local":
        if address is not None:
            raise ValueError("address= is for backend='ray'; the local pool runs on this machine")
        ray_only = sorted(set(pool_options) & set(RAY_ONLY_OPTIONS))
        if ray_only:
            raise ValueError(f"{', '.join(ray_only)}: only for backend='ray'")
        return LeanPool(config, workers, **pool_options)
    if backend == "ray":
        from .cluster import RayPool

        return RayPool(config, workers, address=address, **pool_options)
    raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {backend!r}")


def check_many(
    codes: Iterable[str],
    workers: int | None = None,
    timeout: float | None = None,
    config: ReplConfig | None = None,
    progress: bool = True,
    *,
    backend: str = "local",
    address: str | None = None,
    **pool_options: Any,
) -> BatchResults:
    """Run many independent pieces of Lean on ``workers`` REPLs; results in input order.
    ``pool_options``: LeanPool's ``recycle_after``, ``max_rss_mb``, ``memory_limit_mb``
    (per worker); with ``backend="ray"`` also RayPool's ``max_retries``, ``actor_options``."""
    codes = _as_texts(codes, "codes")
    with open_pool(config, workers, backend=backend, address=address, **pool_options) as pool:
        return pool.check_many(codes, timeout=timeout, progress=progress)


_POOL_OPTIONS = ("recycle_after", "max_rss_mb", "memory_limit_mb", "lookahead", "session_factory")
RAY_ONLY_OPTIONS = ("max_retries", "actor_options", "ray_init")


def verify_many(
    formal_statement: str | Sequence[str] | Sequence[tuple[str, str]],
    candidates: Iterable[str] | None = None,
    *,
    workers: int | None = None,
    timeout: float | None = None,
    config: ReplConfig | None = None,
    progress: bool = True,
    backend: str = "local",
    address: str | None = None,
    **options: Any,
) -> BatchResults:
    """Verify many candidates in parallel; results in input order.

    ``verify_many(statement, candidates)``: one statement for all; ``verify_many(statements,
    candidates)``: one each; ``verify_many(pairs)``: (statement, candidate) pairs.
    ``options``: verify's (permitted_sorries, allowed_axioms, allow_native_decide) and
    LeanPool's (recycle_after, max_rss_mb, memory_limit_mb). ``timeout``: per item.
    ``backend="ray"``: on a Ray cluster (see ``open_pool``)."""
    if candidates is None:
        pairs = [tuple(p) for p in formal_statement]
    else:
        cands = _as_texts(candidates, "candidates")
        if isinstance(formal_statement, str):
            pairs = [(formal_statement, c) for c in cands]
        else:
            stmts = _as_texts(formal_statement, "formal_statement")
            if len(stmts) != len(cands):
                raise ValueError(
                    f"{len(stmts)} statements for {len(cands)} candidates: pass one statement, or one per candidate"
                )
            pairs = list(zip(stmts, cands))
    pool_options = {k: options.pop(k) for k in list(options) if k in _POOL_OPTIONS + RAY_ONLY_OPTIONS}
    with open_pool(config, workers, backend=backend, address=address, **pool_options) as pool:
        return pool.verify_many(pairs, progress=progress, timeout=timeout, **options)  # type: ignore[arg-type]
