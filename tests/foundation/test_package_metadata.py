"""Package metadata has one source each: the version, the typed-package marker, and
which dependencies the product itself needs."""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

import lean_magic
import tomllib

import lean_kernel
from lean_kernel.kernel import LeanKernel

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_DIRS = (ROOT / "lean_kernel", ROOT / "extension" / "lean_magic")


def test_one_version_everywhere():
    version = lean_kernel.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert metadata.version("lean-kernel") == version
    assert lean_magic.__version__ == version
    assert LeanKernel.implementation_version == version
    for package_json in (
        ROOT / "labextension" / "package.json",
        ROOT / "lean_kernel" / "labextension" / "package.json",
    ):
        assert json.loads(package_json.read_text())["version"] == version, package_json
    assert "version" not in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_both_packages_are_marked_typed_and_ship_the_marker():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for package_dir, name in zip(PRODUCT_DIRS, ("lean_kernel", "lean_magic"), strict=True):
        assert (package_dir / "py.typed").is_file()
        assert "py.typed" in data[name]


def test_pexpect_is_a_test_dependency_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(req.startswith("pexpect") for req in project["dependencies"])
    assert any(req.startswith("pexpect") for req in project["optional-dependencies"]["test"])
    importers = [
        str(path.relative_to(ROOT))
        for base in PRODUCT_DIRS
        for path in base.rglob("*.py")
        if re.search(r"^\s*(import|from) pexpect\b", path.read_text(encoding="utf-8"), re.M)
    ]
    assert importers == []


def test_every_package_folder_is_in_the_wheel():
    # The package list in pyproject.toml is explicit (two roots, one of them renamed); a
    # new subpackage missing from it installs fine in editable mode and is absent from
    # the wheel Kaggle users install.
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for base, name in zip(PRODUCT_DIRS, ("lean_kernel", "lean_magic"), strict=True):
        for init in base.rglob("__init__.py"):
            if "node_modules" not in init.parts:
                found.add(".".join((name, *init.parent.relative_to(base).parts)))
    assert found == listed
