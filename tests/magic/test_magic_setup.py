"""Offline set-up from a bundle: a fake READ-ONLY bundle (toolchain scripts, a project with
.lake build outputs and packages, a `repl` that execs the stand-in) is found, its project
copied to a writable folder with symlinked build outputs, the variables set, the positive
control run; the doctor names a missing binary and a toolchain mismatch with their fixes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from lean_magic import LeanChecker, SetupError, setup, shared_checker
from lean_magic.bundle import (
    COPY_MARKER,
    active_config,
    discover,
    doctor,
    inspect_bundle,
    is_writable,
    prepare_project,
)

from lean_kernel.versions import normalize_version


def _env_log(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        out[key] = value
    return out


def test_read_only_bundle(fake_bundle, clean_env, tmp_path):
    bundle, env_log = fake_bundle()
    assert not is_writable(bundle / "project")
    before = sorted(p.relative_to(bundle) for p in bundle.rglob("*"))
    clean_env.setenv("LEAN_REPL_ARGS", "--left-over-from-earlier")
    work = tmp_path / "work" / "project"
    cells_checker = shared_checker()  # what %%lean cells used before the set-up

    report = setup(bundle, workdir=tmp_path / "work")

    inst = report.installation
    assert report.ok, report.as_text()
    assert inst.toolchain_dir == bundle / "toolchain"
    assert (inst.toolchain_version, inst.project_pin, inst.repl_pin) == ("4.33.0-rc2",) * 3
    assert inst.toolchain_version_source.endswith("bin/lean --version")
    assert inst.repl_path == bundle / "repl" / ".lake" / "build" / "bin" / "repl"

    # the project was copied to a writable folder; build outputs are links to the bundle
    assert inst.copied and inst.project_dir == work and is_writable(work)
    assert (work / "lean-toolchain").read_text() == "leanprover/lean4:v4.33.0-rc2\n"
    assert not (work / "lean-toolchain").is_symlink() and (work / "Project.lean").is_file()
    assert (work / ".lake" / "build").readlink() == bundle / "project" / ".lake" / "build"
    assert (work / ".lake" / "packages" / "mathlib").readlink() == bundle / "project" / ".lake" / "packages" / "mathlib"
    assert json.loads((work / COPY_MARKER).read_text())["source"] == str((bundle / "project").resolve())
    assert sorted(p.relative_to(bundle) for p in bundle.rglob("*")) == before  # nothing written in the bundle

    # the variables
    tc = bundle / "toolchain"
    lean_path = [
        str(work / ".lake" / "build" / "lib" / "lean"),
        str(work / ".lake" / "packages" / "batteries" / ".lake" / "build" / "lib" / "lean"),
        str(work / ".lake" / "packages" / "mathlib" / ".lake" / "build" / "lib" / "lean"),
        str(tc / "lib" / "lean"),
    ]
    cfg = report.config
    assert cfg.env["LEAN_PATH"].split(os.pathsep) == lean_path
    assert cfg.env["LEAN_SYSROOT"] == str(tc)
    assert cfg.env["PATH"].split(os.pathsep)[0] == str(tc / "bin")
    assert cfg.repl_path == str(inst.repl_path) and cfg.repl_args == [] and not cfg.use_lake
    assert cfg.command() == [str(inst.repl_path)] and cfg.cwd() == str(work)
    for key in ("LEAN_PATH", "LEAN_SYSROOT", "LEAN_REPL_PATH"):
        assert os.environ[key] == report.exported[key]
    assert os.environ["PATH"].split(os.pathsep)[0] == str(tc / "bin")
    assert "LEAN_REPL_ARGS" not in os.environ

    # the positive control ran in the REPL, which saw those variables in the copy
    assert "[ok] positive control: `#eval 2+2` printed 4" in report.as_text()
    seen = _env_log(env_log)
    assert seen["CWD"] == str(work)
    assert seen["LEAN_PATH"].split(os.pathsep) == lean_path
    assert seen["LEAN_SYSROOT"] == str(tc)
    assert seen["PATH"].split(os.pathsep)[0] == str(tc / "bin")

    # LeanChecker() and ReplConfig.from_env() now use the bundle
    assert active_config() is cfg
    with LeanChecker() as lean:
        assert lean.run("def f := 37").ok  # recording: def_eval
    with LeanChecker() as lean:
        assert lean.config is cfg
    assert shared_checker() is not cells_checker and shared_checker().config is cfg


def test_writable_bundle_is_used_in_place(fake_bundle, clean_env, tmp_path):
    bundle, _ = fake_bundle()
    from magic_bundle import make_writable

    make_writable(bundle)
    report = setup(bundle, workdir=tmp_path / "unused")
    assert report.ok and not report.installation.copied
    assert report.installation.project_dir == bundle / "project"
    assert not (tmp_path / "unused").exists()


def test_setup_magic_then_cells_run_in_the_bundle(ip, fake_bundle, tmp_path):
    bundle, env_log = fake_bundle()
    work = tmp_path / "work"
    ip.run_cell("%%lean\ndef f := 37")  # the env-var stand-in, before set-up
    report = ip.run_line_magic("lean_setup", f"{bundle} --workdir {work}")
    work = work / "project"
    assert report.ok and "ready" in report.as_text()
    env_log.unlink()
    r = ip.run_cell("%%lean\ndef f := 37").result  # a new REPL: the bundle's (recording: def_eval)
    assert r.ok and r.env_before is None
    assert _env_log(env_log)["CWD"] == str(work)
    text = ip.run_line_magic("lean_doctor", "").as_text()
    assert f"toolchain: {bundle / 'toolchain'} · Lean 4.33.0-rc2" in text
    assert "[ok] toolchain version: Lean 4.33.0-rc2, as the project pins" in text
    assert f"copied from: {bundle / 'project'}" in text


def test_missing_lean_binary(ip, fake_bundle, tmp_path):
    bundle, _ = fake_bundle(with_lean=False)
    report = ip.run_line_magic("lean_setup", f"{bundle} --workdir {tmp_path / 'w'}")
    text = report.as_text()
    assert not report.ok
    assert f"[FAIL] lean binary: missing or not executable: {bundle / 'toolchain' / 'bin' / 'lean'}" in text
    assert "fix: the toolchain at" in text and "copy the whole toolchain folder (bin/lean included)" in text
    doc = ip.run_line_magic("lean_doctor", "").as_text()
    assert "[FAIL] lean binary" in doc and "Lean REPL not usable: lean binary failed" in doc


def test_missing_repl(ip, fake_bundle, tmp_path):
    bundle, _ = fake_bundle(with_repl=False)
    report = ip.run_line_magic("lean_setup", f"{bundle} --workdir {tmp_path / 'w'}")
    text = report.as_text()
    assert not report.ok and report.config is None and active_config() is None
    assert f"[FAIL] repl binary: no repl binary found in {bundle}" in text
    assert "fix: put a built REPL at <bundle>/repl/.lake/build/bin/repl" in text
    with pytest.raises(SetupError, match="repl binary failed"):
        report.raise_for_problems()


def test_toolchain_mismatch(ip, fake_bundle, tmp_path):
    bundle, _ = fake_bundle(project_pin="v4.19.0")
    report = ip.run_line_magic("lean_setup", f"{bundle} --workdir {tmp_path / 'w'}")
    assert not report.ok
    text = ip.run_line_magic("lean_doctor", "").as_text()
    assert "Lean toolchain: 4.33.0-rc2" in text and "project pin (lean-toolchain): 4.19.0" in text
    assert "[FAIL] toolchain version: the toolchain is Lean 4.33.0-rc2" in text
    assert "but the project pins 4.19.0" in text
    assert "elan toolchain install leanprover/lean4:v4.19.0" in text
    assert "[FAIL] repl version: the REPL was built for Lean 4.33.0-rc2" in text
    assert "git checkout v4.19.0" in text


def test_layouts_elan_toolchains_and_bin_repl(tmp_path):
    from magic_bundle import LEAN_VERSION_SCRIPT, _write

    bundle = tmp_path / "b"
    for version in ("4.19.0", "4.33.0-rc2"):
        tc = bundle / ".elan" / "toolchains" / f"leanprover--lean4---v{version}"
        _write(tc / "bin" / "lean", LEAN_VERSION_SCRIPT.format(version=version), executable=True)
        _write(tc / "bin" / "lake", "#!/bin/sh\n", executable=True)
    _write(bundle / "bin" / "repl", "#!/bin/sh\n", executable=True)
    _write(bundle / "work" / "myproj" / "lean-toolchain", "leanprover/lean4:v4.19.0\n")
    _write(bundle / "work" / "myproj" / "lakefile.lean", "-- fake\n")
    inst = inspect_bundle(bundle)
    assert inst.toolchain_dir.name == "leanprover--lean4---v4.19.0"  # the one the project pins
    assert inst.toolchain_version == "4.19.0" and inst.project_pin == "4.19.0"
    assert [t.name for t in inst.other_toolchains] == ["leanprover--lean4---v4.33.0-rc2"]
    assert inst.source_project_dir == bundle / "work" / "myproj"
    assert inst.repl_path == bundle / "bin" / "repl" and inst.repl_pin is None


def test_normalize_version():
    assert normalize_version("leanprover/lean4:v4.19.0\n") == "4.19.0"
    assert normalize_version("leanprover--lean4---v4.22.0-rc4") == "4.22.0-rc4"
    assert normalize_version("Lean (version 4.33.0-rc2, x86_64-unknown-linux-gnu, commit 1, Release)") == "4.33.0-rc2"
    assert normalize_version("leanprover/lean4:nightly-2024-05-01") == "nightly-2024-05-01"
    assert normalize_version("toolchain") is None


def test_bundle_not_found(ip, clean_env, tmp_path, monkeypatch):
    with pytest.raises(SetupError, match="bundle folder not found"):
        setup(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SetupError, match="nothing Lean-like"):
        setup(tmp_path / "empty")
    monkeypatch.setattr(discover, "KAGGLE_INPUT", tmp_path / "no-kaggle")
    with pytest.raises(SetupError, match="LEAN_BUNDLE"):
        setup()
    with pytest.raises(UsageError, match="bundle folder not found"):
        ip.run_line_magic("lean_setup", str(tmp_path / "nope"))


def test_bundle_from_env_var(fake_bundle, clean_env, tmp_path):
    bundle, _ = fake_bundle()
    clean_env.setenv("LEAN_BUNDLE", str(bundle))
    report = setup(workdir=tmp_path / "w", check=False)
    assert report.installation.bundle == bundle and report.health.ok


def test_copy_is_replaced_but_a_foreign_folder_is_not(tmp_path):
    src = tmp_path / "src"
    (src / ".lake" / "packages" / "pkg" / ".lake" / "build").mkdir(parents=True)
    (src / ".lake" / "packages" / "pkg" / "Pkg.lean").write_text("-- pkg\n")
    (src / "lean-toolchain").write_text("leanprover/lean4:v4.19.0\n")
    dest = tmp_path / "dest"
    prepare_project(src, dest)
    (dest / "scratch.txt").write_text("left by a run")
    prepare_project(src, dest)  # our own copy: replaced
    assert not (dest / "scratch.txt").exists() and (dest / "lean-toolchain").is_file()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(SetupError, match="not made by lean_magic"):
        prepare_project(src, foreign)
    assert (foreign / "notes.txt").read_text() == "mine"
    # link_packages=False: package sources copied, only their build outputs linked
    sources = prepare_project(src, tmp_path / "sources", link_packages=False)
    pkg = sources / ".lake" / "packages" / "pkg"
    assert not pkg.is_symlink() and (pkg / "Pkg.lean").read_text() == "-- pkg\n"
    assert (pkg / ".lake" / "build").is_symlink()


def test_doctor_without_a_bundle(use_standin):
    report = doctor()
    assert report.ok
    assert report.installation.toolchain_dir is None or report.installation.toolchain_version
    assert "== checks" in report.as_text() and "[ok] positive control" in report.as_text()


def test_binaries_without_executable_bits_are_copied(fake_bundle, clean_env, tmp_path):
    # a dataset upload loses the executable bits, and the mount is read-only (no chmod)
    bundle, env_log = fake_bundle(executable=False)
    assert not os.access(bundle / "toolchain" / "bin" / "lean", os.X_OK)
    report = setup(bundle, workdir=tmp_path / "w")
    inst = report.installation
    assert report.ok, report.as_text()
    assert inst.toolchain_dir == tmp_path / "w" / "toolchain"
    assert os.access(inst.toolchain_dir / "bin" / "lean", os.X_OK) and not (inst.toolchain_dir / "bin").is_symlink()
    assert (inst.toolchain_dir / "lib").readlink() == bundle / "toolchain" / "lib"
    assert inst.toolchain_version == "4.33.0-rc2" and inst.toolchain_version_source.endswith("--version")
    assert inst.repl_path == tmp_path / "w" / "bin" / "repl" and os.access(inst.repl_path, os.X_OK)
    assert report.config.env["LEAN_SYSROOT"] == str(inst.toolchain_dir)
    assert report.config.env["LEAN_PATH"].split(os.pathsep)[-1] == str(inst.toolchain_dir / "lib" / "lean")
    text = report.as_text()
    assert "note: toolchain binaries were not executable" in text and "note: the repl binary was not executable" in text
    assert _env_log(env_log)["CWD"] == str(tmp_path / "w" / "project")  # the positive control ran the copy
