"""install_kernel.py / python -m lean_kernel.install write a usable "Lean 4" kernelspec."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, cwd=REPO, env={**os.environ, **(env or {})}
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_install_writes_kernelspec_with_repl_settings(tmp_path):
    repl = tmp_path / "repl"
    repl.write_text("#!/bin/sh\n")
    repl.chmod(0o755)
    project = tmp_path / "proj"
    project.mkdir()
    done = run(
        "install_kernel.py",
        "--prefix",
        str(tmp_path / "p"),
        "--repl",
        str(repl),
        "--project",
        str(project),
        "--timeout",
        "30",
        "--memory-limit-mb",
        "16384",
        "--env",
        "LEAN_PATH=/opt/lib",
        "--env",
        "X=a=b",
        "--repl-args",
        "--flag value",
    )
    assert done.returncode == 0, done.stderr
    spec_dir = tmp_path / "p" / "share" / "jupyter" / "kernels" / "lean4"
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"] == [sys.executable, "-m", "lean_kernel", "-f", "{connection_file}"]
    assert spec["display_name"] == "Lean 4"
    assert spec["language"] == "lean4"
    assert spec["interrupt_mode"] == "signal"
    assert spec["env"] == {
        "LEAN_REPL_PATH": str(repl),
        "LEAN_REPL_ARGS": "--flag value",
        "LEAN_PROJECT": str(project),
        "LEAN_TIMEOUT": "30",
        "LEAN_MEMORY_LIMIT_MB": "16384",
        "LEAN_PATH": "/opt/lib",
        "X": "a=b",
    }
    assert png_size(spec_dir / "logo-32x32.png") == (32, 32)
    assert png_size(spec_dir / "logo-64x64.png") == (64, 64)
    assert (spec_dir / "logo-svg.svg").read_text().startswith("<svg")
    assert "JUPYTER_PATH=" in done.stdout


def test_kernelspec_list_shows_it_and_module_form_works(tmp_path):
    done = run("-m", "lean_kernel.install", "--prefix", str(tmp_path), "--repl", sys.executable)
    assert done.returncode == 0, done.stderr
    listed = run(
        "-m", "jupyter", "kernelspec", "list", "--json", env={"JUPYTER_PATH": str(tmp_path / "share" / "jupyter")}
    )
    assert listed.returncode == 0, listed.stderr
    specs = json.loads(listed.stdout)["kernelspecs"]
    assert specs["lean4"]["resource_dir"] == str(tmp_path / "share" / "jupyter" / "kernels" / "lean4")
    assert specs["lean4"]["spec"]["display_name"] == "Lean 4"


def test_user_install_and_relative_paths_become_absolute(tmp_path):
    data = tmp_path / "data"
    (tmp_path / "proj").mkdir()
    done = subprocess.run(
        [sys.executable, str(REPO / "install_kernel.py"), "--user", "--project", "proj", "--name", "lean4-test"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "JUPYTER_DATA_DIR": str(data)},
    )
    assert done.returncode == 0, done.stderr
    spec = json.loads((data / "kernels" / "lean4-test" / "kernel.json").read_text())
    assert spec["env"]["LEAN_PROJECT"] == str(tmp_path / "proj")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--env", "NOEQUALS"], "--env wants KEY=VALUE"),
        (["--timeout", "soon"], "LEAN_TIMEOUT must be a number of seconds"),
        (["--user", "--prefix", "x"], "not allowed with argument"),
    ],
)
def test_bad_options_fail_with_a_clear_message(tmp_path, args, message):
    done = (
        run("install_kernel.py", "--prefix", str(tmp_path), *args)
        if "--user" not in args
        else run("install_kernel.py", *args)
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "share").exists()


def test_warns_when_the_repl_cannot_start(tmp_path):
    done = run("install_kernel.py", "--prefix", str(tmp_path), "--repl", str(tmp_path / "missing-repl"))
    assert done.returncode == 0
    assert "warning: the kernel cannot start the Lean REPL yet: repl binary not found" in done.stderr
