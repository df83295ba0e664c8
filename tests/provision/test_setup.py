"""`lean-kernel setup` with fake elan, git and lake on PATH (fake_tools.py): the commands
it runs, the files it leaves, a kernelspec the kernel then runs cells with, re-runs that
skip finished steps, and every failure path naming its fix.

The REPL the fake lake "builds" is the stand-in on the v4.33.0-rc2 (or v4.19.0)
recordings plus the scripted answers; the `%%lean` check cell's answer is scripted
(tests/fixtures/scripted/setup_check.in, setup_check_mathlib.in).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kernel.conftest import KernelHarness  # tests/ is on sys.path (rootdir conftest)

from lean_kernel import cli
from lean_kernel.config import ReplConfig, read_saved_settings

REPO = Path(__file__).resolve().parents[2]
TAG = "v4.33.0-rc2"


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def setup_args(fake, *extra: str) -> list[str]:
    return ["setup", *fake.args(), *fake.kernel_args(), *extra]


# --------------------------------------------------------------------------- it works


def test_setup_runs_the_tools_and_makes_a_kernelspec_the_kernel_uses(fake_tools):
    # As a user runs it: the console script's module in a fresh process.
    done = subprocess.run(
        [sys.executable, "-m", "lean_kernel", *setup_args(fake_tools, "--lean", TAG)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    repl_dir = fake_tools.home / TAG / "repl"
    toolchain = fake_tools.elan_home / "toolchains" / "leanprover--lean4---v4.33.0-rc2"
    # What ran, in order: the REPL is cloned and its tag checked first, then the toolchain.
    assert fake_tools.commands() == [
        f"git clone https://github.com/leanprover-community/repl {repl_dir}.partial",  # renamed when complete
        f"git -C {repl_dir} tag --list",
        f"git -C {repl_dir} -c advice.detachedHead=false checkout --quiet {TAG}",
        f"git -C {repl_dir} rev-parse HEAD",
        "elan toolchain install leanprover/lean4:v4.33.0-rc2",
        "lake build",
    ]
    assert fake_tools.calls("lake")[0]["cwd"] == str(repl_dir)
    # Each step says what it runs and how it ended.
    for line in (
        "[1/8] find git and elan",
        f"$ git clone https://github.com/leanprover-community/repl {repl_dir}.partial",
        "$ elan toolchain install leanprover/lean4:v4.33.0-rc2",
        f"$ lake build   (in {repl_dir})",
        "[7/8] positive control: `#eval 2+2` must print 4",
        "ok: `#eval 2+2` printed 4",
        "[8/8] a %%lean cell in IPython",
        "ok: Lean accepted the cell",
        f"Lean {TAG} is ready",
    ):
        assert line in out, out
    # The settings and the kernelspec name the same REPL; without a project, LEAN_SYSROOT.
    saved = read_saved_settings(fake_tools.settings)
    assert saved["LEAN_REPL_PATH"] == str(repl_dir / ".lake" / "build" / "bin" / "repl")
    assert json.loads(saved["LEAN_REPL_ENV"]) == {"LEAN_SYSROOT": str(toolchain)}
    spec = json.loads((Path(fake_tools.jupyter_path) / "kernels" / "lean4" / "kernel.json").read_text())
    assert spec["env"] == saved and spec["argv"][1:3] == ["-m", "lean_kernel"]

    # The kernel tests' harness starts that kernelspec: cells run and render goals.
    k = KernelHarness(fake_tools.jupyter_path, {})
    try:
        first = k.run("def f : Nat := by sorry")  # recording: v4.33.0-rc2 proof_step.in
        assert first.status == "ok", first.text
        assert "Lean REPL ready" in first.text and "⊢ Nat" in first.text
        assert 'class="lean-goal"' in first.html
        step = k.run("%proofstate\napply Int.natAbs")
        assert step.status == "ok" and "⊢ Int" in step.text
    finally:
        k.close()


def test_rerun_skips_finished_steps(fake_tools, capsys):
    assert run_cli(capsys, *setup_args(fake_tools, "--lean", TAG, "--no-check"))[0] == 0
    fake_tools.clear_log()
    code, out = run_cli(capsys, *setup_args(fake_tools, "--lean", TAG, "--no-check"))
    assert code == 0, out
    # Nothing is downloaded or built again; the clone is only brought to the tag.
    assert [c.split()[0:3] for c in fake_tools.commands()] == [["git", "-C", str(fake_tools.home / TAG / "repl")]] * 3
    assert "already cloned" in out
    assert "skipped: already installed in" in out
    assert (
        "skipped: " + str(fake_tools.home / TAG / "repl" / ".lake" / "build" / "bin" / "repl") + " is built from" in out
    )


def test_mathlib_project_is_made_cached_and_used(fake_tools, capsys):
    code, out = run_cli(capsys, *setup_args(fake_tools, "--lean", TAG, "--mathlib"))
    assert code == 0, out
    project = fake_tools.home / TAG / "mathlib"
    repl = str(fake_tools.home / TAG / "repl" / ".lake" / "build" / "bin" / "repl")
    lake_calls = [(c["argv"], c["cwd"]) for c in fake_tools.calls("lake")]
    assert lake_calls[1:] == [
        (["update"], str(project)),
        (["exe", "cache", "get"], str(project)),
        (["build"], str(project)),
        # the positive control and the %%lean check start the REPL as `lake env repl` there
        (["env", repl], str(project)),
        (["env", repl], str(project)),
    ]
    # Mathlib at the same tag, as the REPL's own test/Mathlib project requires it.
    assert 'rev = "v4.33.0-rc2"' in (project / "lakefile.toml").read_text()
    assert (project / "lean-toolchain").read_text() == "leanprover/lean4:v4.33.0-rc2\n"
    saved = read_saved_settings(fake_tools.settings)
    assert saved["LEAN_PROJECT"] == str(project)
    assert saved["LEAN_LAKE_PATH"].endswith("toolchains/leanprover--lean4---v4.33.0-rc2/bin/lake")
    # The checks ran through `lake env repl` in the project, and the %%lean cell imported
    # Mathlib (scripted: setup_check_mathlib.in; `import Mathlib` is recorded).
    assert "bin/lake env " in out and "import Mathlib ⏎ theorem lean_kernel_setup_check" in out
    fake_tools.clear_log()
    code, out = run_cli(capsys, *setup_args(fake_tools, "--lean", TAG, "--mathlib", "--no-check"))
    assert code == 0 and not fake_tools.calls("lake") and f"skipped: {project} is built" in out


def test_old_versions_get_a_lakefile_lean(fake_tools, capsys):
    code, out = run_cli(capsys, *setup_args(fake_tools, "--lean", "v4.8.0", "--mathlib", "--no-check"))
    assert code == 0, out
    lakefile = (fake_tools.home / "v4.8.0" / "mathlib" / "lakefile.lean").read_text()
    assert 'require mathlib from git "https://github.com/leanprover-community/mathlib4" @ "v4.8.0"' in lakefile


def test_own_project_decides_the_version(fake_tools, capsys, tmp_path):
    project = tmp_path / "myproj"
    project.mkdir()
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.19.0\n")
    (project / "lakefile.toml").write_text('name = "myproj"\n')
    code, out = run_cli(capsys, *setup_args(fake_tools, "--project", str(project)))
    assert code == 0, out
    assert "elan toolchain install leanprover/lean4:v4.19.0" in fake_tools.commands()
    lake = [(c["argv"][0], c["cwd"]) for c in fake_tools.calls("lake")]
    # build the REPL, build the project, then the two checks' `lake env repl` in the project
    assert lake == [
        ("build", str(fake_tools.home / "v4.19.0" / "repl")),
        ("build", str(project)),
        ("env", str(project)),
        ("env", str(project)),
    ]
    assert read_saved_settings(fake_tools.settings)["LEAN_PROJECT"] == str(project)
    assert "Lean v4.19.0 is ready" in out


def test_real_lean_suite_uses_the_saved_settings(fake_tools, capsys):
    # The CI workflow's two steps: `lean-kernel setup`, then `pytest -m lean` with no LEAN_*
    # variables. Here the REPL it set up is the stand-in, whose scripted answer
    # (setup_check.in) lets tests/lean/test_setup_real.py's core case pass.
    assert run_cli(capsys, *setup_args(fake_tools, "--lean", TAG, "--no-check"))[0] == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAN_") or k == "LEAN_TRANSCRIPTS"}
    env["LEAN_KERNEL_CONFIG"] = str(fake_tools.settings)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "lean", "-p", "no:cacheprovider", "tests/lean/test_setup_real.py"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )
    assert "1 passed, 1 skipped" in done.stdout, done.stdout + done.stderr


def test_settings_are_what_python_notebooks_fall_back_on(fake_tools, capsys, monkeypatch):
    assert run_cli(capsys, *setup_args(fake_tools, "--lean", TAG, "--no-check"))[0] == 0
    config = ReplConfig.from_env()  # no LEAN_REPL_PATH / LEAN_PROJECT in this environment
    assert config.repl_path == str(fake_tools.home / TAG / "repl" / ".lake" / "build" / "bin" / "repl")
    assert config.settings_file == str(fake_tools.settings)
    monkeypatch.setenv("LEAN_REPL_PATH", "/somewhere/else/repl")  # the environment wins
    assert ReplConfig.from_env().repl_path == "/somewhere/else/repl" and ReplConfig.from_env().settings_file is None


# --------------------------------------------------------------------------- failures name the fix


@pytest.mark.parametrize(
    ("args", "fails", "problem", "fix"),
    [
        (
            ["--lean", TAG],
            "git-offline",
            "no network: could not clone the REPL",
            "run `lean-kernel setup` on a machine with internet access; for a machine without it, build a bundle",
        ),
        (
            ["--lean", TAG],
            "elan-offline",
            "no network: could not install leanprover/lean4:v4.33.0-rc2 with elan",
            "`lean-kernel bundle OUT`",
        ),
        (
            ["--lean", TAG],
            "elan-nonexistent",
            "Lean v4.33.0-rc2 does not exist",
            "check the version against https://github.com/leanprover/lean4/releases",
        ),
        (
            ["--lean", TAG],
            "lake-build",
            "could not build the REPL: `lake build` exited with status 1",
            "read lake's errors above; the build uses Lean v4.33.0-rc2",
        ),
        (
            ["--lean", TAG],
            "wrong-pin",
            "the REPL's tag v4.33.0-rc2 pins Lean 4.8.0 in its lean-toolchain",
            "delete it and run setup again",
        ),
        (
            ["--lean", TAG, "--mathlib"],
            "lake-offline",
            "no network: could not fetch Mathlib (lake update)",
            "run `lean-kernel setup` on a machine with internet access",
        ),
        (
            ["--lean", TAG, "--mathlib"],
            "cache-offline",
            "no network: could not download Mathlib's prebuilt files",
            "run `lean-kernel setup` on a machine with internet access",
        ),
        (
            ["--lean", TAG],
            "repl-broken",
            "positive control: toolchain mismatch",
            "rebuild the REPL with the toolchain in",
        ),
    ],
)
def test_tool_failures_name_the_fix(fake_tools, capsys, args, fails, problem, fix):
    fake_tools.fail(fails)
    code, out = run_cli(capsys, *setup_args(fake_tools, *args))
    assert code == 1
    assert f"FAILED: {problem}" in out, out
    assert "fix: " in out and fix in out, out
    assert "stopped: fix the problem above and run it again (finished steps are skipped)" in out


@pytest.mark.parametrize(
    ("args", "problem", "fix"),
    [
        (
            ["--lean", "v4.20.0"],
            "the REPL has no tag v4.20.0: it was not released for Lean v4.20.0",
            "choose a version the REPL is tagged for, e.g. v4.19.0, v4.22.0-rc4",
        ),
        (["--lean", "latest"], "'latest' is not a Lean version", "give a release tag such as v4.32.0"),
        (["--lean", "v4.3.0"], "Lean v4.3.0 is older than v4.8.0", "use Lean v4.8.0 or newer"),
        (
            ["--lean", "leanprover/lean4:nightly-2024-05-01"],
            "Lean nightly-2024-05-01 is not a release",
            "use a release or release candidate",
        ),
    ],
)
def test_unknown_versions_name_the_fix(fake_tools, capsys, args, problem, fix):
    code, out = run_cli(capsys, *setup_args(fake_tools, *args))
    assert code == 1 and f"FAILED: {problem}" in out and fix in out, out
    assert not fake_tools.calls("elan"), "nothing big is downloaded for a version that cannot be served"


def test_missing_elan_and_git_name_how_to_install(fake_tools, capsys):
    (fake_tools.bin / "elan").unlink()
    code, out = run_cli(capsys, *setup_args(fake_tools, "--lean", TAG))
    assert code == 1 and "FAILED: elan (the Lean toolchain manager) is not installed" in out
    assert "curl https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh -sSf | sh" in out
    fake_tools.monkeypatch.setenv("PATH", str(fake_tools.bin))  # no /usr/bin: no git at all
    (fake_tools.bin / "git").unlink()
    code, out = run_cli(capsys, *setup_args(fake_tools, "--lean", TAG))
    assert code == 1 and "FAILED: git is not installed" in out and "install git" in out


def test_project_that_does_not_match_names_the_fix(fake_tools, capsys, tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.19.0\n")
    code, out = run_cli(capsys, *setup_args(fake_tools, "--lean", TAG, "--project", str(project)))
    assert code == 1
    assert f"the project {project} pins Lean v4.19.0 (its lean-toolchain) but --lean asks for {TAG}" in out
    assert "drop --lean to use the project's v4.19.0" in out
    (project / "lean-toolchain").unlink()
    code, out = run_cli(capsys, *setup_args(fake_tools, "--project", str(project)))
    assert code == 1 and "has no lean-toolchain file" in out and "point --project at a Lean project" in out
    code, out = run_cli(capsys, *setup_args(fake_tools, "--project", str(tmp_path / "nope")))
    assert code == 1 and "project folder not found" in out
    assert not fake_tools.calls()


def test_home_that_is_not_a_clone_is_never_deleted(fake_tools, capsys):
    stray = fake_tools.home / TAG / "repl"
    stray.mkdir(parents=True)
    (stray / "notes.txt").write_text("mine")
    code, out = run_cli(capsys, *setup_args(fake_tools, "--lean", TAG))
    assert code == 1 and f"{stray} exists but is not a clone of the REPL" in out and "or pass another --home" in out
    assert (stray / "notes.txt").read_text() == "mine"


def test_unwritable_settings_and_kernelspec_name_the_fix(fake_tools, capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    fake_tools.monkeypatch.setenv("LEAN_KERNEL_CONFIG", str(blocker / "config.json"))
    code, out = run_cli(capsys, *setup_args(fake_tools, "--lean", TAG))
    assert (
        code == 1
        and "cannot write the settings file" in out
        and "set LEAN_KERNEL_CONFIG to a writable file path" in out
    )
    fake_tools.monkeypatch.setenv("LEAN_KERNEL_CONFIG", str(fake_tools.settings))
    code, out = run_cli(capsys, "setup", *fake_tools.args(), "--prefix", str(blocker / "prefix"), "--lean", TAG)
    assert (
        code == 1
        and "cannot install the kernelspec" in out
        and "choose where with --user, --sys-prefix or --prefix P" in out
    )


def test_failing_lean_cell_names_the_doctor(fake_tools):
    # The REPL crashes on the check cell only (stand-in --crash-on): the positive control
    # passes, the %%lean cell fails. A fresh process: the check starts an IPython shell.
    fake_tools.fail("crash-on-check")
    done = subprocess.run(
        [sys.executable, "-m", "lean_kernel", *setup_args(fake_tools, "--lean", TAG)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 1
    assert "ok: `#eval 2+2` printed 4" in done.stdout
    assert "FAILED: the %%lean cell failed: the REPL failed" in done.stdout
    assert "fix: run `%lean_doctor` in a Python notebook" in done.stdout
