"""scripts/fetch_recordings.py against a local git repository laid out like
leanprover-community/repl (no network here): the files a version folder gets, its SOURCE
line, re-runs, and refusals that name the fix. The pinned commits are the SOURCE files
of the recordings this machine has."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from lean_kernel.testing.fetch_recordings import PINS, FetchError, fetch, source_line
from lean_kernel.testing.transcripts import list_version_folders

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fetch_recordings.py"


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "HOME": str(repo.parent),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


@pytest.fixture
def fake_repl_repo(tmp_path) -> tuple[Path, dict[str, str]]:
    """Two commits, each pinning a version and holding a test/ tree like the REPL's."""
    repo = tmp_path / "repl"
    repo.mkdir()
    git(repo, "init", "-q")
    pins = {}
    for version, answer in (("v4.8.0", '{"env": 0}'), ("v4.19.0", '{"env": 1}')):
        files = {
            "lean-toolchain": f"leanprover/lean4:{version}\n",
            "test/def_eval.in": '{"cmd": "def f := 37"}\n',
            "test/def_eval.expected.out": answer + "\n\n",
            "test/file.lean": "def f : Nat := 37\n",
            "test/Mathlib/lakefile.toml": 'name = "x"\n',  # not a recording
            "test/Mathlib/test/exact.in": '{"cmd": "import Mathlib"}\n',
            "test/Mathlib/test/exact.expected.out": '{"env": 0}\n\n',
            "REPL/Main.lean": "-- not a recording\n",
        }
        for name, text in files.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", version)
        pins[version] = git(repo, "rev-parse", "HEAD")
    return repo, pins


def test_pins_are_the_source_files_of_the_recordings(transcripts_root):
    found = {f.name: (f / "SOURCE").read_text() for f in list_version_folders(transcripts_root)}
    assert found == {v: source_line(v, c) for v, c in PINS.items()}


def test_script_fetches_each_pinned_version(fake_repl_repo, tmp_path):
    repo, pins = fake_repl_repo
    dest = tmp_path / "recordings"
    args = [sys.executable, str(SCRIPT), str(dest), "--repo", str(repo), *[f"--pin={v}={c}" for v, c in pins.items()]]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for version, commit in pins.items():
        folder = dest / version
        assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
            "Mathlib/test/exact.expected.out",
            "Mathlib/test/exact.in",
            "SOURCE",
            "def_eval.expected.out",
            "def_eval.in",
            "file.lean",
        ]
        assert (folder / "SOURCE").read_text() == f"{version} from leanprover-community/repl commit {commit}\n"
    assert (dest / "v4.19.0" / "def_eval.expected.out").read_text() == '{"env": 1}\n\n'  # that commit's bytes
    assert f"set LEAN_TRANSCRIPTS={dest}" in done.stdout
    again = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert again.returncode == 0 and "all 2 versions are already in" in again.stdout


def test_refusals_name_the_fix(fake_repl_repo, tmp_path):
    repo, pins = fake_repl_repo
    dest = tmp_path / "recordings"
    (dest / "v4.8.0").mkdir(parents=True)
    (dest / "v4.8.0" / "SOURCE").write_text("v4.8.0 from elsewhere\n")
    with pytest.raises(FetchError, match=r"holds other recordings .*move it away to fetch v4.8.0"):
        fetch(dest, pins=pins, repo_url=str(repo), log=lambda _: None)
    with pytest.raises(
        FetchError, match=re.escape("pins leanprover/lean4:v4.8.0, not v4.19.0: the pin for v4.19.0 is wrong")
    ):
        fetch(tmp_path / "other", pins={"v4.19.0": pins["v4.8.0"]}, repo_url=str(repo), log=lambda _: None)
    with pytest.raises(FetchError, match="this needs network access"):
        fetch(tmp_path / "third", pins=pins, repo_url=str(tmp_path / "no-such-repo"), log=lambda _: None)
    assert not (tmp_path / "other" / "v4.19.0").exists()
