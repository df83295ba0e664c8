"""Load recorded Lean REPL sessions (``<name>.in`` + ``<name>.expected.out``).

The stand-in REPL imports this module on every launch, so it stays stdlib-only and does
no work beyond reading the files it is pointed at.

Requests are split exactly as the REPL's ``getLines`` does: a request is a run of
non-blank lines ended by a blank (whitespace-only) line or EOF. From Lean v4.22 on the
REPL strips each line's trailing whitespace (newline included) and joins the lines with
nothing in between, so a raw newline inside a JSON string vanishes ("by\\nsorry" becomes
``bysorry``); older versions keep each line whole, newline included. A request whose
text starts with ``#`` or ``--`` is a comment the REPL skips without answering.

Responses are pretty-printed JSON blocks, each followed by one blank line. JSON escapes
every newline inside strings, so splitting on the first blank line is exact.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

IN_SUFFIX = ".in"
OUT_SUFFIX = ".expected.out"

# Lean's Char.isWhitespace: what String.trim / trimRight remove.
_LEAN_WS = " \t\r\n"
_VERSION_RX = re.compile(r"^v(\d+)\.(\d+)(?:\.(\d+))?(?:-(.+))?$")
# The first toolchain whose REPL joins request lines without a separator.
JOIN_WITHOUT_SEPARATOR_SINCE = (4, 22)
ENV_TRANSCRIPTS = "LEAN_TRANSCRIPTS"


def default_root() -> Path:
    """Where the recordings live: $LEAN_TRANSCRIPTS, else ``<repo>/../shared/repl-transcripts``."""
    env = os.environ.get(ENV_TRANSCRIPTS)
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2].parent / "shared" / "repl-transcripts"


def missing_recordings_help(root: str | os.PathLike) -> str:
    """How to get the recordings when they are not at ``root`` (one wording for the test
    run, the demo and the benchmarks)."""
    return (
        f"fetch them from leanprover-community/repl with `python scripts/fetch_recordings.py {root}` "
        "(needs git and network; from an installed package: `python -m lean_kernel.testing.fetch_recordings "
        f"{root}`), or set {ENV_TRANSCRIPTS} to a folder that holds them"
    )


def parse_version(name: str) -> tuple[int, int, int] | None:
    """``"v4.33.0-rc2"`` -> ``(4, 33, 0)``; None for a name that is not a version."""
    m = _VERSION_RX.match(name)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def _version_sort_key(name: str) -> tuple:
    m = _VERSION_RX.match(name)
    assert m
    # A release sorts after its release candidates.
    pre = m.group(4)
    return (parse_version(name), pre is None, pre or "")


def version_of(path: str | os.PathLike) -> str | None:
    """The nearest folder (the path itself included) whose name is a Lean version."""
    p = Path(path).resolve()
    for part in (p, *p.parents):
        if parse_version(part.name):
            return part.name
    return None


def joins_without_separator(version: str | None) -> bool:
    """True when that version's REPL concatenates a request's lines with no separator.
    An unknown version behaves like the newest REPL."""
    v = parse_version(version) if version else None
    return v is None or v[:2] >= JOIN_WITHOUT_SEPARATOR_SINCE


def list_version_folders(root: str | os.PathLike) -> list[Path]:
    """The version folders directly under ``root``, oldest first."""
    root = Path(root)
    found = [p for p in root.iterdir() if p.is_dir() and parse_version(p.name)]
    return sorted(found, key=lambda p: _version_sort_key(p.name))


def is_blank(line: str) -> bool:
    return line.strip(_LEAN_WS) == ""


def join_lines(lines: list[str], version: str | None) -> str:
    """A request's text as that version's REPL assembles it (``lines`` keep their endings
    or not; both give the same result)."""
    if joins_without_separator(version):
        return "".join(line.rstrip(_LEAN_WS) for line in lines)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def is_comment(query: str) -> bool:
    """The REPL skips such a request without answering it."""
    return query.startswith(("#", "--"))


def decode_request(query: str):
    """JSON-decode one assembled request. ``strict=False`` because older REPLs keep raw
    newlines inside strings, which Lean's parser accepts and Python's strict mode does not."""
    return json.loads(query, strict=False)


def split_requests(text: str, version: str | None) -> list[tuple[str, str]]:
    """``(raw, query)`` per request of an ``.in`` file: ``raw`` is the block's lines joined
    with newlines (what to send, followed by a blank line), ``query`` the text the REPL
    parses. Comment requests are dropped, as the REPL drops them."""
    out: list[tuple[str, str]] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            query = join_lines(block, version)
            if not is_comment(query):
                out.append(("\n".join(block), query))
            block.clear()

    for line in text.split("\n"):
        if is_blank(line):
            flush()
        else:
            block.append(line)
    flush()
    return out


def split_responses(text: str) -> list[str]:
    """Each response block of an ``.expected.out`` file, without its trailing blank line.
    Writing ``block + "\\n\\n"`` for every block gives back the file byte for byte."""
    blocks = text.split("\n\n")
    if blocks and blocks[-1] == "":
        blocks.pop()
    else:
        # A truncated recording: keep the partial last block rather than lose it.
        blocks[-1] = blocks[-1].rstrip("\n")
    return blocks


class Transcript:
    """One recorded session.

    ``exchanges`` is a list of ``(request_obj, response_text)``; ``response_text`` is None
    for every exchange when the recording has no ``.expected.out``. ``raw_requests`` holds
    each request as written in the ``.in`` file, for clients that want to send it verbatim.
    """

    __slots__ = ("exchanges", "name", "path", "raw_requests", "scripted", "version")

    def __init__(self, name, version, path, exchanges, raw_requests, scripted=False):
        self.name: str = name
        self.version: str | None = version
        self.path: Path = path
        self.exchanges: list[tuple[dict, str | None]] = exchanges
        self.raw_requests: list[str] = raw_requests
        self.scripted: bool = scripted

    @property
    def key(self) -> str:
        """Unique across versions and sources, e.g. ``v4.33.0-rc2/Mathlib/test/pickle``."""
        prefix = "scripted:" if self.scripted else ""
        return f"{prefix}{self.version or '-'}/{self.name}"

    @property
    def has_responses(self) -> bool:
        return bool(self.exchanges) and self.exchanges[0][1] is not None

    @property
    def requests(self) -> list[dict]:
        return [req for req, _ in self.exchanges]

    @property
    def responses(self) -> list[str | None]:
        return [resp for _, resp in self.exchanges]

    @property
    def out_path(self) -> Path:
        return self.path.with_name(self.path.name[: -len(IN_SUFFIX)] + OUT_SUFFIX)

    def input_bytes(self) -> bytes:
        """The ``.in`` file as sent to the REPL in the upstream test suite."""
        return self.path.read_bytes()

    def expected_bytes(self) -> bytes | None:
        out = self.out_path
        return out.read_bytes() if out.exists() else None

    def __repr__(self) -> str:
        return f"Transcript({self.key!r}, {len(self.exchanges)} exchanges)"


def load_transcript(
    path: str | os.PathLike,
    *,
    version: str | None = None,
    name: str | None = None,
    scripted: bool = False,
) -> Transcript:
    """Load one ``.in`` file and its ``.expected.out`` if there is one. ``version``
    defaults to the nearest version-named folder above the file."""
    path = Path(path)
    if not path.name.endswith(IN_SUFFIX):
        raise ValueError(f"not a transcript input file (want *{IN_SUFFIX}): {path}")
    if version is None:
        version = version_of(path.parent)
    if name is None:
        name = _name_below_version_folder(path)
    requests = split_requests(path.read_bytes().decode("utf-8"), version)
    out_path = path.with_name(path.name[: -len(IN_SUFFIX)] + OUT_SUFFIX)
    if out_path.exists():
        responses: list[str | None] = list(split_responses(out_path.read_bytes().decode("utf-8")))
        if len(responses) != len(requests):
            raise ValueError(f"{out_path} has {len(responses)} responses for {len(requests)} requests in {path.name}")
    else:
        responses = [None] * len(requests)
    exchanges = []
    for (raw, query), resp in zip(requests, responses):
        try:
            obj = decode_request(query)
        except ValueError as exc:
            raise ValueError(f"{path}: request is not JSON ({exc}): {raw[:120]!r}") from exc
        exchanges.append((obj, resp))
    return Transcript(name, version, path, exchanges, [raw for raw, _ in requests], scripted)


def _name_below_version_folder(path: Path) -> str:
    """``Mathlib/test/pickle`` for ``.../v4.33.0-rc2/Mathlib/test/pickle.in``, so a file
    loaded on its own gets the same name as when its whole version folder is loaded."""
    resolved = path.resolve()
    for folder in resolved.parents:
        if parse_version(folder.name):
            return resolved.relative_to(folder).as_posix()[: -len(IN_SUFFIX)]
    return path.name[: -len(IN_SUFFIX)]


def _in_files(folder: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for fn in filenames:
            if fn.endswith(IN_SUFFIX):
                found.append(Path(dirpath) / fn)
    # Top-level recordings before sub-folders (Mathlib/test): the stand-in prefers
    # earlier transcripts when several record the same request.
    return sorted(found, key=lambda p: (len(p.relative_to(folder).parts), str(p)))


def iter_transcripts(
    path: str | os.PathLike,
    *,
    version: str | None = None,
    scripted: bool = False,
) -> Iterator[Transcript]:
    """Transcripts under ``path``: a root holding version folders (all versions, oldest
    first), one version folder (recursively, Mathlib/test included), or one ``.in`` file."""
    path = Path(path)
    if path.is_file():
        yield load_transcript(path, version=version, scripted=scripted)
        return
    if not path.is_dir():
        raise FileNotFoundError(f"no transcripts at {path}")
    if version is None and not parse_version(path.name) and version_of(path) is None:
        folders = list_version_folders(path)
        if folders:
            for folder in folders:
                yield from iter_transcripts(folder, scripted=scripted)
            return
    folder_version = version or version_of(path)
    for f in _in_files(path):
        name = f.relative_to(path).as_posix()[: -len(IN_SUFFIX)]
        v = version or version_of(f.parent) or folder_version
        yield load_transcript(f, version=v, name=name, scripted=scripted)


def iter_scripted(
    folder: str | os.PathLike,
    *,
    versions: set[str] | None = None,
    default_version: str | None = None,
) -> Iterator[Transcript]:
    """Our own transcripts (``tests/fixtures/scripted``). Files under a version-named
    sub-folder belong to that version and load only when ``versions`` (the versions of the
    loaded recordings) includes it; other files load always, parsed as ``default_version``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no scripted transcripts folder at {folder}")
    for f in _in_files(folder):
        rel = f.relative_to(folder)
        v = rel.parts[0] if len(rel.parts) > 1 and parse_version(rel.parts[0]) else None
        if v is not None and versions is not None and v not in versions:
            continue
        name = rel.as_posix()[: -len(IN_SUFFIX)]
        yield load_transcript(f, version=v or default_version, name=name, scripted=True)
