"""Notebook semantics over one REPL process: which env a cell runs on, what is committed,
and how state is rebuilt after the process dies.

The kernel and the magic both use this class, so chaining and recovery exist once.

Rules (each one is a user-visible promise):
- A cell runs on the env of the last committed cell.
- Leading ``import`` lines are the header. The REPL accepts imports only on a fresh env,
  so the header is sent alone, without an env, and its env is cached by header text:
  re-running an import cell, or a later cell with the same header, imports nothing new.
  The rest of the cell then runs on that env, exactly as written; positions in the
  answer are moved down by the header's lines so they match the cell.
- A failed cell (Lean error, REPL refusal, crash) commits nothing.
- Re-running a cell (same ``cell_id``) runs it on the env its first run started from, so
  a corrected definition replaces the old one instead of clashing with it. Cells that
  were built on the old version are marked stale. A stale cell that is re-run goes on
  the current env.
- When the process dies (crash, timeout, interrupt, out of memory) it is restarted and
  the committed chain is replayed, so the next cell sees earlier definitions.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Final

from .config import (
    CONFIGURED,
    NO_LIMIT,
    Configured,
    Limit,
    NoLimit,
    ReplConfig,
    TimeoutArg,
    read_timeout,
    resolve_timeout,
)
from .doctor import NO_ADVICE, Advice, HealthReport, run_checks
from .lean_text import declared_names, lex, position_of, read_header, summary_line
from .process import ReplFailure, ReplInterrupted, ReplNotFound, ReplProcess
from .protocol import (
    CommandRequest,
    CommandResponse,
    PickleEnvRequest,
    ReplErrorResponse,
    Request,
    Response,
    TacticRequest,
    TacticResponse,
    UnpickleEnvRequest,
    UnsendableText,
    check_sendable,
    shift_lines,
)
from .results import CellKind, CellResult, Phase

log = logging.getLogger(__name__)

CELL_SUMMARY_WIDTH = 60  # characters of a cell's first line in the chain table and stale-cell notes


class EnvChoice(enum.Enum):
    """Which env a cell runs on, when the caller names no env id. One meaning in every
    layer: the kernel, the magic, the API, the pool and verify pass these, never None
    (which once meant "fresh" here and "continue" at the API)."""

    CHAIN = "the chain's env"  # the last committed cell's env; a re-run: its first run's env
    FRESH = "a fresh env"  # nothing defined yet (imports allowed)


CHAIN: Final = EnvChoice.CHAIN
FRESH: Final = EnvChoice.FRESH
EnvArg = int | EnvChoice  # an env id, or a choice


def _check_env(env: object) -> EnvArg:
    if env is None:
        raise TypeError(
            "env=None is ambiguous: pass env=FRESH (lean_kernel.session.FRESH) for a fresh env, "
            "or leave env out to continue the chain"
        )
    if isinstance(env, EnvChoice) or (isinstance(env, int) and not isinstance(env, bool)):
        return env
    raise TypeError(f"env must be an env id (int), CHAIN or FRESH, not {env!r}")


def split_header(code: str) -> tuple[str, str, int]:
    """Split a cell into (header, body, header_line_count) as Lean's header parser reads
    it (``lean_text.read_header``): ``header`` is one normalised line per import (comments
    dropped), empty when there is none. When a command follows the last import on its
    line, the body keeps that line, blanked up to the command, so positions still match."""
    parsed = read_header(code)
    if not parsed.modules:
        return "", code, 0
    line_end = code.find("\n", parsed.end)
    rest_of_line = code[parsed.end :] if line_end < 0 else code[parsed.end : line_end]
    if not lex(rest_of_line).code.strip():
        body = "" if line_end < 0 else code[line_end + 1 :]
        return parsed.text, body, parsed.lines + 1
    _line, column = position_of(code, parsed.end)
    return parsed.text, " " * column + code[parsed.end :], parsed.lines


def imported_modules(header: str) -> list[str]:
    """The module names a header imports, in order (`public import`, `import all` ... too)."""
    return read_header(header).modules


def split_cell(code: str) -> tuple[str, str, int]:
    """(header, body to send, line offset). The body is sent exactly as written, minus the
    blank lines that follow the header; ``line_offset`` is how far Lean's line numbers for
    the body must move to match the cell."""
    header, body, header_lines = split_header(code)
    if not header:
        return "", code, 0
    lines = body.split("\n")
    skip = 0
    while skip < len(lines) - 1 and not lines[skip].strip():
        skip += 1
    return header, "\n".join(lines[skip:]), header_lines + skip


def header_key(header: str) -> str:
    return "\n".join(" ".join(ln.split()) for ln in header.split("\n") if ln.strip())


@dataclass
class CommittedCell:
    """One step of the history that produced an env (or a proof state)."""

    key: str  # the frontend's cell id, or an automatic one
    code: str  # its CellResult.code: the cell as the user wrote it, or the unpickled file's path
    order: int  # when it was committed; later is larger
    kind: str = "command"  # "command", "header", "tactic" or "unpickle"
    env_before: int | None = None
    env_after: int | None = None
    proof_state_before: int | None = None
    proof_state_after: int | None = None
    proof_states: list[int] = field(default_factory=list)  # sorries' states, in order
    stale: bool = False


@dataclass
class ChainEntry:
    """A row of ``%env``: which cell produced which env, and whether it is stale."""

    key: str
    env_before: int | None
    env_after: int | None
    stale: bool
    current: bool
    summary: str


class LeanSession:
    def __init__(
        self,
        config: ReplConfig | None = None,
        *,
        process: ReplProcess | None = None,
        on_restart: Callable[[str], None] | None = None,
        on_phase: Callable[[Phase], None] | None = None,
    ) -> None:
        self.config = config or ReplConfig.from_env()
        self.process = process or ReplProcess(self.config)
        self.on_restart = on_restart
        # Told what each REPL request is for as it starts (a status line's text); called
        # on the thread that runs the cell, and must return at once.
        self.on_phase = on_phase
        self._lock = threading.RLock()
        # In commit order: a re-committed cell moves to the end, so no sort is ever needed.
        self._cells: dict[str, CommittedCell] = {}
        # Keys of the cells committed on each env (their env_before): who is built on what,
        # so that a re-run finds its dependents without scanning every cell.
        self._built_on: dict[int, dict[str, None]] = {}
        self._stale: dict[str, None] = {}  # keys of stale cells
        self._tactics: list[CommittedCell] = []  # tactic steps, replayed after a restart
        self._headers: dict[str, int] = {}  # header text -> env of that header alone
        self._current_env: int | None = None
        self._latest_proof_state: int | None = None
        self._order = 0
        self._auto_key = 0
        self._generation = self.process.generation
        self._start_error: ReplFailure | None = None  # why the last start (in _sync_generation) failed

    # ------------------------------------------------------------------ public state

    @property
    def current_env(self) -> int | None:
        return self._current_env

    @property
    def latest_proof_state(self) -> int | None:
        return self._latest_proof_state

    @property
    def cells(self) -> list[CommittedCell]:
        """The committed cells, oldest commit first."""
        return list(self._cells.values())

    @property
    def cell_count(self) -> int:
        return len(self._cells)

    @property
    def cached_headers(self) -> frozenset[str]:
        """Import headers (as ``header_key``) this process has loaded: a cell with one of
        these headers imports nothing new."""
        if self.process.generation != self._generation:
            return frozenset()  # a new process, not yet synced: it holds no imports
        return frozenset(self._headers)

    # ------------------------------------------------------------------ the REPL underneath
    # Layers above the session (kernel, magic, pool, verify) ask these, never the process:
    # the session is the one owner of the REPL and of what its restarts mean.

    @property
    def repl_generation(self) -> int:
        """How many REPL processes this session has started (0: none yet). A request that
        raises it was answered by a new process: the old one died or was killed."""
        return self.process.generation

    @property
    def repl_pid(self) -> int | None:
        """The running REPL's process id (also its process group); None when none runs."""
        return self.process.pid

    @property
    def repl_alive(self) -> bool:
        return self.process.alive

    def rss_bytes(self) -> int | None:
        """Resident memory of the REPL's process group, best effort (None: unknown)."""
        return self.process.rss_bytes()

    def start(self) -> None:
        """Start the REPL now unless it runs (else the first request starts it); raises
        ReplNotFound naming the setting to fix."""
        self.process.start()

    def cancel(self) -> bool:
        """From another thread: kill the REPL so that the request in flight ends as
        ReplInterrupted (the session restarts and replays). False when nothing runs."""
        return self.process.cancel()

    def health_check(self, *, advice: Advice = NO_ADVICE) -> HealthReport:
        """The doctor's checks on this session's REPL (it is started): the configuration,
        then the positive control within the start-up allowance. ``advice`` is how the
        calling frontend's user fixes a set-up."""
        return run_checks(self.process, timeout=self.config.startup_timeout, advice=advice)

    def stale_cells(self) -> list[str]:
        """Keys of the stale cells, in commit order (cost: the number of stale cells)."""
        return sorted(self._stale, key=lambda k: self._cells[k].order)

    def chain(self, first: int = 0, count: int | None = None, *, stale_only: bool = False) -> list[ChainEntry]:
        """``%env``'s rows: the committed cells (or only the stale ones) from the
        ``first``-th in commit order, at most ``count`` of them (all by default)."""
        live = self._live_chain_keys()
        cells = [self._cells[k] for k in self.stale_cells()] if stale_only else self.cells
        out = []
        for c in cells[first : None if count is None else first + count]:
            out.append(
                ChainEntry(
                    key=c.key,
                    env_before=c.env_before,
                    env_after=c.env_after,
                    stale=c.stale,
                    current=c.key in live,
                    summary=summary_line(c.code, CELL_SUMMARY_WIDTH),
                )
            )
        return out

    def declared_names(self) -> list[str]:
        """Names the committed cells declare (for completion), found in the source text."""
        names: list[str] = []
        for c in self.cells:
            if not c.stale:
                names.extend(declared_names_in(c.code))
        return names

    # ------------------------------------------------------------------ running cells

    def run_cell(
        self,
        code: str,
        *,
        cell_id: str | None = None,
        timeout: TimeoutArg = CONFIGURED,
        env: EnvArg = CHAIN,
        fresh: bool = False,
        all_tactics: bool = False,
        infotree: str | None = None,
        commit: bool = True,
    ) -> CellResult:
        """Run one cell. ``env``: CHAIN (the default: the chain's env), FRESH, or an env
        id; ``fresh=True`` is FRESH (kept for callers that say it so).
        ``timeout``: CONFIGURED (the default; None means it too), NO_LIMIT, or seconds and
        text as ``config.parse_timeout`` reads them (a bad value raises
        TimeoutValueError before anything is sent)."""
        chosen_timeout = read_timeout(timeout)
        env = _check_env(env)
        if fresh and env is CHAIN:
            env = FRESH
        refused = _refuse_unsendable(code, "this cell", cell_id=cell_id)
        if refused is not None:
            return refused
        with self._lock:
            notes = self._sync_generation()
            if self.replay_pending:
                return self._not_replayed(code, notes, cell_id=cell_id)
            header, body, line_offset = split_cell(code)
            rerun = cell_id is not None and cell_id in self._cells
            previous = self._cells.get(cell_id) if cell_id is not None else None

            base_env = self._base_env(env, previous)
            if header and not isinstance(env, EnvChoice):
                return CellResult(
                    code=code,
                    failure=f"this cell imports, and Lean takes imports only on a fresh env, not on env {env}: "
                    "run it without an env (fresh), or drop its import lines",
                    failure_kind="ImportsNeedFreshEnv",
                    cell_id=cell_id,
                    notes=notes,
                )
            if header:
                # Imports need a fresh env: run (or reuse) the header, then the body on it.
                header_result = self._ensure_header(header, chosen_timeout, notes)
                if header_result is not None and not header_result.ok:
                    header_result.code = code
                    header_result.cell_id = cell_id
                    return header_result
                base_env = self._headers[header_key(header)]
                if not body.strip():
                    result = CellResult(
                        code=code,
                        env_before=None,
                        env_after=base_env,
                        response=header_result.response if header_result else CommandResponse(env=base_env),
                        cell_id=cell_id,
                        notes=notes,
                        elapsed=header_result.elapsed if header_result else 0.0,
                    )
                    if header_result is None:
                        result.notes.append(f"imports reused from env {base_env} (nothing re-imported)")
                    # Re-running an import cell that still yields the same env changes
                    # nothing: the cells built on it stay current, none is stale.
                    unchanged = previous is not None and previous.kind == "header" and previous.env_after == base_env
                    if commit and not unchanged:
                        self._commit(result, cell_id, kind="header", env_before=None, rerun=rerun)
                    return result
                sent = body
            else:
                sent = code

            request = CommandRequest(cmd=sent, env=base_env, all_tactics=all_tactics, infotree=infotree)
            self._report(Phase("elaborating"))
            result = self._send(
                request, code, resolve_timeout(chosen_timeout, self.config), notes, line_offset=line_offset
            )
            result.cell_id = cell_id
            result.env_before = base_env
            if result.ok and commit:
                self._commit(result, cell_id, kind="command", env_before=base_env, rerun=rerun)
            return result

    def _base_env(self, env: EnvArg, previous: CommittedCell | None) -> int | None:
        """The env id a cell runs on (None: a fresh env) for the caller's choice."""
        if env is FRESH:
            return None
        if env is not CHAIN:
            return env
        if previous is not None and not previous.stale:
            # A re-run replaces its first run: it goes on the env that run started from.
            return previous.env_before if previous.kind != "header" else None
        return self._current_env

    def run_tactic(
        self, tactic: str, proof_state: int | None = None, *, timeout: TimeoutArg = CONFIGURED, commit: bool = True
    ) -> CellResult:
        """Run tactics on a proof state (default: the latest one). Several lines are run as
        one step, grouped in parentheses, because the REPL takes exactly one tactic.
        ``timeout`` as for ``run_cell``."""
        limit = resolve_timeout(timeout, self.config)
        refused = _refuse_unsendable(tactic, "these tactics", kind="tactic")
        if refused is not None:
            return refused
        with self._lock:
            notes = self._sync_generation()
            if self.replay_pending:
                return self._not_replayed(tactic, notes, kind="tactic")
            state = self._latest_proof_state if proof_state is None else proof_state
            if state is None:
                return CellResult(
                    code=tactic,
                    kind="tactic",
                    failure="no proof state to continue: run a cell with `sorry` first, or name one with %proofstate N",
                    failure_kind="NoProofState",
                    notes=notes,
                )
            self._report(Phase("tactic"))
            result = self._send(TacticRequest(tactic=as_single_tactic(tactic), proof_state=state), tactic, limit, notes)
            result.kind = "tactic"
            result.proof_state_before = state
            if result.ok and commit and result.tactic is not None:
                self._order += 1
                step = CommittedCell(
                    key=f"tactic-{self._order}",
                    code=tactic,
                    order=self._order,
                    kind="tactic",
                    proof_state_before=state,
                    proof_state_after=result.tactic.proof_state,
                    proof_states=[s.proof_state for s in result.tactic.sorries if s.proof_state is not None],
                )
                self._tactics.append(step)
                if result.tactic.proof_state is not None and not result.tactic.completed:
                    self._latest_proof_state = result.tactic.proof_state
            return result

    def query(self, code: str, *, env: EnvArg = CHAIN, timeout: TimeoutArg = CONFIGURED) -> CellResult:
        """Run Lean text on an env without committing (completion, inspection, axioms):
        ``env`` is CHAIN (the current env), FRESH or an env id; ``timeout`` as for
        ``run_cell``. Imports are not split off: the text is sent as it is."""
        limit = resolve_timeout(timeout, self.config)
        env = _check_env(env)
        with self._lock:
            notes = self._sync_generation()
            if self.replay_pending:
                return self._not_replayed(code, notes)
            base = self._base_env(env, previous=None)
            self._report(Phase("elaborating"))
            result = self._send(CommandRequest(cmd=code, env=base), code, limit, notes)
            result.env_before = base
            return result

    def axioms_of(
        self, names: Iterable[str], env: EnvArg = CHAIN, timeout: TimeoutArg = CONFIGURED
    ) -> dict[str, list[str]]:
        """The axioms each named declaration depends on, from ``#print axioms``."""
        out: dict[str, list[str]] = {}
        for name in names:
            result = self.query(f"#print axioms {name}", env=env, timeout=timeout)
            for message in result.infos:
                parsed = parse_axioms_message(message.data)
                if parsed is not None:
                    out[name] = parsed
        return out

    # ------------------------------------------------------------------ pickling

    def pickle(self, path: str, *, timeout: TimeoutArg = CONFIGURED) -> CellResult:
        limit = resolve_timeout(timeout, self.config)
        with self._lock:
            notes = self._sync_generation()
            if self.replay_pending:
                return self._not_replayed(f"%pickle {path}", notes)
            if self._current_env is None:
                return CellResult(
                    code=f"%pickle {path}",
                    failure="nothing to pickle: no cell has been committed yet",
                    failure_kind="NothingToPickle",
                    notes=notes,
                )
            self._report(Phase("pickling"))
            return self._send(PickleEnvRequest(env=self._current_env, pickle_to=path), f"%pickle {path}", limit, notes)

    def unpickle(self, path: str, *, cell_id: str | None = None, timeout: TimeoutArg = CONFIGURED) -> CellResult:
        limit = resolve_timeout(timeout, self.config)
        with self._lock:
            notes = self._sync_generation()
            if self.replay_pending:
                return self._not_replayed(path, notes)
            self._report(Phase("unpickling"))
            result = self._send(UnpickleEnvRequest(unpickle_env_from=path), path, limit, notes)
            result.cell_id = cell_id
            if result.ok:
                self._commit(
                    result,
                    cell_id,
                    kind="unpickle",
                    env_before=None,
                    rerun=cell_id in self._cells if cell_id else False,
                )
            return result

    # ------------------------------------------------------------------ lifecycle

    def restart(self, reason: str = "restart requested") -> str:
        """Start a new process and replay the committed chain. Returns what happened."""
        with self._lock:
            self.process.restart()
            self._generation = self.process.generation
            return self._replay(reason)

    def restart_later(self, reason: str) -> str:
        """Kill the REPL now; the next request starts a new one and replays the committed
        chain first. For a Ctrl-C handler, which must be quick: replaying Mathlib takes
        minutes, and a second Ctrl-C must not land in it."""
        with self._lock:
            self.process.kill()
            self._generation = -1
            return self._pending_note(reason)

    @property
    def replay_pending(self) -> bool:
        """The committed chain is not in the running process yet: the next request
        replays it first (after an interrupted replay, or ``restart_later``)."""
        return self._generation != self.process.generation

    def _pending_note(self, reason: str) -> str:
        n = len(self._cells)
        if not n:
            return f"{reason}; the REPL starts again at the next cell"
        return f"{reason}; the {n} committed cell{'s are' if n != 1 else ' is'} kept and replayed before the next cell runs"

    def reset(self) -> None:
        """Forget every cell; the next cell starts from a fresh env. The import envs of
        this process stay cached: they are fresh envs too, and importing again would cost
        the time and (never freed) memory a second time."""
        with self._lock:
            self._cells.clear()
            self._built_on.clear()
            self._stale.clear()
            self._tactics.clear()
            self._current_env = None
            self._latest_proof_state = None

    def close(self) -> None:
        self.process.close()

    def __enter__(self) -> LeanSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _send(self, request: Request, code: str, limit: Limit, notes: list[str], *, line_offset: int = 0) -> CellResult:
        started = time.monotonic()
        try:
            response: Response = self.process.request(request, timeout=limit)
        except UnsendableText as exc:  # raised before anything is written: the REPL is fine
            return CellResult(code=code, failure=str(exc), failure_kind="UnsendableText", notes=notes)
        except ReplFailure as failure:
            result = CellResult(
                code=code,
                failure=str(failure),
                failure_kind=type(failure).__name__,
                notes=notes,
                elapsed=time.monotonic() - started,
            )
            if failure.restarted:
                self._generation = self.process.generation
                result.notes.append(self._replay(f"the REPL {failure.cause}"))
            elif isinstance(failure, ReplNotFound):
                # Nothing was running, so nothing was lost: the failure says why it did not start.
                result.notes.append("the REPL did not start; the next cell tries again")
            else:
                result.notes.append("the REPL could not be restarted; it will be started again on the next cell")
            return result
        result = CellResult(
            code=code, response=shift_lines(response, line_offset), notes=notes, elapsed=time.monotonic() - started
        )
        if isinstance(response, CommandResponse):
            result.env_after = response.env
        return result

    def _report(self, phase: Phase) -> None:
        if self.on_phase is not None:
            self.on_phase(phase)

    def _allowance(self, chosen: float | NoLimit | Configured = CONFIGURED) -> Limit:
        """The limit for requests that may take far longer than a cell, unless the caller
        set one: imports (`import Mathlib` on a cold disk) and replays (each committed
        cell again, accepted once, perhaps under a larger limit than today's: a cell that
        timed out in a replay would cost the whole session). The start-up allowance."""
        configured = self.config.time_limit
        if chosen is CONFIGURED and configured is not NO_LIMIT:
            return max(configured, self.config.startup_timeout)
        return resolve_timeout(chosen, self.config)

    def _ensure_header(self, header: str, timeout: float | NoLimit | Configured, notes: list[str]) -> CellResult | None:
        key = header_key(header)
        if key in self._headers:
            return None
        self._report(Phase("importing", modules=tuple(imported_modules(header))))
        result = self._send(CommandRequest(cmd=header), header, self._allowance(timeout), notes)
        if result.ok and result.env_after is not None:
            self._headers[key] = result.env_after
        elif result.ok:
            result.failure, result.failure_kind = "the REPL answered the imports without an env", "ReplBadOutput"
        return result

    def _commit(
        self,
        result: CellResult,
        cell_id: str | None,
        *,
        kind: str,
        env_before: int | None,
        rerun: bool,
    ) -> None:
        if cell_id is None:
            self._auto_key += 1
            cell_id = f"cell-{self._auto_key}"
        previous = self._cells.pop(cell_id, None)
        if previous is not None:
            self._unlink(previous)
        self._order += 1
        cell = CommittedCell(
            key=cell_id,
            code=result.code,
            order=self._order,
            kind=kind,
            env_before=env_before,
            env_after=result.env_after,
            proof_states=[s.proof_state for s in result.sorries if s.proof_state is not None],
        )
        self._cells[cell_id] = cell
        self._link(cell)
        if previous is not None and rerun:
            stale = self._mark_dependents_stale(previous)
            result.made_stale = stale
            if stale:
                result.notes.append(self._stale_note(stale))
        self._current_env = result.env_after
        if cell.proof_states:
            self._latest_proof_state = cell.proof_states[-1]

    def _link(self, cell: CommittedCell) -> None:
        if cell.env_before is not None:
            self._built_on.setdefault(cell.env_before, {})[cell.key] = None
        if cell.stale:
            self._stale[cell.key] = None

    def _unlink(self, cell: CommittedCell) -> None:
        siblings = self._built_on.get(cell.env_before) if cell.env_before is not None else None
        if siblings is not None:
            siblings.pop(cell.key, None)
            if not siblings:
                del self._built_on[cell.env_before]  # type: ignore[arg-type]
        self._stale.pop(cell.key, None)

    def _relink_all(self) -> None:
        """Rebuild the indexes after the env ids changed (replay) or were put back."""
        self._built_on.clear()
        self._stale.clear()
        for cell in self._cells.values():
            self._link(cell)

    def _stale_note(self, stale: list[str], named: int = 3) -> str:
        # Frontends' cell ids are UUIDs nobody can map to a cell: name cells by their text.
        # A few of them: re-running the first of 3,000 cells must not write a 200 KB note.
        names = ", ".join(f"`{summary_line(self._cells[key].code, CELL_SUMMARY_WIDTH)}`" for key in stale[:named])
        more = f" and {len(stale) - named} more (%env stale lists them)" if len(stale) > named else ""
        plural = "s" if len(stale) != 1 else ""
        return (
            f"stale: re-run {len(stale)} later cell{plural}: {names}{more} (built on the previous version of this cell)"
        )

    def _mark_dependents_stale(self, previous: CommittedCell) -> list[str]:
        """Cells committed after ``previous`` that were built, directly or not, on its env,
        found by following ``_built_on`` (cost: the number of dependents), in commit order."""
        if previous.env_after is None:
            return []
        tainted = [previous.env_after]
        seen = set(tainted)
        found: list[CommittedCell] = []
        while tainted:
            for key in self._built_on.get(tainted.pop(), ()):
                cell = self._cells[key]
                if cell.order <= previous.order or cell.key == previous.key:
                    continue
                if not cell.stale:
                    cell.stale = True
                    self._stale[key] = None
                found.append(cell)
                if cell.env_after is not None and cell.env_after not in seen:
                    seen.add(cell.env_after)
                    tainted.append(cell.env_after)
        return [c.key for c in sorted(found, key=lambda c: c.order)]

    def _live_chain_keys(self) -> set[str]:
        """Cells the current env is built from, following env_before links back."""
        by_env = {c.env_after: c for c in self._cells.values() if c.env_after is not None}
        keys: set[str] = set()
        env = self._current_env
        while env is not None and env in by_env:
            cell = by_env[env]
            if cell.key in keys:
                break
            keys.add(cell.key)
            env = cell.env_before
        return keys

    def _sync_generation(self) -> list[str]:
        """If the process was restarted behind our back (e.g. it had died and a new one was
        started lazily), rebuild the state before running anything on old env ids."""
        self._start_error = None
        if self.process.pid is None:
            # Start it here, not lazily inside the request: a start bumps the generation,
            # and seen only afterwards it would look like a restart and replay every cell.
            try:
                self.process.start()
            except ReplFailure as exc:
                self._start_error = exc  # the request reports it, with its fix
        if self.process.generation != self._generation:
            self._generation = self.process.generation
            if self._cells:
                return [self._replay("the REPL was restarted")]
            # Nothing to replay, but the ids cached from the old process (header envs of
            # uncommitted cells, tactic states) would name nothing, or something else, now.
            self._headers.clear()
            self._tactics.clear()
            self._latest_proof_state = None
        return []

    def _replay(self, reason: str) -> str:
        """Re-run the committed chain on the new process and map old ids to new ones.
        An interrupt (a second Ctrl-C, during a long replay) keeps the chain: the old ids
        are put back and the replay runs again before the next request."""
        saved = (
            {k: replace(c, proof_states=list(c.proof_states)) for k, c in self._cells.items()},
            [replace(t, proof_states=list(t.proof_states)) for t in self._tactics],
            self._current_env,
            self._latest_proof_state,
        )
        try:
            return self._replay_chain(reason)
        except KeyboardInterrupt:
            # Cells replayed so far carry new ids, the rest old ones: a chain of both would
            # send later cells to envs that do not exist. Put the old ids back and make the
            # next request replay again from the start.
            self._cells, self._tactics, self._current_env, self._latest_proof_state = saved
            self._relink_all()
            self._generation = -1
            return self._pending_note(f"{reason}; interrupted again while replaying")

    def _not_replayed(
        self, code: str, notes: list[str], *, kind: CellKind = "command", cell_id: str | None = None
    ) -> CellResult:
        """The result of a request that cannot run because the chain is not replayed yet."""
        failure, failure_kind = (
            "interrupted while replaying the committed cells; nothing of this cell was run",
            "ReplInterrupted",
        )
        if self._start_error is not None:
            failure, failure_kind = str(self._start_error), type(self._start_error).__name__
        return CellResult(
            code=code, kind=kind, failure=failure, failure_kind=failure_kind, notes=notes, cell_id=cell_id
        )

    def _replay_chain(self, reason: str) -> str:
        live = self._live_chain_keys()
        chain = [c for c in self.cells if c.key in live]
        dropped = [c.key for c in self.cells if c.key not in live]
        env_map: dict[int | None, int | None] = {None: None}
        ps_map: dict[int, int] = {}
        self._headers.clear()  # old header envs mean nothing in the new process
        self._report(Phase("replaying", cells=len(chain)))
        started = time.monotonic()
        for cell in chain:
            outcome = self._replay_cell(cell, env_map, ps_map)
            if outcome is not None:
                self._forget_after_failed_replay()
                return f"{reason}; restarted, but replaying cell {cell.key} failed ({outcome}); the session was reset, re-run your cells"
        for key in dropped:
            del self._cells[key]
        self._relink_all()
        self._current_env = env_map.get(self._current_env)
        replayed_tactics = self._replay_tactics(ps_map)
        self._latest_proof_state = (
            ps_map.get(self._latest_proof_state) if self._latest_proof_state is not None else None
        )
        elapsed = time.monotonic() - started
        parts = [f"{reason}; restarted and replayed {len(chain)} cell{'s' if len(chain) != 1 else ''}"]
        if replayed_tactics:
            parts.append(f"and {replayed_tactics} tactic step{'s' if replayed_tactics != 1 else ''}")
        parts.append(f"in {elapsed:.1f} s")
        if dropped:
            named = ", ".join(dropped[:5]) + (f" and {len(dropped) - 5:,} more" if len(dropped) > 5 else "")
            parts.append(f"(not replayed, stale: {named})")
        note = " ".join(parts)
        if self.on_restart:
            self.on_restart(note)
        return note

    def _replay_request(self, request: Request) -> CommandResponse | str:
        """One request of a replay: the response, or why it failed."""
        try:
            response = self.process.request(request, timeout=self._allowance())
        except ReplInterrupted:
            raise KeyboardInterrupt from None  # not the cell's fault: keep the chain (see _replay)
        except ReplFailure as failure:
            return failure.cause
        if not isinstance(response, CommandResponse) or not response.ok:
            return response.message if isinstance(response, ReplErrorResponse) else "Lean reported errors"
        return response

    def _replay_cell(self, cell: CommittedCell, env_map: dict, ps_map: dict) -> str | None:
        header, body, _ = split_cell(cell.code) if cell.kind != "unpickle" else ("", "", 0)
        if header:
            key = header_key(header)
            if key not in self._headers:
                imported = self._replay_request(CommandRequest(cmd=header))
                if isinstance(imported, str):
                    return imported
                self._headers[key] = imported.env  # type: ignore[assignment]
            if cell.kind == "command":
                env_map[cell.env_before] = self._headers[key]
        if cell.kind == "header":
            env_map[cell.env_after] = self._headers[key]
            cell.env_after = env_map[cell.env_after]
            return None
        if cell.kind == "unpickle":
            request: Request = UnpickleEnvRequest(unpickle_env_from=cell.code)
        else:
            request = CommandRequest(cmd=body, env=env_map.get(cell.env_before))
        response = self._replay_request(request)
        if isinstance(response, str):
            return response
        env_map[cell.env_after] = response.env
        cell.env_before = env_map.get(cell.env_before)
        cell.env_after = response.env
        new_states = [s.proof_state for s in response.sorries if s.proof_state is not None]
        ps_map.update(zip(cell.proof_states, new_states))
        cell.proof_states = new_states
        return None

    def _replay_tactics(self, ps_map: dict[int, int]) -> int:
        kept: list[CommittedCell] = []
        for step in self._tactics:
            if step.proof_state_before not in ps_map:
                continue
            try:
                response = self.process.request(
                    TacticRequest(tactic=as_single_tactic(step.code), proof_state=ps_map[step.proof_state_before]),
                    timeout=self._allowance(),
                )
            except ReplInterrupted:
                raise KeyboardInterrupt from None
            except ReplFailure as failure:
                # The cells are replayed; the tactic steps from here on are dropped (the
                # replay's note counts those kept), and the REPL restarted once more.
                log.warning("replaying tactic steps stopped: the REPL %s", failure.cause, exc_info=True)
                break
            if not isinstance(response, TacticResponse) or response.proof_state is None:
                continue
            if step.proof_state_after is not None:
                ps_map[step.proof_state_after] = response.proof_state
            step.proof_state_before = ps_map[step.proof_state_before]
            step.proof_state_after = response.proof_state
            kept.append(step)
        self._tactics = kept
        return len(kept)

    def _forget_after_failed_replay(self) -> None:
        self.reset()
        self._headers.clear()  # the replay may have failed on yet another new process


def _refuse_unsendable(
    text: str, what: str, *, kind: CellKind = "command", cell_id: str | None = None
) -> CellResult | None:
    """A failed result naming the position, for text no REPL can be sent (a lone
    surrogate); None when the text is fine. Checked on the whole cell, so that the
    position counts from its first line, header included."""
    try:
        check_sendable(text, what)
    except UnsendableText as exc:
        return CellResult(code=text, kind=kind, failure=str(exc), failure_kind="UnsendableText", cell_id=cell_id)
    return None


def declared_names_in(code: str) -> list[str]:
    """The names a piece of Lean text declares, as written (completion offers them)."""
    return declared_names(code, qualified=False)


def as_single_tactic(text: str) -> str:
    """The REPL runs exactly one tactic per request. One tactic is sent as written, even
    over several lines (``induction x with`` and its ``| zero => ...`` alternatives, as the
    recordings send it); only a sequence of several tactics becomes one step, grouped
    with parentheses and newlines so layout-sensitive tactics still parse."""
    stripped = text.strip("\n").rstrip()
    lines = [ln for ln in stripped.split("\n") if ln.strip()]
    if len(lines) <= 1:
        return stripped.strip()
    if _tactic_count(stripped) <= 1:
        return stripped
    # Dedent, then indent every line by one so all tactics start in the column after "(":
    # Lean's layout rule wants the steps of a sequence to share a column.
    indent = min(len(ln) - len(ln.lstrip()) for ln in lines)
    body = "\n ".join(ln[indent:] for ln in stripped.split("\n"))
    # ")" on a line of its own, in column 0: a `--` comment on the last line would swallow
    # it otherwise, and column 0 (left of the steps) ends every nested tactic block.
    return "(" + body + "\n)"


# A line starting with one of these continues the tactic above it (a `with`'s
# alternatives, a combinator, a closing bracket) rather than starting a new one.
_CONTINUATION = ("|", "<;>", ")", "]", "}", "⟩")


def _tactic_count(text: str) -> int:
    """How many tactics of a sequence start in ``text``: lines (comments ignored) at or left
    of the first line's column, which is where Lean's tactic sequence wants each step."""
    code_lines = [ln for ln in lex(text).code.split("\n") if ln.strip()]
    if not code_lines:
        return 0  # comments only
    column = len(code_lines[0]) - len(code_lines[0].lstrip())
    starts = 1
    for ln in code_lines[1:]:
        body = ln.lstrip()
        if len(ln) - len(body) <= column and not body.startswith(_CONTINUATION):
            starts += 1
    return starts


# Lean quotes the name with plain apostrophes, and names may contain them (`foo'`), so the
# name is "anything" up to the fixed words (`'foo'' depends on axioms: [propext]`).
_AXIOMS_DEPENDS = re.compile(r"'(?P<name>.+?)' depends on axioms: \[(?P<axioms>.*)\]", re.S)
_AXIOMS_NONE = re.compile(r"'(?P<name>.+?)' does not depend on any axioms")


def parse_axioms_message(text: str) -> list[str] | None:
    """Parse ``#print axioms`` output; None when the text is not that output."""
    match = _AXIOMS_DEPENDS.search(text)
    if match:
        return [a.strip() for a in match.group("axioms").replace("\n", " ").split(",") if a.strip()]
    if _AXIOMS_NONE.search(text):
        return []
    return None
