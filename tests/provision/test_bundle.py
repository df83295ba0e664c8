"""`lean-kernel bundle OUT` with the fake tools: the folder lean_magic.setup() reads, its
manifest, the archive, and setup() telling a bundle that does not match its manifest
(the incomplete upload); every failure path names its fix."""

from __future__ import annotations

import json
import os
import zipfile

import pytest
from lean_magic.bundle import configure
from magic_bundle import make_read_only, make_writable  # tests/magic, put on sys.path by conftest

from lean_kernel import cli
from lean_kernel.provision import manifest

TAG = "v4.33.0-rc2"


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def built(fake_tools, capsys, tmp_path):
    """A bundle of v4.33.0-rc2 with Mathlib, and the CLI's output."""
    out = tmp_path / "bundle"
    code, text = run_cli(capsys, "bundle", str(out), *fake_tools.args("--lean", TAG, "--mathlib", "--archive"))
    assert code == 0, text
    return out, text


def test_bundle_layout_manifest_and_archive(built, fake_tools):
    out, text = built
    toolchain = fake_tools.elan_home / "toolchains" / "leanprover--lean4---v4.33.0-rc2"
    assert (out / "toolchain" / "bin" / "lean").read_bytes() == (toolchain / "bin" / "lean").read_bytes()
    assert (out / "project" / "lakefile.toml").is_file()
    assert (
        out / "project" / ".lake" / "packages" / "mathlib" / ".lake" / "build" / "lib" / "lean" / "Mathlib.olean"
    ).is_file()
    assert (out / "repl" / "lean-toolchain").read_text() == f"leanprover/lean4:{TAG}\n"
    assert os.access(out / "repl" / ".lake" / "build" / "bin" / "repl", os.X_OK)
    assert not [p for p in out.rglob("*") if p.is_symlink()], "an upload drops symlinks: the bundle has none"

    found = manifest.read(out)
    assert found.lean == "4.33.0-rc2" and found.repl["tag"] == TAG and found.project["mathlib"] is True
    assert found.files == {part: manifest.count_files(out / part) for part in ("toolchain", "project", "repl")}
    assert found.sha256["repl/.lake/build/bin/repl"] == manifest.sha256_file(
        out / "repl" / ".lake" / "build" / "bin" / "repl"
    )
    assert set(found.sha256) == set(manifest.BINARIES)
    assert "mathlib" in found.project["packages"]

    # The archive holds the same files under the folder's name.
    with zipfile.ZipFile(out.with_name("bundle.zip")) as zf:
        names = {n for n in zf.namelist()}
    assert names == {f"bundle/{p.relative_to(out)}" for p in out.rglob("*") if p.is_file()}

    # The CLI loaded it as a notebook would, and says how to upload it.
    assert "[10/11] load the bundle as a notebook would (lean_magic.setup)" in text
    assert "`#eval 2+2` printed 4" in text and "as bundled" in text
    assert f"kaggle datasets create -p {out} --dir-mode zip" in text


def test_setup_reads_the_bundle_read_only_and_checks_its_manifest(built, tmp_path, clean_env):
    out, _ = built
    make_read_only(out)
    try:
        report = configure(out, workdir=tmp_path / "work", environ=dict(os.environ))
        assert report.ok, report.as_text()
        check = next(c for c in report.health.checks if c.name == "bundle manifest")
        assert check.ok and "as bundled" in check.detail
        assert report.installation.copied  # read-only: the project was copied out
    finally:
        make_writable(out)


@pytest.mark.parametrize("damage", ["lost_files", "other_binary", "other_version", "unreadable"])
def test_setup_reports_a_bundle_that_differs_from_its_manifest(built, tmp_path, clean_env, damage):
    out, _ = built
    if damage == "lost_files":  # an upload that skipped a sub-folder
        for p in (out / "project" / ".lake" / "packages").rglob("*.olean"):
            p.unlink()
        expected = "project/ has"
        fix = "kaggle datasets create -p BUNDLE --dir-mode zip"
    elif damage == "other_binary":
        (out / "repl" / ".lake" / "build" / "bin" / "repl").write_text("#!/bin/sh\nexit 1\n")
        expected = "repl/.lake/build/bin/repl is not the binary that was bundled (sha256 differs)"
        fix = "upload the whole bundle folder again"
    elif damage == "other_version":
        data = json.loads((out / manifest.MANIFEST_NAME).read_text())
        data["lean"] = "4.19.0"
        (out / manifest.MANIFEST_NAME).write_text(json.dumps(data))
        expected = "the bundle was built for Lean 4.19.0 but its toolchain is Lean 4.33.0-rc2"
        fix = "upload the whole bundle folder again"
    else:
        (out / manifest.MANIFEST_NAME).write_text("{not json")
        expected = "is not a manifest this version of lean-kernel reads"
        fix = "rebuild the bundle with `lean-kernel bundle OUT`, or delete the file to skip the check"
    report = configure(out, workdir=tmp_path / "work", check=False, environ=dict(os.environ))
    assert not report.ok
    text = report.as_text()
    assert "[FAIL] bundle manifest: " in text and expected in text, text
    assert fix in text, text


def test_rebuild_keeps_complete_parts(built, fake_tools, capsys):
    out, _ = built
    fake_tools.clear_log()
    code, text = run_cli(capsys, "bundle", str(out), *fake_tools.args("--lean", TAG, "--mathlib", "--no-check"))
    assert code == 0, text
    assert f"skipped: {out / 'toolchain'} is complete" in text and f"skipped: {out / 'project'} is complete" in text
    assert not fake_tools.calls("elan") and not fake_tools.calls("lake")


def test_destinations_that_are_not_ours_are_refused(fake_tools, capsys, tmp_path, built):
    out, _ = built
    code, text = run_cli(capsys, "bundle", str(out), *fake_tools.args("--lean", "v4.19.0"))
    assert code == 1 and f"{out} holds a bundle for Lean 4.33.0-rc2, not 4.19.0" in text
    assert "choose another OUT, or delete it to build the new bundle there" in text
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    code, text = run_cli(capsys, "bundle", str(foreign), *fake_tools.args("--lean", TAG))
    assert code == 1 and "is not empty and holds no bundle" in text and "choose a new or empty folder" in text
    assert (foreign / "notes.txt").read_text() == "mine"
    code, text = run_cli(capsys, "bundle", str(foreign / "notes.txt"), *fake_tools.args("--lean", TAG))
    assert code == 1 and "exists and is not a folder" in text


def test_bundle_failures_name_the_fix(fake_tools, capsys, tmp_path):
    fake_tools.fail("git-offline")
    code, text = run_cli(capsys, "bundle", str(tmp_path / "b1"), *fake_tools.args("--lean", TAG))
    assert code == 1 and "no network: could not clone the REPL" in text and "lean-kernel bundle OUT" in text
    fake_tools.fail("repl-broken")
    code, text = run_cli(capsys, "bundle", str(tmp_path / "b2"), *fake_tools.args("--lean", TAG))
    assert code == 1
    assert "FAILED: the bundle does not load: positive control: toolchain mismatch" in text
    assert "fix: rebuild the REPL with the toolchain" in text
