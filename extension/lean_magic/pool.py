"""Check or verify many independent pieces of Lean in parallel REPL processes.

    from lean_magic.pool import LeanPool, check_many, verify_many
    results = check_many(codes, workers=4)                    # list[CellResult], input order
    verdicts = verify_many(statement, candidates, workers=4)  # list[VerificationResult]

    with LeanPool(config, workers=4, recycle_after=200, max_rss_mb=8000) as pool:
        pool.check_many(codes); pool.verify_many(pairs)

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
- Results come back in input order. A tqdm progress bar shows progress (``progress=False``
  hides it). Ctrl-C kills the REPLs and re-raises.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import AbstractSet as Set, Any, Callable, Iterable, Sequence

from lean_kernel.config import ReplConfig, per_call_timeout
from lean_kernel.results import CellResult
from lean_kernel.session import LeanSession, header_key, split_header

from .verify import StatementCache, VerificationResult, ToolMessage, verify

__all__ = ["LeanPool", "ItemRecord", "WorkerStats", "check_many", "verify_many", "default_workers"]

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
            session.process.cancel()


class LeanPool:
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
                worker.ensure_session().process.start()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=boot, args=(w,), daemon=True) for w in self._workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def check_many(self, codes: Iterable[str], *, timeout: float | None = None, progress: bool = True) -> list[CellResult]:
        """Run each code on its own (its imports, else a fresh env); results in input order."""
        codes = _as_texts(codes, "codes")
        timeout = per_call_timeout(timeout)  # a bad value fails here, not once per item

        def run(session: LeanSession, code: str) -> CellResult:
            return session.run_cell(code, env=None, commit=False, timeout=timeout)

        def failed(code: str, exc: BaseException) -> CellResult:
            return CellResult(code=code, failure=f"internal error: {exc!r}", failure_kind=type(exc).__name__)

        return self.map(run, codes, headers=[_header_of(c) for c in codes], on_error=failed, progress=progress, desc="lean check")

    def verify_many(
        self,
        pairs: Iterable[tuple[str, str]],
        *,
        progress: bool = True,
        **verify_options: Any,
    ) -> list[VerificationResult]:
        """``verify`` each (formal_statement, candidate) pair; results in input order."""
        if verify_options.get("timeout") is not None:
            verify_options["timeout"] = per_call_timeout(verify_options["timeout"])
        items = [tuple(p) for p in pairs]
        for i, p in enumerate(items):
            if len(p) != 2 or not all(isinstance(x, str) for x in p):
                raise TypeError(f"item {i} must be a (formal_statement, candidate) pair of str, not {p!r}")
        cache = self.statement_cache

        def run(session: LeanSession, pair: tuple[str, str]) -> VerificationResult:
            return verify(session, pair[0], pair[1], cache=cache, **verify_options)

        def failed(pair: tuple[str, str], exc: BaseException) -> VerificationResult:
            return VerificationResult(okay=False, tool_messages=[ToolMessage("internal_error", f"{type(exc).__name__}: {exc}")])

        headers = [_header_of(c) or _header_of(s) for s, c in items]
        return self.map(run, items, headers=headers, on_error=failed, progress=progress, desc="lean verify")

    def map(
        self,
        fn: Callable[[LeanSession, Any], Any],
        items: Sequence[Any],
        *,
        headers: Sequence[str] | None = None,
        on_error: Callable[[Any, BaseException], Any] | None = None,
        progress: bool = True,
        desc: str = "lean",
    ) -> list[Any]:
        """``fn(session, item)`` for every item on the pool's workers; results in input
        order. ``headers[i]``: the import header key of item i (routes it to a worker that
        has it). An exception in ``fn`` becomes ``on_error(item, exc)`` (re-raised if None)."""
        with self._run_lock:
            return self._map(fn, list(items), headers, on_error, progress, desc)

    def close(self) -> None:
        for w in self._workers:
            w.close()

    def __enter__(self) -> LeanPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<LeanPool workers={self.workers} recycle_after={self.recycle_after} max_rss_mb={self.max_rss_mb}>"

    # ------------------------------------------------------------------ internals

    def _map(self, fn, items, headers, on_error, progress, desc) -> list[Any]:
        n = len(items)
        keys = list(headers) if headers is not None else [""] * n
        if len(keys) != n:
            raise ValueError(f"headers has {len(keys)} entries for {n} items")
        results: list[Any] = [None] * n
        records: list[ItemRecord | None] = [None] * n
        pending = list(range(n))
        cond = threading.Condition()
        state = {"stop": False, "error": None}
        bar = _progress_bar(n, progress, desc)

        def take(worker: _Worker) -> int | None:
            with cond:
                if state["stop"] or not pending:
                    return None
                return pending.pop(choose(pending, keys, worker.held_headers, self.lookahead))

        def work(worker: _Worker) -> None:
            order = 0
            while True:
                i = take(worker)
                if i is None:
                    return
                session = worker.ensure_session()
                held = bool(keys[i]) and keys[i] in worker.held_headers
                gen_before = session.process.generation
                started = time.monotonic()
                try:
                    results[i] = fn(session, items[i])
                except BaseException as exc:  # noqa: BLE001 - one item's bug must not stop the run
                    if on_error is None or isinstance(exc, KeyboardInterrupt):
                        with cond:
                            state["stop"] = True
                            state["error"] = exc
                        return
                    results[i] = on_error(items[i], exc)
                gen_after = session.process.generation
                records[i] = ItemRecord(
                    i, worker.index, order, gen_before, gen_after, time.monotonic() - started, keys[i], held,
                    session.process.pid,
                )
                order += 1
                self._after_item(worker, gen_before, gen_after)
                with cond:
                    bar.update(1)

        threads = [
            threading.Thread(target=work, args=(w,), name=f"lean-pool-{w.index}", daemon=True)
            for w in self._workers[: max(1, min(self.workers, n))]
        ]
        try:
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(0.1)
        except KeyboardInterrupt:
            with cond:
                state["stop"] = True
            for w in self._workers:
                w.cancel()
            for t in threads:
                t.join(5)
            raise
        finally:
            bar.close()
        if state["error"] is not None:
            raise state["error"]  # type: ignore[misc]
        self.records = [r for r in records if r is not None]
        return results

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
            rss = worker.session.process.rss_bytes()
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


def _header_of(code: str) -> str:
    return header_key(split_header(code)[0])


def _as_texts(values: Iterable[str], what: str) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"{what} must be a list of Lean texts, not one str (wrap it: [code])")
    out = list(values)
    for i, v in enumerate(out):
        if not isinstance(v, str):
            raise TypeError(f"{what}[{i}] must be Lean source text (str), not {type(v).__name__}")
    return out


# --------------------------------------------------------------------------- one-shot helpers


def check_many(
    codes: Iterable[str],
    workers: int | None = None,
    timeout: float | None = None,
    config: ReplConfig | None = None,
    progress: bool = True,
    **pool_options: Any,
) -> list[CellResult]:
    """Run many independent pieces of Lean on ``workers`` REPLs; results in input order.
    ``pool_options``: LeanPool's ``recycle_after``, ``max_rss_mb``, ``memory_limit_mb``."""
    codes = _as_texts(codes, "codes")
    with LeanPool(config, workers, **pool_options) as pool:
        return pool.check_many(codes, timeout=timeout, progress=progress)


_POOL_OPTIONS = ("recycle_after", "max_rss_mb", "memory_limit_mb", "lookahead", "session_factory")


def verify_many(
    formal_statement: str | Sequence[str] | Sequence[tuple[str, str]],
    candidates: Iterable[str] | None = None,
    *,
    workers: int | None = None,
    timeout: float | None = None,
    config: ReplConfig | None = None,
    progress: bool = True,
    **options: Any,
) -> list[VerificationResult]:
    """Verify many candidates in parallel; results in input order.

    ``verify_many(statement, candidates)``: one statement for all; ``verify_many(statements,
    candidates)``: one each; ``verify_many(pairs)``: (statement, candidate) pairs.
    ``options``: verify's (permitted_sorries, allowed_axioms, allow_native_decide) and
    LeanPool's (recycle_after, max_rss_mb, memory_limit_mb). ``timeout``: per item."""
    if candidates is None:
        pairs = [tuple(p) for p in formal_statement]  # type: ignore[union-attr]
    else:
        cands = _as_texts(candidates, "candidates")
        if isinstance(formal_statement, str):
            pairs = [(formal_statement, c) for c in cands]
        else:
            stmts = _as_texts(formal_statement, "formal_statement")
            if len(stmts) != len(cands):
                raise ValueError(f"{len(stmts)} statements for {len(cands)} candidates: pass one statement, or one per candidate")
            pairs = list(zip(stmts, cands))
    pool_options = {k: options.pop(k) for k in list(options) if k in _POOL_OPTIONS}
    with LeanPool(config, workers, **pool_options) as pool:
        return pool.verify_many(pairs, progress=progress, timeout=timeout, **options)  # type: ignore[arg-type]
