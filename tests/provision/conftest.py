"""Fixtures for the setup, bundle and demo tests: fake elan, git and lake on PATH (see
fake_tools.py), an isolated home, elan folder, settings file and kernelspec prefix."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FAKE = HERE / "fake_tools.py"
# magic_bundle (tests/magic): making a bundle read-only as Kaggle mounts it, and back.
sys.path.insert(0, str(HERE.parent / "magic"))


@dataclass
class FakeTools:
    root: Path
    bin: Path
    log_path: Path
    home: Path  # --home
    elan_home: Path
    prefix: Path  # --prefix for the kernelspec
    settings: Path  # LEAN_KERNEL_CONFIG
    monkeypatch: pytest.MonkeyPatch

    def calls(self, tool: str | None = None) -> list[dict]:
        if not self.log_path.exists():
            return []
        rows = [json.loads(line) for line in self.log_path.read_text().splitlines()]
        return [r for r in rows if tool is None or r["tool"] == tool]

    def commands(self) -> list[str]:
        """Each call as `tool arg ...`, in order (paths left as they are)."""
        return [" ".join([c["tool"], *c["argv"]]) for c in self.calls()]

    def fail(self, *what: str) -> None:
        self.monkeypatch.setenv("FAKE_TOOLS_FAIL", ",".join(what))

    def ok(self) -> None:
        self.monkeypatch.delenv("FAKE_TOOLS_FAIL", raising=False)

    def clear_log(self) -> None:
        self.log_path.unlink(missing_ok=True)

    def args(self, *extra: str) -> list[str]:
        """The options every test passes: where things go."""
        return ["--home", str(self.home), *extra]

    def kernel_args(self) -> list[str]:
        return ["--prefix", str(self.prefix)]

    @property
    def jupyter_path(self) -> str:
        return str(self.prefix / "share" / "jupyter")


def _wrapper(name: str, folder: Path) -> None:
    path = folder / name
    path.write_text(
        f"#!{sys.executable}\nimport runpy, sys\nsys.fake_tool_path = sys.argv[0]\n"
        f"runpy.run_path({str(FAKE)!r}, run_name='__main__')\n"
    )
    path.chmod(0o755)


@pytest.fixture
def fake_tools(tmp_path, monkeypatch, transcripts_root) -> FakeTools:
    root = tmp_path / "fake"
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("git", "elan", "lake"):
        _wrapper(tool, bin_dir)
    tools = FakeTools(
        root=root,
        bin=bin_dir,
        log_path=root / "calls.jsonl",
        home=root / "home",
        elan_home=root / "elan",
        prefix=root / "prefix",
        settings=root / "config" / "lean-kernel.json",
        monkeypatch=monkeypatch,
    )
    # Only the fakes: a real git/elan/lake on this machine must not be reached.
    monkeypatch.setenv("PATH", os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"]))
    monkeypatch.setenv("ELAN_HOME", str(tools.elan_home))
    monkeypatch.setenv("FAKE_TOOLS_LOG", str(tools.log_path))
    monkeypatch.setenv("FAKE_RECORDINGS", str(transcripts_root))
    monkeypatch.setenv("LEAN_KERNEL_CONFIG", str(tools.settings))
    monkeypatch.delenv("FAKE_TOOLS_FAIL", raising=False)
    for var in ("LEAN_REPL_PATH", "LEAN_PROJECT", "LEAN_REPL_ARGS", "LEAN_REPL_ENV", "LEAN_KERNEL_HOME"):
        monkeypatch.delenv(var, raising=False)
    return tools


@pytest.fixture
def clean_env():
    """Forget what lean_magic's setup made active (configure() remembers its report)."""
    from lean_magic.bundle import reset_active

    reset_active()
    yield
    reset_active()
