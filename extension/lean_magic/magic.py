"""IPython magics: ``%%lean`` cells and the ``%lean_*`` line magics.

A thin layer: every magic turns its options into a call on the shared ``LeanChecker``
(``lean_magic.shared_checker()``), so a notebook's ``%%lean`` cells and Python code that
uses that checker see the same REPL and the same env chain.

IPython cells have no stable id (re-running a cell is indistinguishable from running a
new one with the same text), so every ``%%lean`` run is a new cell chained on the last
successful one; use ``--env N`` or ``--fresh`` to build on something else.

A ``%%lean`` cell that runs longer than ``status_after`` seconds shows a status line
("importing Mathlib · 12 s"), drawn by ``lean_kernel.status.RunningStatus`` on its own
thread through IPython's display handles (ipykernel's display publisher sends from any
thread with the running cell's parent header). When the cell ends the line is cleared
with ``clear_output(wait=True)``, so the result replaces it without a flicker. Only the
cell magic has one: clearing would also wipe what Python code around a line magic
printed, and IPython in a terminal prints every display update as a new line.
"""

from __future__ import annotations

import os
import re
import uuid
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from IPython.core.displaypub import DisplayPublisher
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import clear_output, display, update_display
from traitlets import Float, default

from lean_kernel.config import (
    DEFAULT_OUTPUT_LIMIT,
    ConfigError,
    TimeoutValueError,
    parse_output_limit,
    per_call_timeout,
)
from lean_kernel.process import ReplFailure
from lean_kernel.render import chain_bundle, output_fits, result_text_part, text_bundle
from lean_kernel.results import KeptResults, save_result
from lean_kernel.session import ChainEntry
from lean_kernel.status import RunningStatus, StatusSettings
from lean_kernel.steps import TextProgress

from . import completion
from .api import LeanResult, close_shared_checker, setup, shared_checker
from .bundle import SetupError, doctor
from .bundle.report import NOTEBOOK_ADVICE

MAGIC_CONTINUE_HINT = "%%lean --proofstate {id}"

# Whole results of cells whose display was cut, by IPython execution count (%lean_result).
_KEPT = KeptResults()

# {{name}} is a literal {name}; {name} is a Python value when `name` is a variable.
# Nothing else is touched, so Lean's own braces ({x : Nat}, { s with ... }) pass through.
_PLACEHOLDER = re.compile(r"\{\{([^\W\d]\w*)\}\}|\{([^\W\d]\w*)\}")


def interpolate(code: str, namespace: Mapping[str, Any]) -> str:
    """Substitute ``{name}`` with ``str(namespace[name])`` for names that exist in
    ``namespace``; ``{{name}}`` gives a literal ``{name}``; everything else is kept."""

    def replace(match: re.Match) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped is not None:
            return "{" + escaped + "}"
        return str(namespace[name]) if name in namespace else match.group(0)

    return _PLACEHOLDER.sub(replace, code)


class EnvChain(list):
    """What ``%lean_env`` shows: the committed cells and the envs they produced."""

    def __init__(self, entries: list[ChainEntry], current_env: int | None) -> None:
        super().__init__(entries)
        self.current_env = current_env

    SHOWN_ROWS = 50  # the display shows the newest rows; the list holds them all

    def _bundle(self) -> dict[str, str]:
        return chain_bundle(self[-self.SHOWN_ROWS :], heading=f"current env: {self.current_env}", paging=self._hidden())

    def __repr__(self) -> str:
        if not self:
            return "no Lean cells have run yet (the next %%lean cell starts from a fresh env)"
        return self._bundle()["text/plain"]

    def _hidden(self) -> str:
        left = len(self) - self.SHOWN_ROWS
        return (
            f"(the newest {self.SHOWN_ROWS} of {len(self):,} cells; this is a list: index or slice it for the rest)"
            if left > 0
            else ""
        )

    def _repr_html_(self) -> str:
        return text_bundle(repr(self))["text/html"] if not self else self._bundle()["text/html"]


@magics_class
class LeanMagics(Magics):
    @property
    def _ip(self) -> Any:
        # IPython types `shell` as optional; a registered magic always runs in its shell.
        assert self.shell is not None, "lean_magic's magics run inside an IPython shell (%load_ext lean_magic)"
        return self.shell

    status_after = Float(
        allow_none=True,
        help="Seconds a %%lean cell runs before it shows a status line (None: never). "
        "Default: $LEAN_STATUS_AFTER, else 1.",
    ).tag(config=True)
    status_hint_after = Float(
        allow_none=True,
        help="Seconds before the status line mentions interrupting (None: never). "
        "Default: $LEAN_STATUS_HINT_AFTER, else 10.",
    ).tag(config=True)

    @default("status_after")
    def _status_after_default(self) -> float | None:
        return _env_status_settings().after

    @default("status_hint_after")
    def _status_hint_after_default(self) -> float | None:
        return _env_status_settings().hint_after

    def __init__(self, shell=None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._status = RunningStatus(self._publish_status)
        self._status_id = ""

    @no_var_expand
    @magic_arguments()
    @argument("--fresh", action="store_true", help="run on a fresh env: ignore earlier cells (imports allowed)")
    @argument("--env", type=int, metavar="N", help="run on env N (see %%lean_env, or a result's .env)")
    @argument(
        "--timeout", metavar="S", help="seconds before the REPL is killed, restarted and replayed (0 or off: no limit)"
    )
    @argument("--out", metavar="NAME", help="store the LeanResult in the Python variable NAME")
    @argument(
        "--raise",
        dest="raise_",
        action="store_true",
        help="raise LeanError when Lean reports an error, so Run All stops here",
    )
    @argument("-q", "--quiet", action="store_true", help="display nothing (use with --out)")
    @argument(
        "--widget", action="store_true", help="show the goal widget: step through the tactics (runs with allTactics)"
    )
    @argument(
        "-i",
        "--interpolate",
        action="store_true",
        help="replace {name} by the value of the Python variable name; {{name}} is a literal {name}; "
        "other braces ({x : Nat}) are left alone",
    )
    @argument("--axioms", action="store_true", help="also list the axioms each declaration depends on")
    @argument(
        "--proofstate",
        type=int,
        metavar="N",
        help="run the cell as tactics on proof state N (from a sorry) instead of as a command",
    )
    @line_cell_magic
    def lean(self, line: str, cell: str | None = None) -> LeanResult | None:
        """Run Lean 4 code in the notebook's Lean REPL.

        %%lean [options]    the cell is Lean code; it runs on the env of the last
                            successful %%lean cell and, if it succeeds, the next cell
                            builds on it. The value is a LeanResult (errors, sorries,
                            goals, env ...), shown as HTML.
        %lean CODE          one line of Lean code (no options).

        A cell still running after a second shows what it waits on and for how long,
        until its result replaces it (%config LeanMagics.status_after = S, or None).

        The REPL is configured by %lean_setup BUNDLE or by LEAN_REPL_PATH / LEAN_PROJECT.
        Other magics: %lean_env (the chain of envs), %lean_restart (new REPL, earlier
        cells replayed), %lean_setup [PATH], %lean_doctor (what is wrong and the fix),
        %lean_result N (the whole result when a display was cut), %lean_output [SIZE|off].
        """
        if cell is None:
            if not line.strip():
                raise UsageError(
                    "%lean needs Lean code on the same line, e.g. `%lean #eval 2+2`; use %%lean for a cell"
                )
            return self._run(line.strip(), fresh=False, env=None, timeout=None, axioms=False, widget=False)
        try:
            args = parse_argstring(self.lean, line)
        except ValueError as exc:  # shlex: an unterminated quote; argparse raises UsageError itself
            raise UsageError(f"cannot read the %%lean options {line!r}: {exc}; close the quote or drop it") from None
        code = cell.rstrip()
        if not code.strip():
            raise UsageError("the %%lean cell is empty: write Lean code under the %%lean line")
        _check_options(args)
        if args.interpolate:
            code = interpolate(code, self._ip.user_ns)
        # Nothing is displayed after the cell when it is quiet: clear the line at once.
        with self._status_line(result_follows=not args.quiet):
            result = self._run(
                code,
                fresh=args.fresh,
                env=args.env,
                timeout=args.timeout,
                axioms=args.axioms,
                widget=args.widget,
                proofstate=args.proofstate,
            )
        if args.out:
            self._ip.user_ns[args.out] = result
        if args.raise_:
            result.raise_for_errors()
        if args.quiet:
            return None
        if args.widget:
            display(result.widget())
        return result

    def _run(
        self,
        code: str,
        *,
        fresh: bool,
        env: int | None,
        timeout: float | str | None,
        axioms: bool,
        widget: bool,
        proofstate: int | None = None,
    ) -> LeanResult:
        checker = shared_checker()
        if proofstate is not None:
            result = checker.tactic(proofstate, code, timeout=timeout)
        else:
            result = checker.run(code, fresh=fresh, env=env, timeout=timeout, axioms=axioms, all_tactics=widget)
        result.continue_hint = MAGIC_CONTINUE_HINT
        if result.failure_kind == "ReplNotFound":
            # The failure names the setting; a notebook user also needs the notebook's way.
            result.notes.append(f"{NOTEBOOK_ADVICE.configure}; {NOTEBOOK_ADVICE.details}")
        elif result.failure_kind == "ReplOutOfMemory":
            result.notes.append(f"fix: {NOTEBOOK_ADVICE.memory}")
        if not output_fits(result, result.output_limit):
            # Its display will be cut: keep it whole where %lean_result N finds it.
            number = self._ip.execution_count
            _KEPT.keep(number, result)
            result.full_result_hint = f"%lean_result {number} (a LeanResult: .messages, .to_dict())"
        return result

    @contextmanager
    def _status_line(self, *, result_follows: bool) -> Iterator[None]:
        status = self._status
        status.settings = StatusSettings(after=self.status_after, hint_after=self.status_hint_after)
        if not status.enabled or type(self._ip.display_pub) is DisplayPublisher:
            yield  # off, or a terminal: the plain publisher prints each update as a new line
            return
        session = shared_checker().session
        self._status_id = f"lean-status-{uuid.uuid4().hex}"
        session.on_phase = status.report
        status.start()
        try:
            yield
        finally:
            session.on_phase = None
            if status.stop():
                clear_output(wait=result_follows)

    def _publish_status(self, bundle: dict, first: bool) -> None:
        """Runs on the status clock's thread."""
        if first:
            display(bundle, raw=True, display_id=self._status_id)
        else:
            update_display(bundle, raw=True, display_id=self._status_id)

    @line_magic
    def lean_result(self, line: str = "") -> LeanResult | None:
        """The whole result of the %%lean cell In [N] when its display was cut.

        %lean_result N          the LeanResult itself (r = %lean_result N; r.messages ...)
        %lean_result N PART     print part PART of its text (parts of a quarter of the limit)
        %lean_result N FILE     save it as JSON to FILE
        %lean_result            which results are kept (the latest 3, and those still
                                referenced, e.g. by Out[N] or a variable)
        """
        words = line.split(maxsplit=1)
        listing = ", ".join(str(n) for n in _KEPT.numbers()) or "none"
        if not words:
            print(f"whole results kept (cells whose display was cut): {listing}")
            return None
        if not (words[0].isascii() and words[0].isdigit()):
            raise UsageError(
                f"%lean_result wants a cell number (the N of In [N]), got {words[0]!r}; e.g. %lean_result 12"
            )
        number = int(words[0])
        result = _KEPT.get(number)
        if not isinstance(result, LeanResult):  # None: not kept (only LeanResults are)
            raise UsageError(
                f"no whole result of cell {number} is kept (kept now: {listing}); only cells whose display was cut "
                "keep it; use --out NAME to keep any result in a variable"
            )
        if len(words) == 1:
            return result
        target = words[1].strip()
        if target.isascii() and target.isdigit():
            part_size = (result.output_limit or DEFAULT_OUTPUT_LIMIT) // 4
            text, parts = result_text_part(result, int(target), part_size, continue_hint=MAGIC_CONTINUE_HINT)
            if not 1 <= int(target) <= parts:
                raise UsageError(
                    f"cell {number}'s result has {parts} part{'s' if parts != 1 else ''}; e.g. %lean_result {number} {parts}"
                )
            print(f"cell {number}, whole result: part {target} of {parts}\n\n{text}")
            return None
        path = os.path.abspath(os.path.expanduser(target))
        try:
            size = save_result(result, path)
        except (OSError, ValueError) as exc:
            raise UsageError(f"could not save cell {number}'s result to {path}: {exc}") from None
        print(f"saved cell {number}'s whole result ({size:,} bytes of JSON) to {path}")
        return None

    @line_magic
    def lean_output(self, line: str = "") -> None:
        """Show or set how much one %%lean result may display: %lean_output 5MB, %lean_output
        off (everything), default 1MB or LEAN_OUTPUT_LIMIT. A cut display says where the
        whole result is (%lean_result N)."""
        if line.strip():
            try:
                LeanResult.output_limit = parse_output_limit(line.strip(), what="%lean_output")
            except ConfigError as exc:
                raise UsageError(str(exc)) from None
        limit = LeanResult.output_limit
        print(
            "output limit: "
            + ("off: every result is shown whole" if limit is None else f"{limit:,} characters per result")
        )

    @line_magic
    def lean_env(self, line: str = "") -> EnvChain:
        """Show the chain: each successful %%lean cell, the env it ran on and the env it made."""
        checker = shared_checker()
        return EnvChain(checker.chain(), checker.env)

    @line_magic
    def lean_restart(self, line: str = "") -> None:
        """Kill the Lean REPL, start a new one and replay the cells of the current chain."""
        try:
            note = shared_checker().restart()
        except ReplFailure as exc:
            print(f"the Lean REPL could not be started: {exc}\nrun %lean_doctor to see why")
            return
        print(note)

    @magic_arguments()
    @argument("path", nargs="?", help="the bundle folder (default: $LEAN_BUNDLE, else a dataset under /kaggle/input)")
    @argument(
        "--workdir",
        metavar="DIR",
        help="a writable folder for the copies a read-only bundle needs (default: <tempdir>/lean-magic)",
    )
    @argument("--no-check", action="store_true", help="skip the positive control (#eval 2+2)")
    @line_magic
    def lean_setup(self, line: str = ""):
        """Use an offline Lean bundle; nothing is downloaded. Later %%lean cells run in a
        new REPL from that bundle.

        The bundle holds a toolchain (toolchain/bin/lean, or .elan/toolchains/*), a Lean
        project (lean-toolchain, lakefile, its .lake build and packages) and a built REPL
        (repl/.lake/build/bin/repl or bin/repl); see help(lean_magic.setup). A read-only
        project is copied to --workdir with its build outputs symlinked.
        """
        args = parse_argstring(self.lean_setup, line)
        try:
            # Each step is printed as it starts and ends: a copy or the positive control
            # can take a while, and a failure shows at the step it belongs to.
            report = setup(args.path, workdir=args.workdir, check=not args.no_check, progress=TextProgress())
        except SetupError as exc:
            raise UsageError(str(exc)) from None
        return report  # setup() closed the cells' REPL: the next cell starts the bundle's

    @line_magic
    def lean_doctor(self, line: str = ""):
        """Versions, paths and checks of the Lean REPL %%lean uses, each failure with its fix."""
        return doctor(shared_checker().config)


def _env_status_settings() -> StatusSettings:
    try:
        return StatusSettings.from_env()
    except ConfigError as exc:
        warnings.warn(f"{exc}; the %%lean status line uses its defaults", stacklevel=2)
        return StatusSettings()


def load(ip) -> None:
    ip.register_magics(LeanMagics)
    completion.register(ip)


def unload(ip) -> None:
    completion.unregister(ip)
    close_shared_checker()
    _KEPT.clear()


def _check_options(args: Any) -> None:
    """UsageError, naming the fix, for %%lean options that contradict each other or are
    no valid value; before anything runs."""
    if args.fresh and args.env is not None:
        raise UsageError("--fresh and --env contradict each other: use one")
    if args.proofstate is not None and (args.fresh or args.env is not None or args.widget or args.axioms):
        raise UsageError("--proofstate runs tactics: it cannot be combined with --fresh, --env, --widget or --axioms")
    if (args.env is not None and args.env < 0) or (args.proofstate is not None and args.proofstate < 0):
        raise UsageError("--env and --proofstate take an id >= 0 (see %lean_env, or a result's .env / .proof_state)")
    if args.timeout is not None:
        try:
            per_call_timeout(args.timeout)
        except TimeoutValueError as exc:
            raise UsageError(f"--timeout: {exc}") from None
    if args.out is not None and not args.out.isidentifier():
        raise UsageError(f"--out needs a Python variable name, not {args.out!r}")
