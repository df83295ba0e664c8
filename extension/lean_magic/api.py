"""The Python API: check Lean code from Python (the ``%%lean`` magic is a thin layer on it).

    from lean_magic import LeanChecker
    with LeanChecker() as lean:                    # one persistent REPL, started on first use
        r = lean.run("theorem t : 2 + 2 = 4 := by decide")
        r.ok, r.errors, r.sorries, r.env
        step = lean.tactic(r, "simp")              # continue the latest sorry of r
        lean.verify(statement, candidate)          # H-verify's verify.py
        lean.check_many(codes, workers=4)          # pool.py, one REPL per worker

One name, ``LeanChecker``: it says what the object is for (checking Lean text from
Python) and cannot be confused with the language or with a module; an alias such as
``Lean`` would only give the docs two spellings for one thing.

``LeanResult`` *is* a ``lean_kernel.results.CellResult`` (a subclass, so field logic and
``ok`` live in one place) that adds what a Python caller wants: messages and sorries with
flat positions, ``env``, ``raise_for_errors()``, a rich notebook display and ``widget()``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, MutableMapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from lean_kernel.config import ReplConfig, TimeoutArg, output_limit_from_env, per_call_timeout
from lean_kernel.lean_text import declared_names
from lean_kernel.protocol import Message, Pos, Sorry
from lean_kernel.render import failure_parts
from lean_kernel.results import CellResult
from lean_kernel.session import CHAIN, FRESH, ChainEntry, EnvArg, LeanSession
from lean_kernel.steps import Listener

from .bundle import SetupReport, active_config, configure

__all__ = ["LeanChecker", "LeanError", "LeanMessage", "LeanResult", "LeanSorry", "setup", "shared_checker"]

API_CONTINUE_HINT = 'checker.tactic({id}, "…")'


# --------------------------------------------------------------------------- typed parts


class _Located:
    """Flat positions: ``line`` from 1, ``column`` from 0 (code points, so Python string
    indices of that line), as Lean reports them; None when Lean gave none."""

    pos: Pos | None
    end_pos: Pos | None

    @property
    def line(self) -> int | None:
        return self.pos.line if self.pos else None

    @property
    def column(self) -> int | None:
        return self.pos.column if self.pos else None

    @property
    def end_line(self) -> int | None:
        return self.end_pos.line if self.end_pos else None

    @property
    def end_column(self) -> int | None:
        return self.end_pos.column if self.end_pos else None

    def where(self) -> str:
        if self.pos is None:
            return ""
        end = f"-{self.end_pos.line}:{self.end_pos.column}" if self.end_pos else ""
        return f"{self.pos.line}:{self.pos.column}{end}"


class LeanMessage(Message, _Located):
    """A Lean message: ``severity``, ``text``, ``line``/``column``/``end_line``/``end_column``."""

    @property
    def text(self) -> str:
        return self.data

    def __str__(self) -> str:
        where = self.where()
        return f"{where + ': ' if where else ''}{self.severity}: {self.data}"


class LeanSorry(Sorry, _Located):
    """A ``sorry``: its ``goal``, the ``proof_state`` to continue it with, its position."""

    def __str__(self) -> str:
        return f"sorry at {self.where() or '?'} (proof state {self.proof_state}): {self.goal}"


_V = TypeVar("_V", "LeanMessage", "LeanSorry")


# --------------------------------------------------------------------------- results


class LeanError(Exception):
    """Lean (or the REPL) rejected the code. ``result`` is the full LeanResult."""

    def __init__(self, result: LeanResult, reason: str | None = None) -> None:
        self.result = result
        self.errors: list[LeanMessage] = [m for m in result.messages if m.severity == "error"]
        super().__init__(reason or result.problem_summary())

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a Python traceback: the Lean messages are the
        # useful part, the frames of the magic are not.
        return [f"LeanError: {line}" if i == 0 else line for i, line in enumerate(str(self).split("\n"))]


class LeanResult(CellResult):
    """What one run produced (a ``CellResult`` with a Python-friendly surface)."""

    continue_hint: str | None = API_CONTINUE_HINT  # how the display says to continue a sorry
    # What the display may send (characters, all MIME types; None: everything; the
    # default reads LEAN_OUTPUT_LIMIT), and where it says the whole result is when it cuts.
    output_limit: int | None = output_limit_from_env()
    full_result_hint: str | None = "this LeanResult (.messages, .to_dict())"

    @classmethod
    def from_cell(cls, cell: CellResult) -> LeanResult:
        # Every field, by the dataclass's own list, so none can be forgotten.
        return cls(**{f.name: getattr(cell, f.name) for f in dataclasses.fields(cell)})

    @property
    def messages(self) -> list[LeanMessage]:  # type: ignore[override]
        return self._views("messages", LeanMessage, super().messages)

    @property
    def sorries(self) -> list[LeanSorry]:  # type: ignore[override]
        return self._views("sorries", LeanSorry, super().sorries)

    def _views(self, key: str, cls: type[_V], items: Sequence[Message | Sorry]) -> list[_V]:
        # The response's own JSON seen through the richer class: nothing is copied, and
        # the list is made once per response, however often it is read.
        cached = self.__dict__.get("_views_" + key)
        views: list[_V]
        if cached is not None and cached[0] is self.response:
            views = cached[1]
        else:
            views = [cls.view_of(item) for item in items]
            self.__dict__["_views_" + key] = (self.response, views)
        return views

    @property
    def env(self) -> int | None:
        """The env this code produced: pass it as ``env=`` to build on it."""
        return self.env_after

    @property
    def proof_state(self) -> int | None:
        """Tactic mode: the state after the step; else the last sorry's state."""
        if self.tactic is not None:
            return self.tactic.proof_state
        states = [s.proof_state for s in self.sorries if s.proof_state is not None]
        return states[-1] if states else None

    def problem_summary(self) -> str:
        failed = failure_parts(self)
        if failed is not None:
            return "the REPL failed ({}): {}".format(*failed)
        if self.repl_error is not None:
            return f"the REPL refused the request: {self.repl_error}"
        errors = self.errors
        if errors:
            head = f"Lean reported {len(errors)} error{'s' if len(errors) != 1 else ''}:"
            return "\n".join([head] + [_indent(str(e)) for e in errors])
        if self.tactic is not None and not self.ok:
            return f"the tactic step failed: {self.proof_status}"
        sorries = self.sorries
        if sorries:
            return f"the code uses sorry ({len(sorries)}):\n" + "\n".join(_indent(str(s)) for s in sorries)
        return "no problem"

    def raise_for_errors(self, *, allow_sorry: bool = True) -> LeanResult:
        """Raise LeanError unless the code was accepted (and, with ``allow_sorry=False``,
        has no sorry). Returns self, so ``lean.run(code).raise_for_errors()`` chains."""
        if not self.ok or (not allow_sorry and self.sorries):
            raise LeanError(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["env"] = self.env
        return out

    def widget(self) -> Any:
        """The goal widget (step through the tactics). Needs a run with ``all_tactics=True``
        (``%%lean --widget``); otherwise it says there are no steps."""
        from lean_kernel.widget import build_widget

        return build_widget(self.code, self.response)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        from lean_kernel.render import render_bundle

        # The raw result rides under render's vendor MIME type, which frontends skip:
        # JupyterLab (so Kaggle) would show plain application/json as a tree, not the HTML.
        bundle = render_bundle(
            self, continue_hint=self.continue_hint, limit=self.output_limit, full_result_hint=self.full_result_hint
        )
        if not bundle.get("text/plain"):
            bundle["text/plain"] = repr(self)  # a saved notebook still shows something
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle

    def __repr__(self) -> str:
        parts = [("ok" if self.ok else "FAILED") + (f" ({self.failure_kind})" if self.failure_kind else "")]
        if self.env is not None:
            parts.append(f"env {self.env}")
        if self.tactic is not None:
            parts.append(f"proof state {self.tactic.proof_state}: {self.proof_status or ''}".rstrip(": "))
        counts = [
            (len(self.errors), "error", "errors"),
            (len(self.warnings), "warning", "warnings"),
            (len(super().sorries), "sorry", "sorries"),
        ]
        parts += [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
        if self.repl_error:
            parts.append(f"REPL: {self.repl_error.splitlines()[0]}")
        parts.append(f"{self.elapsed:.2f} s")
        return f"<LeanResult {' · '.join(parts)}>"

    __str__ = __repr__


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.split("\n"))


# --------------------------------------------------------------------------- the checker


class LeanChecker:
    """One persistent Lean REPL and its env chain. Thread-safe (one request at a time).

    ``config``: a ReplConfig; default: the one ``lean_magic.setup()`` made, else
    ``ReplConfig.from_env()`` (LEAN_REPL_PATH, LEAN_PROJECT, ...). The REPL starts on the
    first request, so constructing a checker never fails because of Lean.
    """

    def __init__(self, config: ReplConfig | None = None, *, timeout: float | None = None) -> None:
        if config is None:
            config = active_config() or ReplConfig.from_env()
        if timeout is not None:
            config = config.with_changes(timeout=timeout)
        self.config = config
        self._session: LeanSession | None = None
        self._lock = threading.Lock()

    @property
    def session(self) -> LeanSession:
        """The lean_kernel session underneath (env chain, restart and replay)."""
        with self._lock:
            if self._session is None:
                self._session = LeanSession(self.config)
            return self._session

    # ------------------------------------------------------------------ running

    def run(
        self,
        code: str,
        *,
        fresh: bool = False,
        env: int | None = None,
        timeout: float | str | None = None,
        axioms: bool = False,
        all_tactics: bool = False,
    ) -> LeanResult:
        """Run Lean code as the next cell: it sees what earlier successful runs defined,
        and if it succeeds later runs see it. ``fresh=True``: start from an empty env
        (imports allowed). ``env=N``: build on env N instead (``env=None``, the default,
        means not given: continue the chain). ``timeout``: seconds, or ``"off"``/0 for no
        limit; None (the default) is the checker's configured limit. ``axioms=True``:
        also ask ``#print axioms`` for every declaration the code makes
        (``result.axioms``). ``all_tactics=True``: ask for every tactic step (for
        ``result.widget()``)."""
        if not isinstance(code, str):
            raise TypeError(f"code must be Lean source text (a str), not {type(code).__name__}")
        if fresh and env is not None:
            raise ValueError("fresh=True and env=N contradict each other: pass one of them")
        if env is not None and (not isinstance(env, int) or isinstance(env, bool) or env < 0):
            raise ValueError(f"env must be an env id (an int >= 0, e.g. an earlier result's .env), not {env!r}")
        # The one place the API's None ("not given") becomes the session's choice.
        on: EnvArg = FRESH if fresh else CHAIN if env is None else env
        cell = self.session.run_cell(code, env=on, timeout=timeout, all_tactics=all_tactics)
        result = _interrupt_check(LeanResult.from_cell(cell))
        if axioms and result.ok and result.env_after is not None:
            names = declared_names(code)  # with their namespaces, as `#print axioms` resolves them
            result.axioms = self.session.axioms_of(names, env=result.env_after, timeout=timeout)
        return result

    def tactic(
        self, state: int | LeanResult | Sorry | None, tactic: str, *, timeout: float | str | None = None
    ) -> LeanResult:
        """Run a tactic (several lines run as one step) on a proof state: an id, a Sorry,
        a LeanResult (its last sorry, or the state a tactic step left), or None (the
        latest). ``result.goals`` / ``result.proof_status`` say what is left."""
        if not isinstance(tactic, str):
            raise TypeError(f"tactic must be a str, not {type(tactic).__name__}")
        proof_state = _proof_state_of(state)
        return _interrupt_check(LeanResult.from_cell(self.session.run_tactic(tactic, proof_state, timeout=timeout)))

    # ------------------------------------------------------------------ verification (verify.py, pool.py)

    def verify(self, formal_statement: str, candidate: str, **options: Any) -> Any:
        """Does ``candidate`` prove ``formal_statement``? See lean_magic.verify.verify."""
        from .verify import verify

        if options.get("timeout") is not None:
            options["timeout"] = per_call_timeout(options["timeout"])
        return verify(self.session, formal_statement, candidate, **options)

    def check_many(
        self, codes: Iterable[str], *, workers: int | None = None, timeout: float | None = None, **options: Any
    ) -> Any:
        """Run many independent pieces of code, each on a fresh env (or its own imports),
        in parallel REPLs (lean_magic.pool.check_many); a BatchResults of LeanResult in
        input order (``.summary()``, ``.to_pandas()``...). ``backend="ray"`` runs them on
        Ray. The checker's own env chain is not touched."""
        from .pool import check_many

        results = check_many(list(codes), config=self.config, workers=workers, timeout=timeout, **options)
        return results.replaced(LeanResult.from_cell(r) for r in results)

    def verify_many(
        self,
        formal_statement: str | Sequence[str] | Sequence[tuple[str, str]],
        candidates: Iterable[str] | None = None,
        *,
        workers: int | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> Any:
        """Verify many candidates in parallel REPLs (lean_magic.pool.verify_many): against
        one statement, one statement each, or (statement, candidate) pairs. A BatchResults
        of VerificationResult in input order; ``backend="ray"`` runs them on Ray."""
        from .pool import verify_many

        cands = None if candidates is None else list(candidates)
        return verify_many(formal_statement, cands, config=self.config, workers=workers, timeout=timeout, **options)

    # ------------------------------------------------------------------ state and lifecycle

    @property
    def env(self) -> int | None:
        """The env the next run builds on (None: nothing committed yet)."""
        return self._session.current_env if self._session else None

    def chain(self) -> list[ChainEntry]:
        return self._session.chain() if self._session else []

    def restart(self) -> str:
        """Kill the REPL, start a new one and replay the successful runs; returns a note."""
        return self.session.restart()

    def reset(self) -> None:
        """Forget every run: the next one starts from a fresh env (the REPL keeps running)."""
        if self._session is not None:
            self._session.reset()

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def __enter__(self) -> LeanChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        pid = self._session.repl_pid if self._session else None
        state = "not started" if pid is None else f"pid {pid}"
        return f"<LeanChecker repl={self.config.repl_path or self.config.project_dir!r} env={self.env} {state}>"


def _interrupt_check(result: LeanResult) -> LeanResult:
    # The session turned Ctrl-C into "REPL restarted and replayed". Python code (a loop
    # over candidates, Run All in a notebook) must still stop, as after any Ctrl-C.
    if result.failure_kind == "ReplInterrupted":
        raise KeyboardInterrupt(f"interrupted; {'; '.join(result.notes) or 'the Lean REPL was restarted'}")
    return result


def _proof_state_of(state: Any) -> int | None:
    if state is None or (isinstance(state, int) and not isinstance(state, bool)):
        if state is not None and state < 0:
            # Sent on, it would kill the REPL (no request shape fits) and cost a replay.
            raise ValueError(f"a proof state id is an int >= 0 (e.g. a sorry's .proof_state), not {state!r}")
        return state
    if isinstance(state, Sorry):
        if state.proof_state is None:
            raise ValueError("this sorry has no proof state (the REPL gave none)")
        return state.proof_state
    if isinstance(state, CellResult):
        found = LeanResult.from_cell(state).proof_state
        if found is None:
            raise ValueError("that result has no proof state to continue: it has no sorry and is not a tactic step")
        return found
    raise TypeError(f"state must be a proof state id, a sorry, a LeanResult or None, not {type(state).__name__}")


# --------------------------------------------------------------------------- the magic's checker

_shared: LeanChecker | None = None
_shared_lock = threading.Lock()


def shared_checker() -> LeanChecker:
    """The checker ``%%lean`` cells run in (created on first use), for Python code that
    wants to continue what the cells did."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LeanChecker()
        return _shared


def close_shared_checker() -> None:
    """Close the magic's checker; the next ``%%lean`` cell creates a new one (with the
    configuration of the latest ``setup()``)."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.close()
        _shared = None


# --------------------------------------------------------------------------- set-up


def setup(
    bundle: str | Path | None = None,
    *,
    toolchain: str | Path | None = None,
    project: str | Path | None = None,
    repl: str | Path | None = None,
    workdir: str | Path | None = None,
    copy: bool | None = None,
    link_packages: bool = True,
    check: bool = True,
    verify: bool = True,
    timeout: TimeoutArg = 120.0,
    export: bool = True,
    environ: MutableMapping[str, str] | None = None,
    progress: Listener | None = None,
) -> SetupReport:
    """Configure Lean from an offline bundle; nothing is downloaded.

    A bundle holds (each part is searched for; ``lean_magic.bundle.discover`` lists every
    accepted name): a toolchain (``<bundle>/toolchain/bin/lean``, or an ``.elan/toolchains``
    folder), a Lean project (``lean-toolchain``, ``lakefile.lean|toml``, its ``.lake``
    build with ``.lake/packages``), and a built REPL (``<bundle>/repl/.lake/build/bin/repl``,
    ``<bundle>/bin/repl``, or the project's ``.lake/packages/REPL``). ``lean-kernel bundle
    OUT`` builds one, with a manifest (``lean-bundle.json``) that is checked here.

    ``bundle``: the bundle folder (default: ``$LEAN_BUNDLE``, else a dataset under
    /kaggle/input). ``toolchain``/``project``/``repl`` override what the search finds.
    ``workdir``: a writable folder for copies (default ``<tempdir>/lean-magic``).
    ``copy``: copy the project into it (None: only when the bundle is read-only).
    ``verify``: compare the bundle with its manifest (file counts, sha256 of binaries).
    ``export``: also set PATH, LEAN_SYSROOT, LEAN_PATH, LEAN_REPL_PATH (and LEAN_REPL_ENV)
    in ``environ`` (default os.environ), so child processes (pool workers, ``!lean``) see
    the same Lean. ``check``: run the positive control, within ``timeout`` seconds
    (``"off"``: no limit; None: the configured limit). ``progress``: called with each
    step's events (``lean_kernel.steps.TextProgress()`` prints them). Returns a
    SetupReport; check ``.ok`` (or call ``.raise_for_problems()``). Raises SetupError only
    when no bundle can be found at all.

    The REPL of the ``%%lean`` cells (``shared_checker()``) was started from the previous
    configuration: it is closed, and the next cell starts one from this bundle.
    """
    report = configure(
        bundle,
        toolchain=toolchain,
        project=project,
        repl=repl,
        workdir=workdir,
        copy=copy,
        link_packages=link_packages,
        check=check,
        verify=verify,
        timeout=timeout,
        export=export,
        environ=environ,
        progress=progress,
    )
    if report.config is not None:
        close_shared_checker()
    return report
