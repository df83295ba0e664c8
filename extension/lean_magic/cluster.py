"""``check_many`` / ``verify_many`` on a Ray cluster: the same API and results as the
local pool, with one REPL per Ray actor, on as many machines as the cluster has.

    pip install "lean-kernel[ray]"
    ray start --head                                   # on each machine: ray start --address=HEAD:6379
    from lean_magic.cluster import RayPool
    with RayPool(config, workers=64, address="auto", max_rss_mb=12000) as pool:
        verdicts = pool.verify_many(pairs)             # BatchResults, input order
        for index, result in pool.verify_iter(pairs):  # or as they finish
            ...

    verify_many(statement, candidates, workers=64, backend="ray", address="auto")  # one shot

Ray does the distributed work: it places the actors on nodes (by ``actor_options``, one
CPU each by default), ships jobs, items and results, detects dead actors and restarts
them (``max_restarts``). This module only decides which actor gets which item, with the
local pool's rule: an actor takes the first pending item (within ``lookahead``) whose
import header it already holds, else the oldest one. So ``import Mathlib`` is paid once
per actor process, and a hot header spreads to every actor that runs out of its own.

- Each actor (``LeanActor``) owns a ``LeanPool`` of one REPL, started with the same
  ``ReplConfig``; ``recycle_after``, ``max_rss_mb`` and ``memory_limit_mb`` apply per
  actor as they do per local worker. A crash, hang or out-of-memory kill of a REPL fails
  only its own item (the actor's pool replaces the process, as locally).
- Each actor has up to ``inflight_per_actor`` items queued (default 2), so it starts the
  next item while the driver receives the last result.
- A lost actor (its process or node died): its unfinished items are run again, each at
  most ``max_retries`` times (then it fails with a ``WorkerLost`` fault), before any new
  item and each alone on an idle actor: one of them may be what killed the actor, and
  must not take an innocent item queued behind it down twice. The lost actor is probed
  until Ray has restarted it (``max_restarts``), or dropped.
- Ctrl-C (or closing an iterator early) tells every actor to drop the run's queued items
  and kill its REPL's request in flight, so the pool is usable again at once.
- Paths in ``ReplConfig`` (the REPL, the project) must exist on every node, and
  ``lean-kernel`` must be installed there (same version): the actors import it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Generator
from typing import Any

from lean_kernel.config import ReplConfig

from .pool import (
    DEFAULT_LOOKAHEAD,
    DEFAULT_RECYCLE_AFTER,
    Done,
    ItemRecord,
    Job,
    LeanPool,
    WorkerLost,
    WorkerStats,
    _BatchRunner,
    choose,
)

__all__ = ["RAY_INSTALL_HINT", "LeanActor", "RayNotInstalled", "RayPool", "import_ray", "ray_available"]

log = logging.getLogger(__name__)

RAY_INSTALL_HINT = 'Ray is not installed: pip install "lean-kernel[ray]" (or use the local pool, backend="local")'
DEFAULT_MAX_RETRIES = 2
DEFAULT_ACTOR_OPTIONS = {"num_cpus": 1, "max_restarts": 3}
DEFAULT_INFLIGHT = 2
PROBE_INTERVAL = 0.5  # seconds between probes of an actor that Ray is restarting
ALL_DOWN_TIMEOUT = 300.0  # no actor up for this long (none restarts): the rest of the run fails
START_TIMEOUT = 600.0
CLOSE_GRACE = 10.0


class RayNotInstalled(ImportError):
    pass


def import_ray():
    try:
        import ray
    except ImportError as exc:
        raise RayNotInstalled(RAY_INSTALL_HINT) from exc
    return ray


def ray_available() -> bool:
    try:
        import_ray()
    except RayNotInstalled:
        return False
    return True


class LeanActor:
    """Runs in a Ray worker process: a ``LeanPool`` of one REPL. Ray calls its methods one
    at a time; the driver sends ``cancel`` to a concurrency group of its own, so that it
    runs while an item is in flight."""

    def __init__(self, config: ReplConfig, pool_options: dict[str, Any]) -> None:
        import ray

        self.pool = LeanPool(config, workers=1, **pool_options)
        self.node = ray.util.get_node_ip_address()
        self.cancelled_run = -1

    def ping(self) -> int:
        return os.getpid()

    def start(self) -> None:
        self.pool.start()

    def run(
        self, job: Job, run_id: int, index: int, item: Any, header: str, order: int, attempt: int
    ) -> tuple[Any, ItemRecord] | None:
        """One item; None when its run was cancelled before the item started."""
        if run_id <= self.cancelled_run:
            return None
        result, record = self.pool.run_one(job, item, header, index, order)
        record.attempt = attempt
        record.node = self.node
        return result, record

    def cancel(self, run_id: int) -> None:
        """Drop the run's queued items and kill the REPL request in flight (if any)."""
        self.cancelled_run = max(self.cancelled_run, run_id)
        for session in self.pool.sessions():
            if session is not None:
                session.cancel()

    def info(self) -> dict[str, Any]:
        session = self.pool.sessions()[0]
        return {
            "pid": os.getpid(),
            "node": self.node,
            "repl_pid": session.repl_pid if session is not None else None,
            "headers": sorted(session.cached_headers) if session is not None else [],
        }

    def stats(self) -> WorkerStats:
        return self.pool.stats()[0]

    def close(self) -> None:
        self.pool.close()


class _Slot:
    """The driver's view of one actor."""

    def __init__(self, index: int, handle: Any) -> None:
        self.index = index
        self.handle = handle
        self.state = "up"  # "up", "probing" (lost, Ray may be restarting it), "dead"
        self.held: set[str] = set()  # headers its REPL holds, or will once its queue has run
        self.load = 0  # items queued on it
        self.order = 0  # items sent to it in this run
        self.probe_at = 0.0
        self.life = 0  # which incarnation of the actor: Ray restarts it after a loss
        self.isolated = False  # running a retried item alone (nothing queued behind it)


class RayPool(_BatchRunner):
    """``LeanPool``'s API on Ray actors (see the module docstring).

    ``workers``: actors, one REPL each (default: as many as the cluster's CPUs hold).
    ``address``: Ray's (``"auto"``, ``"ray://host:10001"``; None: ``ray.init()``'s default,
    a running local cluster or else a new one, which ``close`` shuts down). ``max_retries``: times an item is run again after its actor was lost.
    ``actor_options``: Ray's actor options, merged over ``{"num_cpus": 1, "max_restarts": 3}``
    (e.g. ``{"memory": 12 * 2**30}`` so Ray puts no more Mathlib REPLs on a node than its
    memory holds). ``ray_init``: keyword arguments for ``ray.init`` when this pool connects."""

    def __init__(
        self,
        config: ReplConfig | None = None,
        workers: int | None = None,
        *,
        address: str | None = None,
        recycle_after: int | None = DEFAULT_RECYCLE_AFTER,
        max_rss_mb: float | None = None,
        memory_limit_mb: int | None = None,
        lookahead: int = DEFAULT_LOOKAHEAD,
        max_retries: int = DEFAULT_MAX_RETRIES,
        inflight_per_actor: int = DEFAULT_INFLIGHT,
        actor_options: dict[str, Any] | None = None,
        ray_init: dict[str, Any] | None = None,
        session_factory: Any = None,
    ) -> None:
        ray = import_ray()
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be a whole number >= 0, not {max_retries!r}")
        if not isinstance(inflight_per_actor, int) or inflight_per_actor < 1:
            raise ValueError(f"inflight_per_actor must be a whole number >= 1, not {inflight_per_actor!r}")
        pool_options: dict[str, Any] = {
            "recycle_after": recycle_after,
            "max_rss_mb": max_rss_mb,
            "memory_limit_mb": memory_limit_mb,
            "session_factory": session_factory,
        }
        config = config or ReplConfig.from_env()
        # The local pool's checks and messages, before anything starts (it starts nothing).
        LeanPool(config, 1 if workers is None else workers, **pool_options)
        self._ray = ray
        self.config = config
        self.pool_options = pool_options
        self.lookahead = max(1, lookahead)
        self.max_retries = max_retries
        self.inflight_per_actor = inflight_per_actor
        self.actor_options = {**DEFAULT_ACTOR_OPTIONS, **(actor_options or {})}
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            ray.init(address=address, **(ray_init or {}))
        # else: this process is connected already (ray.init was called); Ray keeps that.
        try:
            if workers is None:
                per_actor = self.actor_options.get("num_cpus") or 1
                workers = max(1, int(ray.cluster_resources().get("CPU", 1) // per_actor))
            self._check_resources(workers)
        except BaseException:
            if self._owns_ray:
                ray.shutdown()
            raise
        # "control": a second thread for cancel, so it runs while an item is in flight.
        self._actor_class = ray.remote(**self.actor_options, concurrency_groups={"control": 1})(LeanActor)
        self._slots = [_Slot(i, self._actor_class.remote(config, pool_options)) for i in range(workers)]
        self._run_lock = threading.Lock()
        self._runs = 0
        self.records: list[ItemRecord] = []
        self.lost = 0  # actor losses seen, over the pool's life

    # ------------------------------------------------------------------ public

    @property
    def workers(self) -> int:
        return len(self._slots)

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start every actor's REPL now, in parallel, so start-up is paid before the work.
        Raises the first start failure (ReplNotFound names the fix) or a placement timeout."""
        ray = self._ray
        refs = {s.handle.start.remote(): s for s in self._slots if s.state == "up"}
        ready, waiting = ray.wait(list(refs), num_returns=len(refs), timeout=timeout)
        if waiting:
            raise TimeoutError(
                f"{len(waiting)} of {len(refs)} Ray workers did not start within {timeout:.0f} s: the cluster may "
                f"lack the resources asked for ({self.actor_options}); see ray status"
            )
        for ref in ready:
            try:
                ray.get(ref)
            except self._ray.exceptions.RayTaskError as exc:
                raise _cause(exc) from None

    def stats(self) -> list[WorkerStats]:
        out = []
        for slot, stats in zip(self._slots, self._gather("stats")):
            if isinstance(stats, WorkerStats):
                stats.index = slot.index
                out.append(stats)
            else:
                out.append(WorkerStats(slot.index))
        return out

    def actor_info(self) -> list[dict[str, Any] | None]:
        """Per actor: its process id, node, REPL process id and held headers (None: lost)."""
        return [info if isinstance(info, dict) else None for info in self._gather("info")]

    def actors(self) -> list[Any]:
        """The Ray actor handles, in worker order."""
        return [s.handle for s in self._slots]

    def close(self) -> None:
        ray = self._ray
        if not ray.is_initialized():
            return
        refs = [s.handle.close.remote() for s in self._slots if s.state != "dead"]
        if refs:
            ray.wait(refs, num_returns=len(refs), timeout=CLOSE_GRACE)
        for s in self._slots:
            try:
                ray.kill(s.handle, no_restart=True)
            except Exception:  # gone already, or Ray is shutting down: nothing left to kill
                log.debug("killing Ray worker %d failed", s.index, exc_info=True)
            s.state = "dead"
        if self._owns_ray:
            ray.shutdown()

    def __repr__(self) -> str:
        up = sum(s.state == "up" for s in self._slots)
        return f"<RayPool workers={self.workers} up={up} max_retries={self.max_retries}>"

    # ------------------------------------------------------------------ internals

    def _check_resources(self, workers: int) -> None:
        cpus = self.actor_options.get("num_cpus") or 0
        have = self._ray.cluster_resources().get("CPU", 0)
        if cpus and workers * cpus > have:
            raise ValueError(
                f"{workers} Ray workers need {workers * cpus:g} CPUs (num_cpus={cpus:g} each) and the Ray cluster "
                f"has {have:g}: ask for fewer workers, add nodes, or pass actor_options={{'num_cpus': ...}}"
            )

    def _gather(self, method: str) -> list[Any]:
        ray = self._ray
        out = []
        for s in self._slots:
            try:
                out.append(ray.get(getattr(s.handle, method).remote(), timeout=CLOSE_GRACE))
            except Exception as exc:
                out.append(exc)
        return out

    def _iter_run(self, job: Job, items: list[Any], keys: list[str]) -> Generator[Done, None, None]:
        """Run ``items`` on the actors, yielding ``(index, result, record)`` as each
        finishes: submit, wait for any answer or probe, take what finished, again. A run
        left early (an exception, or the caller stops) cancels what is in flight."""
        ray = self._ray
        run = _Run(self, job, items, keys)
        finished = False
        try:
            while run.busy:
                run.fill()
                run.probe_due()
                if run.all_gone() and not run.inflight:
                    yield from run.give_up_rest()
                    break
                refs = list(run.inflight) + list(run.probes)
                if not refs:
                    time.sleep(PROBE_INTERVAL)
                    continue
                ready, _ = ray.wait(refs, num_returns=1, timeout=PROBE_INTERVAL)
                if ready:  # take everything already finished, not just one
                    ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
                for ref in ready:
                    if ref in run.probes:
                        run.take_probe(ref)
                        continue
                    answered = run.take_answer(ref)
                    if answered is not None:
                        yield answered
            finished = True
        finally:
            if not finished:
                run.cancel()

    def _given_up(
        self, job: Job, item: Any, i: int, key: str, slot: _Slot | None, losses: int, why: BaseException | None
    ) -> tuple[int, Any, ItemRecord]:
        if slot is None:
            what = f"no Ray worker is left (all {self.workers} were lost, or none restarted within {ALL_DOWN_TIMEOUT:.0f} s)"
        else:
            what = f"its Ray worker was lost {losses} time{'s' if losses != 1 else ''} (max_retries={self.max_retries})"
        cause = f": {type(why).__name__}: {str(why).splitlines()[0] if str(why) else ''}" if why is not None else ""
        result = job.failed(item, WorkerLost(f"{what}{cause}"))
        record = ItemRecord(i, slot.index if slot else -1, -1, 0, 0, 0.0, key, False, None, attempt=losses)
        return i, result, record


class _Run:
    """One run's bookkeeping on the actors: items pending, in flight, to retry, done."""

    def __init__(self, pool: RayPool, job: Job, items: list[Any], keys: list[str]) -> None:
        self.pool, self.job, self.items, self.keys = pool, job, items, keys
        self.errors = pool._ray.exceptions
        pool._runs += 1
        self.run_id = pool._runs
        self.pending = list(range(len(items)))
        self.retry: list[int] = []  # items whose actor was lost under them; each runs alone on an idle actor
        self.losses = [0] * len(items)  # times each item's actor was lost under it
        self.done = [False] * len(items)
        self.inflight: dict[Any, tuple[_Slot, int, int, bool]] = {}  # ref -> (slot, item, slot.life, isolated)
        self.probes: dict[Any, _Slot] = {}
        self.down_since: float | None = None  # since when no actor is up
        for s in pool._slots:
            s.order = 0
            s.load = 0
            s.isolated = False

    @property
    def busy(self) -> bool:
        return bool(self.pending or self.retry or self.inflight)

    def submit(self, s: _Slot, i: int, isolated: bool = False) -> None:
        # The job goes by value: a few hundred bytes, inlined in the call, cheaper than
        # a ray.put object fetched by every call.
        ref = s.handle.run.remote(self.job, self.run_id, i, self.items[i], self.keys[i], s.order, self.losses[i] + 1)
        self.inflight[ref] = (s, i, s.life, isolated)
        s.load += 1
        s.order += 1
        s.isolated = isolated
        if self.keys[i]:
            s.held.add(self.keys[i])

    def fill(self) -> None:
        pool = self.pool
        # A retried item may be what killed its actor: it runs alone on an idle actor,
        # so that it cannot take an innocent item queued behind it down a second time.
        for s in pool._slots:
            if self.retry and s.state == "up" and s.load == 0:
                self.submit(s, self.retry.pop(0), isolated=True)
        # Round by round, so each actor gets one item before any gets a second.
        for depth in range(1, pool.inflight_per_actor + 1):
            for s in pool._slots:
                if self.pending and s.state == "up" and not s.isolated and s.load < depth:
                    self.submit(s, self.pending.pop(choose(self.pending, self.keys, s.held, pool.lookahead)))

    def probe_due(self) -> None:
        now = time.monotonic()
        for s in self.pool._slots:
            if s.state == "probing" and s.probe_at <= now and s not in self.probes.values():
                self.probes[s.handle.ping.remote()] = s

    def all_gone(self) -> bool:
        """No actor is left, or none has been up for ALL_DOWN_TIMEOUT."""
        slots = self.pool._slots
        if any(s.state == "up" for s in slots):
            self.down_since = None
        elif self.down_since is None:
            self.down_since = time.monotonic()
        return all(s.state == "dead" for s in slots) or (
            self.down_since is not None and time.monotonic() - self.down_since > ALL_DOWN_TIMEOUT
        )

    def give_up_rest(self) -> Generator[Done, None, None]:
        # No actor left, or none came back: the rest fail, none is lost.
        for i in self.retry + self.pending:
            yield self.pool._given_up(self.job, self.items[i], i, self.keys[i], None, self.losses[i], None)
        self.retry.clear()
        self.pending.clear()

    def take_probe(self, ref: Any) -> None:
        s = self.probes.pop(ref)
        try:
            self.pool._ray.get(ref)
            s.state = "up"
            s.life += 1
        except self.errors.ActorDiedError:
            s.state = "dead"
        except self.errors.RayError:
            s.probe_at = time.monotonic() + PROBE_INTERVAL

    def take_answer(self, ref: Any) -> tuple[int, Any, ItemRecord] | None:
        """An item's answer: what to yield for it, or None (lost and retried, or late)."""
        s, i, life, isolated = self.inflight.pop(ref)
        try:
            answer = self.pool._ray.get(ref)
        except self.errors.RayTaskError as exc:  # the job itself raised: stop the run
            raise _cause(exc) from None
        except self.errors.RayError as exc:  # the actor (or its node) is gone
            given_up = self.lose(s, i, life, exc)
            if given_up is not None:
                self.done[i] = True
            return given_up
        s.load -= 1
        if isolated:
            s.isolated = False
        if answer is None or self.done[i]:
            return None
        result, record = answer
        record.worker = s.index
        self.done[i] = True
        return i, result, record

    def lose(self, s: _Slot, i: int, life: int, why: BaseException) -> tuple[int, Any, ItemRecord] | None:
        s.load -= 1
        s.isolated = False
        if s.state == "up" and life == s.life:  # (an older life's loss was counted then)
            self.pool.lost += 1
            s.state, s.held, s.probe_at = "probing", set(), 0.0
        if self.done[i]:
            return None
        self.losses[i] += 1
        if self.losses[i] <= self.pool.max_retries:
            self.retry.append(i)
            return None
        return self.pool._given_up(self.job, self.items[i], i, self.keys[i], s, self.losses[i], why)

    def cancel(self) -> None:
        """The run was left early: drop its queued items and kill its requests in flight."""
        for s in self.pool._slots:
            if s.state == "up":
                s.handle.cancel.options(concurrency_group="control").remote(self.run_id)
        for s in self.pool._slots:
            s.held = set()  # a cancelled request restarts the REPL


def _cause(exc: BaseException) -> BaseException:
    """The exception a Ray task raised, without Ray's wrapper."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc
