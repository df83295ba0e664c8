"""Long chains of cells for the stand-in, written on demand (benchmarks, soak tests).

No recording chains more than a handful of commands, and the stand-in answers a request
only on an env that stands for the recorded one, so a chain of thousands of cells needs a
transcript of thousands of steps. This writes one, in the scripted format
(tests/fixtures/scripted/README.md), into a folder given to the stand-in with
``--scripted``:

    {"cmd": "def c1 := 1"}                 ->  {"env": 0}
    {"cmd": "def c2 := 2", "env": 0}       ->  {"env": 1}
    ...
    {"cmd": "def cK := K", "env": K-2}     ->  {"env": K-1}

Each answer is what the REPL gives a declaration that prints nothing: an env and no
messages, as recorded in v4.33.0-rc2/def_eval (``def f := 37`` -> ``{"env": 0}``). Cell K
is answered only on the env cell K-1 made (the stand-in renumbers envs live), so a test
that gets cell K through learns that the whole chain before it is intact.
"""

from __future__ import annotations

import json
from pathlib import Path

IN_NAME = "chain.in"
OUT_NAME = "chain.expected.out"


def chain_cell(k: int) -> str:
    """The Lean text of the k-th cell of the chain (k from 1)."""
    return f"def c{k} := {k}"


def write_chain_transcript(folder: str | Path, cells: int) -> Path:
    """Write ``chain.in`` / ``chain.expected.out`` of ``cells`` steps into ``folder``
    (made if missing) and return the folder, for the stand-in's ``--scripted``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    requests, answers = [], []
    for k in range(1, cells + 1):
        request = {"cmd": chain_cell(k)} if k == 1 else {"cmd": chain_cell(k), "env": k - 2}
        requests.append(json.dumps(request))
        answers.append(f'{{"env": {k - 1}}}')
    (folder / IN_NAME).write_text("\n\n".join(requests) + "\n", encoding="utf-8")
    (folder / OUT_NAME).write_text("".join(a + "\n\n" for a in answers), encoding="utf-8")
    return folder
