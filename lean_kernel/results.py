"""What one cell produced: the typed REPL response plus the notebook facts around it,
and what a cell is waiting on while it runs (``Phase``).

The session makes these; rendering, the kernel, the magic and the widget read them.
"""

from __future__ import annotations

import json
import os
import weakref
from dataclasses import dataclass, field
from typing import Any, Literal

from .protocol import CommandResponse, Message, ReplErrorResponse, Response, Sorry, TacticResponse

CellKind = Literal["command", "tactic"]
PhaseKind = Literal["starting", "importing", "elaborating", "tactic", "replaying", "pickling", "unpickling"]


@dataclass(frozen=True)
class Phase:
    """What a running cell is waiting on, reported by the session as each REPL request
    starts (``LeanSession.on_phase``) and shown by the frontends' status line."""

    kind: PhaseKind
    modules: tuple[str, ...] = ()  # importing: the modules the header imports
    cells: int = 0  # replaying: how many committed cells are replayed


@dataclass
class CellResult:
    """One request's result. ``code`` is the text the user asked to run, which the
    positions in ``response`` refer to, not always the text sent to the REPL: a command
    cell whole (its import header included, though the header is sent on its own and the
    body on its env; the frontend's line magics removed), the tactics of a tactic step as
    written (they are sent grouped as one step), ``%pickle PATH`` for a pickle, and the
    file's path for an unpickle (which a replay sends again)."""

    code: str  # what the user ran (see above): messages' positions count in this text
    kind: CellKind = "command"
    response: Response | None = None  # None when the REPL failed before answering
    env_before: int | None = None  # env the command ran on (None: fresh, runs the header)
    env_after: int | None = None  # env it produced (committed only when ok)
    proof_state_before: int | None = None  # tactic mode: the state the tactic ran on
    failure: str | None = None  # a REPL fault (crash, timeout...) in words, with its cause
    failure_kind: str | None = None  # short name of that fault, e.g. "ReplTimeout"
    notes: list[str] = field(default_factory=list)  # e.g. restarts, replays, stale cells
    elapsed: float = 0.0  # seconds, wall clock, for the request itself
    cell_id: str | None = None
    axioms: dict[str, list[str]] | None = None  # declaration -> axioms, when asked for
    made_stale: list[str] = field(default_factory=list)  # cells this re-run made stale (keys)

    # ------------------------------------------------------------------ views

    @property
    def command(self) -> CommandResponse | None:
        return self.response if isinstance(self.response, CommandResponse) else None

    @property
    def tactic(self) -> TacticResponse | None:
        return self.response if isinstance(self.response, TacticResponse) else None

    @property
    def repl_error(self) -> str | None:
        """The REPL's own refusal ("Unknown environment.", "Lean error: ...")."""
        return self.response.message if isinstance(self.response, ReplErrorResponse) else None

    @property
    def messages(self) -> list[Message]:
        if isinstance(self.response, (CommandResponse, TacticResponse)):
            return self.response.messages
        return []

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "error"]

    @property
    def warnings(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "warning"]

    @property
    def infos(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "info"]

    @property
    def sorries(self) -> list[Sorry]:
        if isinstance(self.response, (CommandResponse, TacticResponse)):
            return self.response.sorries
        return []

    @property
    def goals(self) -> list[str]:
        """Tactic mode: the goals left after the step."""
        return self.tactic.goals if self.tactic else []

    @property
    def proof_status(self) -> str | None:
        return self.tactic.proof_status if self.tactic else None

    @property
    def ok(self) -> bool:
        """No fault, no REPL refusal, no Lean error (sorries and warnings are allowed)."""
        if self.failure is not None or self.response is None:
            return False
        return self.response.ok

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (the raw response included)."""
        return {
            "ok": self.ok,
            "kind": self.kind,
            "code": self.code,
            "cell_id": self.cell_id,
            "env_before": self.env_before,
            "env_after": self.env_after,
            "proof_state_before": self.proof_state_before,
            "failure": self.failure,
            "failure_kind": self.failure_kind,
            "repl_error": self.repl_error,
            "notes": list(self.notes),
            "elapsed": self.elapsed,
            "messages": [m.to_json() for m in self.messages],
            "sorries": [s.to_json() for s in self.sorries],
            "goals": list(self.goals),
            "proof_status": self.proof_status,
            "axioms": self.axioms,
            "response": None if self.response is None else self.response.to_json(),
        }


def save_result(result: CellResult, path: str) -> int:
    """Write ``result.to_dict()`` as JSON to ``path`` (``~`` expanded); returns its size in
    bytes. OSError and ValueError say why it could not be written."""
    path = os.path.expanduser(path)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result.to_dict(), f, ensure_ascii=False)
    return os.path.getsize(path)


class KeptResults:
    """Full results of cells whose output was cut, by number (the cell's execution count),
    so ``%lean_result N`` can still give them: the latest ``keep_last`` are held, older ones
    only while something else (an ``Out[N]``, a variable) still holds them. Nothing is
    kept for a cell shown whole, and ``clear()`` (``%reset``) drops everything."""

    def __init__(self, keep_last: int = 3) -> None:
        self.keep_last = keep_last
        self._strong: dict[int, CellResult] = {}
        self._weak: weakref.WeakValueDictionary[int, CellResult] = weakref.WeakValueDictionary()

    def keep(self, number: int, result: CellResult) -> None:
        self._strong.pop(number, None)
        self._strong[number] = result
        self._weak[number] = result
        while len(self._strong) > self.keep_last:
            del self._strong[next(iter(self._strong))]

    def get(self, number: int) -> CellResult | None:
        return self._strong.get(number) or self._weak.get(number)

    def numbers(self) -> list[int]:
        return sorted(set(self._strong) | set(self._weak.keys()))

    def clear(self) -> None:
        self._strong.clear()
        self._weak.clear()
