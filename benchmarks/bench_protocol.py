"""How the typed parse of a REPL answer compares with json.loads alone, as answers grow.

    python benchmarks/bench_protocol.py [--sizes 1,10,100] [--repeats 3]
                                        [--shapes messages,tactics,infotree] [--libraries]

Answers are built from recorded items (every message, tactics entry or infotree root in
the v4.33.0-rc2 recordings, cycled), one item per line as the REPL lays out a list,
until the answer reaches the size asked. A 10 MiB answer of messages holds about 60,000.

For each shape and size, interleaved in one run: the median of --repeats rounds, in CPU
seconds of the parsing thread (the machines we measure on are shared: wall-clock time
there counts other people's work, CPU time only ours), and the median over the rounds of
each round's ratio to json.loads (measured next to each other, so they share the
machine's state):
  json.loads         decoding the text to dicts, the floor for any typed parse;
  typed parse        protocol.parse_response_text: decode, classify, check every field
                     of every item (what ReplProcess does before it returns);
  parse + read all   the typed parse, then reading every field of every item (what a
                     renderer pays: the views build their items on first access).
Each answer is also re-serialised once (to_json) and compared with the decoded text.

--libraries adds msgspec and pydantic (if installed) on the messages answers, with
whether each keeps an unknown key and an explicit null (the exact round trip).
Prints tables and exits 0. Needs the recordings (LEAN_TRANSCRIPTS or ../shared/repl-transcripts).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lean_kernel.protocol import CommandResponse, parse_response_text  # noqa: E402
from lean_kernel.testing.transcripts import default_root, iter_transcripts  # noqa: E402

VERSION = "v4.33.0-rc2"
SHAPES = ("messages", "tactics", "infotree")


def recorded_items(key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for transcript in iter_transcripts(default_root() / VERSION):
        for _, response in transcript.exchanges:
            if response is not None:
                items += json.loads(response).get(key) or []
    return items


def build_answer(key: str, mib: float) -> tuple[str, int]:
    """A command answer of about ``mib`` MiB whose ``key`` list holds recorded items."""
    items = recorded_items(key)
    if not items:
        raise SystemExit(f"no recorded {key} under {default_root() / VERSION}")
    texts = [json.dumps(item, ensure_ascii=False) for item in items]
    target = int(mib * (1 << 20))
    pieces: list[str] = []
    size = 0
    while size < target:
        piece = texts[len(pieces) % len(texts)]
        pieces.append(piece)
        size += len(piece.encode()) + 4
    return '{"' + key + '":\n [' + ",\n  ".join(pieces) + '],\n "env": 1}', len(pieces)


def read_all(response: Any, key: str) -> int:
    """Read every field of every item, as a renderer would; returns how many items."""
    assert isinstance(response, CommandResponse)
    n = 0
    if key == "messages":
        for m in response.messages:
            m.severity, m.data, m.pos, m.end_pos
            n += 1
    elif key == "tactics":
        for t in response.tactics:
            t.tactic, t.goals, t.proof_state, t.pos, t.end_pos, t.used_constants
            n += 1
    else:
        for root in response.infotree or []:
            for node in root.walk():
                node.kind, node.tactic_name, node.range, node.goals_before
            n += 1
    return n


def ratio(times: list[float], base: list[float]) -> float:
    """The median of the round-by-round ratios."""
    return statistics.median(t / b for t, b in zip(times, base))


def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.thread_time()
    result = fn()
    elapsed = time.thread_time() - start
    del result
    return elapsed


def bench_shapes(shapes: list[str], sizes: list[float], repeats: int) -> None:
    print(f"\ntyped parse vs json.loads, median of {repeats} rounds, interleaved (CPU seconds; ratio = / json.loads)")
    print(
        f"{'shape':<10}{'MiB':>6}{'items':>9}{'json.loads':>12}{'typed parse':>13}{'ratio':>7}"
        f"{'parse+read all':>16}{'ratio':>7}{'  round trip'}"
    )
    for key in shapes:
        for mib in sizes:
            text, count = build_answer(key, mib)
            runs: dict[str, list[float]] = {"loads": [], "typed": [], "read": []}
            steps: list[tuple[str, Callable[[], Any]]] = [
                ("loads", lambda: json.loads(text)),
                ("typed", lambda: parse_response_text(text)),
                ("read", lambda: read_all(parse_response_text(text), key)),
            ]
            for r in range(repeats):
                for name, fn in steps[r % 3 :] + steps[: r % 3]:  # rotate the order each round
                    runs[name].append(timed(fn))
            exact = parse_response_text(text).to_json() == json.loads(text)
            assert read_all(parse_response_text(text), key) == count
            loads, typed, read = (statistics.median(runs[k]) for k in ("loads", "typed", "read"))
            typed_ratio, read_ratio = (ratio(runs[k], runs["loads"]) for k in ("typed", "read"))
            print(
                f"{key:<10}{len(text.encode()) / (1 << 20):>6.0f}{count:>9}{loads:>12.3f}{typed:>13.3f}"
                f"{typed_ratio:>7.2f}{read:>16.3f}{read_ratio:>7.2f}  {'exact' if exact else 'DIFFERS'}"
            )


# --------------------------------------------------------------------------- --libraries only
# The messages answer as each library would declare it. msgspec has no place for unknown
# keys (msgspec issue 490); pydantic keeps them with extra="allow" and knows which keys
# were set, so it could round-trip, at the cost measured here.

try:
    import msgspec
except ImportError:
    msgspec = None
try:
    import pydantic
except ImportError:
    pydantic = None

if msgspec is not None:

    class MPos(msgspec.Struct):
        line: int
        column: int

    class MMessage(msgspec.Struct, omit_defaults=True):
        severity: str = "info"
        data: str = ""
        pos: MPos | msgspec.UnsetType | None = msgspec.UNSET
        endPos: MPos | msgspec.UnsetType | None = msgspec.UNSET

    class MAnswer(msgspec.Struct, omit_defaults=True):
        env: int | None = None
        messages: list[MMessage] = []


if pydantic is not None:

    class PPos(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")
        line: int
        column: int

    class PMessage(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow", populate_by_name=True)
        severity: str = "info"
        data: str = ""
        pos: PPos | None = None
        end_pos: PPos | None = pydantic.Field(None, alias="endPos")

    class PAnswer(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")
        env: int | None = None
        messages: list[PMessage] = []


def bench_libraries(sizes: list[float], repeats: int) -> None:
    """The same messages answers through msgspec and pydantic, for the choice of design."""
    print(f"\nlibraries on the messages answers, median of {repeats} rounds (CPU seconds; ratio = / json.loads)")
    candidates: list[tuple[str, Callable[[str], Any], Callable[[str], Any]]] = []
    if msgspec is None:
        print("  msgspec not installed (pip install msgspec to compare)")
    else:
        typed, raw = msgspec.json.Decoder(MAnswer), msgspec.json.Decoder()
        candidates.append(("msgspec Struct", typed.decode, lambda t: msgspec.to_builtins(typed.decode(t))))
        candidates.append(("msgspec Struct + dicts", lambda t: (typed.decode(t), raw.decode(t)), raw.decode))
    if pydantic is None:
        print("  pydantic not installed (pip install pydantic to compare)")
    else:
        candidates.append(
            (
                "pydantic model_validate_json",
                PAnswer.model_validate_json,
                lambda t: PAnswer.model_validate_json(t).model_dump(by_alias=True, exclude_unset=True),
            )
        )
    candidates.insert(0, ("lean_kernel.protocol", parse_response_text, lambda t: parse_response_text(t).to_json()))
    # A future REPL key on a message, and an explicit null: both must come back as sent.
    probe = (
        '{"messages": [{"severity": "info", "pos": {"line": 1, "column": 0}, "endPos": null, "data": "x", "new": 1}],'
        ' "env": 0}'
    )
    print(f"{'parser':<30}{'MiB':>6}{'seconds':>10}{'ratio':>7}  keeps unknown keys and nulls")
    for mib in sizes:
        text, _ = build_answer("messages", mib)
        runs: dict[str, list[float]] = {"json.loads": []}
        for _ in range(repeats):
            runs["json.loads"].append(timed(lambda: json.loads(text)))
            for name, parse, _ in candidates:
                runs.setdefault(name, []).append(timed(lambda: parse(text)))
        loads = statistics.median(runs["json.loads"])
        print(f"{'json.loads':<30}{mib:>6g}{loads:>10.3f}{1.0:>7.2f}")
        for name, _, round_trip in candidates:
            t, r = statistics.median(runs[name]), ratio(runs[name], runs["json.loads"])
            kept = "yes" if round_trip(probe) == json.loads(probe) else "no"
            print(f"{name:<30}{mib:>6g}{t:>10.3f}{r:>7.2f}  {kept}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--sizes", default="1,10,100", help="answer sizes in MiB (default 1,10,100)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per size and path (default 3)")
    ap.add_argument(
        "--shapes", default=",".join(SHAPES), help=f"which lists the answers hold (default {','.join(SHAPES)})"
    )
    ap.add_argument("--libraries", action="store_true", help="also time msgspec and pydantic on the messages answers")
    args = ap.parse_args(argv)
    if not (default_root() / VERSION).is_dir():
        print(f"recordings not found: {default_root() / VERSION} (set LEAN_TRANSCRIPTS)", file=sys.stderr)
        return 2
    sizes = [float(s) for s in args.sizes.split(",") if s]
    shapes = [s for s in args.shapes.split(",") if s]
    unknown = set(shapes) - set(SHAPES)
    if unknown:
        ap.error(f"unknown shapes {sorted(unknown)}; choose from {', '.join(SHAPES)}")
    print(f"bench_protocol: python {sys.version.split()[0]}, {os.cpu_count()} cpus, items from {VERSION} recordings")
    bench_shapes(shapes, sizes, args.repeats)
    if args.libraries:
        bench_libraries(sizes, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
