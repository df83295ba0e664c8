"""The kernel's line magics, against a stand-in REPL (v4.33.0-rc2 recordings named per test)."""

from __future__ import annotations

import stat

from .conftest import KernelHarness, read_log


def test_help_lists_every_magic(kernel):
    text = kernel.run("%help").text
    for name in (
        "%env",
        "%reset",
        "%restart",
        "%timeout",
        "%pickle",
        "%unpickle",
        "%project",
        "%proofstate",
        "%widget",
    ):
        assert name in text


def test_unknown_magic_is_a_clear_error(kernel):
    result = kernel.run("%frobnicate 3")
    assert result.status == "error"
    evalue = result.reply["content"]["evalue"]
    assert evalue.startswith("unknown magic %frobnicate; valid magics: ")
    assert "%timeout" in evalue and "%env" in evalue


def test_env_table_shows_cells_envs_and_stale_marks(fresh):
    fresh.run("def f := 37", "a")  # def_eval.in
    fresh.run("#check (rfl : f = 37)", "b")
    fresh.run("def f := 37", "a")  # re-run: b becomes stale
    result = fresh.run("%env")
    plain = result.text
    rows = {line.split()[0]: line for line in plain.splitlines()[1:] if line.split() and line.split()[0] in ("a", "b")}
    assert "fresh" in rows["a"] and "current" in rows["a"]
    assert "stale" in rows["b"]
    assert "current env:" in plain
    assert '<table class="lean-env">' in result.html


def test_env_with_no_cells(fresh):
    assert "no committed cells yet" in fresh.run("%env").text


def test_reset_forgets_cells(fresh, log_path):
    fresh.run("def f := 37")
    fresh.run("%reset")
    fresh.run("def f := 37")
    assert read_log(log_path)[-1] == {"cmd": "def f := 37"}  # fresh env again: no "env"


def test_magic_then_code_in_one_cell(fresh, log_path):
    fresh.run("def f := 37")
    result = fresh.run("%reset\ndef f := 37")
    assert result.status == "ok"
    assert "session reset" in result.text
    assert read_log(log_path)[-1] == {"cmd": "def f := 37"}


def test_restart_replays_the_cells(fresh, log_path):
    fresh.run("def f := 37")  # def_eval.in
    before = len(read_log(log_path))
    result = fresh.run("%restart")
    assert result.status == "ok"
    assert "restarted and replayed 1 cell" in result.text
    assert read_log(log_path)[before:] == [{"cmd": "def f := 37"}]
    after = fresh.run("#check (rfl : f = 37)")
    assert after.status == "ok" and "rfl : f = f" in after.text


def test_timeout_shows_and_sets(kernel):
    assert "timeout per cell: 10 s" in kernel.run("%timeout").text  # LEAN_TIMEOUT from the env
    try:
        assert "timeout per cell: 2.5 s" in kernel.run("%timeout 2.5").text
        assert "timeout per cell: off" in kernel.run("%timeout off").text
        bad = kernel.run("%timeout soon")
        assert bad.status == "error" and "%timeout wants seconds or 'off'" in bad.reply["content"]["evalue"]
    finally:
        kernel.run("%timeout 10")


def test_pickle_and_unpickle(fresh, log_path):
    # pickle_environment.in: def f := 42; pickle env 0; unpickle; `example : f = 42` on it.
    fresh.run("def f := 42")
    pickled = fresh.run("%pickle test/a.olean")
    assert pickled.status == "ok", pickled.text
    sent = read_log(log_path)[-1]
    assert sent["pickleTo"] == "test/a.olean" and isinstance(sent["env"], int)
    assert "%unpickle test/a.olean" in pickled.text
    fresh.run("%reset")
    unpickled = fresh.run("%unpickle test/a.olean")
    assert unpickled.status == "ok", unpickled.text
    assert read_log(log_path)[-1] == {"unpickleEnvFrom": "test/a.olean"}
    env = int(unpickled.text.split("as env ")[1].split(";")[0])
    use = fresh.run("example : f = 42 := by rfl")
    assert use.status == "ok", use.text
    assert read_log(log_path)[-1] == {"cmd": "example : f = 42 := by rfl", "env": env}


def test_pickle_needs_a_path(kernel):
    result = kernel.run("%pickle")
    assert result.status == "error" and "%pickle needs a file name" in result.reply["content"]["evalue"]


def test_pickle_with_nothing_committed(fresh):
    result = fresh.run("%pickle x.olean")
    assert result.status == "error" and "nothing to pickle" in result.reply["content"]["evalue"]


def test_project_missing_folder(kernel, tmp_path):
    result = kernel.run(f"%project {tmp_path / 'nope'}")
    assert result.status == "error"
    assert "no folder at" in result.reply["content"]["evalue"]


def test_project_starts_a_new_session_there(base_kernelspec, standin_env, tmp_path):
    """%project runs `lake env <repl>` in the project. No Lean toolchain here, so `lake` is
    a two-line script that drops `env` and runs the rest (only the launcher is faked;
    the REPL is the stand-in)."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.33.0-rc2\n")
    lake = tmp_path / "lake"
    lake.write_text('#!/bin/sh\n[ "$1" = env ] && shift\nexec "$@"\n')
    lake.chmod(lake.stat().st_mode | stat.S_IXUSR)
    env = standin_env()
    env["LEAN_LAKE_PATH"] = str(lake)
    k = KernelHarness(base_kernelspec, env)
    try:
        assert k.run("def f := 37").status == "ok"
        result = k.run(f"%project {project}")
        assert result.status == "ok", result.text
        assert f"new Lean session in project {project}" in result.text
        assert "Lean REPL ready" in result.text and "pins v4.33.0-rc2" in result.text
        assert "no committed cells" in k.run("%env").text
        assert k.run("def f := 37").status == "ok"  # a fresh env again

        broken = k.run(f"%project {tmp_path}")  # no lean-toolchain there
        assert broken.status == "error"
        assert "lean-toolchain" in broken.reply["content"]["evalue"] + "\n".join(broken.reply["content"]["traceback"])
    finally:
        k.close()


def test_proofstate_with_a_non_ascii_digit_is_a_magic_error(kernel):
    # "²".isdigit() is True but int("²") raises: it must be the magic's own error.
    result = kernel.run("%proofstate ²\nrfl")
    assert result.status == "error"
    assert result.reply["content"]["ename"] == "MagicError"
    assert "proof state number" in result.reply["content"]["evalue"]
