"""What a newcomer reads in a Python notebook when Lean is not set up: the notebook's own
fixes (%lean_setup, %lean_doctor, `lean-kernel setup`), not the kernel's installer, and no
"could not be restarted" when nothing was ever started. And %lean_setup shows its steps."""

from __future__ import annotations

import lean_magic


def test_cell_without_a_repl_gives_the_notebook_fix(ip, clean_env):
    for var in ("LEAN_REPL_PATH", "LEAN_REPL_ARGS", "LEAN_PROJECT"):
        clean_env.delenv(var, raising=False)
    lean_magic.close_shared_checker()
    r = ip.run_cell_magic("lean", "", "def f := 37")
    assert r.failure_kind == "ReplNotFound" and "no Lean REPL configured" in r.failure
    text = r._repr_mimebundle_()["text/plain"]  # what the cell shows
    assert "could not be restarted" not in text
    assert "the REPL did not start; the next cell tries again" in text
    assert "%lean_setup BUNDLE" in text and "lean-kernel setup" in text and "%lean_doctor" in text
    assert "install_kernel.py" not in text
    doctor = ip.run_line_magic("lean_doctor", "").as_text()
    assert "install_kernel.py" not in doctor and "fix: in this notebook, %lean_setup BUNDLE" in doctor
    assert "run %lean_doctor" not in doctor  # the doctor does not send you to itself


def test_lean_setup_prints_its_steps(ip, fake_bundle, tmp_path, capsys):
    bundle, _ = fake_bundle()
    report = ip.run_line_magic("lean_setup", f"{bundle} --workdir {tmp_path / 'w'}")
    out = capsys.readouterr().out
    assert report.ok
    lines = [line.strip() for line in out.splitlines()]
    assert lines[0] == "[1/4] find the toolchain, the project and the REPL"
    assert "ok: Lean 4.33.0-rc2, project project, a repl" in out
    assert "[2/4] compare the bundle with its manifest (lean-bundle.json)" in out
    assert "skipped: the bundle has no manifest (it was not made by `lean-kernel bundle`)" in out
    assert "[3/4] make the bundle usable here" in out and "project copied to" in out
    assert "[4/4] positive control: `#eval 2+2` must print 4" in out and "ok: printed 4" in out


def test_lean_setup_shows_the_failing_step(ip, fake_bundle, tmp_path, capsys):
    bundle, _ = fake_bundle(with_repl=False)
    report = ip.run_line_magic("lean_setup", f"{bundle} --workdir {tmp_path / 'w'}")
    out = capsys.readouterr().out
    assert not report.ok
    assert "[4/4] positive control" in out and "FAILED: Lean REPL not usable: repl binary failed" in out
    assert "lean-kernel bundle OUT --lean v4.33.0-rc2" in out
