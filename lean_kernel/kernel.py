"""The Jupyter kernel for Lean 4: it translates Jupyter messages into LeanSession calls.

Life of a cell, in order: ``do_execute`` (here) splits off the kernel's ``%`` lines
(``split_magics``) and, once per session, runs the start-up check
(``LeanSession.health_check``, which is ``doctor.run_checks``). The Lean text goes to
``session.LeanSession.run_cell``: the session chooses the env (``_base_env``: the chain,
a re-run's first env, or fresh), splits off the import header (``split_cell``, read by
``lean_text.read_header``) and runs it or reuses its env, then sends the body as a
``protocol.CommandRequest`` through ``process.ReplProcess.request``, which writes it to
the REPL subprocess and frames and parses the answer (``protocol.parse_response``). A
fault there restarts the REPL, and the session replays the committed cells
(``_replay``). The session moves the answer's positions back onto the cell
(``protocol.shift_lines``), commits it when it is ok, and returns a
``results.CellResult``. Back here, ``_show`` turns that into a MIME bundle
(``render.render_cell``, a pure function), publishes it, and returns a ``CellError``
when the cell failed: the iopub ``error`` message and the ``error`` reply.

Everything about Lean lives below this file: ``session`` chooses envs and recovers from
REPL faults, ``render`` turns results into MIME bundles, ``doctor`` checks the set-up,
``widget`` builds the goal widget and ``editing`` knows Lean words. This file only
decides which of them to call for each message, and what to publish.

Jupyter facts it relies on (ipykernel 6.17 to 7):
- ``do_execute`` gets ``cell_id`` only because its signature declares it. JupyterLab sends
  it in ``metadata.cellId``; nbclient and the console do not, and then re-runs cannot be
  told from new cells.
- An interrupt is a SIGINT to the kernel's process group, raised as KeyboardInterrupt in
  whatever runs. The REPL has its own session, so it never sees that signal: the process
  layer turns the KeyboardInterrupt into kill, restart and replay. A KeyboardInterrupt
  that lands in our own code is handled here the same way.
- The reply status ``error`` makes "Run All" stop at that cell, so only Lean errors and
  REPL faults produce it; warnings and sorries do not.
- A plain ``Kernel`` does not wire comms; ipywidgets needs a comm manager (``_wire_comms``).
- A cell silent for a second gets a status line ("importing Mathlib · 12 s"): a
  display_data with its own display id, updated in place by update_display_data from the
  clock's thread (``status.RunningStatus``; ipykernel's iopub socket queues sends from
  any thread). No message removes one output, so taking the line down is a
  ``clear_output(wait=True)`` followed by this cell's earlier displays and the result.
  ``jupyter console`` ignores update_display_data: it prints the line once.
"""

from __future__ import annotations

import fnmatch
import os
import traceback
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from ipykernel.kernelbase import Kernel

from . import __version__, abbreviations, editing
from .config import (
    DEFAULT_OUTPUT_LIMIT,
    ENV_NOTICE,
    ConfigError,
    ReplConfig,
    TimeoutValueError,
    describe_timeout,
    output_limit_from_env,
    parse_output_limit,
    parse_timeout,
)
from .doctor import Advice
from .process import release_memory
from .protocol import without_lone_surrogates
from .render import chain_bundle, render_cell, result_text_part, stale_bundle, text_bundle
from .results import CellResult, KeptResults, Phase, save_result
from .session import LeanSession
from .status import RunningStatus, StatusSettings

LANGUAGE_INFO: dict[str, object] = {
    "name": "lean4",
    "version": "4",
    "mimetype": "text/x-lean4",
    "file_extension": ".lean",
    # Pygments has Lean4Lexer (alias "lean4") since 2.18; "lean" is still Lean 3.
    "pygments_lexer": "lean4",
    # The CodeMirror language of the JupyterLab extension shipped in the wheel
    # (labextension/); a frontend without it shows plain text.
    "codemirror_mode": "lean4",
}

MAGICS = {
    "help": "%help — this list",
    "env": "%env [PAGE|stale|all] — the cells of the session, newest first by pages of 50: which env each produced, stale marks",
    "proofstate": "%proofstate [N] — run the rest of the cell as tactics on proof state N (default: the latest)",
    "reset": "%reset — forget every cell; the next cell starts from a fresh env",
    "restart": "%restart — restart the REPL and replay the committed cells",
    "timeout": "%timeout [SECONDS|off] — show or set the time limit per cell",
    "pickle": "%pickle PATH — save the current env to PATH (.olean)",
    "unpickle": "%unpickle PATH — continue from an env saved with %pickle",
    "project": "%project DIR — start a new session in the Lean project DIR (forgets the cells)",
    "widget": "%widget on|off — show tactic steps in a goal widget (needs ipywidgets in the frontend)",
    "output": "%output [SIZE|off] — show or set how much one cell may display (default 1MB; e.g. %output 5MB)",
    "lean_result": "%lean_result [N [PART|FILE]] — the whole result of cell N when its output was cut: "
    "its text in parts, or saved as JSON to FILE",
}

# How a kernel user gets a working Lean (the doctor's fixes name settings, not tools).
KERNEL_ADVICE = Advice(
    configure="run `lean-kernel setup` in a terminal (or `python install_kernel.py --repl PATH [--project DIR]`), "
    "then restart the kernel",
    memory="run `lean-kernel setup --memory-limit-mb N` in a terminal (or `python install_kernel.py "
    "--memory-limit-mb N`; Mathlib needs 12 GiB or more at v4.26+), then restart the kernel",
)

# A folder is a Lean project when it holds one of these.
PROJECT_MARKERS = ("lean-toolchain", "lakefile.lean", "lakefile.toml")

MAX_STALE_BANNERS = 20  # update_display_data messages a re-run may send (about a screenful of cells)
ENV_PAGE = 50  # rows of %env per page


class MagicError(Exception):
    """A magic that cannot do what was asked; the message says what to type instead."""


@dataclass
class CellError:
    """How a cell failed, as Jupyter's error message and reply carry it. Execution
    helpers return one, or None when the cell succeeded."""

    ename: str
    evalue: str
    traceback: list[str]

    @classmethod
    def from_magic(cls, text: str) -> CellError:
        return cls("MagicError", text, [f"MagicError: {text}"])

    def content(self) -> dict[str, Any]:
        """The error's fields for the iopub ``error`` message and the reply, every string
        freed of lone surrogates (see without_lone_surrogates)."""
        return {
            "ename": _sendable(self.ename),
            "evalue": _sendable(self.evalue),
            "traceback": _sendable(self.traceback),
        }


class LeanKernel(Kernel):
    implementation = "lean_kernel"
    implementation_version = __version__
    language = "lean4"
    language_version = "4"
    language_info = LANGUAGE_INFO
    # ipykernel's own manager before 6.18, the `comm` package's after: two classes.
    comm_manager: Any
    banner = (
        "Lean 4 kernel: each cell is a Lean command run by one persistent Lean REPL.\n"
        "Cells build on each other; %help lists the kernel's magics."
    )
    help_links = [  # noqa: RUF012 - ipykernel declares and reads it as a plain class attribute
        {"text": "Lean 4 documentation", "url": "https://lean-lang.org/documentation/"},
        {"text": "Lean REPL", "url": "https://github.com/leanprover-community/repl"},
    ]
    # No IPython shell here. ipykernel < 6.18's Comm.handle_msg reads `kernel.shell`, which
    # only IPythonKernel defines: without this, every widget message from the frontend
    # (a slider moved) dies in an AttributeError that ipykernel only logs.
    shell = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._session: LeanSession | None = None
        self._checked = False  # the start-up check passed for the current session
        self._notes: list[str] = []  # shown with the next cell (start-up check result)
        # From the kernelspec's env: `lean-kernel demo` says every answer is a replay.
        self._notice = os.environ.get(ENV_NOTICE) or None
        self._history = _History()  # (session, line, input, output) for history requests
        self._last_output: str | None = None
        self._shown = _ShownOutputs()  # cell id -> what it displays (for stale banners)
        self._kept = KeptResults()  # full results of cells whose output was cut (%lean_result)
        self._output_limit = output_limit_from_env()
        self._big_cell = False  # this cell's output was cut: release memory after it
        self._widgets = False
        self._meta_envs: dict[int | None, bool] = {}  # env -> can it run meta code (completion)
        self._silent = False
        try:
            settings = StatusSettings.from_env()
        except ConfigError as exc:
            settings = StatusSettings()
            self._notes.append(f"{exc}; the status line uses its defaults")
        self._status = RunningStatus(self._publish_status_line, settings)
        self._status_id: str | None = None  # the running cell's status line (None: no cell)
        self._status_parent: dict = {}
        self._cell_displays: list[dict] = []  # this cell's displays, re-sent when the status line goes
        self._wire_comms()

    @property
    def kernel_info(self) -> dict:
        info = super().kernel_info
        # ipykernel advertises its Python debugger when debugpy is installed; ours has none.
        info["supported_features"] = [f for f in info.get("supported_features", []) if f != "debugger"]
        return info

    # ------------------------------------------------------------------ session

    def _get_session(self) -> LeanSession:
        """The session, made on first use so kernel_info answers even with a bad set-up."""
        if self._session is None:
            self._session = LeanSession(
                ReplConfig.from_env(), on_phase=self._status.report
            )  # ConfigError names the variable
            self._checked = False
        return self._session

    def _ensure_ready(self) -> CellError | None:
        """Run the start-up check once per session (it starts the REPL). Its verdict is
        shown with this cell; on failure the cell is not run and the check runs again
        at the next cell, since the user may have fixed the cause meanwhile."""
        if self._checked:
            return None
        try:
            session = self._get_session()
        except ConfigError as exc:
            return CellError("LeanSetupError", str(exc), [f"LeanSetupError: {exc}", f"Fix: {KERNEL_ADVICE.configure}"])
        self._status.report(Phase("starting"))
        report = session.health_check(advice=KERNEL_ADVICE)
        if report.ok:
            self._checked = True
            self._notes.append(report.summary())
            return None
        summary = report.summary()
        return CellError("LeanSetupError", summary.split("\n")[0], [*summary.split("\n"), "", report.as_text()])

    # ------------------------------------------------------------------ execute

    def _publish_execute_input(self, code: str, parent: dict, execution_count: int) -> None:
        # ipykernel echoes the cell before do_execute runs; a lone surrogate in it (sent by
        # a browser as "\\ud800") would fail to pack and leave the request unanswered.
        super()._publish_execute_input(without_lone_surrogates(code), parent, execution_count)

    async def do_execute(
        self,
        code: str,
        silent: bool,
        store_history: bool = True,
        user_expressions: dict | None = None,
        allow_stdin: bool = False,
        *,
        cell_id: str | None = None,
        cell_meta: dict | None = None,
    ) -> dict:
        self._silent = silent
        self._last_output = None
        self._status_line_begin()
        try:
            try:
                error = self._execute(code, cell_id)
            except KeyboardInterrupt:
                error = self._after_interrupt()
        except Exception as exc:  # the kernel must outlive any fault below it
            # The user sees the traceback in the cell; the kernel's log keeps it for a report.
            self.log.warning("lean_kernel failed while running a cell", exc_info=True)
            error = CellError(type(exc).__name__, str(exc), traceback.format_exc().split("\n"))
        self._status_line_end(output_follows=error is not None)
        content = None if error is None else error.content()
        if content is not None:
            self._send("error", content)
            self._last_output = self._last_output or f"{content['ename']}: {content['evalue']}"
        if store_history and not silent:
            self._history.append(self.execution_count, without_lone_surrogates(code), self._last_output)
        if self._big_cell:
            # The huge answer's buffers and copies are garbage now: return them.
            self._big_cell = False
            release_memory()
        if content is None:
            return {"status": "ok", "execution_count": self.execution_count, "payload": [], "user_expressions": {}}
        return {"status": "error", "execution_count": self.execution_count, **content}

    def _execute(self, code: str, cell_id: str | None) -> CellError | None:
        magics, body = split_magics(code)
        for name, arg in magics:
            if name == "proofstate":
                return self._run_tactics(body, arg)
            try:
                self._magic(name, arg, cell_id)
            except MagicError as exc:
                return CellError.from_magic(str(exc))
        if not body.strip():
            return None
        # The Lean text is sent as it would be without the magic lines, so positions in
        # messages count from the first Lean line (the rendered excerpt shows which).
        return self._run_command(body, cell_id)

    def _run_command(self, code: str, cell_id: str | None) -> CellError | None:
        problem = self._ensure_ready()
        if problem is not None:
            return problem
        result = _advised(self._get_session().run_cell(code, cell_id=cell_id, all_tactics=self._widgets))
        error = self._show(result, cell_id)
        self._mark_stale(result.made_stale)
        if self._widgets and result.response is not None:
            self._show_widget(result)
        return error

    def _run_tactics(self, tactics: str, arg: str) -> CellError | None:
        if arg and not (arg.isascii() and arg.isdigit()):
            return CellError.from_magic(
                f"%proofstate wants a proof state number, got {arg!r}; e.g. %proofstate 0, or %proofstate alone for the latest"
            )
        if not tactics.strip():
            return CellError.from_magic("%proofstate needs tactics on the lines below it, e.g.\n%proofstate 0\nintro h")
        problem = self._ensure_ready()
        if problem is not None:
            return problem
        result = _advised(self._get_session().run_tactic(tactics, int(arg) if arg else None))
        return self._show(result, None)

    def _after_interrupt(self) -> CellError:
        """A KeyboardInterrupt outside a REPL request: our state may be half-updated, so
        the REPL is killed and the committed cells are replayed before the next cell. Not
        now: a Mathlib replay takes minutes, and the user who pressed Ctrl-C wants control
        back (a second Ctrl-C during a replay must not cost the session either)."""
        try:
            note = (
                self._session.restart_later("interrupted (KeyboardInterrupt)")
                if self._session
                else "nothing was running"
            )
        except KeyboardInterrupt:
            note = "interrupted again; the REPL starts again at the next cell"
        self._show_text(f"note: {note}")
        return CellError("KeyboardInterrupt", "interrupted", [f"KeyboardInterrupt: {note}"])

    # ------------------------------------------------------------------ output

    def _show(self, result: CellResult, cell_id: str | None) -> CellError | None:
        """Publish a result: a display (kept updatable by cell id) for what is not an error,
        then the error itself, which makes the reply status ``error``. Within the output
        limit: a cut result is kept whole for ``%lean_result N``."""
        result.notes[:0] = ([self._notice] if self._notice else []) + self._notes
        self._notes = []
        number = self.execution_count
        rendered = render_cell(
            result, errors_apart=True, limit=self._output_limit, full_result_hint=f"%lean_result {number}"
        )
        if rendered.truncation is not None:
            self._kept.keep(number, result)
            self._big_cell = True
        bundle, metadata = rendered.bundle, dict[str, object]()
        if rendered.error is None:
            self._display(bundle, metadata, display_id=_display_id(cell_id))
            if cell_id is not None:
                self._shown.put(cell_id, bundle)
            return None
        if cell_id is not None:
            self._shown.pop(cell_id)  # its old display was cleared by the re-run
        if str(bundle["text/plain"]).strip():
            self._display(bundle, metadata)
        ename, evalue, tb = rendered.error
        return CellError(ename, evalue, tb)

    def _mark_stale(self, cell_ids: list[str]) -> None:
        """Add the stale banner to earlier cells' outputs, in place: one update per cell,
        for the first MAX_STALE_BANNERS of them, the cells right below the re-run one (the
        re-run cell's note counts them all, and %env stale lists them). Re-running the
        first of 3,000 cells used to send 3,000 messages."""
        for cell_id in cell_ids[:MAX_STALE_BANNERS]:
            shown = self._shown.pop(cell_id)  # a banner once; the cell's next run shows anew
            if shown is not None:
                self._send(
                    "update_display_data",
                    {"data": stale_bundle(shown), "metadata": {}, "transient": {"display_id": _display_id(cell_id)}},
                )

    def _show_widget(self, result: CellResult) -> None:
        """The goal widget for a cell run with all tactics, below the cell's result."""
        from .widget import ProofSteps, build_widget, static_html

        steps = ProofSteps.from_response(result.code, result.response)
        if steps.empty:
            return
        try:
            bundle = build_widget(result.code, result.response)._repr_mimebundle_()
        except ImportError:  # ipywidgets missing: the static view says the same
            bundle = {"text/html": static_html(steps), "text/plain": steps.text()}
        self._display(bundle, {})

    def _show_text(self, text: str, html_text: str | None = None) -> None:
        self._display(self._with_notice(text_bundle(text, html_text)), {})

    def _with_notice(self, bundle: dict[str, str]) -> dict[str, str]:
        """A magic's answer with the kernelspec's notice above it (results carry it in
        their notes): in the demo, every output says it is a replay."""
        if not self._notice:
            return bundle
        note = text_bundle(f"note: {self._notice}")
        return {
            "text/plain": f"{note['text/plain']}\n{bundle['text/plain']}",
            "text/html": note["text/html"] + bundle["text/html"],
        }

    def _display(self, bundle: dict, metadata: dict, display_id: str | None = None) -> None:
        self._last_output = bundle.get("text/plain") or self._last_output
        content: dict[str, Any] = {"data": bundle, "metadata": metadata}
        if display_id is not None:
            content["transient"] = {"display_id": display_id}
        self._status_line_take_down(output_follows=True)
        self._send("display_data", content)
        self._cell_displays.append(content)
        if self._status_id is not None:
            self._status.start()  # what the cell does next may be slow too

    # ------------------------------------------------------------------ status line

    def _status_line_begin(self) -> None:
        self._cell_displays = []
        if self._silent or not self._status.enabled:
            return
        # The clock's thread sends with this request as parent: frontends put an output
        # in the cell whose request is its parent.
        self._status_parent = self.get_parent("shell")
        self._status_id = f"lean-status-{uuid.uuid4().hex}"
        self._status.start()

    def _publish_status_line(self, bundle: dict, first: bool) -> None:
        """Called on the clock's thread; ipykernel's iopub socket queues it for its IO thread."""
        content = {"data": bundle, "metadata": {}, "transient": {"display_id": self._status_id}}
        msg_type = "display_data" if first else "update_display_data"
        if self.session is not None:  # None only for a kernel object not yet connected
            self.session.send(self.iopub_socket, msg_type, content, parent=self._status_parent)

    def _status_line_take_down(self, output_follows: bool) -> None:
        """Remove the status line if it is shown. Clearing waits for the next output, so
        the cell does not flicker; the cell's earlier displays are sent again."""
        if not self._status.stop():
            return
        self._send("clear_output", {"wait": output_follows or bool(self._cell_displays)})
        for content in self._cell_displays:
            self._send("display_data", content)

    def _status_line_end(self, output_follows: bool) -> None:
        self._status_line_take_down(output_follows)
        self._status_id = None

    def _send(self, msg_type: str, content: dict) -> None:
        if self._silent:
            return
        try:
            self.send_response(self.iopub_socket, msg_type, content)
        except UnicodeEncodeError:
            # A lone surrogate from the cell, echoed by a message (a magic's argument):
            # the packer is strict UTF-8. Rare, so it is cleaned only when it happens.
            self.send_response(self.iopub_socket, msg_type, _sendable(content))

    # ------------------------------------------------------------------ magics

    def _magic(self, name: str, arg: str, cell_id: str | None) -> None:
        if name not in MAGICS:
            raise MagicError(f"unknown magic %{name}; valid magics: " + ", ".join("%" + m for m in MAGICS))
        try:
            getattr(self, f"_magic_{name}")(arg, cell_id)
        except ConfigError as exc:  # a bad LEAN_* variable, met by a magic before any cell
            raise MagicError(str(exc)) from None

    def _magic_help(self, arg: str, cell_id: str | None) -> None:
        lines = ["Kernel magics (at the top of a cell, one per line):", *("  " + text for text in MAGICS.values())]
        self._show_text("\n".join(lines))

    def _magic_env(self, arg: str, cell_id: str | None) -> None:
        words = arg.split()
        stale_only = "stale" in words
        every = "all" in words
        pages = [w for w in words if w not in ("stale", "all")]
        if len(pages) > 1 or (pages and not (pages[0].isascii() and pages[0].isdigit() and int(pages[0]) >= 1)):
            raise MagicError(f"%env takes a page number, 'stale' or 'all', got {arg!r}; e.g. %env, %env 2, %env stale")
        page = int(pages[0]) if pages else 1
        session = self._session
        total = session.cell_count if session else 0
        if not total:
            self._show_text("no committed cells yet; the next cell runs on a fresh env")
            return
        assert session is not None
        stale = len(session.stale_cells())
        heading = f"current env: {session.current_env} · {total:,} committed cell{'s' if total != 1 else ''} ({stale:,} stale)"
        count = stale if stale_only else total
        if not count:
            self._show_text(heading + "\nno stale cells")
            return
        size = count if every else ENV_PAGE
        last_page = max(1, -(-count // size))
        if page > last_page:
            raise MagicError(
                f"%env has {last_page} page{'s' if last_page != 1 else ''} of {size} rows; e.g. %env {last_page}"
            )
        # Page 1 holds the newest cells, as the end of a notebook is where one works.
        stop = count - (page - 1) * size
        first = max(0, stop - size)
        rows = session.chain(first, stop - first, stale_only=stale_only)
        paging = ""
        if last_page > 1:
            what = "stale cells" if stale_only else "cells"
            paging = (
                f"{what} {first + 1:,}–{stop:,} of {count:,} (page {page} of {last_page}, oldest first)"
                + (
                    f"; %env {page + 1}{' stale' if stale_only else ''} shows the {min(size, first)} before them"
                    if page < last_page
                    else ""
                )
                + "; %env all shows every row"
            )
        self._display(self._with_notice(chain_bundle(rows, heading=heading, paging=paging)), {})

    def _magic_reset(self, arg: str, cell_id: str | None) -> None:
        if self._session is not None:
            self._session.reset()
        self._forget_outputs()
        self._show_text("session reset: every cell is forgotten; the next cell starts from a fresh env")

    def _forget_outputs(self) -> None:
        """Drop what the kernel keeps about earlier cells' outputs (their cells are gone),
        and give the memory back: a few huge answers must not keep the kernel big."""
        self._shown.clear()
        self._kept.clear()
        self._history.clear_outputs()
        release_memory()

    def _magic_restart(self, arg: str, cell_id: str | None) -> None:
        if self._session is None:
            self._show_text("the REPL has not started yet; nothing to restart")
            return
        self._show_text("note: " + self._session.restart("restart requested"))

    def _magic_timeout(self, arg: str, cell_id: str | None) -> None:
        config = self._get_session().config
        if arg:
            try:
                config.timeout = parse_timeout(arg, what="the time limit")
            except TimeoutValueError as exc:
                raise MagicError(f"%timeout wants seconds or 'off': {exc}; e.g. %timeout 30") from None
        self._show_text(f"timeout per cell: {describe_timeout(config.timeout)}")

    def _magic_pickle(self, arg: str, cell_id: str | None) -> None:
        if not arg:
            raise MagicError("%pickle needs a file name, e.g. %pickle state.olean")
        self._require_ready()
        result = self._get_session().pickle(arg)
        if not result.ok:
            raise MagicError(
                f"pickling to {arg} failed: {result.failure or result.repl_error or 'Lean reported errors'}"
            )
        self._show_text(
            f"pickled env {self._get_session().current_env} to {arg}; continue from it later with %unpickle {arg}"
        )

    def _magic_unpickle(self, arg: str, cell_id: str | None) -> None:
        if not arg:
            raise MagicError("%unpickle needs a file name, e.g. %unpickle state.olean")
        self._require_ready()
        result = self._get_session().unpickle(arg, cell_id=cell_id)
        if not result.ok:
            raise MagicError(
                f"unpickling {arg} failed: {result.failure or result.repl_error or 'Lean reported errors'}"
            )
        self._show_text(f"unpickled {arg} as env {result.env_after}; the next cells build on it")

    def _magic_project(self, arg: str, cell_id: str | None) -> None:
        if not arg:
            raise MagicError("%project needs a folder, e.g. %project ~/my-lean-project")
        folder = os.path.abspath(os.path.expanduser(arg))
        if not os.path.isdir(folder):
            raise MagicError(f"no folder at {folder}; give the Lean project folder (the one with lean-toolchain)")
        kept = "the current session is kept" if self._session is not None else "nothing was changed"
        if not any(os.path.isfile(os.path.join(folder, name)) for name in PROJECT_MARKERS):
            raise MagicError(
                f"{folder} is not a Lean project (no lean-toolchain or lakefile in it); {kept}. "
                "Give the folder that holds lean-toolchain, e.g. %project ~/my-lean-project"
            )
        old = self._session
        config = (old.config if old else ReplConfig.from_env()).with_changes(project_dir=folder)
        # The new session must pass the start-up check before the old one is given up: a
        # project whose REPL cannot start must not cost the cells of a working session.
        candidate = LeanSession(config, on_phase=self._status.report)
        self._status.report(Phase("starting"))
        report = candidate.health_check(advice=KERNEL_ADVICE)
        if not report.ok:
            candidate.close()
            raise MagicError(f"no Lean REPL starts in {folder}; {kept}\n{report.summary()}\n\n{report.as_text()}")
        if old is not None:
            old.close()
        self._session, self._checked = candidate, True
        self._forget_outputs()
        self._meta_envs.clear()
        self._show_text(
            "\n".join(
                [f"new Lean session in project {folder}; earlier cells are forgotten", *self._notes, report.summary()]
            )
        )
        self._notes = []

    def _magic_output(self, arg: str, cell_id: str | None) -> None:
        if arg:
            self._output_limit = parse_output_limit(arg, what="%output")  # ConfigError: a MagicError
        limit = self._output_limit
        shown = (
            "off: every result is shown whole"
            if limit is None
            else f"{limit:,} characters per cell, all outputs together"
        )
        self._show_text(f"output limit: {shown}")

    def _magic_lean_result(self, arg: str, cell_id: str | None) -> None:
        words = arg.split(maxsplit=1)
        kept = self._kept.numbers()
        listing = ", ".join(str(n) for n in kept) or "none"
        if not words:
            self._show_text(f"whole results kept (cells whose output was cut): {listing}")
            return
        if not (words[0].isascii() and words[0].isdigit()):
            raise MagicError(
                f"%lean_result wants a cell number (the N of In [N]), got {words[0]!r}; e.g. %lean_result 12"
            )
        number = int(words[0])
        result = self._kept.get(number)
        if result is None:
            raise MagicError(
                f"no whole result of cell {number} is kept: only cells whose output was cut keep it, the latest "
                f"{self._kept.keep_last} of them (kept now: {listing}); re-run the cell, or raise the limit with %output"
            )
        target = words[1].strip() if len(words) > 1 else "1"
        if target.isascii() and target.isdigit():
            part_size = (self._output_limit or DEFAULT_OUTPUT_LIMIT) // 4
            text, parts = result_text_part(result, int(target), part_size)
            part = int(target)
            if not 1 <= part <= parts:
                raise MagicError(
                    f"cell {number}'s result has {parts} part{'s' if parts != 1 else ''}; e.g. %lean_result {number} {parts}"
                )
            head = f"cell {number}, whole result: part {part} of {parts}"
            if part < parts:
                head += f"; %lean_result {number} {part + 1} shows the next"
            self._show_text(f"{head}; %lean_result {number} FILE.json saves all of it\n\n{text}")
            return
        path = os.path.abspath(os.path.expanduser(target))
        try:
            size = save_result(result, path)
        except (OSError, ValueError) as exc:
            raise MagicError(f"could not save cell {number}'s result to {path}: {exc}") from None
        self._show_text(f"saved cell {number}'s whole result ({size:,} bytes of JSON) to {path}")

    def _magic_widget(self, arg: str, cell_id: str | None) -> None:
        if arg not in ("on", "off", ""):
            raise MagicError(f"%widget wants on or off, got {arg!r}")
        if arg:
            self._widgets = arg == "on"
        state = "on: cells run with all tactics and show a goal widget" if self._widgets else "off"
        self._show_text(f"goal widget {state}")

    def _require_ready(self) -> None:
        problem = self._ensure_ready()
        if problem is not None:
            raise MagicError("\n".join(problem.traceback))

    # ------------------------------------------------------------------ editor support

    async def do_complete(self, code: str, cursor_pos: int) -> dict:
        typed = abbreviations.complete_at(code, cursor_pos)
        if typed is not None:
            # `\to`: Unicode symbols; the "type" column shows the abbreviation each one is.
            start, symbols = typed
            found = [(a.symbol, a.typed) for a in symbols]
        else:
            start, found = self._complete_words(code, cursor_pos)
        return {
            "status": "ok",
            "matches": [m for m, _ in found],
            "cursor_start": start,
            "cursor_end": cursor_pos,
            "metadata": {
                "_jupyter_types_experimental": [
                    {"start": start, "end": cursor_pos, "text": m, "type": kind} for m, kind in found
                ]
            },
        }

    def _complete_words(self, code: str, cursor_pos: int) -> tuple[int, list[tuple[str, str]]]:
        start, prefix = editing.word_before(code, cursor_pos)
        if prefix.startswith("%"):
            groups = [("magic", ["%" + m for m in MAGICS])]
        else:
            session = self._session
            groups = [
                ("declared", session.declared_names() if session else []),
                ("keyword", editing.KEYWORDS),
                ("tactic", editing.TACTICS),
            ]
            if prefix and not prefix.startswith("#"):
                groups.append(("constant", self._constants_with_prefix(prefix)))
        return start, editing.rank_matches(prefix, groups)

    def _constants_with_prefix(self, prefix: str) -> list[str]:
        """Constants of the current env by name prefix, asked of the REPL without
        committing. This needs meta code, which only runs when the env imports Lean (any
        import of Lean, Batteries or Mathlib does); plain Lean gets keyword, tactic and
        notebook names only. Never starts the REPL and never runs while it is broken."""
        session = self._session
        if session is None or not self._checked or not any(c.kind == "header" for c in session.cells):
            return []
        env = session.current_env
        if self._meta_envs.get(env) is False:
            return []
        result = session.query(_constants_query(prefix))
        names = [ln.strip() for m in result.infos for ln in m.data.split("\n") if ln.strip()]
        self._meta_envs[env] = result.ok
        return names if result.ok else []

    async def do_inspect(self, code: str, cursor_pos: int, detail_level: int = 0, omit_sections=()) -> dict:
        name = editing.name_at(code, cursor_pos)
        reply: dict[str, Any] = {"status": "ok", "found": False, "data": {}, "metadata": {}}
        if not name or self._ensure_ready() is not None:
            return reply
        parts = []
        # `#check` prints the signature with named binders; `#print` adds the kind, the
        # body and (in recent Lean versions) the docstring. Both work in plain Lean.
        for command in (f"#check {name}", f"#print {name}"):
            result = self._get_session().query(command)
            if result.ok:
                parts += [m.data for m in result.infos]
        if not parts:
            return reply
        text = "\n\n".join(dict.fromkeys(parts))  # #check and #print can agree word for word
        reply["found"] = True
        reply["data"] = text_bundle(text)
        return reply

    async def do_is_complete(self, code: str) -> dict:
        status, indent = editing.is_complete(code)
        reply = {"status": status}
        if status == "incomplete":
            reply["indent"] = indent
        return reply

    async def do_history(
        self,
        hist_access_type: str,
        output: bool,
        raw: bool,
        session: int | None = None,
        start: int | None = None,
        stop: int | None = None,
        n: int | None = None,
        pattern: str | None = None,
        unique: bool = False,
        **kwargs: Any,
    ) -> dict:
        entries = self._history.entries()
        if hist_access_type == "range":
            # Session 0 (or none) means this one; there is only ever this one.
            if session not in (None, 0, 1):
                entries = []
            lo, hi = start or 0, stop
            entries = [e for e in entries if e[1] >= lo and (hi is None or e[1] < hi)]
        elif hist_access_type == "search":
            entries = [e for e in entries if fnmatch.fnmatchcase(e[2], pattern or "*")]
            if unique:
                last: dict[str, tuple] = {}
                for e in entries:
                    last.pop(e[2], None)
                    last[e[2]] = e
                entries = list(last.values())
            if n:
                entries = entries[-n:]
        elif hist_access_type == "tail":
            entries = entries[-n:] if n else list(entries)
        history = [(s, line, (code, out) if output else code) for s, line, code, out in entries]
        return {"status": "ok", "history": history}

    # ------------------------------------------------------------------ shutdown and comms

    async def do_shutdown(self, restart: bool) -> dict:
        if self._session is not None:
            self._session.close()
        return {"status": "ok", "restart": restart}

    def _wire_comms(self) -> None:
        """Let ipywidgets live in this process: the comm manager ipykernel gives IPython's
        kernel, registered for the comm messages (only IPythonKernel does this itself)."""
        import ipykernel

        if ipykernel.version_info < (6, 18):
            # ipykernel 6.17 (Kaggle's) predates the `comm` package hook: there ipywidgets
            # makes ipykernel.comm.Comm objects, which register with `kernel.comm_manager`
            # and need ipykernel's own manager (the `comm` package's would answer a
            # frontend's comm_open with a comm that sends nothing).
            from ipykernel.comm import CommManager

            self.comm_manager = CommManager(parent=self, kernel=self)
        else:
            import comm
            import ipykernel.ipkernel

            self.comm_manager = comm.get_comm_manager()
        for msg_type in ("comm_open", "comm_msg", "comm_close"):
            self.shell_handlers[msg_type] = getattr(self.comm_manager, msg_type)


# ---------------------------------------------------------------------- helpers

HISTORY_ENTRIES = 1000  # history requests see at most this many cells
HISTORY_INPUT_CHARS = 16_000_000  # and inputs of this size in all (oldest dropped first)
HISTORY_OUTPUT_CHARS = 2000  # of each cell's output (a console lists them; Lean's can be huge)
SHOWN_CHARS = 8_000_000  # displays kept for stale banners, oldest dropped first


class _History:
    """(session, line, input, output) of the cells run, for history requests, bounded:
    a long session of huge cells must not keep growing the kernel."""

    def __init__(self) -> None:
        self._entries: deque[tuple[int, int, str, str | None]] = deque()
        self._chars = 0

    def append(self, line: int, code: str, output: str | None) -> None:
        if output is not None and len(output) > HISTORY_OUTPUT_CHARS:
            output = output[:HISTORY_OUTPUT_CHARS] + " …"
        self._entries.append((1, line, code, output))
        self._chars += len(code)
        while len(self._entries) > HISTORY_ENTRIES or (self._chars > HISTORY_INPUT_CHARS and len(self._entries) > 1):
            self._chars -= len(self._entries.popleft()[2])

    def entries(self) -> list[tuple[int, int, str, str | None]]:
        return list(self._entries)

    def clear_outputs(self) -> None:
        self._entries = deque((s, n, code, None) for s, n, code, _ in self._entries)


class _ShownOutputs:
    """What each cell (by id) displays now, so a stale banner can be put on top of it:
    plain text and HTML only, and SHOWN_CHARS of them at most (the oldest go first)."""

    def __init__(self) -> None:
        self._by_cell: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._chars = 0

    def put(self, cell_id: str, bundle: dict) -> None:
        self.pop(cell_id)
        shown = {"text/html": bundle["text/html"], "text/plain": bundle["text/plain"]}
        self._by_cell[cell_id] = shown
        self._chars += len(shown["text/html"]) + len(shown["text/plain"])
        while self._chars > SHOWN_CHARS and len(self._by_cell) > 1:
            self._chars -= _size(self._by_cell.popitem(last=False)[1])

    def pop(self, cell_id: str) -> dict[str, str] | None:
        shown = self._by_cell.pop(cell_id, None)
        if shown is not None:
            self._chars -= _size(shown)
        return shown

    def clear(self) -> None:
        self._by_cell.clear()
        self._chars = 0


def _size(shown: dict[str, str]) -> int:
    return len(shown["text/html"]) + len(shown["text/plain"])


def split_magics(code: str) -> tuple[list[tuple[str, str]], str]:
    """Leading ``%name arg`` lines (at column 0) and the Lean text after them.
    ``%proofstate`` ends the magics: what follows are tactics."""
    lines = code.split("\n")
    magics: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() and magics:
            i += 1
            continue
        if not line.startswith("%"):
            break
        name, _, arg = line[1:].strip().partition(" ")
        magics.append((name, arg.strip()))
        i += 1
        if name == "proofstate":
            break
    if not magics:
        return [], code
    return magics, "\n".join(lines[i:])


def _sendable(value: Any) -> Any:
    """``value`` with every string freed of lone surrogates (see without_lone_surrogates)."""
    if isinstance(value, str):
        return without_lone_surrogates(value)
    if isinstance(value, dict):
        return {_sendable(k): _sendable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_sendable(v) for v in value)
    return value


def _advised(result: CellResult) -> CellResult:
    """The result with the kernel user's way to fix its failure, where the lower layers
    can only name the setting."""
    if result.failure_kind == "ReplOutOfMemory":
        result.notes.append(f"fix: {KERNEL_ADVICE.memory}")
    return result


def _display_id(cell_id: str | None) -> str | None:
    return None if cell_id is None else f"lean-cell-{cell_id}"


def _constants_query(prefix: str) -> str:
    """Meta code listing up to 100 public constants whose name starts with ``prefix``.
    Needs `import Lean` (or anything importing it); the kernel falls back quietly when
    the env cannot run it. Not exercised by the stand-in: no recording contains it."""
    quoted = prefix.replace("\\", "\\\\").replace('"', '\\"')
    return (
        "open Lean in\n"
        "#eval show CoreM Unit from do\n"
        "  let env ← getEnv\n"
        "  let names := env.constants.fold (init := #[]) fun acc n _ =>\n"
        f'    if !n.isInternal && "{quoted}".isPrefixOf n.toString then acc.push n.toString else acc\n'
        '  IO.println ("\\n".intercalate ((names.qsort (· < ·)).toList.take 100))'
    )
